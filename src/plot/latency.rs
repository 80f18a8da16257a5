//! Latency CDFs from a run's latency_cdf.csv (`name,latency_ns,cumulative_fraction`):
//! one line per histogram (read, write, the workload's own), log x in microseconds.

use super::{chart::plain, in_run_dir, read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::path::Path;

/// A row of latency_cdf.csv.
#[derive(Debug, Deserialize)]
struct CdfRow {
    name: String,
    latency_ns: f64,
    cumulative_fraction: f64,
}

/// Builds the figure from a run folder or a latency_cdf.csv; `names` keeps only those
/// histograms (all when empty).
pub fn figure(input: &Path, names: &[String]) -> anyhow::Result<Figure> {
    let path = in_run_dir(input, "latency_cdf.csv");
    let mut series: Vec<Series> = Vec::new();
    for row in read_rows::<CdfRow>(&path)? {
        if !names.is_empty() && !names.contains(&row.name) {
            continue;
        }
        let p = (row.latency_ns / 1e3, row.cumulative_fraction);
        match series.iter_mut().find(|s| s.name == row.name) {
            Some(s) => s.points.push(p),
            None => series.push(Series::line(row.name, vec![p])),
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
        x_fmt: plain,
        y_range: Some((0.0, 1.0)),
        ..Default::default()
    }))
}
