//! Training with offload, ZeRO-Offload / ZeRO-Infinity style (Ren et al. ATC'21;
//! Rajbhandari et al. SC'21): fp16 parameters, fp16 gradients, fp32 optimizer states
//! and (optionally) activation checkpoints each live on a named tier (GPU memory, host
//! DRAM, NVMe), and every iteration moves them through the hierarchy's devices and
//! links in the ZeRO papers' accounting:
//!
//! - forward, per layer: load its fp16 parameters (2 B/param) to the GPU, compute
//!   2 x bsz x seq x layer params flops; store the activation checkpoint of each
//!   `checkpoint_interval` layers (2 x bsz x seq x hidden B);
//! - backward, per layer in reverse: load the parameters and the checkpoint, recompute
//!   the forward (same flops), load the parameters again, compute the backward (twice
//!   the flops), store the fp16 gradients (2 B/param). Parameters cross 3 times and
//!   gradients once: ZeRO-Infinity's 2 x 4 x params bytes, with 2 x 4 x bsz x seq x
//!   params flops per iteration;
//! - optimizer step, per layer, after the whole backward (it cannot overlap it):
//!   read the fp16 gradients, read and write the optimizer states (16 B/param: Adam's
//!   fp32 parameters, momentum and variance, the ZeRO paper's K = 12, plus the fp32
//!   gradient copy; ZeRO-Infinity's 2 x 16 x params bytes), write the fp16
//!   parameters. It runs on the CPU when the optimizer states are off the GPU
//!   (ZeRO-Offload's CPU Adam at `optimizer_rate` params/s) unless
//!   `optimizer_step = "gpu"`.
//!
//! Where bytes go: state and processor in the same memory move nothing (GPU memory for
//! the GPU, `host_tier` for the CPU). The GPU reaches `host_tier` over that tier's link
//! (a pinned access: reads toward the GPU, writes away), and any other tier (NVMe)
//! through host memory (the NVMe access and the host copy at once, pipelined). The CPU
//! reaches NVMe with a pinned access on the NVMe tier (its device and its own,
//! host-side link) and GPU memory over `host_tier`'s link. With `overlap`, the next
//! unit's loads run while the current one computes (two buffers) and stores run behind;
//! without it every load, compute and store runs one after the other.

mod plan;

use super::BuildCtx;
use crate::config::ConfigError;
use crate::engine::Time;
use crate::metrics::HistId;
use crate::sim::{Ctx, Workload};
pub use plan::Params;
use plan::{Charge, Plan, Unit, STATE_NAMES};

const TAG_FETCH: u64 = 0;
const TAG_COMPUTE: u64 = 1;
const TAG_STORE: u64 = 2;

/// See the module doc.
pub struct ZeroOffload {
    actor: u32,
    units: Vec<Unit>,
    /// First unit of the optimizer step (it waits for the whole backward).
    step_start: usize,
    forward_end: usize,
    p: Params,
    gpu_compute: Time,
    flops: f64,
    state_bytes: [u64; 4],
    // Progress within the current iteration.
    next_fetch: usize,
    fetched: usize,
    computed: usize,
    pending_stores: u64,
    fetching: bool,
    computing: bool,
    iteration: u64,
    iter_start: Time,
    marks: [Time; 2],
    phase_sum: [Time; 3],
    total: Time,
    hist: Option<HistId>,
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let (p, plan) = plan::plan(params, ctx)?;
    let Plan {
        units,
        step_start,
        forward_end,
        gpu_compute,
        flops,
        state_bytes,
    } = plan;
    Ok(Box::new(ZeroOffload {
        actor: 0,
        units,
        step_start,
        forward_end,
        flops,
        p,
        gpu_compute,
        state_bytes,
        next_fetch: 0,
        fetched: 0,
        computed: 0,
        pending_stores: 0,
        fetching: false,
        computing: false,
        iteration: 0,
        iter_start: 0,
        marks: [0; 2],
        phase_sum: [0; 3],
        total: 0,
        hist: None,
    }))
}

impl ZeroOffload {
    /// Issues `charges` now; returns when the last is done.
    fn issue(charges: &[Charge], ctx: &mut Ctx) -> Time {
        let mut done = ctx.now();
        for c in charges {
            done = done.max(ctx.pinned(c.tier, c.op, c.bytes, true));
        }
        done
    }

    /// Starts the next load and the next compute when their inputs are there.
    fn advance(&mut self, ctx: &mut Ctx) {
        let k = self.next_fetch;
        let may_fetch = if self.p.overlap {
            k < self.computed + 2
        } else {
            k == self.computed && self.pending_stores == 0
        };
        // The optimizer step waits for the whole backward, gradients stored.
        let barrier = k == self.step_start && (self.computed < k || self.pending_stores > 0);
        if !self.fetching && k < self.units.len() && may_fetch && !barrier {
            if k == self.step_start {
                self.marks[1] = ctx.now();
            }
            let done = Self::issue(&self.units[k].fetch, ctx);
            ctx.wake_at(done, self.actor, TAG_FETCH);
            self.fetching = true;
            self.next_fetch += 1;
        }
        if !self.computing && self.computed < self.fetched {
            ctx.wake_in(self.units[self.computed].compute, self.actor, TAG_COMPUTE);
            self.computing = true;
        }
    }

    fn end_iteration(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let [f, b] = self.marks;
        self.phase_sum[0] += f - self.iter_start;
        self.phase_sum[1] += b - f;
        self.phase_sum[2] += now - b;
        self.total += now - self.iter_start;
        ctx.record(self.hist.expect("started"), now - self.iter_start);
        self.iteration += 1;
        self.iter_start = now;
        self.next_fetch = 0;
        self.fetched = 0;
        self.computed = 0;
    }
}

impl Workload for ZeroOffload {
    fn start(&mut self, ctx: &mut Ctx) {
        self.hist = Some(ctx.histogram("iteration"));
        self.actor = ctx.new_actors(1);
        self.advance(ctx);
    }

    fn on_event(&mut self, _actor: u32, tag: u64, ctx: &mut Ctx) {
        match tag {
            TAG_FETCH => {
                self.fetched += 1;
                self.fetching = false;
            }
            TAG_COMPUTE => {
                let u = &self.units[self.computed];
                if !u.store.is_empty() {
                    let done = Self::issue(&u.store, ctx);
                    ctx.wake_at(done, self.actor, TAG_STORE);
                    self.pending_stores += 1;
                }
                self.computed += 1;
                self.computing = false;
                if self.computed == self.forward_end {
                    self.marks[0] = ctx.now();
                }
            }
            _ => self.pending_stores -= 1,
        }
        if self.computed == self.units.len() && self.pending_stores == 0 {
            self.end_iteration(ctx);
            if self.iteration == self.p.iterations {
                return;
            }
        }
        self.advance(ctx);
    }

    fn is_done(&self) -> bool {
        self.iteration >= self.p.iterations
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.iteration, self.p.iterations))
    }

    fn summary(&self, _end: Time) -> serde_json::Value {
        let n = self.iteration.max(1) as f64;
        let per = |t: Time| crate::engine::secs(t) / n;
        let iter_s = per(self.total);
        let compute_s = crate::engine::secs(self.gpu_compute);
        let mut bytes = serde_json::Map::new();
        for (name, b) in STATE_NAMES.iter().zip(self.state_bytes) {
            bytes.insert((*name).into(), b.into());
        }
        serde_json::json!({
            "kind": "zero-offload",
            "iterations": self.iteration,
            "seconds_per_iteration": iter_s,
            "gpu_compute_s": compute_s,
            "gpu_efficiency": if iter_s > 0.0 { compute_s / iter_s } else { 0.0 },
            "achieved_tflops": if iter_s > 0.0 { self.flops / iter_s / 1e12 } else { 0.0 },
            "flops_per_iteration": self.flops,
            "phase_seconds": {
                "forward": per(self.phase_sum[0]),
                "backward": per(self.phase_sum[1]),
                "optimizer_step": per(self.phase_sum[2]),
            },
            "bytes_moved_per_iteration": bytes,
        })
    }
}
