//! Miss-ratio curves from `tiersim replay` CSV (`trace,policy,cache_size,requests,
//! misses,miss_ratio,byte_miss_ratio`, one series per policy, or per trace and policy
//! when several traces) or from `tiersim replay --mrc` CSV (`trace,cache_size,
//! miss_ratio,byte_miss_ratio`, an LRU curve per trace). Log x by default.

use super::{chart::plain, read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to draw.
#[derive(Debug, Clone)]
pub struct MrcOptions {
    pub inputs: Vec<PathBuf>,
    /// Plot byte_miss_ratio instead of miss_ratio.
    pub bytes_metric: bool,
    /// Cache sizes are bytes (replay without --ignore-size) rather than objects.
    pub size_in_bytes: bool,
    pub linear_x: bool,
}

fn objects(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{}G", plain(v / 1e9)),
        v if v >= 1e6 => format!("{}M", plain(v / 1e6)),
        v if v >= 1e3 => format!("{}K", plain(v / 1e3)),
        v => plain(v),
    }
}

fn bytes(v: f64) -> String {
    match v {
        v if v >= 1e12 => format!("{} TB", plain(v / 1e12)),
        v if v >= 1e9 => format!("{} GB", plain(v / 1e9)),
        v if v >= 1e6 => format!("{} MB", plain(v / 1e6)),
        v if v >= 1e3 => format!("{} KB", plain(v / 1e3)),
        v => format!("{} B", plain(v)),
    }
}

/// A row of either replay CSV (`policy` absent from `--mrc` output).
#[derive(Debug, Deserialize)]
struct MrcRow {
    #[serde(default)]
    trace: String,
    policy: Option<String>,
    cache_size: f64,
    miss_ratio: f64,
    byte_miss_ratio: f64,
}

/// Builds the figure.
pub fn figure(o: &MrcOptions) -> anyhow::Result<Figure> {
    // (trace, policy) -> points, in order of first appearance.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut points: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for path in &o.inputs {
        for row in read_rows::<MrcRow>(path)? {
            let y = if o.bytes_metric {
                row.byte_miss_ratio
            } else {
                row.miss_ratio
            };
            let key = (row.trace, row.policy.unwrap_or_else(|| "lru (mrc)".into()));
            if !points.contains_key(&key) {
                order.push(key.clone());
            }
            points.entry(key).or_default().push((row.cache_size, y));
        }
    }
    let traces: std::collections::BTreeSet<&String> = order.iter().map(|k| &k.0).collect();
    let many = traces.len() > 1;
    let series = order
        .iter()
        .map(|k| {
            let mut pts = points[k].clone();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let name = if many {
                format!("{} {}", k.0, k.1)
            } else {
                k.1.clone()
            };
            Series::line(name, pts)
        })
        .collect();
    Ok(Figure::Lines(LineChart {
        title: Some(if o.bytes_metric {
            "Byte miss-ratio curve".into()
        } else {
            "Miss-ratio curve".into()
        }),
        x_label: if o.size_in_bytes {
            "Cache size (bytes)".into()
        } else {
            "Cache size (objects)".into()
        },
        y_label: if o.bytes_metric {
            "Byte miss ratio".into()
        } else {
            "Miss ratio".into()
        },
        series,
        x_log: !o.linear_x,
        x_fmt: if o.size_in_bytes { bytes } else { objects },
        y_range: Some((0.0, 1.0)),
        markers: true,
        ..Default::default()
    }))
}
