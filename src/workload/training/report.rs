//! The training job's figures: summary.json's `workload` object (epoch time,
//! samples/s, per-rank data stall, the job's critical-path stall fraction and AU,
//! sync, checkpoint time) and the tables `training_ranks.csv` (per rank: compute,
//! stall, barrier, sync, checkpoint seconds, run time, stall fraction and AU) and
//! `training_epochs.csv`. Iteration and sync times also go to the histograms
//! `training.iteration` and `training.sync` (latency.csv).
//!
//! Independent ranks (`barrier = false`) run to their own finish: a rank's run time
//! is its own, its AU is compute over that, the job's `au` and `stall_fraction` are
//! the means over ranks of compute and data stall over each rank's run time, and the
//! critical data stall is that of the rank that finished last. An epoch's row spans
//! from the first rank starting it to the last rank finishing it.

use super::Training;
use crate::engine::{secs, Time};
use crate::metrics::HistId;
use crate::sim::Ctx;
use serde_json::json;

/// Counters kept while the job runs.
pub struct Stats {
    pub samples: u64,
    pub bytes_read: u64,
    pub checkpoints: u64,
    /// Sum of checkpoint write durations (blocking or not).
    pub checkpoint_write: Time,
    /// Stall of all ranks in the current epoch.
    pub epoch_stall: Time,
    /// Data stall on the critical path: per iteration, the stall of the rank that
    /// arrived last at the barrier.
    pub critical_stall: Time,
    epoch_started: Time,
    /// (start, end, mean stall per rank) of each finished epoch.
    pub epochs: Vec<(Time, Time, Time)>,
    /// Independent ranks: per epoch not yet finished by every rank, (first start,
    /// last end, stall summed over ranks, ranks done), from epoch `epochs.len()` on.
    rank_epochs: std::collections::VecDeque<(Time, Time, Time, usize)>,
    iteration_sum: Time,
    iteration_count: u64,
    sync_sum: Time,
    hists: Option<(HistId, HistId)>,
    /// Independent ranks record iterations only (no sync).
    iteration_hist: Option<HistId>,
}

impl Stats {
    pub fn new(_ranks: usize) -> Self {
        Stats {
            samples: 0,
            bytes_read: 0,
            checkpoints: 0,
            checkpoint_write: 0,
            epoch_stall: 0,
            critical_stall: 0,
            epoch_started: 0,
            epochs: Vec::new(),
            rank_epochs: Default::default(),
            iteration_sum: 0,
            iteration_count: 0,
            sync_sum: 0,
            hists: None,
            iteration_hist: None,
        }
    }

    pub fn epoch_start(&mut self, now: Time) {
        self.epoch_started = now;
        self.epoch_stall = 0;
    }

    pub fn epoch_end(&mut self, now: Time, ranks: usize) {
        self.epochs
            .push((self.epoch_started, now, self.epoch_stall / ranks as Time));
    }

    /// Independent ranks: one rank ended `epoch` (begun at `start`, with `stall` of
    /// data stall in it); the epoch is finished when all `ranks` have ended it.
    pub fn rank_epoch_end(
        &mut self,
        epoch: u64,
        start: Time,
        end: Time,
        stall: Time,
        ranks: usize,
    ) {
        // Ranks end their epochs in order, so epochs finish in order.
        let i = (epoch as usize) - self.epochs.len();
        if i == self.rank_epochs.len() {
            self.rank_epochs.push_back((start, end, 0, 0));
        }
        let e = &mut self.rank_epochs[i];
        e.0 = e.0.min(start);
        e.1 = e.1.max(end);
        e.2 += stall;
        e.3 += 1;
        while let Some(&(a, b, stall, done)) = self.rank_epochs.front() {
            if done < ranks {
                break;
            }
            self.epochs.push((a, b, stall / ranks as Time));
            self.rank_epochs.pop_front();
        }
    }

    /// Independent ranks: one rank's iteration (end of compute to end of compute).
    pub fn record_rank_iteration(&mut self, iteration: Time, ctx: &mut Ctx) {
        let hi = *self
            .iteration_hist
            .get_or_insert_with(|| ctx.histogram("training.iteration"));
        ctx.record(hi, iteration);
        self.iteration_sum += iteration;
        self.iteration_count += 1;
    }

    /// One iteration (barrier release to barrier release) and its sync time.
    pub fn record_iteration(&mut self, iteration: Time, sync: Time, ctx: &mut Ctx) {
        let (hi, hs) = *self.hists.get_or_insert_with(|| {
            (
                ctx.histogram("training.iteration"),
                ctx.histogram("training.sync"),
            )
        });
        ctx.record(hi, iteration);
        ctx.record(hs, sync);
        self.iteration_sum += iteration;
        self.iteration_count += 1;
        self.sync_sum += sync;
    }

    /// Mean iteration time in seconds.
    pub fn mean_iteration_s(&self) -> f64 {
        if self.iteration_count == 0 {
            0.0
        } else {
            secs(self.iteration_sum) / self.iteration_count as f64
        }
    }
}

fn ratio(a: Time, b: Time) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

pub fn summary(t: &Training, end: Time) -> serde_json::Value {
    let s = &t.stats;
    let r = t.ranks.len() as f64;
    let mean = |f: fn(&super::RankTimes) -> Time| {
        t.ranks.iter().map(|x| secs(f(&x.times))).sum::<f64>() / r
    };
    // Each rank's share of its own run time (the run's, with a barrier).
    let per_rank = |f: fn(&super::RankTimes) -> Time| -> Vec<f64> {
        (0..t.ranks.len())
            .map(|i| ratio(f(&t.ranks[i].times), t.rank_run_time(i, end)))
            .collect()
    };
    let stall_fractions = per_rank(|x| x.stall);
    let mean_of = |v: &[f64]| v.iter().sum::<f64>() / r;
    let (iterations, stall_fraction, au) = if t.p.barrier {
        (
            s.iteration_count,
            ratio(s.critical_stall, end),
            if end > 0 {
                mean(|x| x.compute) / secs(end)
            } else {
                0.0
            },
        )
    } else {
        (
            t.ranks.iter().map(|x| x.own.iterations).max().unwrap_or(0),
            mean_of(&stall_fractions),
            mean_of(&per_rank(|x| x.compute)),
        )
    };
    let epoch_times: Vec<f64> = s.epochs.iter().map(|e| secs(e.1 - e.0)).collect();
    let epochs_mean = if epoch_times.is_empty() {
        0.0
    } else {
        epoch_times.iter().sum::<f64>() / epoch_times.len() as f64
    };
    let mut v = json!({
        "kind": "training",
        "dataset": t.p.dataset.source,
        "dataset_samples": t.p.dataset.samples,
        "dataset_bytes": t.p.dataset.total_bytes(),
        "ranks": t.ranks.len(),
        "sampler_sequential_io": t.p.sampler.sequential_io(),
        "batches_per_epoch": t.batches_per_epoch,
        "epochs_completed": s.epochs.len(),
        "iterations": iterations,
        "samples": s.samples,
        "bytes_read": s.bytes_read,
        "samples_per_s": if end > 0 { s.samples as f64 / secs(end) } else { 0.0 },
        "epoch_time_s": epochs_mean,
        "first_epoch_time_s": epoch_times.first().copied().unwrap_or(0.0),
        "last_epoch_time_s": epoch_times.last().copied().unwrap_or(0.0),
        "mean_iteration_s": s.mean_iteration_s(),
        "compute_s": mean(|x| x.compute),
        "data_stall_s": mean(|x| x.stall),
        "barrier_s": mean(|x| x.barrier),
        "sync_s": mean(|x| x.sync),
        "checkpoint_s": mean(|x| x.checkpoint),
        "critical_data_stall_s": secs(s.critical_stall),
        "stall_fraction": stall_fraction,
        "au": au,
        "mean_rank_stall_fraction": mean_of(&stall_fractions),
        "max_rank_stall_fraction": stall_fractions.iter().cloned().fold(0.0, f64::max),
        "sync_kind": t.p.sync.kind,
        "mean_sync_ms": if s.iteration_count > 0 { secs(s.sync_sum) * 1e3 / s.iteration_count as f64 } else { 0.0 },
        "checkpoints": s.checkpoints,
        "checkpoint_write_s": secs(s.checkpoint_write),
    });
    if let (Some(m), Some(stall)) = (v.as_object_mut(), t.loss_stall()) {
        // With faults: the data stall they caused on the critical path.
        m.insert("stall_time_s".into(), json!(secs(stall)));
        m.insert("samples_lost".into(), json!(t.loss.total));
    }
    v
}

pub fn tables(t: &Training, end: Time) -> Vec<(String, String)> {
    let mut ranks = String::from(
        "rank,compute_s,stall_s,barrier_s,sync_s,checkpoint_s,total_s,stall_fraction,au\n",
    );
    for (i, r) in t.ranks.iter().enumerate() {
        let x = &r.times;
        let total = t.rank_run_time(i, end);
        ranks += &format!(
            "{i},{:.9},{:.9},{:.9},{:.9},{:.9},{:.9},{:.6},{:.6}\n",
            secs(x.compute),
            secs(x.stall),
            secs(x.barrier),
            secs(x.sync),
            secs(x.checkpoint),
            secs(total),
            ratio(x.stall, total),
            ratio(x.compute, total)
        );
    }
    let mut epochs = String::from("epoch,start_s,end_s,duration_s,mean_stall_s,stall_fraction\n");
    for (i, &(a, b, stall)) in t.stats.epochs.iter().enumerate() {
        epochs += &format!(
            "{i},{:.9},{:.9},{:.9},{:.9},{:.6}\n",
            secs(a),
            secs(b),
            secs(b - a),
            secs(stall),
            ratio(stall, b - a)
        );
    }
    vec![
        ("training_ranks.csv".into(), ranks),
        ("training_epochs.csv".into(), epochs),
    ]
}
