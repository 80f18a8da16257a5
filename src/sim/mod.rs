//! The timed simulation: the event loop that drives a workload's actors through the
//! data path. Workloads see only [`Ctx`]: the clock, timers, reads and writes through
//! the data path, link transfers, histograms, random streams and fresh actor ids.

mod ctx;
mod fault_ctx;

pub use ctx::{ClientActors, Ctx};

use crate::datapath::DataPath;
use crate::engine::{EventQueue, Time};
use crate::hierarchy::Hierarchy;
use crate::metrics::{Metrics, TimeSeries};
use crate::watch::{SimError, Watch};

/// Events of the timed engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Wake actor `actor` of the workload with `tag` (a timer or an I/O completion).
    Actor { actor: u32, tag: u64 },
    /// Take a time-series sample.
    Sample,
    /// Run the migration daemon (`[migration]`) once.
    Daemon,
}

/// Actor ids handed out by the engine: every actor a workload wakes is one it was
/// given, so several workloads can share one simulation without claiming ids.
#[derive(Clone, Copy, Debug, Default)]
pub struct Actors {
    next: u32,
}

impl Actors {
    /// `n` consecutive fresh actor ids; returns the first.
    pub fn allocate(&mut self, n: u32) -> u32 {
        let first = self.next;
        self.next = self
            .next
            .checked_add(n)
            .expect("fewer than 2^32 actors in one simulation");
        first
    }
}

/// A workload: a set of actors that compute, wait for data and synchronise.
pub trait Workload: Send {
    /// Schedules the first events.
    fn start(&mut self, ctx: &mut Ctx);
    /// Handles a wake-up of `actor` with `tag`.
    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx);
    /// True once the workload has nothing more to do.
    fn is_done(&self) -> bool;
    /// Workload-specific headline figures for summary.json (a JSON object).
    fn summary(&self, end: Time) -> serde_json::Value;
    /// Extra result tables as (file name, CSV text), e.g. a per-rank stall breakdown.
    fn tables(&self, _end: Time) -> Vec<(String, String)> {
        Vec::new()
    }
    /// `Some(n)` when the workload numbers its objects `0..n` (training samples,
    /// embedding rows, GEMM tiles): the data path then indexes them by id instead of
    /// hashing (see `EvictionPolicy::use_dense_ids`). None: ids are sparse.
    fn dense_ids(&self) -> Option<u64> {
        None
    }

    /// True when the workload spreads its accesses evenly over all its objects (a
    /// training job's shuffled epochs) rather than skewing them to a hot set: the data
    /// path then picks policy representations suited to that (see
    /// `EvictionPolicy::expect_scattered_accesses`; decisions do not change).
    fn scattered_accesses(&self) -> bool {
        false
    }

    /// The future access sequence, for workloads that know it (a training job's
    /// sampler); clairvoyant prefetching needs it.
    fn future_accesses(&self) -> Option<&dyn crate::policy::prefetch::FutureAccesses> {
        None
    }

    /// The future accesses of the requesters on node slot `slot` only (a training
    /// job's ranks on one node), for a prefetcher per node.
    fn future_accesses_on(
        &self,
        _slot: usize,
    ) -> Option<Box<dyn crate::policy::prefetch::FutureAccesses>> {
        None
    }

    /// Conditions a reader of the results should know of (a clamped value, a
    /// parameter that had no effect), for summary.json's `warnings`.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Units of work done and in all (requests, iterations, tokens), for progress
    /// displays; None when the workload does not count them.
    fn progress(&self) -> Option<(u64, u64)> {
        None
    }

    /// Iterations safe in the last checkpoint completed by `now` (a job restarted
    /// after a node failure resumes from there); 0 without checkpoints.
    fn checkpointed_iterations(&self, _now: Time) -> u64 {
        0
    }

    /// The jobs, when this is several jobs' composite (`[[jobs]]`).
    fn jobs(&self) -> Option<&crate::workload::jobs::Jobs> {
        None
    }

    /// [`Self::jobs`], mutable.
    fn jobs_mut(&mut self) -> Option<&mut crate::workload::jobs::Jobs> {
        None
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Time of the last workload event.
    pub end: Time,
    /// Events handled (samples included).
    pub events: u64,
    /// Whether the workload finished (rather than hitting the duration limit).
    pub finished: bool,
}

/// The names of the time series' rows (see `Simulation::sample`).
pub fn series_names(h: &Hierarchy) -> Vec<String> {
    if h.topo.is_flat() {
        return h.tiers.iter().map(|t| t.name.clone()).collect();
    }
    h.topo
        .levels
        .iter()
        .map(|l| l.name.clone())
        .chain(h.links.iter().map(|l| l.name.clone()))
        .collect()
}

/// A model ready to run.
pub struct Simulation {
    pub queue: EventQueue<Event>,
    pub data: DataPath,
    pub series: TimeSeries,
    pub workload: Box<dyn Workload>,
    pub seed: u64,
    pub duration: Option<Time>,
    actors: Actors,
    /// Every node, in order: the workload's node slots.
    all_nodes: Vec<u16>,
}

impl Simulation {
    /// A simulation of `workload` over `data`, sampling the tiers every
    /// `sample_interval`, stopping at `duration` if given.
    pub fn new(
        data: DataPath,
        workload: Box<dyn Workload>,
        seed: u64,
        sample_interval: Time,
        duration: Option<Time>,
    ) -> Self {
        Simulation {
            queue: EventQueue::new(),
            data,
            series: TimeSeries::new(sample_interval),
            workload,
            seed,
            duration,
            actors: Actors::default(),
            all_nodes: Vec::new(),
        }
    }

    /// The tier hierarchy (tiers, links and their counters).
    pub fn hier(&self) -> &Hierarchy {
        self.data.hierarchy()
    }

    /// The latency histograms.
    pub fn metrics(&self) -> &Metrics {
        self.data.metrics()
    }

    /// Handles one workload event (or starts the workload when `start`).
    fn dispatch(&mut self, start: bool, actor: u32, tag: u64) {
        if self.all_nodes.is_empty() {
            let n = self.data.hierarchy().topo.nodes;
            self.all_nodes = (0..n as u16).collect();
        }
        let mut ctx = Ctx {
            queue: &mut self.queue,
            data: &mut self.data,
            actors: &mut self.actors,
            seed: self.seed,
            object_base: 0,
            job: 0,
            nodes: &self.all_nodes,
            t0: 0,
        };
        ctx.data.set_stream(actor);
        if start {
            self.workload.start(&mut ctx);
        } else {
            self.workload.on_event(actor, tag, &mut ctx);
        }
    }

    /// A time-series sample at `t` of every tier's device counters (on a cluster:
    /// every level's, summed over its instances, then every link instance's).
    fn sample(&self, t: Time) -> crate::metrics::Sample {
        let h = self.hier();
        let stats = if h.topo.is_flat() {
            h.tiers.iter().map(|x| x.device.stats().clone()).collect()
        } else {
            (0..h.topo.levels.len())
                .map(|l| {
                    let r = h.topo.level_range(l);
                    crate::report::aggregate(h.tiers[r].iter().map(|x| x.device.stats()))
                })
                .chain(h.links.iter().map(|x| x.device.stats().clone()))
                .collect()
        };
        crate::metrics::series_sample(t, stats)
    }

    /// Runs until the workload is done, the duration passes, or nothing is pending.
    ///
    /// # Panics
    /// If simulated time overflows (see [`Simulation::try_run`], which returns it as an
    /// error: what the command line uses).
    pub fn run(&mut self) -> Outcome {
        self.try_run(&Watch::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs until the workload is done, the duration passes, or nothing is pending;
    /// stops with an error when simulated time overflows 2^64 ps or `watch`'s
    /// wall-clock limit passes. Every [`crate::watch::CHECK_EVERY`] events the watch
    /// records progress (never changing what the run computes).
    pub fn try_run(&mut self, watch: &Watch) -> Result<Outcome, SimError> {
        let mut end = 0;
        self.dispatch(true, 0, 0);
        self.queue.schedule_at(0, Event::Sample);
        // Periodic events pending; they reschedule only while other events remain.
        let mut periodic = 1;
        if let Some(first) = self.data.migration_first_tick() {
            self.queue.schedule_at(first, Event::Daemon);
            periodic += 1;
        }
        let limit = self.duration.unwrap_or(Time::MAX);
        while let Some((t, ev)) = self.queue.pop() {
            if t > limit {
                break;
            }
            if self.queue.processed() & (crate::watch::CHECK_EVERY - 1) == 0 {
                self.check(watch)?;
            }
            match ev {
                Event::Actor { actor, tag } => {
                    end = t;
                    self.dispatch(false, actor, tag);
                    if self.workload.is_done() {
                        break;
                    }
                }
                Event::Sample => {
                    let sample = self.sample(t);
                    let next = self.series.push(t, sample.tiers);
                    periodic -= 1;
                    // (`Time::MAX`: the next sample would fall past 2^64 ps.)
                    if self.queue.len() > periodic && next < Time::MAX {
                        self.queue.schedule_at(next, Event::Sample);
                        periodic += 1;
                    }
                }
                Event::Daemon => {
                    periodic -= 1;
                    if let Some(delay) = self.data.migration_tick(t) {
                        if self.queue.len() > periodic {
                            self.queue.schedule_in(delay.max(1), Event::Daemon);
                            periodic += 1;
                        }
                    }
                }
            }
        }
        // The end: overflow is checked, the limit no longer (the run is done).
        self.check_overflow()?;
        watch.record(
            self.queue.now(),
            self.queue.processed(),
            self.workload.progress(),
            self.duration,
        );
        if let Some(limit) = self.duration {
            if !self.workload.is_done() {
                end = end.max(limit.min(self.queue.now()));
            }
        }
        // A closing sample so the series covers the whole run.
        if self.series.samples.last().is_none_or(|s| s.time < end) {
            let sample = self.sample(end);
            self.series.samples.push(sample);
        }
        Ok(Outcome {
            end,
            events: self.queue.processed(),
            finished: self.workload.is_done(),
        })
    }

    /// Simulated-time overflow, then the watch (progress, wall-clock limit).
    #[cold]
    fn check(&self, watch: &Watch) -> Result<(), SimError> {
        self.check_overflow()?;
        let (now, events) = (self.queue.now(), self.queue.processed());
        watch.check(now, events, self.workload.progress(), self.duration)
    }

    /// An error once an event was scheduled past 2^64 - 1 ps.
    fn check_overflow(&self) -> Result<(), SimError> {
        if self.queue.overflowed() {
            return Err(SimError::TimeOverflow {
                events: self.queue.processed(),
                at: crate::config::units::fmt_time(self.queue.now()),
            });
        }
        Ok(())
    }
}
