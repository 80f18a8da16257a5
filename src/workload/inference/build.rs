//! Building the inference workload from its `[workload]` table: the model's shape,
//! token counts, the arrival process, the optional prefix cache and KV-block pool, each
//! checked with an error naming its key.

use super::kv_pool::KvPool;
use super::params::{read_arrivals, Params, Tokens};
use super::prefix::{self, PrefixCache, Sharing};
use super::prefix_trace;
use super::{err, Inference, MAX_CHUNK, MAX_TOKENS};
use crate::config::{parse_table, ConfigError};
use crate::sim::Workload;
use crate::workload::llm::ModelShape;
use crate::workload::BuildCtx;
use rand_distr::Exp;
use std::collections::VecDeque;

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let mut p: Params = parse_table(toml::Value::Table(params), "workload")?;
    // Before the trace, whose block size must be a multiple of it.
    if p.kv_block_tokens == 0 {
        return Err(err("kv_block_tokens", "must be at least 1"));
    }
    let trace = prefix_trace::load(&mut p, &|path| ctx.resolve(path))?;
    let base = crate::workload::llm::named(p.model.as_deref())?;
    let (layers, params) =
        crate::workload::llm::layers_and_params(p.layers, p.params, base.as_ref())?;
    let need = |v: Option<u64>, b: Option<u64>, key: &str| -> Result<u64, ConfigError> {
        match v.or(b) {
            Some(0) => Err(err(key, "must be greater than zero")),
            Some(x) => Ok(x),
            None => Err(err(key, "missing (or give model = \"llama3-8b\")")),
        }
    };
    let shape = ModelShape {
        layers: need(Some(layers), None, "layers")?,
        kv_heads: need(p.kv_heads, base.map(|b| b.kv_heads), "kv_heads")?,
        head_dim: need(p.head_dim, base.map(|b| b.head_dim), "head_dim")?,
        params,
        bytes_per_param: p.bytes_per_param.unwrap_or(2.0),
    };
    if !(shape.params > 0.0 && shape.params.is_finite()) {
        return Err(err("params", "must be greater than zero"));
    }
    if !(shape.bytes_per_param > 0.0 && shape.bytes_per_param.is_finite()) {
        return Err(err("bytes_per_param", "must be greater than zero"));
    }
    p.prompt_tokens.check("prompt_tokens")?;
    p.output_tokens.check("output_tokens")?;
    if p.max_batch == 0 {
        return Err(err("max_batch", "must be at least 1"));
    }
    for (key, v) in [
        ("layers", shape.layers),
        ("kv_heads", shape.kv_heads),
        ("head_dim", shape.head_dim),
    ] {
        if v > 1 << 20 {
            return Err(err(key, "at most 2^20"));
        }
    }
    if p.kv_block_tokens > MAX_TOKENS {
        return Err(err("kv_block_tokens", "at most 2^32"));
    }
    let block_bytes = u32::try_from(p.kv_block_tokens as u128 * shape.kv_bytes_per_token() as u128)
        .map_err(|_| err("kv_block_tokens", "a KV block must be at most 4GiB"))?;
    let layer_bytes = shape.weight_bytes().div_ceil(shape.layers).max(1);
    let per_layer = layer_bytes.div_ceil(MAX_CHUNK);
    let chunk_bytes = layer_bytes.div_ceil(per_layer) as u32;
    let (arrivals, interarrival, total) = match (&p.arrivals, p.rate) {
        (Some(_), Some(_)) => return Err(err("rate", "give either rate or arrivals, not both")),
        (None, None) if trace.is_some() => trace.as_ref().expect("some").arrivals(p.requests)?,
        (None, None) => {
            return Err(err(
                "rate",
                "missing: give rate (Poisson arrivals per second) or arrivals (a file)",
            ))
        }
        (None, Some(r)) => {
            if !(r > 0.0 && r.is_finite()) {
                return Err(err(
                    "rate",
                    "must be greater than zero (requests per second)",
                ));
            }
            let n = p
                .requests
                .ok_or_else(|| err("requests", "missing (number of requests)"))?;
            (None, Some(Exp::new(r / 1e12).expect("positive rate")), n)
        }
        (Some(path), None) => {
            let times = read_arrivals(&ctx.resolve(path))?;
            let n = p.requests.unwrap_or(times.len() as u64);
            if n > times.len() as u64 {
                return Err(err(
                    "requests",
                    format!("the arrivals file holds only {} times", times.len()),
                ));
            }
            (Some(times), None, n)
        }
    };
    if p.burst == 0 || p.burst > 1 << 20 {
        return Err(err(
            "burst",
            "must be between 1 and 2^20 (requests per arrival)",
        ));
    }
    if p.burst > 1 && arrivals.is_some() {
        return Err(err(
            "burst",
            "only with rate (an arrivals file or trace lists each request's time; repeat a time for a burst)",
        ));
    }
    if total == 0 {
        return Err(err("requests", "must be at least 1"));
    }
    let most = |t: Tokens| match t {
        Tokens::Fixed(v) | Tokens::Range([_, v]) => v,
    };
    let mut kv_stride = (most(p.prompt_tokens) + most(p.output_tokens)).div_ceil(p.kv_block_tokens);
    let sharing = p.prefix.clone().map(Sharing::new).transpose()?;
    if sharing.is_some() {
        // Chats grow: a request holds at most MAX_CONTEXT tokens of history.
        kv_stride = (prefix::MAX_CONTEXT + most(p.prompt_tokens) + most(p.output_tokens))
            .div_ceil(p.kv_block_tokens);
    }
    let cache = match &p.prefix_cache {
        Some(c) => Some(PrefixCache::new(
            c,
            ctx.tiers,
            block_bytes,
            ctx.seed,
            trace.as_ref(),
        )?),
        None => None,
    };
    let weight_bytes = shape.layers * per_layer * chunk_bytes as u64;
    let pool = match &p.kv_pool {
        Some(k) => {
            let bt = p.kv_block_tokens;
            let pool = KvPool::new(k, ctx.tiers, bt, block_bytes as u64, weight_bytes)?;
            if sharing.is_none() {
                pool.check_fits(most(p.prompt_tokens) + most(p.output_tokens) - 1)?;
            }
            Some(pool)
        }
        None => None,
    };
    Ok(Box::new(Inference {
        arrival: 0,
        shape,
        kv_stride,
        chunks: shape.layers * per_layer,
        chunk_bytes,
        block_bytes,
        p,
        arrivals,
        interarrival,
        total,
        rng: crate::engine::stream(ctx.seed, "workload.inference"),
        reqs: Vec::new(),
        queue: VecDeque::new(),
        active: Vec::new(),
        admitted: 0,
        busy: false,
        finished: 0,
        slo_met: 0,
        hists: None,
        iterations: 0,
        sharing,
        cache,
        pool,
        trace,
    }))
}
