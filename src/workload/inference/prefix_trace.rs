//! A request trace for the inference workload (`[workload.trace]`): one request per
//! line with its arrival time, prompt and output tokens and the hash ids of its prompt's
//! blocks, in the format of Mooncake's published traces (Qin et al., FAST'25;
//! kvcache-ai/Mooncake `FAST25-release/traces`): JSON lines
//! `{"timestamp": ms, "input_length": n, "output_length": m, "hash_ids": [..]}`, one id
//! per `block_tokens` prompt tokens (512 in Mooncake's traces), a block's id standing for
//! its content and everything before it, so two prompts share exactly the blocks their
//! ids share from the start. `format = "csv"` reads the same four columns as CSV (ids
//! separated by spaces). The prefix cache keys the KV blocks inside a hashed block by
//! (id, position); blocks past the ids, and output blocks, are the request's own.

use super::err;
use super::params::{Params, Tokens};
use super::prefix::Owners;
use super::MAX_TOKENS;
use crate::config::ConfigError;
use crate::engine::Time;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Trace file formats.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Mooncake's JSON lines.
    #[default]
    Mooncake,
    /// `timestamp,input_length,output_length,hash_ids` (ids separated by spaces).
    Csv,
}

/// `[workload.trace]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TraceParams {
    /// The trace file (relative to the config's folder).
    pub path: PathBuf,
    #[serde(default)]
    pub format: Format,
    /// Prompt tokens per hash id (Mooncake: 512); a multiple of `kv_block_tokens`.
    #[serde(default = "hash_block")]
    pub block_tokens: u64,
}

fn hash_block() -> u64 {
    512
}

/// One traced request.
#[derive(Clone, Copy, Debug)]
struct Entry {
    prompt: u64,
    output: u64,
    /// Its ids start here in [`Trace::hashes`]; KV blocks below `blocks` are hashed.
    from: u64,
    blocks: u64,
}

/// A loaded trace: arrival times, requests, and their hash ids made dense (numbered
/// in order of first appearance).
pub struct Trace {
    times: Vec<Time>,
    entries: Vec<Entry>,
    /// Dense ids of every request's hashed blocks, one after another.
    pub hashes: Vec<u64>,
    /// KV blocks per hash id (`block_tokens / kv_block_tokens`).
    pub per_hash: u64,
}

/// The largest trace read, in bytes.
const MAX_TRACE_BYTES: u64 = 1 << 30;

/// Reads `[workload.trace]` if given, and sets `prompt_tokens` and `output_tokens` to
/// the trace's ranges. The trace replaces `rate`, `arrivals` and `prefix`.
pub(super) fn load(
    p: &mut Params,
    base: &dyn Fn(&std::path::Path) -> PathBuf,
) -> Result<Option<Trace>, ConfigError> {
    let Some(t) = p.trace.clone() else {
        return Ok(None);
    };
    for (given, key) in [
        (p.rate.is_some(), "rate"),
        (p.arrivals.is_some(), "arrivals"),
        (p.prefix.is_some(), "prefix"),
        (
            !matches!(p.prompt_tokens, Tokens::Fixed(0)),
            "prompt_tokens",
        ),
        (
            !matches!(p.output_tokens, Tokens::Fixed(0)),
            "output_tokens",
        ),
    ] {
        if given {
            return Err(err(key, "comes from workload.trace: leave it out"));
        }
    }
    let bt = p.kv_block_tokens;
    if t.block_tokens == 0 || t.block_tokens % bt != 0 || t.block_tokens / bt > 1 << 20 {
        return Err(err(
            "trace.block_tokens",
            format!("must be a multiple of kv_block_tokens ({bt}), at most 2^20 of them"),
        ));
    }
    let path = base(&t.path);
    let text = crate::trace::lines::read_text(&path, MAX_TRACE_BYTES)
        .map_err(|e| err("trace.path", format!("cannot read {e}")))?;
    let mut trace = Trace {
        times: Vec::new(),
        entries: Vec::new(),
        hashes: Vec::new(),
        per_hash: t.block_tokens / bt,
    };
    let mut dense = std::collections::HashMap::new();
    let mut ids = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        let header = t.format == Format::Csv && l.starts_with("timestamp");
        if l.is_empty() || l.starts_with('#') || header {
            continue;
        }
        let bad = |field: &str, m: &str| {
            err(
                "trace",
                format!("{} line {}: {field}: {m}", path.display(), i + 1),
            )
        };
        ids.clear();
        let (ms, prompt, output) = match t.format {
            Format::Mooncake => parse_json(l, &mut ids, &bad)?,
            Format::Csv => parse_csv(l, &mut ids, &bad)?,
        };
        if !(ms >= 0.0 && ms.is_finite() && ms * 1e9 < u64::MAX as f64) {
            return Err(bad(
                "timestamp",
                "expected finite, non-negative milliseconds",
            ));
        }
        let time = (ms * 1e9).round() as Time;
        if trace.times.last().is_some_and(|&p| time < p) {
            return Err(bad("timestamp", "times must not decrease"));
        }
        for (v, field) in [(prompt, "input_length"), (output, "output_length")] {
            if v == 0 || v > MAX_TOKENS {
                return Err(bad(field, "must be between 1 and 2^32 tokens"));
            }
        }
        let most = prompt.div_ceil(t.block_tokens);
        if ids.len() as u64 > most {
            return Err(bad(
                "hash_ids",
                &format!(
                    "{} ids for {prompt} tokens, more than ceil({prompt} / block_tokens {}) = {most}",
                    ids.len(),
                    t.block_tokens
                ),
            ));
        }
        let from = trace.hashes.len() as u64;
        for &id in &ids {
            let next = dense.len() as u64;
            trace.hashes.push(*dense.entry(id).or_insert(next));
        }
        trace.times.push(time);
        trace.entries.push(Entry {
            prompt,
            output,
            from,
            // Only full KV blocks of the prompt are cached.
            blocks: (ids.len() as u64 * trace.per_hash).min(prompt / bt),
        });
    }
    if trace.entries.is_empty() {
        return Err(err(
            "trace.path",
            format!("{} holds no requests", path.display()),
        ));
    }
    let range = |f: fn(&Entry) -> u64| {
        let lo = trace.entries.iter().map(f).min().unwrap_or(1);
        let hi = trace.entries.iter().map(f).max().unwrap_or(1);
        Tokens::Range([lo, hi])
    };
    p.prompt_tokens = range(|e| e.prompt);
    p.output_tokens = range(|e| e.output);
    Ok(Some(trace))
}

type Bad<'a> = &'a dyn Fn(&str, &str) -> ConfigError;

/// One Mooncake JSON line: (timestamp ms, input_length, output_length), ids into `ids`.
fn parse_json(l: &str, ids: &mut Vec<u64>, bad: Bad) -> Result<(f64, u64, u64), ConfigError> {
    let v: serde_json::Value =
        serde_json::from_str(l).map_err(|e| bad("line", &format!("not a JSON object ({e})")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("line", "not a JSON object"))?;
    let get = |k: &str| obj.get(k).ok_or_else(|| bad(k, "missing"));
    let int = |k: &str| {
        get(k)?
            .as_u64()
            .ok_or_else(|| bad(k, "expected a non-negative integer"))
    };
    let ms = get("timestamp")?
        .as_f64()
        .ok_or_else(|| bad("timestamp", "expected a number (milliseconds)"))?;
    let (prompt, output) = (int("input_length")?, int("output_length")?);
    if let Some(list) = obj.get("hash_ids") {
        let list = list
            .as_array()
            .ok_or_else(|| bad("hash_ids", "expected a list of non-negative integers"))?;
        for (j, h) in list.iter().enumerate() {
            ids.push(h.as_u64().ok_or_else(|| {
                bad(&format!("hash_ids[{j}]"), "expected a non-negative integer")
            })?);
        }
    }
    Ok((ms, prompt, output))
}

/// One CSV line: `timestamp,input_length,output_length,hash_ids` (ids space-separated;
/// the last column may be empty or absent).
fn parse_csv(l: &str, ids: &mut Vec<u64>, bad: Bad) -> Result<(f64, u64, u64), ConfigError> {
    let mut cols = l.split(',').map(str::trim);
    let mut next = |k: &str| cols.next().ok_or_else(|| bad(k, "missing column"));
    let echo = crate::trace::lines::echo;
    let ms_text = next("timestamp")?;
    let ms: f64 = ms_text.parse().map_err(|_| {
        bad(
            "timestamp",
            &format!("expected milliseconds, found {}", echo(ms_text)),
        )
    })?;
    let mut int = |k: &str| -> Result<u64, ConfigError> {
        let s = next(k)?;
        s.parse().map_err(|_| {
            bad(
                k,
                &format!("expected a non-negative integer, found {}", echo(s)),
            )
        })
    };
    let (prompt, output) = (int("input_length")?, int("output_length")?);
    if let Some(list) = cols.next() {
        for (j, h) in list.split_whitespace().enumerate() {
            ids.push(h.parse().map_err(|_| {
                bad(
                    &format!("hash_ids[{j}]"),
                    &format!("expected a non-negative integer, found {}", echo(h)),
                )
            })?);
        }
    }
    if cols.next().is_some() {
        return Err(bad("line", "more than 4 columns"));
    }
    Ok((ms, prompt, output))
}

impl Trace {
    /// The arrival process: the first `requests` (default all) times.
    #[allow(clippy::type_complexity)]
    pub(super) fn arrivals(
        &self,
        requests: Option<u64>,
    ) -> Result<(Option<Vec<Time>>, Option<rand_distr::Exp<f64>>, u64), ConfigError> {
        let n = requests.unwrap_or(self.times.len() as u64);
        if n > self.times.len() as u64 {
            return Err(err(
                "requests",
                format!("the trace holds only {} requests", self.times.len()),
            ));
        }
        Ok((Some(self.times.clone()), None, n))
    }

    /// Request `i`: (prompt tokens, output tokens, block owners).
    pub(super) fn request(&self, i: u64) -> (u64, u64, Owners) {
        let e = self.entries[i as usize];
        let owners = Owners {
            own: i,
            trace_from: e.from,
            trace_blocks: e.blocks,
            ..Default::default()
        };
        (e.prompt, e.output, owners)
    }
}
