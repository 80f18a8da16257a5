//! Weight offload for decoding (FlexGen, DeepSpeed ZeRO-Inference): the model's weights
//! (and optionally the KV cache) live in a slower tier (host DRAM, NVMe) and stream to
//! the GPU layer by layer for every decoding step of a batch. Two layer buffers: the
//! next layer's load (a sequential pinned read of the weights tier: its device and its
//! link) overlaps the current layer's compute, and the stream runs on across tokens.
//! A layer computes for `compute_per_token` x `batch` / layers. In steady state a
//! token step takes layers x max(layer compute, layer load), so batch-1 decoding is
//! link-bound at model bytes / link bandwidth when that exceeds the compute.
//!
//! With `kv_offload`, each layer also reads its share of the batch's KV cache (context
//! = `prompt_tokens` + tokens decoded so far) from the same tier. The prefill is not
//! simulated.

use super::llm;
use super::BuildCtx;
use crate::config::{parse_table, ConfigError, Duration};
use crate::engine::Time;
use crate::metrics::HistId;
use crate::registry::ComponentParams;
use crate::sim::{Ctx, Workload};
use crate::trace::Op;
use serde::{Deserialize, Serialize};

const TAG_LOAD: u64 = 0;
const TAG_COMPUTE: u64 = 1;

/// The weight-offload workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `llama3-8b` or `llama3-70b`; `layers` and `params` override it.
    model: Option<String>,
    layers: Option<u64>,
    params: Option<f64>,
    #[serde(default = "two")]
    bytes_per_param: f64,
    /// The `[[tiers]]` name the weights stream from.
    weights_tier: String,
    /// Sequences decoded together.
    #[serde(default = "one")]
    batch: u64,
    /// Decoding steps (one token per sequence each).
    tokens: u64,
    /// GPU time of one sequence's token through the whole model (weights resident).
    compute_per_token: Duration,
    /// Context before the first decoded token (for the KV cache's size).
    #[serde(default)]
    prompt_tokens: u64,
    /// Stream the KV cache from the weights tier too.
    #[serde(default)]
    kv_offload: bool,
}

impl ComponentParams for Params {}

fn one() -> u64 {
    1
}
fn two() -> f64 {
    2.0
}

fn err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("workload.{key}"), msg)
}

/// See the module doc.
pub struct WeightOffload {
    actor: u32,
    tier: usize,
    layers: u64,
    layer_bytes: u64,
    kv_bytes_per_token_layer: u64,
    layer_compute: Time,
    p: Params,
    /// Layer loads issued and finished, layer computes finished (counted over all steps).
    issued: u64,
    loaded: u64,
    computed: u64,
    loading: bool,
    computing: bool,
    step_start: Time,
    bytes_streamed: u64,
    hist: Option<HistId>,
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    let base = llm::named(p.model.as_deref())?;
    let (layers, params) = llm::layers_and_params(p.layers, p.params, base.as_ref())?;
    if layers == 0 || layers > 1 << 20 {
        return Err(err("layers", "must be between 1 and 2^20"));
    }
    if !(params > 0.0 && params < 1e15) {
        return Err(err("params", "must be between 0 and 1e15"));
    }
    if !(p.bytes_per_param > 0.0 && p.bytes_per_param <= 16.0) {
        return Err(err("bytes_per_param", "must be in (0, 16]"));
    }
    if p.batch == 0 || p.batch > 1 << 20 {
        return Err(err("batch", "must be between 1 and 2^20"));
    }
    if p.tokens == 0 || p.tokens > 1 << 24 {
        return Err(err("tokens", "must be between 1 and 2^24"));
    }
    if p.prompt_tokens > 1 << 24 {
        return Err(err("prompt_tokens", "at most 2^24"));
    }
    let tier = ctx
        .tiers
        .iter()
        .position(|t| *t == p.weights_tier)
        .ok_or_else(|| {
            err(
                "weights_tier",
                format!("no [[tiers]] entry named '{}'", p.weights_tier),
            )
        })?;
    let weight_bytes = (params * p.bytes_per_param).round() as u64;
    let kv_layer = if p.kv_offload {
        // The KV shape (heads, head size) comes from a named model only.
        let Some(shape) = base else {
            return Err(err(
                "kv_offload",
                "needs model = (a preset with the KV shape)",
            ));
        };
        shape.kv_bytes_per_token() / shape.layers
    } else {
        0
    };
    Ok(Box::new(WeightOffload {
        actor: 0,
        tier,
        layers,
        layer_bytes: weight_bytes.div_ceil(layers),
        kv_bytes_per_token_layer: kv_layer,
        layer_compute: p.compute_per_token.0.saturating_mul(p.batch) / layers,
        p,
        issued: 0,
        loaded: 0,
        computed: 0,
        loading: false,
        computing: false,
        step_start: 0,
        bytes_streamed: 0,
        hist: None,
    }))
}

impl WeightOffload {
    fn total_layers(&self) -> u64 {
        self.layers * self.p.tokens
    }

    /// Starts the next load (at most two layers on the GPU: the one computing and the
    /// one loading) and the next compute, when their inputs are there.
    fn advance(&mut self, ctx: &mut Ctx) {
        if !self.loading && self.issued < self.total_layers() && self.issued < self.computed + 2 {
            let step = self.issued / self.layers;
            let context = self.p.prompt_tokens + step;
            let kv = self.kv_bytes_per_token_layer * context * self.p.batch;
            let bytes = self.layer_bytes + kv;
            self.bytes_streamed += bytes;
            let done = ctx.pinned(self.tier, Op::Read, bytes, true);
            ctx.wake_at(done, self.actor, TAG_LOAD);
            self.loading = true;
            self.issued += 1;
        }
        if !self.computing && self.computed < self.loaded {
            ctx.wake_in(self.layer_compute, self.actor, TAG_COMPUTE);
            self.computing = true;
        }
    }
}

impl Workload for WeightOffload {
    fn start(&mut self, ctx: &mut Ctx) {
        self.hist = Some(ctx.histogram("tpot"));
        self.actor = ctx.new_actors(1);
        self.advance(ctx);
    }

    fn on_event(&mut self, _actor: u32, tag: u64, ctx: &mut Ctx) {
        if tag == TAG_LOAD {
            self.loaded += 1;
            self.loading = false;
        } else {
            self.computed += 1;
            self.computing = false;
            if self.computed.is_multiple_of(self.layers) {
                let now = ctx.now();
                ctx.record(self.hist.expect("started"), now - self.step_start);
                self.step_start = now;
            }
        }
        self.advance(ctx);
    }

    fn is_done(&self) -> bool {
        self.computed >= self.total_layers()
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.computed / self.layers, self.p.tokens))
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let secs = crate::engine::secs(end);
        let steps = self.computed / self.layers;
        serde_json::json!({
            "kind": "weight-offload",
            "batch": self.p.batch,
            "steps": steps,
            "tokens_generated": steps * self.p.batch,
            "tokens_per_s": if secs > 0.0 { (steps * self.p.batch) as f64 / secs } else { 0.0 },
            "seconds_per_step": if steps > 0 { secs / steps as f64 } else { 0.0 },
            "layer_bytes": self.layer_bytes,
            "bytes_streamed": self.bytes_streamed,
            "layer_compute_s": crate::engine::secs(self.layer_compute),
        })
    }
}
