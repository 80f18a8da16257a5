//! The zero-offload workload's parameters and its plan: the per-layer units of one
//! iteration (loads, compute, stores), each load and store resolved to the pinned
//! accesses that move it (see the parent module's doc for the model).

use super::super::llm;
use super::super::BuildCtx;
use crate::config::{parse_table, ConfigError};
use crate::engine::Time;
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

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
    pub(super) iterations: u64,
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
    pub(super) overlap: bool,
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
pub(super) const STATE_NAMES: [&str; 4] = ["params", "grads", "optimizer", "checkpoints"];

/// One pinned access a load or store makes: tier, direction as the tier sees it.
#[derive(Clone, Copy)]
pub(super) struct Charge {
    pub tier: usize,
    pub op: Op,
    pub bytes: u64,
}

/// A unit of an iteration: loads, then a compute, then stores.
pub(super) struct Unit {
    pub fetch: Vec<Charge>,
    pub compute: Time,
    pub store: Vec<Charge>,
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

/// One iteration's units and what they add up to.
pub(super) struct Plan {
    pub units: Vec<Unit>,
    /// First unit of the optimizer step; first unit after the forward.
    pub step_start: usize,
    pub forward_end: usize,
    /// GPU compute per iteration, and its flops.
    pub gpu_compute: Time,
    pub flops: f64,
    /// Bytes per state class moved per iteration ([`STATE_NAMES`] order).
    pub state_bytes: [u64; 4],
}

/// Parses and checks the parameters and plans one iteration.
pub(super) fn plan(params: toml::Table, ctx: &BuildCtx) -> Result<(Params, Plan), ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    let base = llm::named(p.model.as_deref())?;
    let (layers, params) = llm::layers_and_params(p.layers, p.params, base.as_ref())?;
    if layers == 0 || layers > 1 << 16 {
        return Err(err("layers", "must be between 1 and 65536"));
    }
    if !(1.0..1e15).contains(&params) {
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

    // Simulated time is u64 picoseconds (213 days): keep the run's compute well inside.
    let compute_s = 8.0 * (p.batch * p.seq) as f64 * params / p.peak_flops;
    if compute_s * p.iterations as f64 > 1e6 {
        return Err(err(
            "peak_flops",
            format!("{compute_s:.3e} s of GPU compute per iteration: iterations x that must stay under 1e6 s (lower batch, seq, params or iterations)"),
        ));
    }
    if p.optimizer_rate > 0.0 && params / p.optimizer_rate * p.iterations as f64 > 1e6 {
        return Err(err(
            "optimizer_rate",
            "too low: the optimizer steps would take over 1e6 s (params/s, e.g. 2e9)",
        ));
    }
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
    let flops = 8.0 * (p.batch * p.seq) as f64 * params;
    let plan = Plan {
        units,
        step_start,
        forward_end,
        gpu_compute,
        flops,
        state_bytes,
    };
    Ok((p, plan))
}
