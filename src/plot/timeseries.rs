//! Tier bandwidth and utilisation over time from a run's timeseries.csv
//! (`time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,
//! utilisation`): two panels, read+write bandwidth (GB/s) and utilisation (%), one
//! line per tier.

use super::{chart::plain, column, in_run_dir, number, read_csv, Figure, LineChart, Series};
use std::path::Path;

/// Builds the figure from a run folder or a timeseries.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let path = in_run_dir(input, "timeseries.csv");
    let (header, rows) = read_csv(&path)?;
    let t = column(&path, &header, "time_s")?;
    let tier = column(&path, &header, "tier")?;
    let rbw = column(&path, &header, "read_bw_bytes_per_s")?;
    let wbw = column(&path, &header, "write_bw_bytes_per_s")?;
    let util = column(&path, &header, "utilisation")?;
    let mut bw: Vec<Series> = Vec::new();
    let mut ut: Vec<Series> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        let time = number(&path, line, &header, row, t)?;
        let b = (number(&path, line, &header, row, rbw)? + number(&path, line, &header, row, wbw)?)
            / 1e9;
        let u = number(&path, line, &header, row, util)? * 100.0;
        let name = &row[tier];
        let k = match bw.iter().position(|s| &s.name == name) {
            Some(k) => k,
            None => {
                bw.push(Series {
                    name: name.clone(),
                    points: Vec::new(),
                });
                ut.push(Series {
                    name: name.clone(),
                    points: Vec::new(),
                });
                bw.len() - 1
            }
        };
        bw[k].points.push((time, b));
        ut[k].points.push((time, u));
    }
    if bw.is_empty() {
        anyhow::bail!("{}: no samples to plot", path.display());
    }
    let panel = |y_label: &str, series: Vec<Series>, y_range| LineChart {
        x_label: "Simulated time (s)".into(),
        y_label: y_label.into(),
        series,
        x_log: false,
        x_fmt: plain,
        x_categories: None,
        y_range,
        markers: false,
    };
    Ok(Figure::Panels(vec![
        panel("Bandwidth (GB/s)", bw, None),
        panel("Utilisation (%)", ut, Some((0.0, 105.0))),
    ]))
}
