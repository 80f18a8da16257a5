//! Distributed-training closed forms run through the engine: a ring all-reduce as link
//! transfers (REFERENCES.md s3 and s4.4) and a barrier over ranks with exponential
//! iteration times (s4.5). Each builds its model from TOML (the links and a placeholder
//! tier) with the public `model::build`, then runs a small workload of its own through
//! `Simulation::run`; when the training workload lands, these can drive it instead.

use super::{row, CheckOutput, Env};
use crate::config::Config;
use crate::engine::{Time, MS};
use crate::sim::{Ctx, Workload};
use rand_distr::{Distribution, Exp};

/// A model whose workload is replaced: one placeholder tier and `links`.
fn simulation(links: &str, seed: u64) -> anyhow::Result<crate::sim::Simulation> {
    let toml = format!(
        "[[tiers]]\nname = \"mem\"\npreset = \"ddr4-3200\"\n{links}\n[workload]\nkind = \"synthetic\"\n\
         pattern = \"uniform\"\nobjects = 1\nrequests = 1\nsize = \"64B\"\n"
    );
    let cfg = Config::parse(&toml).map_err(|e| anyhow::anyhow!("validation config: {e}"))?;
    Ok(crate::model::build(&cfg, seed)?)
}

/// Ring all-reduce: 2 (N - 1) steps; in each, every rank sends S / N bytes to its
/// neighbour over its own link, and the step ends when all have arrived.
struct RingAllReduce {
    ranks: u32,
    chunk: u64,
    steps: u32,
    step: u32,
    pending: u32,
    links: Vec<usize>,
}

impl RingAllReduce {
    fn send_step(&mut self, ctx: &mut Ctx) {
        self.pending = self.ranks;
        for r in 0..self.ranks {
            ctx.transfer(self.links[r as usize], self.chunk, r, self.step as u64);
        }
    }
}

impl Workload for RingAllReduce {
    fn start(&mut self, ctx: &mut Ctx) {
        self.send_step(ctx);
    }
    fn on_event(&mut self, _actor: u32, _tag: u64, ctx: &mut Ctx) {
        self.pending -= 1;
        if self.pending == 0 {
            self.step += 1;
            if self.step < self.steps {
                self.send_step(ctx);
            }
        }
    }
    fn is_done(&self) -> bool {
        self.step >= self.steps
    }
    fn summary(&self, end: Time) -> serde_json::Value {
        serde_json::json!({ "kind": "ring-allreduce", "time_s": end as f64 / 1e12 })
    }
}

/// T = 2 (N - 1) alpha + 2 (N - 1) / N x S / B with N = 8, S = 100 MB, B = 100 Gb/s,
/// alpha = 5 us: 14.07 ms (REFERENCES s3, s4.4).
pub fn ring_allreduce(_env: &Env) -> anyhow::Result<CheckOutput> {
    let (n, s_bytes) = (8u32, 100_000_000u64);
    let links: String = (0..n)
        .map(|r| format!("[[links]]\nname = \"ring{r}\"\nread_latency = \"5us\"\nread_bandwidth = \"100Gb/s\"\n"))
        .collect();
    let mut sim = simulation(&links, 1)?;
    sim.workload = Box::new(RingAllReduce {
        ranks: n,
        chunk: s_bytes / n as u64,
        steps: 2 * (n - 1),
        step: 0,
        pending: 0,
        links: (0..n as usize).collect(),
    });
    let out = sim.run();
    anyhow::ensure!(out.finished, "the all-reduce did not finish");
    let closed =
        2.0 * (n - 1) as f64 * 5e-6 + 2.0 * (n - 1) as f64 / n as f64 * s_bytes as f64 / 12.5e9;
    Ok(CheckOutput {
        rows: vec![row(
            "ring-allreduce",
            "all-reduce time, N = 8, 100 MB, 100 Gb/s, 5 us",
            out.end as f64 / MS as f64,
            closed * 1e3,
            "ms",
            1.0,
            "alpha-beta model 2(N-1)alpha + 2(N-1)/N S/B = 14.07 ms, REFERENCES s4.4",
        )],
        ..Default::default()
    })
}

/// N ranks compute for independent exponential times of mean m, then wait at a
/// barrier; the iteration ends when the last arrives.
struct Barrier {
    ranks: u32,
    iterations: u64,
    done: u64,
    arrived: u32,
    started: Time,
    total: u128,
    compute: Exp<f64>,
    rngs: Vec<crate::engine::Rng>,
}

impl Barrier {
    fn start_iteration(&mut self, ctx: &mut Ctx) {
        self.started = ctx.now();
        self.arrived = 0;
        for r in 0..self.ranks {
            let t = self.compute.sample(&mut self.rngs[r as usize]).round() as Time;
            ctx.wake_in(t, r, self.done);
        }
    }
}

impl Workload for Barrier {
    fn start(&mut self, ctx: &mut Ctx) {
        self.start_iteration(ctx);
    }
    fn on_event(&mut self, _actor: u32, _tag: u64, ctx: &mut Ctx) {
        self.arrived += 1;
        if self.arrived == self.ranks {
            self.total += (ctx.now() - self.started) as u128;
            self.done += 1;
            if self.done < self.iterations {
                self.start_iteration(ctx);
            }
        }
    }
    fn is_done(&self) -> bool {
        self.done >= self.iterations
    }
    fn summary(&self, _end: Time) -> serde_json::Value {
        serde_json::json!({
            "kind": "straggler-barrier",
            "mean_iteration_s": self.total as f64 / self.done.max(1) as f64 / 1e12,
        })
    }
}

/// The expected barrier time over N = 8 ranks with exponential iteration times of mean
/// m = 1 ms is m H_N (REFERENCES s4.5). 50,000 iterations, rank r's times from the
/// named stream ("validate.straggler", r) under seed 1: the standard deviation of one
/// iteration is m sqrt(sum 1/k^2) = 1.24 m, so the mean's relative standard error is
/// 0.2% and the 2% tolerance is 10 sigma.
pub fn straggler_barrier(_env: &Env) -> anyhow::Result<CheckOutput> {
    let (n, m, iterations, seed) = (8u32, MS as f64, 50_000u64, 1u64);
    let mut sim = simulation("", seed)?;
    sim.workload = Box::new(Barrier {
        ranks: n,
        iterations,
        done: 0,
        arrived: 0,
        started: 0,
        total: 0,
        compute: Exp::new(1.0 / m).expect("positive mean"),
        rngs: (0..n)
            .map(|r| crate::engine::stream_indexed(seed, "validate.straggler", r as u64))
            .collect(),
    });
    let out = sim.run();
    anyhow::ensure!(out.finished, "the barrier experiment did not finish");
    let mean_ms = sim.workload.summary(out.end)["mean_iteration_s"]
        .as_f64()
        .unwrap_or(f64::NAN)
        * 1e3;
    let h_n: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
    Ok(CheckOutput {
        rows: vec![row(
            "straggler-barrier",
            "mean barrier time, N = 8, m = 1 ms",
            mean_ms,
            h_n,
            "ms",
            2.0,
            "closed form m H_N, REFERENCES s4.5",
        )],
        ..Default::default()
    })
}
