//! Latency CDFs from a run's latency_cdf.csv (`name,latency_ns,cumulative_fraction`):
//! one line per histogram (read, write, the workload's own), log x in microseconds.

use super::{chart::plain, column, in_run_dir, number, read_csv, Figure, LineChart, Series};
use std::path::Path;

fn micros(v: f64) -> String {
    plain(v)
}

/// Builds the figure from a run folder or a latency_cdf.csv; `names` keeps only those
/// histograms (all when empty).
pub fn figure(input: &Path, names: &[String]) -> anyhow::Result<Figure> {
    let path = in_run_dir(input, "latency_cdf.csv");
    let (header, rows) = read_csv(&path)?;
    let n = column(&path, &header, "name")?;
    let x = column(&path, &header, "latency_ns")?;
    let y = column(&path, &header, "cumulative_fraction")?;
    let mut series: Vec<Series> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let name = &row[n];
        if !names.is_empty() && !names.contains(name) {
            continue;
        }
        let p = (
            number(&path, i + 2, &header, row, x)? / 1e3,
            number(&path, i + 2, &header, row, y)?,
        );
        match series.iter_mut().find(|s| &s.name == name) {
            Some(s) => s.points.push(p),
            None => series.push(Series {
                name: name.clone(),
                points: vec![p],
            }),
        }
    }
    if series.is_empty() {
        anyhow::bail!("{}: no latency histogram to plot", path.display());
    }
    Ok(Figure::Lines(LineChart {
        x_label: "Latency (µs)".into(),
        y_label: "Cumulative fraction".into(),
        series,
        x_log: true,
        x_fmt: micros,
        x_categories: None,
        y_range: Some((0.0, 1.0)),
        markers: false,
    }))
}
