//! `[search]` in a sweep spec: for each grid point, the largest value of one integer
//! key in `low..=high` whose metric meets a threshold, by bisection (assuming the
//! metric meets it up to some value and not beyond: AU falls as accelerators are
//! added). Each probe is a run like any other (its folder, its runs.csv row, the search
//! key as the last swept column), so resume and determinism hold:
//!
//! - Order: the probes go in rounds; round k holds the k-th probe of every grid point
//!   still searching, in grid order, run in parallel. A probe's value depends only on
//!   the earlier probes' results, so the probes, their indices and ids are the same
//!   whatever `--jobs` and whether resumed (`--resume` skips finished probes, as it
//!   skips finished runs).
//! - Result: `search.csv` (the grid's columns, then `found`: the largest value
//!   meeting the threshold, empty when even `low` misses; `probes`), written
//!   atomically after the last round. A probe that fails (its config is refused at
//!   that value, e.g. more accelerators than the dataset has batches, or it times
//!   out) misses the threshold: the value cannot run there. Its error stays in its
//!   runs.csv row; a probe without a result or without the metric stops the search.
//! - Shards (`--shard`, Slurm arrays) cannot express it: each probe waits for the
//!   previous ones; a sharded search is refused.

use super::exec::{run_plan, Options, Report};
use super::plan::{grid_points, Plan, Planner};
use super::spec::{Dimension, Search, Spec};
use super::table::{result_of, RunResult};
use crate::atomic::write_atomic;

/// The largest `x` in `low..=high` with `meets(x)`, assuming `meets` is true up to
/// some value and false beyond; None when `meets(low)` is false. Probes
/// ceil(log2(high - low + 2)) values at most, each once.
pub fn bisect<E>(
    low: i64,
    high: i64,
    mut meets: impl FnMut(i64) -> Result<bool, E>,
) -> Result<Option<i64>, E> {
    let mut state = Bisection::new(low, high);
    while let Some(x) = state.next_probe() {
        state.record(x, meets(x)?);
    }
    Ok(state.found())
}

/// One bisection's state: `ok` the largest value known to meet (or low - 1), `bad`
/// the smallest known to miss (or high + 1).
#[derive(Debug, Clone, Copy)]
pub struct Bisection {
    ok: i64,
    bad: i64,
    low: i64,
}

impl Bisection {
    pub fn new(low: i64, high: i64) -> Self {
        Bisection {
            ok: low - 1,
            bad: high + 1,
            low,
        }
    }

    /// The next value to probe, or None when done.
    pub fn next_probe(&self) -> Option<i64> {
        (self.bad - self.ok > 1).then(|| self.ok + (self.bad - self.ok) / 2)
    }

    pub fn record(&mut self, x: i64, meets: bool) {
        if meets {
            self.ok = x;
        } else {
            self.bad = x;
        }
    }

    /// The answer once done.
    pub fn found(&self) -> Option<i64> {
        (self.ok >= self.low).then_some(self.ok)
    }
}

/// The probe's metric from its summary (see [`Search::metric`]).
fn metric_of(result: &RunResult, s: &Search) -> Result<f64, String> {
    let summary = match result {
        RunResult::Ok(summary) => summary,
        RunResult::Failed(e) => return Err(format!("failed: {e}")),
        RunResult::Missing => return Err("has no result".into()),
    };
    let cols = summary.headline();
    let find = |name: &str| cols.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let cell = find(&s.metric)
        .or_else(|| find(&format!("workload.{}", s.metric)))
        .ok_or_else(|| {
            format!(
                "has no metric '{}' (runs.csv columns: {})",
                s.metric,
                cols.iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    cell.parse::<f64>()
        .map_err(|_| format!("metric '{}' is not a number: {cell}", s.metric))
}

/// What a search found, per grid point: its cells, the answer, and the probes.
pub struct Found {
    pub cells: Vec<String>,
    pub found: Option<i64>,
    pub probes: usize,
}

/// Runs the spec's search into `opts.out` (see the module doc).
pub fn run_search(spec: &Spec, opts: &Options) -> anyhow::Result<(Report, Vec<Found>)> {
    let s = spec.search.as_ref().expect("a spec with [search]");
    if opts.shard.is_some() {
        anyhow::bail!(
            "a [search] cannot be sharded (--shard, Slurm arrays): each probe depends on the \
             results of the previous ones; run the search unsharded"
        );
    }
    // Key paths, the search key among them, are checked before anything runs.
    let mut check = spec.clone();
    check.dims.push(Dimension {
        paths: vec![s.key.clone()],
        values: vec![
            vec![toml::Value::Integer(s.low)],
            vec![toml::Value::Integer(s.high)],
        ],
    });
    super::plan::validate_paths(&check)?;
    let mut params: Vec<String> = spec.params().iter().map(|p| p.text.clone()).collect();
    params.push(s.key.text.clone());
    let points = grid_points(spec)?;
    let mut states: Vec<Bisection> = vec![Bisection::new(s.low, s.high); points.len()];
    let mut probes = vec![0usize; points.len()];
    let mut planner = Planner::default();
    let mut total = Report::default();
    let mut ran_here = 0;
    for round in 0.. {
        let mut this_round = Vec::new();
        for (i, (value, cells)) in points.iter().enumerate() {
            let Some(x) = states[i].next_probe() else {
                continue;
            };
            let mut v = value.clone();
            s.key
                .set(&mut v, toml::Value::Integer(x))
                .map_err(|e| anyhow::anyhow!("unknown key path '{}': {e}", s.key))?;
            let mut cells = cells.clone();
            cells.push(x.to_string());
            let index = planner.add(spec, &params, &v, &cells, 0)?.index;
            this_round.push((i, x, index));
        }
        if this_round.is_empty() {
            break;
        }
        let plan = Plan {
            params: params.clone(),
            repeats: 1,
            runs: planner.runs.clone(),
        };
        let opts = Options {
            resume: opts.resume || round > 0,
            rerun_failed: round == 0,
            ..opts.clone()
        };
        let r = run_plan(&plan, &opts)?;
        total.selected = r.selected;
        total.ran_ok += r.ran_ok;
        total.failed += r.failed;
        total.skipped += r.skipped - ran_here;
        ran_here += r.ran_ok + r.failed;
        let file = plan.to_file();
        for (i, x, index) in this_round {
            let result = result_of(&opts.out, &file.runs[index])?;
            let meets = if matches!(result, RunResult::Failed(_)) {
                false
            } else {
                let m = metric_of(&result, s)
                    .map_err(|e| anyhow::anyhow!("search probe {} ({}={x}) {e}", index, s.key))?;
                if s.at_least {
                    m >= s.threshold
                } else {
                    m <= s.threshold
                }
            };
            states[i].record(x, meets);
            probes[i] += 1;
        }
    }
    let found: Vec<Found> = points
        .into_iter()
        .zip(states.iter().zip(&probes))
        .map(|((_, cells), (st, &n))| Found {
            cells,
            found: st.found(),
            probes: n,
        })
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = params[..params.len() - 1].to_vec();
    header.push("found".into());
    header.push("probes".into());
    w.write_record(&header)?;
    for f in &found {
        let mut rec = f.cells.clone();
        rec.push(f.found.map(|x| x.to_string()).unwrap_or_default());
        rec.push(f.probes.to_string());
        w.write_record(&rec)?;
    }
    write_atomic(&opts.out.join("search.csv"), &w.into_inner()?)?;
    Ok((total, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisect_finds_the_last_value_that_meets_with_few_probes() {
        for edge in 0..=65 {
            let mut probed = Vec::new();
            let got = bisect::<()>(1, 64, |x| {
                probed.push(x);
                Ok(x <= edge)
            })
            .unwrap();
            assert_eq!(got, (edge >= 1).then_some(edge.min(64)), "edge {edge}");
            // 64 values and "none": 65 answers, ceil(log2 65) = 7 probes at most.
            assert!(probed.len() <= 7, "edge {edge}: {probed:?}");
            let mut unique = probed.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), probed.len(), "a value probed twice");
        }
        assert_eq!(bisect::<()>(5, 5, |_| Ok(true)).unwrap(), Some(5));
        assert_eq!(bisect::<&str>(1, 9, |_| Err("boom")), Err("boom"));
    }
}
