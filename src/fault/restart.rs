//! Node failures: a job whose node fails stops at once (its reads, compute and sync
//! in flight are dropped), waits the fault's restart delay, and starts again as a
//! fresh instance from its last completed checkpoint: the iterations since then are
//! lost and done again, and the failed node's caches come back empty. The fresh
//! instance runs the iterations still to do (its data order starts again; which
//! samples it reads after a restart is not the original's).
//!
//! [`Restartable`] wraps the job: it routes events to the current instance (events
//! of an instance that failed are dropped: their actor ids are older than the
//! current instance's), and reports restarts, work lost, checkpoint overhead,
//! goodput (useful iterations per second of wall time) and the time to recover
//! (from the failure until the job is back at the iteration it had reached).

use crate::config::ConfigError;
use crate::engine::{secs, Time};
use crate::sim::{Ctx, Workload};
use serde_json::{json, Value};

/// Builds a fresh instance of the job to run `n` iterations.
pub type MakeInstance = Box<dyn FnMut(u64) -> Result<Box<dyn Workload>, ConfigError> + Send>;

/// The wrapper's own wake-ups.
const FAIL: u64 = 0;
const RESTART: u64 = 1;

/// See the module doc.
pub struct Restartable {
    make: MakeInstance,
    inner: Box<dyn Workload>,
    /// The wrapper's actor; the current instance's actors are `inner_first..`.
    actor: u32,
    inner_first: u32,
    /// When the current instance started (this workload's time).
    started: Time,
    /// Iterations in all, and those safe before the current instance started.
    total: u64,
    base: u64,
    /// Down since a failure until the restart.
    down: bool,
    /// The next failure scheduled: (time, restart delay, fault index).
    next: Option<(Time, Time, usize)>,
    /// Recovering: the iterations the current instance must reach, since when.
    recovering: Option<(u64, Time)>,
    /// The failed node's caches drop objects `0..ids` (global ids): the job's own
    /// (one `[workload]` job) or every job's (`[[jobs]]`).
    ids: u64,
    /// The one `[workload]` job (every in-flight fill is abandoned on a failure), not
    /// one of `[[jobs]]` (only the failed node's are).
    sole: bool,
    stats: RestartStats,
}

#[derive(Default)]
struct RestartStats {
    restarts: u64,
    iterations_lost: u64,
    /// Time from failures to restarts.
    down: Time,
    /// Sum over recoveries of failure-to-back-where-it-was times, and how many.
    recover: Time,
    recovered: u64,
    /// Checkpoint time of the instances that failed (seconds, per rank).
    checkpoint_s: f64,
    checkpoints: u64,
    /// Data stall caused by faults in the instances that failed (seconds).
    stall_s: f64,
}

impl Restartable {
    /// Wraps a job; `make` builds its fresh instances.
    pub fn new(mut make: MakeInstance) -> Result<Self, ConfigError> {
        let inner = make(u64::MAX)?;
        let ids = inner.dense_ids().unwrap_or(0);
        Ok(Self::wrap(inner, make, ids, true))
    }

    /// Wraps `inner`, one of `[[jobs]]` built already; `make` builds its fresh
    /// instances; a failure empties the node's caches of objects `0..ids` (every
    /// job's: the node comes back empty for everyone).
    pub fn of_job(inner: Box<dyn Workload>, make: MakeInstance, ids: u64) -> Self {
        Self::wrap(inner, make, ids, false)
    }

    fn wrap(inner: Box<dyn Workload>, make: MakeInstance, ids: u64, sole: bool) -> Self {
        let total = inner.progress().map_or(u64::MAX, |p| p.1);
        Restartable {
            make,
            inner,
            actor: 0,
            inner_first: 0,
            started: 0,
            total,
            base: 0,
            down: false,
            next: None,
            recovering: None,
            ids,
            sole,
            stats: RestartStats::default(),
        }
    }

    fn done_by_inner(&self) -> u64 {
        self.inner.progress().map_or(0, |p| p.0)
    }

    fn schedule_failure(&mut self, ctx: &mut Ctx) {
        self.next = ctx.next_node_failure(ctx.now());
        if let Some((at, _, _)) = self.next {
            ctx.wake_at(at, self.actor, FAIL);
        }
    }

    fn start_instance(&mut self, ctx: &mut Ctx) {
        self.inner_first = ctx.next_actor();
        self.started = ctx.now();
        self.down = false;
        let mut c = ctx.restarted(self.started);
        self.inner.start(&mut c);
        self.schedule_failure(ctx);
    }

    fn fail(&mut self, ctx: &mut Ctx) {
        let Some((at, delay, fault)) = self.next.take() else {
            return;
        };
        if at != ctx.now() || self.down {
            return;
        }
        ctx.fail_node(fault, at, self.ids, self.sole);
        let local = ctx.now() - self.started;
        let reached = self.done_by_inner();
        let safe = self.inner.checkpointed_iterations(local).min(reached);
        let s = &mut self.stats;
        s.restarts += 1;
        s.iterations_lost += reached - safe;
        s.down += delay;
        let v = self.inner.summary(local);
        s.checkpoint_s += v["checkpoint_s"].as_f64().unwrap_or(0.0);
        s.checkpoints += v["checkpoints"].as_u64().unwrap_or(0);
        s.stall_s += v["stall_time_s"].as_f64().unwrap_or(0.0);
        // A recovery in progress continues: the target stays where the job had been.
        let target = match self.recovering {
            Some((t, since)) => (t.max(self.base + reached), since),
            None => (self.base + reached, at),
        };
        self.recovering = Some(target);
        self.base += safe;
        self.down = true;
        self.inner_first = u32::MAX;
        ctx.wake_in(delay, self.actor, RESTART);
    }

    fn restart(&mut self, ctx: &mut Ctx) {
        let left = self.total.saturating_sub(self.base);
        match (self.make)(left) {
            Ok(w) => self.inner = w,
            Err(e) => panic!("a job that built once builds again: {e}"),
        }
        self.start_instance(ctx);
    }

    fn check_recovered(&mut self, ctx: &Ctx) {
        if let Some((target, since)) = self.recovering {
            if self.base + self.done_by_inner() >= target {
                self.stats.recover += ctx.now() - since;
                self.stats.recovered += 1;
                self.recovering = None;
            }
        }
    }
}

impl Workload for Restartable {
    fn start(&mut self, ctx: &mut Ctx) {
        self.actor = ctx.new_actors(1);
        self.start_instance(ctx);
    }

    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx) {
        if actor == self.actor {
            match tag {
                FAIL => self.fail(ctx),
                RESTART => self.restart(ctx),
                _ => {}
            }
            return;
        }
        if self.down || actor < self.inner_first {
            return; // an event of an instance that failed
        }
        let started = self.started;
        self.inner.on_event(actor, tag, &mut ctx.restarted(started));
        if self.recovering.is_some() {
            self.check_recovered(ctx);
        }
    }

    fn is_done(&self) -> bool {
        !self.down && self.inner.is_done()
    }

    fn summary(&self, end: Time) -> Value {
        let inner = self.inner.summary(end.saturating_sub(self.started));
        let mut v = inner.clone();
        let s = &self.stats;
        let useful = (self.base + self.done_by_inner()).min(self.total);
        let ckpt_s = s.checkpoint_s + inner["checkpoint_s"].as_f64().unwrap_or(0.0);
        let ckpts = s.checkpoints + inner["checkpoints"].as_u64().unwrap_or(0);
        let restarts = json!({
            "restarts": s.restarts,
            "iterations_done": useful,
            "iterations_lost": s.iterations_lost,
            "down_s": secs(s.down),
            "checkpoints": ckpts,
            "checkpoint_overhead_s": ckpt_s,
            "goodput_iterations_per_s": if end > 0 { useful as f64 / secs(end) } else { 0.0 },
            "mean_time_to_recover_s": if s.recovered > 0 { secs(s.recover) / s.recovered as f64 } else { 0.0 },
            "last_start_s": secs(self.started),
        });
        if let Value::Object(m) = &mut v {
            m.insert("restarts".into(), restarts);
            if let Some(x) = inner["stall_time_s"].as_f64() {
                // Over every attempt.
                m.insert("stall_time_s".into(), json!(s.stall_s + x));
            }
        }
        v
    }

    fn tables(&self, end: Time) -> Vec<(String, String)> {
        self.inner.tables(end.saturating_sub(self.started))
    }

    fn dense_ids(&self) -> Option<u64> {
        self.inner.dense_ids()
    }

    fn scattered_accesses(&self) -> bool {
        self.inner.scattered_accesses()
    }

    fn warnings(&self) -> Vec<String> {
        self.inner.warnings()
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((
            (self.base + self.done_by_inner()).min(self.total),
            self.total,
        ))
    }
}
