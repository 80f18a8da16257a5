//! Where each node's accesses were served, from a cluster run's nodes.csv: a stacked
//! bar per node of its accesses served by its own tier instances (local), by another
//! node's instance of a cluster-scope tier (remote, over both NICs) and by a shared
//! tier (over its NIC and the fabric). The axis counts accesses in thousands,
//! millions or billions, whichever keeps the ticks short.

use super::run_files::{read_nodes, run_folder, NODES_RUN};
use super::{Figure, StackedBars};
use std::path::Path;

/// The parts, bottom to top: (name, palette index).
pub const PARTS: [(&str, usize); 3] = [("local", 2), ("remote node", 4), ("shared tier", 5)];

/// Builds the figure from a run folder or its nodes.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let dir = run_folder(input, "nodes.csv", "node-served", NODES_RUN)?;
    let nodes = read_nodes(&dir)?;
    let most = nodes
        .iter()
        .map(|n| n.served_local + n.served_remote + n.served_shared)
        .max()
        .unwrap_or(0) as f64;
    let (scale, unit) = match most {
        m if m >= 1e9 => (1e9, " (billions)"),
        m if m >= 1e6 => (1e6, " (millions)"),
        m if m >= 1e4 => (1e3, " (thousands)"),
        _ => (1.0, ""),
    };
    let part = |f: fn(&super::run_files::NodeRow) -> u64| -> Vec<f64> {
        nodes.iter().map(|n| f(n) as f64 / scale).collect()
    };
    let values = [
        part(|n| n.served_local),
        part(|n| n.served_remote),
        part(|n| n.served_shared),
    ];
    Ok(Figure::Bars(StackedBars {
        title: Some("Where each node's accesses were served".into()),
        x_label: "Node".into(),
        y_label: format!("Accesses{unit}"),
        categories: nodes.iter().map(|n| n.node.to_string()).collect(),
        parts: PARTS
            .iter()
            .zip(values)
            .map(|((name, k), v)| (name.to_string(), *k, v))
            .collect(),
    }))
}
