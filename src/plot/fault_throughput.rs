//! A job's throughput over time with its fault windows shaded, from a run folder
//! (timeseries.csv and faults.csv): the data the job read per second (every tier's
//! reads summed: what its loaders received), and a shaded band over each fault
//! window of faults.csv, coloured by kind. A run without faults.csv is drawn without
//! bands.

use super::{in_run_dir, read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct Sample {
    time_s: f64,
    tier: String,
    read_bw_bytes_per_s: f64,
}

#[derive(Debug, Deserialize)]
struct FaultRow {
    target: String,
    kind: String,
    start_s: f64,
    end_s: f64,
}

/// Builds the figure from a run folder (or its timeseries.csv).
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let series = in_run_dir(input, "timeseries.csv");
    let tiers = super::timeseries::tier_names_of(&series)?;
    // time -> summed read bandwidth of the tiers.
    let mut sum: BTreeMap<u64, f64> = BTreeMap::new();
    for row in read_rows::<Sample>(&series)? {
        if tiers.as_ref().is_some_and(|t| !t.contains(&row.tier)) {
            continue;
        }
        *sum.entry(row.time_s.to_bits()).or_default() += row.read_bw_bytes_per_s / 1e9;
    }
    if sum.is_empty() {
        anyhow::bail!("{}: no samples to plot", series.display());
    }
    let mut points: Vec<(f64, f64)> = sum
        .into_iter()
        .map(|(t, v)| (f64::from_bits(t), v))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9);
    let mut all = vec![Series::line("data read", points).coloured(0)];
    let faults = series.with_file_name("faults.csv");
    if faults.is_file() {
        let mut kinds: Vec<String> = Vec::new();
        for f in read_rows::<FaultRow>(&faults)? {
            let k = match kinds.iter().position(|k| *k == f.kind) {
                Some(k) => k,
                None => {
                    kinds.push(f.kind.clone());
                    kinds.len() - 1
                }
            };
            // The first window of a kind names it in the legend; the rest are unnamed.
            let first = all.iter().all(|s| s.colour != Some(1 + k));
            let label = if first {
                format!("{} ({})", f.kind, f.target)
            } else {
                String::new()
            };
            // The band is drawn as steps a point wide around each point: many
            // points keep its edges within 1% of the window's.
            let xs: Vec<f64> = (0..=100)
                .map(|i| f.start_s + (f.end_s - f.start_s) * (0.005 + 0.99 * i as f64 / 100.0))
                .collect();
            let mut band =
                Series::line(String::new(), xs.iter().map(|&x| (x, 0.0)).collect()).coloured(1 + k);
            band.spread = Some((label, xs.iter().map(|_| (0.0, top)).collect()));
            all.push(band);
        }
    }
    Ok(Figure::Lines(LineChart {
        title: Some("Job throughput and fault windows".into()),
        x_label: "Simulated time (s)".into(),
        y_label: "Data read (GB/s)".into(),
        series: all,
        bin_dense: true,
        x_unit: "s".into(),
        ..Default::default()
    }))
}
