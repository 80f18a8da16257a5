//! NIC bandwidth and utilisation per node over time, from a cluster run's folder:
//! nodes.csv names each node's NIC instance (`nic@3`), timeseries.csv holds a row per
//! link instance and interval. Two panels as for the tiers ([`super::timeseries`]):
//! read + write bandwidth (GB/s) and utilisation (%). Up to [`MAX_LINES`] nodes get a
//! line each (a node's colour is its place in nodes.csv); more nodes are drawn as
//! the median across the nodes' NICs at each interval with a band from the least to
//! the most loaded (a legend of 64 nodes would say nothing), unless `nodes` picks the
//! nodes to draw. Long series are binned (the median's mean per bin, the band's
//! extremes), and a window, bin width and percentile cut work as for the tiers.

use super::run_files::{read_nodes, run_folder, NODES_RUN};
use super::timeseries::{checked, SampleRow, TimeseriesOptions};
use super::{read_rows, Figure, LineChart, Series};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Up to this many nodes get a line each (the palette's distinct colours).
pub const MAX_LINES: usize = 8;

/// What to draw.
#[derive(Debug, Clone, Default)]
pub struct NodeNicOptions {
    /// A run folder or its nodes.csv (`input`), and the window, axis cut and bin width
    /// as the tiers' time series takes them.
    pub series: TimeseriesOptions,
    /// Draw these nodes, a line each (default: every node, or the spread across
    /// nodes when there are more than [`MAX_LINES`]).
    pub nodes: Vec<u32>,
}

/// Builds the figure from a run folder or its nodes.csv, all of it.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    figure_with(&NodeNicOptions {
        series: TimeseriesOptions {
            input: input.to_path_buf(),
            ..Default::default()
        },
        ..Default::default()
    })
}

/// The median of `v` (sorted in place; the mean of the middle two when even).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Builds the figure.
pub fn figure_with(o: &NodeNicOptions) -> anyhow::Result<Figure> {
    let dir = run_folder(&o.series.input, "nodes.csv", "node-nic", NODES_RUN)?;
    let nodes = read_nodes(&dir)?;
    let nodes_csv = dir.join("nodes.csv");
    // (palette index, node, NIC instance) of every node with a NIC.
    let nics: Vec<(usize, u32, String)> = nodes
        .iter()
        .enumerate()
        .filter_map(|(k, n)| n.nic.clone().map(|nic| (k, n.node, nic)))
        .collect();
    anyhow::ensure!(
        !nics.is_empty(),
        "{}: no node has a NIC (the nic column is empty)",
        nodes_csv.display()
    );
    let picked: Vec<&(usize, u32, String)> = if o.nodes.is_empty() {
        nics.iter().collect()
    } else {
        let mut picked = Vec::new();
        for want in &o.nodes {
            let nic = nics.iter().find(|(_, n, _)| n == want).ok_or_else(|| {
                let have: Vec<String> = nics.iter().map(|(_, n, _)| n.to_string()).collect();
                anyhow::anyhow!(
                    "--nodes: no node {want} with a NIC in {} (nodes: {})",
                    nodes_csv.display(),
                    have.join(" ")
                )
            })?;
            picked.push(nic);
        }
        picked
    };
    let series_csv = dir.join("timeseries.csv");
    anyhow::ensure!(
        series_csv.is_file(),
        "{}: not found: node-nic draws the NICs' samples from it",
        series_csv.display()
    );
    let index: HashMap<&str, usize> = picked
        .iter()
        .enumerate()
        .map(|(i, (_, _, nic))| (nic.as_str(), i))
        .collect();
    // Per picked NIC: (time, GB/s, %).
    let mut samples: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); picked.len()];
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for row in read_rows::<SampleRow>(&series_csv)? {
        if let Some(&i) = index.get(row.tier.as_str()) {
            let gbps = (row.read_bw_bytes_per_s + row.write_bw_bytes_per_s) / 1e9;
            samples[i].push((row.time_s, gbps, row.utilisation * 100.0));
            first = first.min(row.time_s);
            last = last.max(row.time_s);
        }
    }
    if let Some(i) = samples.iter().position(Vec::is_empty) {
        let (_, node, nic) = picked[i];
        anyhow::bail!(
            "{}: no samples of '{nic}', node {node}'s NIC in nodes.csv",
            series_csv.display()
        );
    }
    let window = checked(
        &TimeseriesOptions {
            input: series_csv.clone(),
            ..o.series.clone()
        },
        (first, last),
    )?;
    let spread = o.nodes.is_empty() && picked.len() > MAX_LINES;
    let (bw, ut) = if spread {
        spread_lines(&samples)
    } else {
        let line = |i: usize, f: fn(&(f64, f64, f64)) -> (f64, f64)| {
            let (k, node, _) = picked[i];
            Series::line(format!("node {node}"), samples[i].iter().map(f).collect()).coloured(*k)
        };
        (
            (0..picked.len()).map(|i| line(i, |s| (s.0, s.1))).collect(),
            (0..picked.len()).map(|i| line(i, |s| (s.0, s.2))).collect(),
        )
    };
    let whose = if spread {
        format!("across {} nodes", picked.len())
    } else {
        "per node".to_string()
    };
    let panel = |title: String, y_label: &str, series: Vec<Series>, y_range| LineChart {
        title: Some(title),
        x_label: "Simulated time (s)".into(),
        y_label: y_label.into(),
        series,
        x_range: window,
        y_range,
        y_percentile: o.series.y_percentile,
        bin_dense: true,
        bin_width: o.series.bin_s,
        x_unit: "s".into(),
        ..Default::default()
    };
    Ok(Figure::Panels(vec![
        panel(
            format!("NIC bandwidth {whose} (read + write)"),
            "Bandwidth (GB/s)",
            bw,
            None,
        ),
        panel(
            format!("NIC utilisation {whose}"),
            "Utilisation (%)",
            ut,
            Some((0.0, 100.0)),
        ),
    ]))
}

/// The median across the NICs at each sampled time with a band from the least to
/// the greatest, of bandwidth and of utilisation.
fn spread_lines(samples: &[Vec<(f64, f64, f64)>]) -> (Vec<Series>, Vec<Series>) {
    // Times are non-negative, so their bits sort as they do.
    let mut at: BTreeMap<u64, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for s in samples.iter().flatten() {
        let e = at.entry(s.0.to_bits()).or_default();
        e.0.push(s.1);
        e.1.push(s.2);
    }
    let mut lines = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for (t, (b, u)) in at.iter_mut() {
        let t = f64::from_bits(*t);
        for (line, v) in lines.iter_mut().zip([b, u]) {
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            line.0.push((t, median(v)));
            line.1.push((min, max));
        }
    }
    let n = samples.len();
    let [bw, ut] = lines.map(|(points, bounds)| {
        vec![Series::line(format!("median of {n} nodes"), points)
            .with_spread("min–max across nodes", bounds)
            .coloured(0)]
    });
    (bw, ut)
}
