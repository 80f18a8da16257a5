//! The timed simulation: the event loop that drives a workload's actors through the
//! hierarchy. Workloads see only [`Ctx`]: the clock, timers, reads and writes through
//! the hierarchy, link transfers, histograms and random streams.

use crate::engine::{EventQueue, Rng, Time};
use crate::hierarchy::Hierarchy;
use crate::metrics::{HistId, Metrics, TimeSeries};
use crate::trace::{Op, Request};

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

/// What a workload can do while handling an event.
pub struct Ctx<'a> {
    pub queue: &'a mut EventQueue<Event>,
    pub hier: &'a mut Hierarchy,
    pub metrics: &'a mut Metrics,
    pub seed: u64,
}

impl Ctx<'_> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Time {
        self.queue.now()
    }

    /// Wakes `actor` with `tag` at absolute time `at`.
    #[inline]
    pub fn wake_at(&mut self, at: Time, actor: u32, tag: u64) {
        self.queue.schedule_at(at, Event::Actor { actor, tag });
    }

    /// Wakes `actor` with `tag` after `delay`.
    #[inline]
    pub fn wake_in(&mut self, delay: Time, actor: u32, tag: u64) {
        self.queue.schedule_in(delay, Event::Actor { actor, tag });
    }

    /// Reads or writes `req` through the hierarchy now, records its latency, and wakes
    /// `actor` with `tag` when done. Returns (serving tier, completion time).
    #[inline]
    pub fn io(&mut self, req: &Request, sequential: bool, actor: u32, tag: u64) -> (usize, Time) {
        let now = self.now();
        let a = self.hier.access(now, req, sequential);
        self.metrics.record_op(req.op, a.done - now);
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

    /// Sends `bytes` over link `link` now and wakes the actor when they arrive.
    pub fn transfer(&mut self, link: usize, bytes: u64, actor: u32, tag: u64) -> Time {
        let now = self.now();
        let done = self.hier.transfer(link, now, bytes);
        self.wake_at(done, actor, tag);
        done
    }

    /// The index of the link named `name`.
    pub fn link(&self, name: &str) -> Option<usize> {
        self.hier.links.iter().position(|l| l.name == name)
    }

    /// A named random stream derived from the run seed.
    pub fn rng(&self, name: &str) -> Rng {
        crate::engine::stream(self.seed, name)
    }

    /// Records a duration into a named histogram.
    #[inline]
    pub fn record(&mut self, h: HistId, value: Time) {
        self.metrics.record(h, value);
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
    /// The future access sequence, for workloads that know it (a training job's
    /// sampler); clairvoyant prefetching needs it.
    fn future_accesses(&self) -> Option<&dyn crate::policy::prefetch::FutureAccesses> {
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

/// A model ready to run.
pub struct Simulation {
    pub queue: EventQueue<Event>,
    pub hier: Hierarchy,
    pub metrics: Metrics,
    pub series: TimeSeries,
    pub workload: Box<dyn Workload>,
    pub seed: u64,
    pub duration: Option<Time>,
}

impl Simulation {
    /// Runs until the workload is done, the duration passes, or nothing is pending.
    pub fn run(&mut self) -> Outcome {
        let mut end = 0;
        {
            let mut ctx = Ctx {
                queue: &mut self.queue,
                hier: &mut self.hier,
                metrics: &mut self.metrics,
                seed: self.seed,
            };
            self.workload.start(&mut ctx);
        }
        self.queue.schedule_at(0, Event::Sample);
        // Periodic events pending; they reschedule only while other events remain.
        let mut periodic = 1;
        if let Some(first) = self.hier.migration_first_tick() {
            self.queue.schedule_at(first, Event::Daemon);
            periodic += 1;
        }
        let limit = self.duration.unwrap_or(Time::MAX);
        while let Some((t, ev)) = self.queue.pop() {
            if t > limit {
                break;
            }
            match ev {
                Event::Actor { actor, tag } => {
                    end = t;
                    let mut ctx = Ctx {
                        queue: &mut self.queue,
                        hier: &mut self.hier,
                        metrics: &mut self.metrics,
                        seed: self.seed,
                    };
                    self.workload.on_event(actor, tag, &mut ctx);
                    if self.workload.is_done() {
                        break;
                    }
                }
                Event::Sample => {
                    let stats = self
                        .hier
                        .tiers
                        .iter()
                        .map(|x| x.device.stats().clone())
                        .collect();
                    let next = self.series.push(t, stats);
                    periodic -= 1;
                    if self.queue.len() > periodic {
                        self.queue.schedule_at(next, Event::Sample);
                        periodic += 1;
                    }
                }
                Event::Daemon => {
                    periodic -= 1;
                    if let Some(delay) = self.hier.migration_tick(t) {
                        if self.queue.len() > periodic {
                            self.queue.schedule_in(delay.max(1), Event::Daemon);
                            periodic += 1;
                        }
                    }
                }
            }
        }
        if let Some(limit) = self.duration {
            if !self.workload.is_done() {
                end = end.max(limit.min(self.queue.now()));
            }
        }
        // A closing sample so the series covers the whole run.
        let stats = self
            .hier
            .tiers
            .iter()
            .map(|x| x.device.stats().clone())
            .collect();
        if self.series.samples.last().is_none_or(|s| s.time < end) {
            self.series
                .samples
                .push(crate::metrics::series_sample(end, stats));
        }
        Outcome {
            end,
            events: self.queue.processed(),
            finished: self.workload.is_done(),
        }
    }
}
