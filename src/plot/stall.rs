//! Training time breakdown per rank from a run's training_ranks.csv (`rank,compute_s,
//! stall_s,barrier_s,sync_s,checkpoint_s`, any of them optional): stacked bars, one per
//! rank (per job and rank, `job/rank`, when the table has a `job` column). Other `*_s`
//! columns are stacked after the known ones, except `total_s`. Each phase has its
//! own colour whichever phases a table has.

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
    let job = header.iter().position(|h| h == "job");
    // (column, name, palette index): the known phases keep their colours.
    let mut cols: Vec<(usize, String, usize)> = KNOWN
        .iter()
        .enumerate()
        .filter_map(|(k, (c, name))| {
            header
                .iter()
                .position(|h| h == c)
                .map(|i| (i, name.to_string(), k))
        })
        .collect();
    for (i, h) in header.iter().enumerate() {
        if h.ends_with("_s") && h != "total_s" && !KNOWN.iter().any(|(c, _)| c == h) {
            let k = KNOWN.len() + cols.len();
            cols.push((i, h.trim_end_matches("_s").replace('_', " "), k));
        }
    }
    if cols.is_empty() {
        anyhow::bail!(
            "{}: no time columns (compute_s, stall_s, sync_s, checkpoint_s)",
            path.display()
        );
    }
    let mut parts: Vec<(String, usize, Vec<f64>)> = cols
        .iter()
        .map(|(_, n, k)| (n.clone(), *k, Vec::new()))
        .collect();
    let mut categories = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        categories.push(match job {
            Some(j) => format!("{}/{}", row[j], row[rank]),
            None => row[rank].clone(),
        });
        for (k, (c, _, _)) in cols.iter().enumerate() {
            parts[k].2.push(number(&path, i + 2, &header, row, *c)?);
        }
    }
    if categories.is_empty() {
        anyhow::bail!("{}: no ranks to plot", path.display());
    }
    Ok(Figure::Bars(StackedBars {
        title: Some(if job.is_some() {
            "Training time per job and rank".into()
        } else {
            "Training time per rank".into()
        }),
        x_label: if job.is_some() {
            "Job/rank".into()
        } else {
            "Rank".into()
        },
        y_label: "Time (s)".into(),
        categories,
        parts,
    }))
}
