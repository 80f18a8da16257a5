//! runs.csv: one row per run, built from plan.json and the run folders alone (so a
//! sweep, a resumed sweep and a merge of shards write the same bytes).
//!
//! Columns: `index,run_id,status,error`, then `repeat,seed` when `repeats > 1`, then
//! the swept key paths in spec order, then the headline metrics taken generically
//! from each run's summary.json:
//! - `simulated_time_s`;
//! - per tier `tier.<name>.hit_ratio` (cache tiers) and `tier.<name>.utilisation`;
//! - per link `link.<name>.utilisation`;
//! - per latency histogram `latency.<name>.mean_ns` and `latency.<name>.p99_ns`;
//! - every number or boolean in the workload's summary, `workload.<key>` (nested
//!   objects flattened with dots).
//!
//! Metric columns are the union over the successful runs, in order of first
//! appearance by run index; a run lacking one leaves the cell empty. Nothing in it
//! depends on wall-clock time or on how many jobs ran.

use super::plan::{PlanEntry, PlanFile};
use serde_json::Value;
use std::path::Path;

/// What is known of one run in an output folder.
#[derive(Debug, Clone)]
pub enum RunResult {
    Ok(Value),
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
        let bytes =
            std::fs::read(&summary).map_err(|e| anyhow::anyhow!("{}: {e}", summary.display()))?;
        let v = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", summary.display()))?;
        return Ok(RunResult::Ok(v));
    }
    let err = dir.join("error.txt");
    if err.is_file() {
        let text =
            std::fs::read_to_string(&err).map_err(|e| anyhow::anyhow!("{}: {e}", err.display()))?;
        return Ok(RunResult::Failed(text.trim().to_string()));
    }
    Ok(RunResult::Missing)
}

fn cell(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        x => {
            if let Some(c) = cell(x) {
                out.push((prefix.to_string(), c));
            }
        }
    }
}

/// The headline metrics of one summary.json, as (column, cell) in summary order.
pub fn metrics(summary: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(c) = cell(&summary["simulated_time_s"]) {
        out.push(("simulated_time_s".into(), c));
    }
    for (group, prefix) in [("tiers", "tier"), ("links", "link")] {
        for t in summary[group].as_array().into_iter().flatten() {
            let name = t["name"].as_str().unwrap_or("?");
            for key in ["hit_ratio", "utilisation"] {
                if let Some(c) = cell(&t[key]) {
                    out.push((format!("{prefix}.{name}.{key}"), c));
                }
            }
        }
    }
    for (name, h) in summary["latency"].as_object().into_iter().flatten() {
        for key in ["mean_ns", "p99_ns"] {
            if let Some(c) = cell(&h[key]) {
                out.push((format!("latency.{name}.{key}"), c));
            }
        }
    }
    flatten("workload", &summary["workload"], &mut out);
    out
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
            RunResult::Ok(s) => metrics(s),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_headline_metrics_generically() {
        let s: Value = serde_json::from_str(
            r#"{"simulated_time_s": 2.5, "events": 9,
                "tiers": [{"name":"dram","hit_ratio":0.5,"utilisation":0.25,"reads":3},
                          {"name":"nvme","utilisation":1.0}],
                "links": [{"name":"net","utilisation":0.1}],
                "latency": {"read": {"mean_ns": 10.0, "p50_ns": 5.0, "p99_ns": 99.0}},
                "workload": {"kind":"x","throughput":7.5,"epoch":{"time_s":1.0},"done":true}}"#,
        )
        .unwrap();
        let cols: Vec<String> = metrics(&s).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            cols,
            [
                "simulated_time_s",
                "tier.dram.hit_ratio",
                "tier.dram.utilisation",
                "tier.nvme.utilisation",
                "link.net.utilisation",
                "latency.read.mean_ns",
                "latency.read.p99_ns",
                "workload.throughput",
                "workload.epoch.time_s",
                "workload.done",
            ]
        );
    }
}
