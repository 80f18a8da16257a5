//! Tier bandwidth and utilisation over time from a run's timeseries.csv
//! (`time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,
//! utilisation`): two panels, read+write bandwidth (GB/s) and utilisation (%), one
//! line per tier in the run's tier order (so each tier keeps its colour). A long run
//! is drawn as the mean per bin with a min-max band (bins of 4 pixels, or of a given
//! width such as an epoch); `from`/`to` show a window, and a percentile cuts the
//! bandwidth axis (the cut is marked). A cluster's timeseries.csv also holds a row per
//! link instance (`nic@3`, the fabric); with tiers.csv beside it, only the tiers are
//! drawn here (the NICs are `node-nic`'s, [`super::node_nic`]).

use super::{column, in_run_dir, read_csv, read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The columns of timeseries.csv this figure draws.
#[derive(Debug, Deserialize)]
pub(super) struct SampleRow {
    pub time_s: f64,
    /// The tier, or a link instance on a cluster.
    pub tier: String,
    pub read_bw_bytes_per_s: f64,
    pub write_bw_bytes_per_s: f64,
    pub utilisation: f64,
}

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct TimeseriesOptions {
    /// A run folder or its timeseries.csv.
    pub input: PathBuf,
    /// Start of the window, seconds of simulated time.
    pub from: Option<f64>,
    /// End of the window.
    pub to: Option<f64>,
    /// Cut the bandwidth axis at this percentile of the samples shown.
    pub y_percentile: Option<f64>,
    /// Bin width of a long run, seconds [default: 4 pixels' worth].
    pub bin_s: Option<f64>,
}

/// Builds the figure from a run folder or a timeseries.csv, all of it.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    figure_with(&TimeseriesOptions {
        input: input.to_path_buf(),
        ..Default::default()
    })
}

/// Builds the figure.
pub fn figure_with(o: &TimeseriesOptions) -> anyhow::Result<Figure> {
    let path = in_run_dir(&o.input, "timeseries.csv");
    let tiers = tier_names(&path)?;
    let mut bw: Vec<Series> = Vec::new();
    let mut ut: Vec<Series> = Vec::new();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for row in read_rows::<SampleRow>(&path)? {
        if tiers.as_ref().is_some_and(|t| !t.contains(&row.tier)) {
            continue;
        }
        let k = match bw.iter().position(|s| s.name == row.tier) {
            Some(k) => k,
            None => {
                let k = bw.len();
                bw.push(Series::line(row.tier.clone(), Vec::new()).coloured(k));
                ut.push(Series::line(row.tier, Vec::new()).coloured(k));
                k
            }
        };
        let gbps = (row.read_bw_bytes_per_s + row.write_bw_bytes_per_s) / 1e9;
        bw[k].points.push((row.time_s, gbps));
        ut[k].points.push((row.time_s, row.utilisation * 100.0));
        first = first.min(row.time_s);
        last = last.max(row.time_s);
    }
    if bw.is_empty() {
        anyhow::bail!("{}: no samples to plot", path.display());
    }
    let window = checked(o, (first, last))?;
    let panel = |title: &str, y_label: &str, series: Vec<Series>, y_range| LineChart {
        title: Some(title.into()),
        x_label: "Simulated time (s)".into(),
        y_label: y_label.into(),
        series,
        x_range: window,
        y_range,
        y_percentile: o.y_percentile,
        bin_dense: true,
        bin_width: o.bin_s,
        x_unit: "s".into(),
        ..Default::default()
    };
    Ok(Figure::Panels(vec![
        panel(
            "Bandwidth per tier (read + write)",
            "Bandwidth (GB/s)",
            bw,
            None,
        ),
        panel(
            "Utilisation per tier",
            "Utilisation (%)",
            ut,
            Some((0.0, 100.0)),
        ),
    ]))
}

/// The window to show (None: all of it), after checking the options against the
/// samples, which run from `first` to `last` seconds.
pub(super) fn checked(
    o: &TimeseriesOptions,
    (first, last): (f64, f64),
) -> anyhow::Result<Option<(f64, f64)>> {
    if let Some(b) = o.bin_s {
        anyhow::ensure!(
            b > 0.0 && b.is_finite(),
            "--bin: expected a positive number of seconds, got {b}"
        );
    }
    if let Some(p) = o.y_percentile {
        anyhow::ensure!(
            p > 0.0 && p <= 100.0,
            "--y-percentile: expected a percentile in (0, 100], got {p}"
        );
    }
    match (o.from, o.to) {
        (None, None) => Ok(None),
        (from, to) => {
            let (a, b) = (from.unwrap_or(first.min(0.0)), to.unwrap_or(last));
            anyhow::ensure!(
                a < b,
                "--from {a} must be before --to {b} (the samples run from {first} to {last} s)"
            );
            anyhow::ensure!(
                a <= last && b >= first,
                "the window {a}..{b} s holds no sample (they run from {first} to {last} s)"
            );
            Ok(Some((a, b)))
        }
    }
}

/// The tiers (not links) of the run whose timeseries.csv is `series`, from the
/// tiers.csv beside it; None without one (or an old one without a kind column): then
/// every row is a tier.
pub(super) fn tier_names_of(series: &Path) -> anyhow::Result<Option<Vec<String>>> {
    tier_names(series)
}

fn tier_names(series: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let path = series.with_file_name("tiers.csv");
    if !path.is_file() {
        return Ok(None);
    }
    let (header, rows) = read_csv(&path)?;
    if !header.iter().any(|h| h == "kind") {
        return Ok(None);
    }
    let (name, kind) = (
        column(&path, &header, "name")?,
        column(&path, &header, "kind")?,
    );
    Ok(Some(
        rows.iter()
            .filter(|r| r[kind] == "tier")
            .map(|r| r[name].clone())
            .collect(),
    ))
}
