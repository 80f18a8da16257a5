//! The inference workload's declared parameters (token counts fixed or as a range,
//! arrival-time files) and the reader of an arrivals file.

use super::{err, MAX_TOKENS};
use crate::config::{ConfigError, Duration};
use crate::engine::{Rng, Time};
use crate::registry::ComponentParams;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

/// A token count: fixed (`512`) or uniform over a range (`[128, 1024]`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub(super) enum Tokens {
    Fixed(u64),
    Range([u64; 2]),
}

impl Tokens {
    pub(super) fn check(self, key: &str) -> Result<(), ConfigError> {
        let (lo, hi) = match self {
            Tokens::Fixed(v) => (v, v),
            Tokens::Range([a, b]) => (a, b),
        };
        if lo == 0 || lo > hi || hi > MAX_TOKENS {
            return Err(ConfigError::new(
                format!("workload.{key}"),
                if lo == 0 && hi == 0 {
                    "missing or 0: give a token count between 1 and 2^32 (or a range [min, max])"
                } else {
                    "must be between 1 and 2^32 (a range [min, max] needs min <= max)"
                },
            ));
        }
        Ok(())
    }
    pub(super) fn sample(self, rng: &mut Rng) -> u64 {
        match self {
            Tokens::Fixed(v) => v,
            Tokens::Range([a, b]) => rng.gen_range(a..=b),
        }
    }
}

/// The inference workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `llama3-8b` or `llama3-70b`; fields below override it.
    pub(super) model: Option<String>,
    pub(super) layers: Option<u64>,
    pub(super) kv_heads: Option<u64>,
    pub(super) head_dim: Option<u64>,
    pub(super) params: Option<f64>,
    pub(super) bytes_per_param: Option<f64>,
    /// Poisson arrivals per second.
    pub(super) rate: Option<f64>,
    /// A file of arrival times in seconds, one per line (instead of `rate`).
    pub(super) arrivals: Option<std::path::PathBuf>,
    pub(super) requests: Option<u64>,
    /// Required unless a `trace` gives them.
    #[serde(default = "unset")]
    pub(super) prompt_tokens: Tokens,
    #[serde(default = "unset")]
    pub(super) output_tokens: Tokens,
    pub(super) prefill_per_token: Duration,
    pub(super) decode_per_token: Duration,
    #[serde(default = "one")]
    pub(super) max_batch: u32,
    #[serde(default = "block")]
    pub(super) kv_block_tokens: u64,
    pub(super) ttft_slo: Option<Duration>,
    pub(super) tpot_slo: Option<Duration>,
    /// How prompts share prefixes (system prompts, chats); absent: no sharing.
    pub(super) prefix: Option<super::prefix::SharingParams>,
    /// Where earlier requests' KV blocks are kept; absent: no prefix cache.
    pub(super) prefix_cache: Option<super::prefix::CacheParams>,
    /// A request trace (times, tokens, prefix hash ids) instead of rate/arrivals/prefix.
    pub(super) trace: Option<super::prefix_trace::TraceParams>,
}

impl ComponentParams for Params {
    fn files(&mut self) -> Vec<&mut std::path::PathBuf> {
        let trace = self.trace.as_mut().map(|t| &mut t.path);
        self.arrivals.iter_mut().chain(trace).collect()
    }
}

/// A token count not given (0: `check` asks for one).
fn unset() -> Tokens {
    Tokens::Fixed(0)
}

fn one() -> u32 {
    1
}
fn block() -> u64 {
    16
}

/// The largest arrival or size list read, in bytes.
pub(crate) const MAX_LIST_BYTES: u64 = 1 << 30;

/// Reads arrival times (seconds, one per line, `#` comments) from `path`.
pub(super) fn read_arrivals(path: &std::path::Path) -> Result<Vec<Time>, ConfigError> {
    let text = crate::trace::lines::read_text(path, MAX_LIST_BYTES)
        .map_err(|e| err("arrivals", format!("cannot read {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let bad = |m: &str| {
            err(
                "arrivals",
                format!("{} line {}: {m}", path.display(), i + 1),
            )
        };
        let s: f64 = l.parse().map_err(|_| {
            bad(&format!(
                "expected a time in seconds, found {}",
                crate::trace::lines::echo(l)
            ))
        })?;
        if !(s >= 0.0 && s.is_finite()) {
            return Err(bad("times must be finite and non-negative"));
        }
        if s * 1e12 >= u64::MAX as f64 {
            return Err(bad(&format!(
                "{s} s is past the longest simulated time: {}",
                crate::config::units::LONGEST_DURATION
            )));
        }
        let t = crate::engine::from_secs(s);
        if out.last().is_some_and(|&p| t < p) {
            return Err(bad("times must not decrease"));
        }
        out.push(t);
    }
    if out.is_empty() {
        return Err(err(
            "arrivals",
            format!("{} holds no arrival times", path.display()),
        ));
    }
    Ok(out)
}
