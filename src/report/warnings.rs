//! Warnings of a finished run, for the terminal and summary.json's `warnings`:
//! conditions that do not stop a run but that a reader of its figures should know of,
//! such as a tier or link no request reached, a migration policy that never moved a
//! page (its period longer than the run), a workload that stopped without finishing,
//! and the workload's own (sizes clamped to 4 GiB).

use super::summary::{DeviceSummary, TierSummary};
use crate::config::units::fmt_time;
use crate::sim::{Outcome, Simulation};

/// The warnings of `sim` after `out`, given its tier and link figures.
pub fn warnings(
    sim: &Simulation,
    out: &Outcome,
    tiers: &[TierSummary],
    links: &[DeviceSummary],
) -> Vec<String> {
    let mut w = Vec::new();
    let unused = |d: &DeviceSummary| d.reads == 0 && d.writes == 0;
    for t in tiers
        .iter()
        .filter(|t| unused(&t.device) && t.cache.hits == 0)
    {
        w.push(format!(
            "tier '{}' was never used: no request reached it",
            t.device.name
        ));
    }
    for l in links.iter().filter(|l| unused(l)) {
        w.push(format!(
            "link '{}' was never used: nothing crossed it",
            l.name
        ));
    }
    if sim.data.migration().is_some() && tiers.iter().all(|t| t.cache.migrations_in == 0) {
        w.push(format!(
            "the [migration] policy never moved a page in the {} simulated: is its period \
             or scan period longer than the run?",
            fmt_time(out.end)
        ));
    }
    if !out.finished && sim.duration.is_none_or(|d| out.end < d) {
        w.push(format!(
            "the workload did not finish: no event was pending at {} (its actors all \
             waited on each other)",
            fmt_time(out.end)
        ));
    }
    w.extend(sim.workload.warnings());
    w
}
