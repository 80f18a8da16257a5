//! Tier bandwidth and utilisation over time from a run's timeseries.csv
//! (`time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,
//! utilisation`): two panels, read+write bandwidth (GB/s) and utilisation (%), one
//! line per tier.

use super::{in_run_dir, read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::path::Path;

/// The columns of timeseries.csv this figure draws.
#[derive(Debug, Deserialize)]
struct SampleRow {
    time_s: f64,
    tier: String,
    read_bw_bytes_per_s: f64,
    write_bw_bytes_per_s: f64,
    utilisation: f64,
}

/// Builds the figure from a run folder or a timeseries.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let path = in_run_dir(input, "timeseries.csv");
    let mut bw: Vec<Series> = Vec::new();
    let mut ut: Vec<Series> = Vec::new();
    for row in read_rows::<SampleRow>(&path)? {
        let k = match bw.iter().position(|s| s.name == row.tier) {
            Some(k) => k,
            None => {
                bw.push(Series::line(row.tier.clone(), Vec::new()));
                ut.push(Series::line(row.tier, Vec::new()));
                bw.len() - 1
            }
        };
        let gbps = (row.read_bw_bytes_per_s + row.write_bw_bytes_per_s) / 1e9;
        bw[k].points.push((row.time_s, gbps));
        ut[k].points.push((row.time_s, row.utilisation * 100.0));
    }
    if bw.is_empty() {
        anyhow::bail!("{}: no samples to plot", path.display());
    }
    let panel = |y_label: &str, series: Vec<Series>, y_range| LineChart {
        x_label: "Simulated time (s)".into(),
        y_label: y_label.into(),
        series,
        y_range,
        ..Default::default()
    };
    Ok(Figure::Panels(vec![
        panel("Bandwidth (GB/s)", bw, None),
        panel("Utilisation (%)", ut, Some((0.0, 105.0))),
    ]))
}
