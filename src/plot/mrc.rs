//! Miss-ratio curves from `tiersim replay` CSV (`trace,policy,cache_size,requests,
//! misses,miss_ratio,byte_miss_ratio`, one series per policy, or per trace and policy
//! when several traces) or from `tiersim replay --mrc` CSV (`trace,cache_size,
//! miss_ratio,byte_miss_ratio`, an LRU curve per trace). Log x by default.

use super::{chart::plain, column, number, read_csv, Figure, LineChart, Series};
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

/// Builds the figure.
pub fn figure(o: &MrcOptions) -> anyhow::Result<Figure> {
    let metric = if o.bytes_metric {
        "byte_miss_ratio"
    } else {
        "miss_ratio"
    };
    // (trace, policy) -> points, in order of first appearance.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut points: BTreeMap<(String, String), Vec<(f64, f64)>> = BTreeMap::new();
    for path in &o.inputs {
        let (header, rows) = read_csv(path)?;
        let size = column(path, &header, "cache_size")?;
        let y = column(path, &header, metric)?;
        let trace = header.iter().position(|h| h == "trace");
        let policy = header.iter().position(|h| h == "policy");
        for (i, row) in rows.iter().enumerate() {
            let key = (
                trace.map(|c| row[c].clone()).unwrap_or_default(),
                policy
                    .map(|c| row[c].clone())
                    .unwrap_or_else(|| "lru (mrc)".into()),
            );
            let p = (
                number(path, i + 2, &header, row, size)?,
                number(path, i + 2, &header, row, y)?,
            );
            if !points.contains_key(&key) {
                order.push(key.clone());
            }
            points.entry(key).or_default().push(p);
        }
    }
    let traces: std::collections::BTreeSet<&String> = order.iter().map(|k| &k.0).collect();
    let many = traces.len() > 1;
    let series = order
        .iter()
        .map(|k| {
            let mut pts = points[k].clone();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series {
                name: if many {
                    format!("{} {}", k.0, k.1)
                } else {
                    k.1.clone()
                },
                points: pts,
            }
        })
        .collect();
    Ok(Figure::Lines(LineChart {
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
        x_categories: None,
        y_range: Some((0.0, 1.0)),
        markers: true,
    }))
}
