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

use super::llm::ModelShape;
use super::BuildCtx;
use crate::config::{parse_table, ConfigError};
use crate::engine::Time;
use crate::metrics::HistId;
use crate::registry::ComponentParams;
use crate::sim::{Ctx, Workload};
use crate::trace::Op;
use serde::{Deserialize, Serialize};

const TAG_FETCH: u64 = 0;
const TAG_COMPUTE: u64 = 1;
const TAG_STORE: u64 = 2;

/// ZeRO accounting, bytes per parameter: fp16 parameters and gradients, and the
/// optimizer states (fp32 parameters, momentum, variance: 12, plus fp32 gradients: 4).
const PARAM_BYTES: f64 = 2.0;
const GRAD_BYTES: f64 = 2.0;
const OPTIMIZER_BYTES: f64 = 16.0;

/// The zero-offload workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `llama3-8b` or `llama3-70b`; `layers` and `params` override it.
    model: Option<String>,
    layers: Option<u64>,
    /// Parameter count.
    params: Option<f64>,
    /// Sequences per GPU per iteration.
    #[serde(default = "one")]
    batch: u64,
    /// Tokens per sequence.
    seq: u64,
    /// GPU peak throughput, flop/s (what the GPU sustains with no data stall).
    peak_flops: f64,
    /// Training iterations to simulate.
    #[serde(default = "four")]
    iterations: u64,
    /// The `[[tiers]]` name of GPU memory (default: the first tier).
    gpu_tier: Option<String>,
    /// The `[[tiers]]` name of host DRAM, behind the GPU's link (default: the second).
    host_tier: Option<String>,
    /// Where each state lives (default: `gpu_tier`).
    params_tier: Option<String>,
    grads_tier: Option<String>,
    optimizer_tier: Option<String>,
    /// Activation checkpoints' tier; none: not offloaded (kept on the GPU).
    checkpoints_tier: Option<String>,
    /// Hidden size (sizes the activation checkpoints).
    hidden: Option<u64>,
    /// Layers between activation checkpoints.
    #[serde(default = "one")]
    checkpoint_interval: u64,
    /// `"cpu"` or `"gpu"`: the optimizer step's processor (default: cpu when the
    /// optimizer states are off the GPU).
    optimizer_step: Option<String>,
    /// Parameters the step's processor updates per second; 0: its compute is not
    /// charged (only its data movement).
    #[serde(default)]
    optimizer_rate: f64,
    /// Overlap the next layer's loads with the current layer's compute.
    #[serde(default = "yes")]
    overlap: bool,
}

impl ComponentParams for Params {}

fn one() -> u64 {
    1
}
fn four() -> u64 {
    4
}
fn yes() -> bool {
    true
}

fn err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("workload.{key}"), msg)
}

/// Which processor a unit of work runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loc {
    Gpu,
    Cpu,
}

/// The state classes, for the per-class byte counts.
#[derive(Clone, Copy)]
enum State {
    Params = 0,
    Grads = 1,
    Optimizer = 2,
    Checkpoints = 3,
}
const STATE_NAMES: [&str; 4] = ["params", "grads", "optimizer", "checkpoints"];

/// One pinned access a load or store makes: tier, direction as the tier sees it.
#[derive(Clone, Copy)]
struct Charge {
    tier: usize,
    op: Op,
    bytes: u64,
}

/// A unit of an iteration: loads, then a compute, then stores.
struct Unit {
    fetch: Vec<Charge>,
    compute: Time,
    store: Vec<Charge>,
}

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

/// Tiers resolved from the names.
struct Places {
    gpu: usize,
    host: Option<usize>,
}

impl Places {
    /// The pinned accesses moving `bytes` of a state on `tier` to (`op` Read) or from
    /// (Write) a processor at `loc`. Empty when they share a memory.
    fn charges(&self, loc: Loc, tier: usize, op: Op, bytes: u64) -> Result<Vec<Charge>, String> {
        let flip = |op| match op {
            Op::Read => Op::Write,
            Op::Write => Op::Read,
        };
        let host = || {
            self.host
                .ok_or_else(|| "needed (a host DRAM tier behind the GPU's link)".to_string())
        };
        let c = |tier, op| Charge { tier, op, bytes };
        Ok(match loc {
            Loc::Gpu if tier == self.gpu => vec![],
            Loc::Gpu if Some(tier) == self.host => vec![c(tier, op)],
            Loc::Gpu => vec![c(tier, op), c(host()?, op)],
            Loc::Cpu if Some(tier) == self.host => vec![],
            // GPU memory read by the CPU leaves the GPU over the host link (and lands
            // in host memory): the GPU's view of that link is a write.
            Loc::Cpu if tier == self.gpu => vec![c(host()?, flip(op))],
            Loc::Cpu => vec![c(tier, op)],
        })
    }
}

fn tier_index(ctx: &BuildCtx, key: &str, name: &str) -> Result<usize, ConfigError> {
    ctx.tiers
        .iter()
        .position(|t| t == name)
        .ok_or_else(|| err(key, format!("no [[tiers]] entry named '{name}'")))
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    let base = match p.model.as_deref() {
        Some(name) => Some(ModelShape::preset(name).ok_or_else(|| {
            err(
                "model",
                format!(
                    "unknown model '{name}'; known models: {}",
                    super::llm::NAMES.join(", ")
                ),
            )
        })?),
        None => None,
    };
    let layers = p
        .layers
        .or(base.map(|b| b.layers))
        .ok_or_else(|| err("layers", "missing (or give model = \"llama3-70b\")"))?;
    let params = p
        .params
        .or(base.map(|b| b.params))
        .ok_or_else(|| err("params", "missing (parameter count)"))?;
    if layers == 0 || layers > 1 << 16 {
        return Err(err("layers", "must be between 1 and 65536"));
    }
    if !(params >= 1.0 && params < 1e15) {
        return Err(err("params", "must be between 1 and 1e15"));
    }
    if p.batch == 0 || p.batch > 1 << 20 {
        return Err(err("batch", "must be between 1 and 2^20"));
    }
    if p.seq == 0 || p.seq > 1 << 24 {
        return Err(err("seq", "must be between 1 and 2^24"));
    }
    if !(p.peak_flops > 0.0 && p.peak_flops < 1e20) {
        return Err(err(
            "peak_flops",
            "must be a positive flop/s figure (e.g. 70e12)",
        ));
    }
    if p.iterations == 0 || p.iterations > 1 << 20 {
        return Err(err("iterations", "must be between 1 and 2^20"));
    }
    if !(p.optimizer_rate >= 0.0 && p.optimizer_rate.is_finite()) {
        return Err(err(
            "optimizer_rate",
            "must be >= 0 (params/s; 0: not charged)",
        ));
    }
    if p.checkpoint_interval == 0 || p.checkpoint_interval > layers {
        return Err(err("checkpoint_interval", "must be between 1 and layers"));
    }
    let gpu_name = p.gpu_tier.clone().unwrap_or_else(|| ctx.tiers[0].clone());
    let gpu = tier_index(ctx, "gpu_tier", &gpu_name)?;
    let host = match (&p.host_tier, ctx.tiers.get(1)) {
        (Some(n), _) => Some(tier_index(ctx, "host_tier", n)?),
        (None, Some(_)) => Some(1),
        (None, None) => None,
    };
    if host == Some(gpu) {
        return Err(err("host_tier", "must differ from gpu_tier"));
    }
    let places = Places { gpu, host };
    let placed = |key: &str, name: &Option<String>| match name {
        Some(n) => tier_index(ctx, key, n),
        None => Ok(gpu),
    };
    let params_tier = placed("params_tier", &p.params_tier)?;
    let grads_tier = placed("grads_tier", &p.grads_tier)?;
    let opt_tier = placed("optimizer_tier", &p.optimizer_tier)?;
    let ckpt_tier = placed("checkpoints_tier", &p.checkpoints_tier)?;
    let step_loc = match p.optimizer_step.as_deref() {
        Some("gpu") => Loc::Gpu,
        Some("cpu") => Loc::Cpu,
        None if opt_tier == gpu => Loc::Gpu,
        None => Loc::Cpu,
        Some(o) => {
            return Err(err(
                "optimizer_step",
                format!("'{o}': expected \"cpu\" or \"gpu\""),
            ))
        }
    };
    let ckpt_bytes = if p.checkpoints_tier.is_some() {
        let hd = p.hidden.ok_or_else(|| {
            err(
                "hidden",
                "missing (needed to size the activation checkpoints)",
            )
        })?;
        if hd == 0 || hd > 1 << 20 {
            return Err(err("hidden", "must be between 1 and 2^20"));
        }
        2 * p.batch * p.seq * hd
    } else {
        0
    };

    let layer_params = params / layers as f64;
    let layer_flops = 2.0 * (p.batch * p.seq) as f64 * layer_params;
    let fwd = crate::engine::from_secs(layer_flops / p.peak_flops);
    let step_compute = if p.optimizer_rate > 0.0 {
        crate::engine::from_secs(layer_params / p.optimizer_rate)
    } else {
        0
    };
    let bytes = |per_param: f64| (layer_params * per_param).round() as u64;
    let mut state_bytes = [0u64; 4];
    let mut charges = |key: &str, loc, state: State, tier, op, b: u64| {
        let v = places
            .charges(loc, tier, op, b)
            .map_err(|m| err("host_tier", format!("{m}, for {key}")))?;
        if !v.is_empty() {
            state_bytes[state as usize] += b;
        }
        Ok::<_, ConfigError>(v)
    };
    let mut units = Vec::with_capacity(4 * layers as usize);
    let ci = p.checkpoint_interval;
    for l in 0..layers {
        let store = if ckpt_bytes > 0 && l % ci == 0 {
            charges(
                "checkpoints_tier",
                Loc::Gpu,
                State::Checkpoints,
                ckpt_tier,
                Op::Write,
                ckpt_bytes,
            )?
        } else {
            vec![]
        };
        units.push(Unit {
            fetch: charges(
                "params_tier",
                Loc::Gpu,
                State::Params,
                params_tier,
                Op::Read,
                bytes(PARAM_BYTES),
            )?,
            compute: fwd,
            store,
        });
    }
    let forward_end = units.len();
    for l in (0..layers).rev() {
        let mut fetch = charges(
            "params_tier",
            Loc::Gpu,
            State::Params,
            params_tier,
            Op::Read,
            bytes(PARAM_BYTES),
        )?;
        // The segment's checkpoint is read when its last layer is recomputed first.
        if ckpt_bytes > 0 && ((l + 1) % ci == 0 || l == layers - 1) {
            fetch.extend(charges(
                "checkpoints_tier",
                Loc::Gpu,
                State::Checkpoints,
                ckpt_tier,
                Op::Read,
                ckpt_bytes,
            )?);
        }
        units.push(Unit {
            fetch,
            compute: fwd,
            store: vec![],
        });
        units.push(Unit {
            fetch: charges(
                "params_tier",
                Loc::Gpu,
                State::Params,
                params_tier,
                Op::Read,
                bytes(PARAM_BYTES),
            )?,
            compute: 2 * fwd,
            store: charges(
                "grads_tier",
                Loc::Gpu,
                State::Grads,
                grads_tier,
                Op::Write,
                bytes(GRAD_BYTES),
            )?,
        });
    }
    let step_start = units.len();
    for _ in 0..layers {
        let mut fetch = charges(
            "grads_tier",
            step_loc,
            State::Grads,
            grads_tier,
            Op::Read,
            bytes(GRAD_BYTES),
        )?;
        fetch.extend(charges(
            "optimizer_tier",
            step_loc,
            State::Optimizer,
            opt_tier,
            Op::Read,
            bytes(OPTIMIZER_BYTES),
        )?);
        let mut store = charges(
            "optimizer_tier",
            step_loc,
            State::Optimizer,
            opt_tier,
            Op::Write,
            bytes(OPTIMIZER_BYTES),
        )?;
        store.extend(charges(
            "params_tier",
            step_loc,
            State::Params,
            params_tier,
            Op::Write,
            bytes(PARAM_BYTES),
        )?);
        units.push(Unit {
            fetch,
            compute: step_compute,
            store,
        });
    }
    let gpu_compute = units[..step_start].iter().map(|u| u.compute).sum();
    Ok(Box::new(ZeroOffload {
        actor: 0,
        units,
        step_start,
        forward_end,
        flops: 8.0 * (p.batch * p.seq) as f64 * params,
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
