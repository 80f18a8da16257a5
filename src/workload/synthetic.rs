//! The synthetic stream: K closed-loop clients, each keeping `depth` requests in
//! flight and issuing the next when one completes (after an optional think time), or
//! open-loop Poisson arrivals at `rate` requests per second (`arrival = "poisson"`),
//! over `objects` objects chosen sequentially, uniformly or by Zipf popularity, with a
//! read/write mix and a per-object size distribution.

use super::sizes::{SizeSampler, SizeSpec};
use super::BuildCtx;
use crate::config::{parse_table, ConfigError, Duration};
use crate::engine::{Rng, Time};
use crate::registry::ComponentParams;
use crate::sim::{ClientActors, Ctx, Workload};
use crate::trace::{Op, Request};
use rand::Rng as _;
use rand_distr::{Distribution, Exp, Zipf};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    Sequential,
    Uniform,
    Zipf,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    #[default]
    Closed,
    Poisson,
}

/// The synthetic workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Object popularity: `sequential`, `uniform` or `zipf`.
    pattern: Pattern,
    /// `closed` (clients wait for completions) or `poisson` (open loop); default closed.
    #[serde(default)]
    arrival: Arrival,
    /// Requests per second for `arrival = "poisson"`.
    rate: Option<f64>,
    /// Zipf exponent (pattern = "zipf"); default 0.99.
    #[serde(default = "default_alpha")]
    alpha: f64,
    /// Distinct objects, > 0.
    objects: u64,
    /// Requests issued in all.
    requests: u64,
    /// Closed-loop clients, >= 1; default 1.
    #[serde(default = "one")]
    clients: u32,
    /// Requests each closed-loop client keeps in flight (its queue depth, like fio's
    /// `iodepth`: a new one on each completion), >= 1; default 1.
    #[serde(default = "one")]
    depth: u32,
    /// Share of reads, in [0, 1]; default 1.
    #[serde(default = "one_f")]
    read_fraction: f64,
    /// Object size distribution (see `sizes.rs`).
    size: SizeSpec,
    /// A closed-loop client's pause between a completion and its next request; default 0.
    #[serde(default)]
    think_time: Duration,
    /// The first `objects` requests write every object once in id order (GUPS's table
    /// initialisation: first-touch placement sees them in that order); default false.
    #[serde(default)]
    init_pass: bool,
    /// Zipf popularity ranks land on objects in a seeded random order instead of rank
    /// r on object r (hot objects scattered over the id space); default false.
    #[serde(default)]
    scatter: bool,
}

impl ComponentParams for Params {
    fn files(&mut self) -> Vec<&mut std::path::PathBuf> {
        self.size.file().into_iter().collect()
    }
}

fn default_alpha() -> f64 {
    0.99
}
fn one() -> u32 {
    1
}
fn one_f() -> f64 {
    1.0
}

/// Streams of open-loop requests (see [`Ctx::io_by`]): apart from actor ids.
const OPEN_LOOP_STREAMS: u32 = 1 << 31;

enum Chooser {
    Sequential(u64),
    Uniform,
    Zipf(Zipf<f64>),
}

/// See the module doc.
pub struct Synthetic {
    p: Params,
    /// Closed-loop clients, or the open-loop generator and sink (set at start).
    actors: ClientActors,
    chooser: Chooser,
    sizes: SizeSampler,
    size_table: Vec<u32>,
    /// Object of each popularity rank (`scatter`), else empty.
    rank_to_id: Vec<u32>,
    rng: Rng,
    issued: u64,
    completed: u64,
    /// Open loop: mean interarrival time in picoseconds.
    interarrival: Option<Exp<f64>>,
    /// Requests in the system and its time integral (for Little's law).
    outstanding: u64,
    area: f64,
    last_change: Time,
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    if p.objects == 0 {
        return Err(ConfigError::new(
            "workload.objects",
            "must be greater than zero",
        ));
    }
    if p.clients == 0 {
        return Err(ConfigError::new("workload.clients", "must be at least 1"));
    }
    if p.depth == 0 {
        return Err(ConfigError::new("workload.depth", "must be at least 1"));
    }
    if p.depth > 1 && p.arrival == Arrival::Poisson {
        return Err(ConfigError::new(
            "workload.depth",
            "only for closed-loop clients (arrival = \"closed\")",
        ));
    }
    if !(0.0..=1.0).contains(&p.read_fraction) {
        return Err(ConfigError::new(
            "workload.read_fraction",
            "must be between 0 and 1",
        ));
    }
    let chooser = match p.pattern {
        Pattern::Sequential => Chooser::Sequential(0),
        Pattern::Uniform => Chooser::Uniform,
        Pattern::Zipf => Chooser::Zipf(Zipf::new(p.objects, p.alpha).map_err(|e| {
            ConfigError::new(
                "workload.alpha",
                format!("invalid Zipf exponent {}: {e}", p.alpha),
            )
        })?),
    };
    let interarrival = match (p.arrival, p.rate) {
        (Arrival::Closed, None) => None,
        (Arrival::Closed, Some(_)) => {
            return Err(ConfigError::new(
                "workload.rate",
                "only for arrival = \"poisson\" (closed-loop clients wait for completions)",
            ))
        }
        (Arrival::Poisson, Some(r)) if r > 0.0 && r.is_finite() => {
            Some(Exp::new(r / 1e12).expect("positive rate"))
        }
        (Arrival::Poisson, _) => {
            return Err(ConfigError::new(
                "workload.rate",
                "arrival = \"poisson\" needs rate > 0 (requests per second)",
            ))
        }
    };
    if p.init_pass && p.requests < p.objects {
        return Err(ConfigError::new(
            "workload.requests",
            "with init_pass, at least `objects` (the first `objects` requests initialise)",
        ));
    }
    if p.scatter && (p.pattern != Pattern::Zipf || p.objects > u32::MAX as u64) {
        return Err(ConfigError::new(
            "workload.scatter",
            "only for pattern = \"zipf\" with at most 2^32 objects",
        ));
    }
    let rank_to_id = if p.scatter {
        let mut ids: Vec<u32> = (0..p.objects as u32).collect();
        let mut rng = crate::engine::stream(ctx.dataset_seed, "workload.scatter");
        for i in (1..ids.len()).rev() {
            ids.swap(i, rng.gen_range(0..=i));
        }
        ids
    } else {
        Vec::new()
    };
    let sizes = p.size.sampler("workload.size")?;
    let size_table = sizes.table(
        p.objects,
        &mut crate::engine::stream(ctx.dataset_seed, "workload.sizes"),
    );
    Ok(Box::new(Synthetic {
        actors: ClientActors::default(),
        chooser,
        sizes,
        size_table,
        rank_to_id,
        rng: crate::engine::stream(ctx.seed, "workload.synthetic"),
        issued: 0,
        completed: 0,
        interarrival,
        outstanding: 0,
        area: 0.0,
        last_change: 0,
        p,
    }))
}

impl Synthetic {
    /// Accumulates the number-in-system integral up to now, then applies `delta`.
    fn change_outstanding(&mut self, now: Time, delta: i64) {
        self.area += self.outstanding as f64 * (now - self.last_change) as f64;
        self.last_change = now;
        self.outstanding = (self.outstanding as i64 + delta) as u64;
    }

    fn issue(&mut self, client: u32, ctx: &mut Ctx) {
        if self.issued >= self.p.requests {
            return;
        }
        self.issued += 1;
        self.change_outstanding(ctx.now(), 1);
        let init = self.p.init_pass && self.issued <= self.p.objects;
        let (id, sequential) = match &mut self.chooser {
            _ if init => (self.issued - 1, true),
            Chooser::Sequential(next) => {
                let id = *next;
                *next = (*next + 1) % self.p.objects;
                (id, true)
            }
            Chooser::Uniform => (self.rng.gen_range(0..self.p.objects), false),
            Chooser::Zipf(z) => {
                let rank = z.sample(&mut self.rng) as u64 - 1;
                match self.rank_to_id.get(rank as usize) {
                    Some(&id) => (id as u64, false),
                    None => (rank, false),
                }
            }
        };
        let size = self
            .sizes
            .fixed()
            .unwrap_or_else(|| self.size_table[id as usize]);
        let op = if init {
            Op::Write
        } else if self.p.read_fraction >= 1.0 || self.rng.gen::<f64>() < self.p.read_fraction {
            Op::Read
        } else {
            Op::Write
        };
        let req = Request {
            time: ctx.now(),
            id,
            size,
            op,
            next_access: u64::MAX,
        };
        if client == self.actors.sink {
            // Open loop: every request is its own stream (an independent writer).
            let stream = OPEN_LOOP_STREAMS | (self.issued as u32 & 0x3FFF_FFFF);
            ctx.io_by(&req, sequential, stream, client, 0);
        } else {
            ctx.io(&req, sequential, client, 0);
        }
    }
}

impl Workload for Synthetic {
    fn start(&mut self, ctx: &mut Ctx) {
        self.actors = ClientActors::allocate(ctx, self.p.clients);
        match self.interarrival {
            Some(_) => ctx.wake_in(0, self.actors.generator, 1),
            None => {
                for _ in 0..self.p.depth {
                    for c in 0..self.p.clients {
                        self.issue(self.actors.first + c, ctx);
                    }
                }
            }
        }
    }

    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx) {
        if actor == self.actors.generator {
            self.issue(self.actors.sink, ctx);
            if self.issued < self.p.requests {
                let gap = self
                    .interarrival
                    .expect("open loop")
                    .sample(&mut self.rng)
                    .round() as Time;
                ctx.wake_in(gap, self.actors.generator, 1);
            }
            return;
        }
        if tag == 0 {
            self.completed += 1;
            self.change_outstanding(ctx.now(), -1);
            if actor == self.actors.sink {
                return;
            }
            if self.p.think_time.0 > 0 {
                ctx.wake_in(self.p.think_time.0, actor, 1);
                return;
            }
        }
        self.issue(actor, ctx);
    }

    fn is_done(&self) -> bool {
        self.completed >= self.p.requests
    }

    fn dense_ids(&self) -> Option<u64> {
        Some(self.p.objects)
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.completed, self.p.requests))
    }

    fn warnings(&self) -> Vec<String> {
        self.sizes
            .clamp_warning(&self.size_table, "object")
            .into_iter()
            .collect()
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let secs = end as f64 / 1e12;
        // Time-average number of requests in the system (Little's L), measured directly.
        let area =
            self.area + self.outstanding as f64 * end.saturating_sub(self.last_change) as f64;
        serde_json::json!({
            "kind": "synthetic",
            "requests_completed": self.completed,
            "throughput_requests_per_s": if secs > 0.0 { self.completed as f64 / secs } else { 0.0 },
            "mean_in_system": if end > 0 { area / end as f64 } else { 0.0 },
        })
    }
}
