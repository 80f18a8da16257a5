//! Latency CDFs from a run's latency_cdf.csv (`name,latency_ns,cumulative_fraction`):
//! one line per histogram (read, write, the workload's own), log x with ticks in time
//! units. A histogram's colour is its place in the file (the run's order), kept when
//! `names` picks some of them.

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
        let p = (row.latency_ns, row.cumulative_fraction);
        match series.iter_mut().find(|s| s.name == row.name) {
            Some(s) => s.points.push(p),
            None => {
                let k = series.len();
                series.push(Series::line(row.name, vec![p]).coloured(k))
            }
        }
    }
    if let Some(missing) = names.iter().find(|n| !series.iter().any(|s| &&s.name == n)) {
        let all: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "{}: no histogram '{missing}'; there are: {}",
            path.display(),
            all.join(", ")
        );
    }
    series.retain(|s| names.is_empty() || names.contains(&s.name));
    if series.is_empty() {
        anyhow::bail!("{}: no latency histogram to plot", path.display());
    }
    Ok(Figure::Lines(LineChart {
        title: Some("Latency distribution (CDF)".into()),
        x_label: "Latency (log scale)".into(),
        y_label: "Cumulative fraction".into(),
        series,
        x_log: true,
        x_fmt: time_ns,
        y_range: Some((0.0, 1.0)),
        ..Default::default()
    }))
}

/// A time in nanoseconds in the unit that keeps it readable: 100 ns, 1 µs, 10 ms, 1 s.
pub fn time_ns(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{} s", plain(v / 1e9)),
        v if v >= 1e6 => format!("{} ms", plain(v / 1e6)),
        v if v >= 1e3 => format!("{} µs", plain(v / 1e3)),
        v => format!("{} ns", plain(v)),
    }
}
