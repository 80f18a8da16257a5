//! Finding a run folder and reading its cluster and jobs tables (nodes.csv, jobs.csv)
//! for the per-node and per-job figures ([`super::node_nic`], [`super::node_served`],
//! [`super::job_stall`]). A folder without the table, or a table of the wrong shape,
//! is a one-line error that names the file and what was expected.

use super::read_rows;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What a run needs to have a nodes.csv.
pub const NODES_RUN: &str = "a run on a [cluster] of more than one node";
/// What a run needs to have a jobs.csv.
pub const JOBS_RUN: &str = "a run of a [[jobs]] config";

/// The run folder of `input`, a run folder or its `file`, which must exist: `kind` is
/// the plot kind, `what` the kind of run that writes `file`.
pub fn run_folder(input: &Path, file: &str, kind: &str, what: &str) -> anyhow::Result<PathBuf> {
    let dir = if input.is_dir() {
        input.to_path_buf()
    } else if input.is_file() && input.file_name().is_some_and(|n| n == file) {
        input
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    } else if input.exists() {
        anyhow::bail!(
            "{}: expected a run folder or its {file} (for {kind})",
            input.display()
        )
    } else {
        anyhow::bail!("{}: not found (expected a run folder)", input.display())
    };
    let path = dir.join(file);
    anyhow::ensure!(
        path.is_file(),
        "{}: not found: {kind} needs {what}, whose folder has {file}",
        path.display()
    );
    Ok(dir)
}

/// The columns of a jobs.csv row the figures use.
#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    pub job: String,
    pub kind: String,
    /// When it started, seconds on the run's clock (its own tables count from here).
    pub start_s: f64,
    /// Run time with the others over run time alone (`sim.run_jobs_alone`).
    #[serde(default)]
    pub slowdown: Option<f64>,
}

/// The jobs of the run folder `dir`, in the run's order.
pub fn read_jobs(dir: &Path) -> anyhow::Result<Vec<JobRow>> {
    let path = dir.join("jobs.csv");
    let rows: Vec<JobRow> = read_rows(&path)?;
    anyhow::ensure!(!rows.is_empty(), "{}: no jobs listed", path.display());
    Ok(rows)
}

/// The columns of a nodes.csv row the figures use.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeRow {
    pub node: u32,
    pub served_local: u64,
    pub served_remote: u64,
    pub served_shared: u64,
    /// The node's NIC instance in timeseries.csv (`nic@3`); None without one.
    #[serde(default)]
    pub nic: Option<String>,
}

/// The nodes of the run folder `dir`, in order.
pub fn read_nodes(dir: &Path) -> anyhow::Result<Vec<NodeRow>> {
    let path = dir.join("nodes.csv");
    let rows: Vec<NodeRow> = read_rows(&path)?;
    anyhow::ensure!(!rows.is_empty(), "{}: no nodes listed", path.display());
    Ok(rows)
}
