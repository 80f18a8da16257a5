//! The timed simulation: the event loop that drives a workload's actors through the
//! data path. Workloads see only [`Ctx`]: the clock, timers, reads and writes through
//! the data path, link transfers, histograms, random streams and fresh actor ids.

use crate::datapath::{DataPath, Origin};
use crate::engine::{EventQueue, Rng, Time};
use crate::hierarchy::{Access, Hierarchy};
use crate::metrics::{HistId, Metrics, TimeSeries};
use crate::trace::{Op, Request};
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

/// The actors of a client-driven workload (synthetic, trace replay): closed-loop
/// clients, and the open-loop generator and the sink its completions go to.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientActors {
    /// The first client; clients are `first..first + clients`.
    pub first: u32,
    pub generator: u32,
    pub sink: u32,
}

impl ClientActors {
    /// Allocates `clients` clients, a generator and a sink.
    pub fn allocate(ctx: &mut Ctx, clients: u32) -> Self {
        let first = ctx.new_actors(clients + 2);
        ClientActors {
            first,
            generator: first + clients,
            sink: first + clients + 1,
        }
    }
}

/// What a workload can do while handling an event: the clock and timers, reads and
/// writes through the data path (cached or pinned), link transfers, histograms,
/// random streams, fresh actor ids. Its fields are private: every byte a workload
/// moves goes through [`DataPath`], which records it.
pub struct Ctx<'a> {
    queue: &'a mut EventQueue<Event>,
    data: &'a mut DataPath,
    actors: &'a mut Actors,
    seed: u64,
    /// Added to every object id of this workload (its object namespace).
    object_base: u64,
    /// This workload's job index (per-job counters).
    job: u16,
    /// The nodes this workload runs on: node slot k is node `nodes[k]`.
    nodes: &'a [u16],
    /// The workload's time origin (its job's start): it sees time from there.
    t0: Time,
}

impl<'a> Ctx<'a> {
    /// A context for job `job` running on `nodes`, its object ids offset by
    /// `object_base` and its random streams derived from `seed` (a composite workload
    /// hands each of its jobs one).
    /// Its clock starts at `t0` (simulated time): every time it sees or gives is
    /// from there, so a job that starts late runs as if it started at 0.
    pub fn for_job<'b>(
        &'b mut self,
        job: u16,
        nodes: &'b [u16],
        object_base: u64,
        seed: u64,
        t0: Time,
    ) -> Ctx<'b> {
        Ctx {
            queue: self.queue,
            data: self.data,
            actors: self.actors,
            seed,
            object_base,
            job,
            nodes,
            t0: self.t0 + t0,
        }
    }

    /// The next actor id the engine will hand out (a composite workload routes the
    /// ids its jobs allocate by it).
    pub fn next_actor(&self) -> u32 {
        self.actors.next
    }

    /// The simulation's clock (the data path's time).
    #[inline]
    fn abs_now(&self) -> Time {
        self.queue.now()
    }

    /// The number of node slots this workload runs on (at least 1).
    pub fn node_slots(&self) -> usize {
        self.nodes.len().max(1)
    }

    /// The origin of a request from node slot `slot`.
    #[inline]
    fn origin(&self, slot: usize) -> Origin {
        Origin {
            node: self.nodes.get(slot).copied().unwrap_or(0),
            job: self.job,
        }
    }
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Time {
        self.queue.now() - self.t0
    }

    /// `n` fresh actor ids for this workload; returns the first (the rest follow it).
    pub fn new_actors(&mut self, n: u32) -> u32 {
        self.actors.allocate(n)
    }

    /// Wakes `actor` with `tag` at absolute time `at`.
    #[inline]
    pub fn wake_at(&mut self, at: Time, actor: u32, tag: u64) {
        self.queue
            .schedule_at(at.saturating_add(self.t0), Event::Actor { actor, tag });
    }

    /// Wakes `actor` with `tag` after `delay`.
    #[inline]
    pub fn wake_in(&mut self, delay: Time, actor: u32, tag: u64) {
        self.queue.schedule_in(delay, Event::Actor { actor, tag });
    }

    /// Reads or writes `req` through the data path now (latency recorded). Returns
    /// the serving tier and when the data is done; wakes no one.
    #[inline]
    pub fn access(&mut self, req: &Request, sequential: bool) -> Access {
        self.access_on(0, req, sequential)
    }

    /// [`Self::access`] from node slot `slot`; the serving tier is its level (config
    /// tier index).
    #[inline]
    pub fn access_on(&mut self, slot: usize, req: &Request, sequential: bool) -> Access {
        let now = self.abs_now();
        let origin = self.origin(slot);
        let mut a = if self.object_base == 0 {
            self.data.access_from(now, req, sequential, origin)
        } else {
            let mut r = *req;
            r.id = r.id.wrapping_add(self.object_base);
            self.data.access_from(now, &r, sequential, origin)
        };
        let topo = &self.data.hierarchy().topo;
        if !topo.is_flat() {
            a.tier = topo.level(a.tier);
        }
        a.done -= self.t0;
        a
    }

    /// Reads or writes every request of `reqs` now, in order (a loader worker's batch):
    /// the data path overlaps their lookups' memory latency. Returns when the last is
    /// done; wakes no one. Ids are moved into this workload's namespace in place.
    pub fn access_batch(&mut self, reqs: &mut [Request], sequential: bool) -> Time {
        self.access_batch_on(0, reqs, sequential)
    }

    /// [`Self::access_batch`] from node slot `slot`.
    pub fn access_batch_on(&mut self, slot: usize, reqs: &mut [Request], sequential: bool) -> Time {
        if self.object_base != 0 {
            for r in reqs.iter_mut() {
                r.id = r.id.wrapping_add(self.object_base);
            }
        }
        let now = self.abs_now();
        let origin = self.origin(slot);
        self.data.access_batch(now, reqs, sequential, origin) - self.t0
    }

    /// Reads or writes `req` now and wakes `actor` with `tag` when done. Returns
    /// (serving tier, completion time).
    #[inline]
    pub fn io(&mut self, req: &Request, sequential: bool, actor: u32, tag: u64) -> (usize, Time) {
        let a = self.access(req, sequential);
        self.wake_at(a.done, actor, tag);
        (a.tier, a.done)
    }

    /// Reads `size` bytes of object `id` and wakes the actor when done.
    #[inline]
    pub fn read(&mut self, id: u64, size: u32, actor: u32, tag: u64) -> Time {
        let req = Request {
            time: self.now(),
            id,
            size,
            op: Op::Read,
            next_access: u64::MAX,
        };
        self.io(&req, false, actor, tag).1
    }

    /// Writes `size` bytes of object `id` and wakes the actor when done.
    #[inline]
    pub fn write(&mut self, id: u64, size: u32, actor: u32, tag: u64) -> Time {
        let req = Request {
            time: self.now(),
            id,
            size,
            op: Op::Write,
            next_access: u64::MAX,
        };
        self.io(&req, false, actor, tag).1
    }

    /// A pinned access now: `bytes` that live in tier `tier` by construction (hot
    /// rows, a resident tile, a checkpoint) read or written there. Recorded like any
    /// access; returns when done, wakes no one.
    #[inline]
    pub fn pinned(&mut self, tier: usize, op: Op, bytes: u64, sequential: bool) -> Time {
        self.pinned_on(0, tier, op, bytes, sequential)
    }

    /// [`Self::pinned`] in node slot `slot`'s instance of tier `tier`.
    #[inline]
    pub fn pinned_on(
        &mut self,
        slot: usize,
        tier: usize,
        op: Op,
        bytes: u64,
        sequential: bool,
    ) -> Time {
        let now = self.abs_now();
        let origin = self.origin(slot);
        self.data
            .pinned_on(now, tier, op, bytes, sequential, origin)
            - self.t0
    }

    /// Sends `bytes` over link `link` now and wakes the actor when they arrive.
    pub fn transfer(&mut self, link: usize, bytes: u64, actor: u32, tag: u64) -> Time {
        let done = self.transfer_on(0, link, bytes);
        self.wake_at(done, actor, tag);
        done
    }

    /// Sends `bytes` over node slot `slot`'s instance of link `link` (a config link
    /// index) now, as `steps` back-to-back messages of `bytes / steps` (each pays the
    /// link's latency; one reservation); returns when they arrive. Wakes no one.
    pub fn transfer_steps_on(&mut self, slot: usize, link: usize, steps: u32, bytes: u64) -> Time {
        let now = self.abs_now();
        let node = self.origin(slot).node as usize;
        let l = self.data.hierarchy().topo.link_instance(link, node);
        self.data.transfer_steps(now, l, steps, bytes) - self.t0
    }

    /// Sends `bytes` over node slot `slot`'s instance of link `link` now; returns when
    /// they arrive. Wakes no one.
    pub fn transfer_on(&mut self, slot: usize, link: usize, bytes: u64) -> Time {
        let now = self.abs_now();
        let node = self.origin(slot).node as usize;
        let l = self.data.hierarchy().topo.link_instance(link, node);
        self.data.transfer(now, l, bytes) - self.t0
    }

    /// Drops object `id` from every cache tier without writing it back (freed data,
    /// such as a finished request's KV cache).
    pub fn discard(&mut self, id: u64) {
        self.data.discard(id.wrapping_add(self.object_base));
    }

    /// A named random stream derived from the run seed.
    pub fn rng(&self, name: &str) -> Rng {
        crate::engine::stream(self.seed, name)
    }

    /// The handle of the histogram named `name`, created on first use.
    pub fn histogram(&mut self, name: &str) -> HistId {
        self.data.histogram(name)
    }

    /// Records a duration into a histogram.
    #[inline]
    pub fn record(&mut self, h: HistId, value: Time) {
        self.data.record(h, value);
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
