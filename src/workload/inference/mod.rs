//! LLM inference serving: requests arrive (Poisson at `rate`, or at the times listed in
//! an `arrivals` file) and one server runs them in iterations with continuous batching
//! (Orca-style, at most `max_batch` requests in flight). Each iteration reads every
//! weight object (one per layer, split into chunks of at most 2 GiB) and the KV-cache
//! blocks of every running request through the hierarchy, all at once, then computes:
//! newly admitted requests prefill their prompt (`prefill_per_token` x prompt tokens)
//! and produce their first token, running ones decode one token each
//! (`decode_per_token` each). Weights not resident in a fast tier stream from where
//! they live; the hierarchy's policies decide what stays.
//!
//! KV cache: `kv_bytes_per_token` = 2 (K and V) x layers x kv_heads x head_dim x 2 B
//! (bf16; REFERENCES.md s3: Llama-3-8B 128 KB, 70B 320 KB), kept in blocks of
//! `kv_block_tokens` tokens (paged, one object per block). A block is written once it
//! is full (the partial block stays in accelerator memory); a finished request's blocks
//! are discarded from every cache tier (freed: never written back).
//!
//! Prefix caching (optional, `prefix` and `prefix_cache`; see `prefix.rs`): prompts
//! share system prompts and chat history; cached blocks skip the prefill and are
//! loaded from the level holding them before the iteration computes.
//!
//! Metrics: histograms `ttft` (arrival to first token), `tpot` (gap between consecutive
//! tokens of a request), `e2e`; SLO attainment = fraction of requests with TTFT <=
//! `ttft_slo` and mean TPOT (e2e - ttft) / (output - 1) <= `tpot_slo`.

mod params;
mod prefix;
mod prefix_trace;

use super::llm::ModelShape;
use super::BuildCtx;
use crate::config::{parse_table, ConfigError};
use crate::engine::{Rng, Time};
use crate::metrics::HistId;
use crate::sim::{Ctx, Workload};
use crate::trace::{Op, Request};
pub use params::Params;
use params::{read_arrivals, Tokens};
use prefix::{Owners, PrefixCache, Sharing};
use rand_distr::{Distribution, Exp};
use std::collections::VecDeque;

/// Largest weight object: layers bigger than this are split into equal chunks.
const MAX_CHUNK: u64 = 2 << 30;
/// Largest token count accepted (keeps every product in range).
const MAX_TOKENS: u64 = 1 << 32;
/// KV-block ids start here (weights use ids below).
const KV_BASE: u64 = 1 << 40;
const TAG_IO: u64 = 0;
const TAG_COMPUTE: u64 = 1;

struct Req {
    arrival: Time,
    prompt: u64,
    output: u64,
    generated: u64,
    kv_tokens: u64,
    blocks_written: u64,
    first_token: Time,
    last_token: Time,
    /// Prompt tokens whose KV came from the prefix cache.
    cached: u64,
    owners: Owners,
    chat: u64,
}

/// See the module doc.
pub struct Inference {
    /// The arrival process's actor; the server's is the next (allocated at start).
    arrival: u32,
    shape: ModelShape,
    chunks: u64,
    chunk_bytes: u32,
    block_bytes: u32,
    /// KV-block ids per request (blocks of the longest possible request).
    kv_stride: u64,
    p: Params,
    arrivals: Option<Vec<Time>>,
    interarrival: Option<Exp<f64>>,
    total: u64,
    rng: Rng,
    reqs: Vec<Req>,
    queue: VecDeque<usize>,
    active: Vec<usize>,
    /// Requests admitted in the current iteration (they prefill).
    admitted: usize,
    busy: bool,
    finished: u64,
    slo_met: u64,
    hists: Option<[HistId; 3]>,
    iterations: u64,
    sharing: Option<Sharing>,
    cache: Option<PrefixCache>,
    trace: Option<prefix_trace::Trace>,
}

fn err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("workload.{key}"), msg)
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let mut p: Params = parse_table(toml::Value::Table(params), "workload")?;
    let trace = prefix_trace::load(&mut p, &|path| ctx.resolve(path))?;
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
    let need = |v: Option<u64>, b: Option<u64>, key: &str| -> Result<u64, ConfigError> {
        match v.or(b) {
            Some(0) => Err(err(key, "must be greater than zero")),
            Some(x) => Ok(x),
            None => Err(err(key, "missing (or give model = \"llama3-8b\")")),
        }
    };
    let shape = ModelShape {
        layers: need(p.layers, base.map(|b| b.layers), "layers")?,
        kv_heads: need(p.kv_heads, base.map(|b| b.kv_heads), "kv_heads")?,
        head_dim: need(p.head_dim, base.map(|b| b.head_dim), "head_dim")?,
        params: p
            .params
            .or(base.map(|b| b.params))
            .ok_or_else(|| err("params", "missing (parameter count)"))?,
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
    if p.kv_block_tokens == 0 {
        return Err(err("kv_block_tokens", "must be at least 1"));
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
        trace,
    }))
}

impl Inference {
    fn kv_id(&self, r: usize, block: u64) -> u64 {
        KV_BASE + r as u64 * self.kv_stride + block
    }

    /// Starts an iteration if the server is idle and has work.
    fn iterate(&mut self, ctx: &mut Ctx) {
        if self.busy {
            return;
        }
        let mut admitted = 0;
        while self.active.len() < self.p.max_batch as usize {
            match self.queue.pop_front() {
                Some(r) => {
                    self.active.push(r);
                    admitted += 1;
                }
                None => break,
            }
        }
        if self.active.is_empty() {
            return;
        }
        // New requests sit at the end of `active`.
        self.admitted = admitted;
        self.busy = true;
        self.iterations += 1;
        let now = ctx.now();
        let mut last = now;
        if let Some(cache) = &mut self.cache {
            let bt = self.p.kv_block_tokens;
            for &r in &self.active[self.active.len() - admitted..] {
                let q = &mut self.reqs[r];
                let (cached, ready) = cache.lookup(&q.owners, q.prompt, bt, ctx);
                q.cached = cached;
                last = last.max(ready);
            }
        }
        let mut read = |ctx: &mut Ctx, id: u64, size: u32| {
            let req = Request {
                time: now,
                id,
                size,
                op: Op::Read,
                next_access: u64::MAX,
            };
            last = last.max(ctx.access(&req, true).done);
        };
        for c in 0..self.chunks {
            read(ctx, c, self.chunk_bytes);
        }
        for &r in &self.active {
            for b in 0..self.reqs[r].blocks_written {
                read(ctx, self.kv_id(r, b), self.block_bytes);
            }
        }
        ctx.wake_at(last, self.arrival + 1, TAG_IO);
    }

    /// Ends an iteration: tokens out, KV blocks written, finished requests retired.
    fn finish_iteration(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let [h_ttft, h_tpot, h_e2e] = self.hists.expect("started");
        let mut first_new = self.active.len() - self.admitted;
        let mut i = 0;
        while i < self.active.len() {
            let r = self.active[i];
            let q = &mut self.reqs[r];
            if i >= first_new {
                q.first_token = now;
                q.kv_tokens = q.prompt;
                ctx.record(h_ttft, now - q.arrival);
                if let Some(cache) = &mut self.cache {
                    let bt = self.p.kv_block_tokens;
                    cache.store(&q.owners, 0, q.prompt / bt, ctx);
                }
            } else {
                q.kv_tokens += 1;
                ctx.record(h_tpot, now - q.last_token);
            }
            q.generated += 1;
            q.last_token = now;
            let full = q.kv_tokens / self.p.kv_block_tokens;
            let from = q.blocks_written;
            q.blocks_written = full;
            let (done, e2e, ttft, output) = (
                q.generated >= q.output,
                now - q.arrival,
                q.first_token - q.arrival,
                q.output,
            );
            // A finishing request's last blocks are not needed: they are not written.
            for b in from..if done { from } else { full } {
                let req = Request {
                    time: now,
                    id: self.kv_id(r, b),
                    size: self.block_bytes,
                    op: Op::Write,
                    next_access: u64::MAX,
                };
                ctx.access(&req, true);
            }
            if done {
                let q = &self.reqs[r];
                if let Some(cache) = &mut self.cache {
                    let bt = self.p.kv_block_tokens;
                    let context = q.prompt + q.generated - 1;
                    cache.store(&q.owners, q.prompt / bt, context / bt, ctx);
                }
                if let Some(s) = &mut self.sharing {
                    s.finished(q.chat, q.prompt + q.generated);
                }
                ctx.record(h_e2e, e2e);
                let tpot = if output > 1 {
                    (e2e - ttft) / (output - 1)
                } else {
                    0
                };
                let ok_ttft = self.p.ttft_slo.is_none_or(|s| ttft <= s.0);
                let ok_tpot = self.p.tpot_slo.is_none_or(|s| tpot <= s.0);
                self.slo_met += u64::from(ok_ttft && ok_tpot);
                self.finished += 1;
                for b in 0..from {
                    ctx.discard(self.kv_id(r, b));
                }
                self.active.remove(i);
                if i < first_new {
                    first_new -= 1;
                }
                continue;
            }
            i += 1;
        }
        self.busy = false;
        self.iterate(ctx);
    }

    fn arrive(&mut self, ctx: &mut Ctx) {
        let user = self.p.prompt_tokens.sample(&mut self.rng);
        let output = self.p.output_tokens.sample(&mut self.rng);
        let index = self.reqs.len() as u64;
        let (prompt, owners, chat) = match &mut self.sharing {
            Some(s) => {
                let t = s.next(user, self.p.kv_block_tokens, &mut self.rng);
                (t.prompt, t.owners, t.chat)
            }
            None => (
                user,
                Owners {
                    own: index,
                    ..Default::default()
                },
                index,
            ),
        };
        let (prompt, output, owners) = match &self.trace {
            Some(t) => t.request(index),
            None => (prompt, output, owners),
        };
        self.reqs.push(Req {
            arrival: ctx.now(),
            prompt,
            output,
            generated: 0,
            kv_tokens: 0,
            blocks_written: 0,
            first_token: 0,
            last_token: 0,
            cached: 0,
            owners,
            chat,
        });
        self.queue.push_back(self.reqs.len() - 1);
        let n = self.reqs.len() as u64;
        if n < self.total {
            match (&self.arrivals, self.interarrival) {
                (Some(times), _) => ctx.wake_at(times[n as usize].max(ctx.now()), self.arrival, 0),
                (None, Some(exp)) => {
                    let gap = exp.sample(&mut self.rng).round() as Time;
                    ctx.wake_in(gap, self.arrival, 0);
                }
                (None, None) => unreachable!("validated in build"),
            }
        }
        self.iterate(ctx);
    }
}

impl Workload for Inference {
    fn start(&mut self, ctx: &mut Ctx) {
        self.hists = Some([
            ctx.histogram("ttft"),
            ctx.histogram("tpot"),
            ctx.histogram("e2e"),
        ]);
        self.arrival = ctx.new_actors(2);
        let first = self.arrivals.as_ref().map_or(0, |t| t[0]);
        ctx.wake_at(first, self.arrival, 0);
    }

    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx) {
        match (actor, tag) {
            (a, _) if a == self.arrival => self.arrive(ctx),
            (_, TAG_IO) => {
                let prompt: u64 = self.active[self.active.len() - self.admitted..]
                    .iter()
                    .map(|&r| self.reqs[r].prompt - self.reqs[r].cached)
                    .sum();
                let decoding = (self.active.len() - self.admitted) as u64;
                let compute = (self.p.prefill_per_token.0.saturating_mul(prompt))
                    .saturating_add(self.p.decode_per_token.0.saturating_mul(decoding));
                ctx.wake_in(compute, self.arrival + 1, TAG_COMPUTE);
            }
            _ => self.finish_iteration(ctx),
        }
    }

    fn is_done(&self) -> bool {
        self.finished >= self.total
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.finished, self.total))
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let secs = crate::engine::secs(end);
        let tokens: u64 = self.reqs.iter().map(|r| r.generated).sum();
        let mut s = serde_json::json!({
            "kind": "inference",
            "requests_completed": self.finished,
            "iterations": self.iterations,
            "tokens_generated": tokens,
            "tokens_per_s": if secs > 0.0 { tokens as f64 / secs } else { 0.0 },
            "requests_per_s": if secs > 0.0 { self.finished as f64 / secs } else { 0.0 },
            "slo_attainment": if self.finished > 0 { self.slo_met as f64 / self.finished as f64 } else { 0.0 },
            "weight_bytes": self.chunks * self.chunk_bytes as u64,
            "kv_bytes_per_token": self.shape.kv_bytes_per_token(),
        });
        if let Some(c) = &self.cache {
            s["prefix_cache"] = c.summary();
        }
        s
    }

    /// requests.csv: one row per request (times in seconds; blank while unfinished).
    fn tables(&self, _end: Time) -> Vec<(String, String)> {
        use std::fmt::Write as _;
        let secs = crate::engine::secs;
        let mut csv = String::from(
            "request,arrival_s,prompt_tokens,output_tokens,ttft_s,e2e_s,mean_tpot_s\n",
        );
        for (i, r) in self.reqs.iter().enumerate() {
            let _ = write!(csv, "{i},{},{},{},", secs(r.arrival), r.prompt, r.output);
            if r.generated >= r.output {
                let ttft = r.first_token - r.arrival;
                let e2e = r.last_token - r.arrival;
                let tpot = if r.output > 1 {
                    (e2e - ttft) / (r.output - 1)
                } else {
                    0
                };
                let _ = writeln!(csv, "{},{},{}", secs(ttft), secs(e2e), secs(tpot));
            } else {
                csv.push_str(",,\n");
            }
        }
        vec![("requests.csv".into(), csv)]
    }
}
