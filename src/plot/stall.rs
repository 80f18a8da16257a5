//! Training time breakdown per rank from a run's training_ranks.csv (`rank,compute_s,
//! stall_s,barrier_s,sync_s,checkpoint_s`, any of them optional): stacked bars, one per
//! rank. Other `*_s` columns are stacked after the known ones, except `total_s`.

use super::{column, in_run_dir, number, read_csv, Figure, StackedBars};
use std::path::Path;

const KNOWN: [(&str, &str); 5] = [
    ("compute_s", "compute"),
    ("stall_s", "data stall"),
    ("barrier_s", "barrier wait"),
    ("sync_s", "gradient sync"),
    ("checkpoint_s", "checkpoint"),
];

/// Builds the figure from a run folder or a training_ranks.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let path = in_run_dir(input, "training_ranks.csv");
    let (header, rows) = read_csv(&path)?;
    let rank = column(&path, &header, "rank")?;
    let mut cols: Vec<(usize, String)> = KNOWN
        .iter()
        .filter_map(|(c, name)| {
            header
                .iter()
                .position(|h| h == c)
                .map(|i| (i, name.to_string()))
        })
        .collect();
    for (i, h) in header.iter().enumerate() {
        if h.ends_with("_s") && h != "total_s" && !KNOWN.iter().any(|(c, _)| c == h) {
            cols.push((i, h.trim_end_matches("_s").replace('_', " ")));
        }
    }
    if cols.is_empty() {
        anyhow::bail!(
            "{}: no time columns (compute_s, stall_s, sync_s, checkpoint_s)",
            path.display()
        );
    }
    let mut parts: Vec<(String, Vec<f64>)> =
        cols.iter().map(|(_, n)| (n.clone(), Vec::new())).collect();
    let mut categories = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        categories.push(row[rank].clone());
        for (k, (c, _)) in cols.iter().enumerate() {
            parts[k].1.push(number(&path, i + 2, &header, row, *c)?);
        }
    }
    if categories.is_empty() {
        anyhow::bail!("{}: no ranks to plot", path.display());
    }
    Ok(Figure::Bars(StackedBars {
        x_label: "Rank".into(),
        y_label: "Time (s)".into(),
        categories,
        parts,
    }))
}
