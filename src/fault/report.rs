//! The faults' results: the summary.json "faults" section (reads failed and lost,
//! retries, mean attempts, time reads lost, reads per copy, per-fault windows) and
//! faults.csv (one line per fault window that started during the run: target, kind,
//! start, end, effect).

use super::{FaultKind, FaultState};
use crate::engine::{secs, Time};
use serde_json::{json, Value};

/// The effect column of a window of fault `f` starting at `start` that made `hits`
/// reads fail (or restarted `hits` jobs: with `[[jobs]]`, named).
fn effect(state: &FaultState, f: &super::Fault, start: Time, hits: u64) -> String {
    match f.kind {
        FaultKind::Outage => format!("{hits} reads failed"),
        FaultKind::Slow => format!(
            "latency x{}, bandwidth /{}",
            f.latency_factor, f.bandwidth_factor
        ),
        FaultKind::Errors => format!(
            "{hits} read attempts failed (p = {}, {} retries)",
            f.errors.as_ref().map_or(0.0, |e| e.probability),
            f.errors.as_ref().map_or(0, |e| e.retries)
        ),
        FaultKind::NodeFailure if f.restarted_jobs.is_empty() => format!("{hits} job restarts"),
        FaultKind::NodeFailure => {
            let names: Vec<&str> = f
                .restarted_jobs
                .iter()
                .filter(|x| x.0 == start)
                .map(|x| state.job_names[x.1 as usize].as_str())
                .collect();
            format!("{hits} job restarts ({})", names.join(" "))
        }
    }
}

/// Every window that started before `end`, per fault: (fault, start, end, hits).
fn windows(state: &FaultState, end: Time) -> Vec<(usize, Time, Time, u64)> {
    let mut s = state.clone();
    let mut out = Vec::new();
    for (i, f) in s.faults.iter_mut().enumerate() {
        for w in f.schedule.until(end) {
            out.push((i, w.start, w.end, w.hits));
        }
    }
    out
}

/// faults.csv: target, kind, start_s, end_s (clipped to the run), effect.
pub fn csv(state: &FaultState, end: Time) -> String {
    let mut out = String::from("fault,target,kind,start_s,end_s,effect\n");
    for (i, start, stop, hits) in windows(state, end) {
        let f = &state.faults[i];
        out += &format!(
            "{},{},{},{:.6},{:.6},{}\n",
            f.entry,
            f.target,
            f.kind.name(),
            secs(start),
            secs(stop.min(end)),
            effect(state, f, start, hits)
        );
    }
    out
}

/// The fault windows that started before `end`: (start, end clipped, kind), for plots.
pub fn spans(state: &FaultState, end: Time) -> Vec<(Time, Time, FaultKind)> {
    windows(state, end)
        .into_iter()
        .map(|(i, a, b, _)| (a, b.min(end), state.faults[i].kind))
        .collect()
}

/// The summary.json "faults" section.
pub fn summary(state: &FaultState, end: Time) -> Value {
    let s = &state.stats;
    let w = windows(state, end);
    let per_fault: Vec<Value> = state
        .faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mine: Vec<_> = w.iter().filter(|x| x.0 == i).collect();
            let down: Time = mine.iter().map(|x| x.2.min(end) - x.1).sum();
            json!({
                "target": f.target,
                "kind": f.kind.name(),
                "windows": mine.len(),
                "active_s": secs(down),
                "reads_failed": f.reads_failed,
            })
        })
        .collect();
    json!({
        "on_loss": state.reader.on_loss,
        "reads_failed": s.reads_failed,
        "reads_lost": s.reads_lost,
        "retries": s.retries,
        "error_reads": s.error_reads,
        "mean_attempts": if s.error_reads > 0 { s.error_attempts as f64 / s.error_reads as f64 } else { 0.0 },
        "read_time_lost_s": secs(s.read_delay),
        "transfer_time_lost_s": secs(s.transfer_delay),
        "served_by_copy": s.served_by_copy,
        "faults": per_fault,
    })
}
