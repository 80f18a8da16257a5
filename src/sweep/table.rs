//! runs.csv: one row per run, built from plan.json and the run folders alone (so a
//! sweep, a resumed sweep and a merge of shards write the same bytes).
//!
//! Columns: `index,run_id,status,error`, then `repeat,seed` when `repeats > 1`, then
//! the swept key paths in spec order, then the headline metrics of each run's
//! summary.json, read as a typed [`RunSummary`] ([`RunSummary::headline`] lists them:
//! `simulated_time_s`, per tier `tier.<name>.hit_ratio` and `.utilisation`, per link
//! `link.<name>.utilisation`, per latency histogram `latency.<name>.mean_ns` and
//! `.p99_ns`, and every number or boolean of the workload's figures, `workload.<key>`).
//!
//! Metric columns are the union over the successful runs, in order of first
//! appearance by run index; a run lacking one leaves the cell empty. Nothing in it
//! depends on wall-clock time or on how many jobs ran. A summary.json that does not
//! parse as a [`RunSummary`] (a missing or renamed field) is an error, not zeros.

use super::plan::{PlanEntry, PlanFile};
use crate::report::RunSummary;
use std::path::Path;

/// What is known of one run in an output folder.
#[derive(Debug, Clone)]
pub enum RunResult {
    Ok(Box<RunSummary>),
    Failed(String),
    Missing,
}

/// The run folder of `id` in a sweep output folder.
pub fn run_dir(out: &Path, id: &str) -> std::path::PathBuf {
    out.join("runs").join(id)
}

/// Whether the run has finished successfully (its summary.json exists; the runner
/// writes it last, atomically).
pub fn is_finished(out: &Path, id: &str) -> bool {
    run_dir(out, id).join("summary.json").is_file()
}

/// The result of `entry` in the output folder `out`.
pub fn result_of(out: &Path, entry: &PlanEntry) -> anyhow::Result<RunResult> {
    if let Some(e) = &entry.error {
        return Ok(RunResult::Failed(e.clone()));
    }
    let dir = run_dir(out, &entry.id);
    let summary = dir.join("summary.json");
    if summary.is_file() {
        return Ok(RunResult::Ok(Box::new(RunSummary::read(&summary)?)));
    }
    let err = dir.join("error.txt");
    if err.is_file() {
        let text =
            std::fs::read_to_string(&err).map_err(|e| anyhow::anyhow!("{}: {e}", err.display()))?;
        return Ok(RunResult::Failed(text.trim().to_string()));
    }
    Ok(RunResult::Missing)
}

/// One line: newlines in error messages become "; ".
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// runs.csv text for the runs of `plan` whose index satisfies `keep`, reading their
/// results from `out`.
pub fn runs_csv(
    plan: &PlanFile,
    out: &Path,
    keep: impl Fn(usize) -> bool,
) -> anyhow::Result<String> {
    let mut rows = Vec::new();
    for e in plan.runs.iter().filter(|e| keep(e.index)) {
        rows.push((e, result_of(out, e)?));
    }
    let mut metric_cols: Vec<String> = Vec::new();
    let mut known = std::collections::HashSet::new();
    let mut metric_rows = Vec::with_capacity(rows.len());
    for (_, r) in &rows {
        let m = match r {
            RunResult::Ok(s) => s.headline(),
            _ => Vec::new(),
        };
        for (k, _) in &m {
            if known.insert(k.clone()) {
                metric_cols.push(k.clone());
            }
        }
        metric_rows.push(
            m.into_iter()
                .collect::<std::collections::HashMap<String, String>>(),
        );
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["index", "run_id", "status", "error"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let repeats = plan.repeats > 1;
    if repeats {
        header.push("repeat".into());
        header.push("seed".into());
    }
    header.extend(plan.params.iter().cloned());
    header.extend(metric_cols.iter().cloned());
    w.write_record(&header)?;
    for ((e, r), m) in rows.iter().zip(&metric_rows) {
        let (status, error) = match r {
            RunResult::Ok(_) => ("ok", String::new()),
            RunResult::Failed(msg) => ("failed", one_line(msg)),
            RunResult::Missing => ("missing", String::new()),
        };
        let mut rec = vec![e.index.to_string(), e.id.clone(), status.into(), error];
        if repeats {
            rec.push(e.repeat.to_string());
            rec.push(e.seed.to_string());
        }
        rec.extend(e.params.iter().cloned());
        rec.extend(
            metric_cols
                .iter()
                .map(|c| m.get(c).cloned().unwrap_or_default()),
        );
        w.write_record(&rec)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
