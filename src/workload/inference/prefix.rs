//! Prefix sharing and the prefix cache of the inference workload (vLLM automatic prefix
//! caching, LMCache, Mooncake): requests share prefixes (a system prompt drawn from a
//! Zipf reuse distribution, earlier turns of a multi-turn chat, or the hash ids of a
//! request trace: `prefix_trace.rs`), and the KV blocks of earlier requests are kept in a chain of
//! levels (config tiers such as HBM, DRAM, NVMe), each with its own capacity and an
//! eviction policy from the registry. A block evicted from one level is written to the
//! next (dropped from the last); a block found below the first level is read from its
//! tier (device and link, through the data path) and promoted to the first level. The
//! prompt tokens covered by a run of cached blocks from the start skip the prefill.

use super::err;
use crate::config::units::Bytes;
use crate::config::ConfigError;
use crate::engine::Rng;
use crate::policy::eviction::{EvictionPolicy, Victim, REGISTRY as EVICTION};
use crate::sim::Ctx;
use crate::trace::{Op, Request};
use rand::Rng as _;
use rand_distr::Distribution;
use serde::{Deserialize, Serialize};

/// How requests share prefixes (the generator; `[workload.prefix]`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SharingParams {
    /// Distinct system prompts.
    #[serde(default = "one")]
    pub systems: u64,
    /// Tokens of each system prompt (the start of every new chat's prompt).
    #[serde(default)]
    pub system_tokens: u64,
    /// Zipf exponent of the system prompts' popularity (0: uniform).
    #[serde(default = "zipf")]
    pub system_zipf: f64,
    /// Probability that an arrival is the next turn of a recent chat.
    #[serde(default)]
    pub follow_up: f64,
    /// How many of the most recent chats a follow-up picks from (uniformly).
    #[serde(default = "chats")]
    pub recent_chats: u64,
}

fn one() -> u64 {
    1
}
fn zipf() -> f64 {
    1.0
}
fn chats() -> u64 {
    16
}

/// One level of the prefix cache (`[[workload.prefix_cache.levels]]`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelParams {
    /// A `[[tiers]]` name: where this level's blocks live.
    pub tier: String,
    pub capacity: Bytes,
}

/// The prefix cache (`[workload.prefix_cache]`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CacheParams {
    /// An eviction policy name (every level uses it).
    #[serde(default = "lru")]
    pub eviction: String,
    /// Fastest first.
    pub levels: Vec<LevelParams>,
}

fn lru() -> String {
    "lru".into()
}

/// Who owns a request's blocks: block `b < shared_blocks` belongs to `shared`, the
/// rest to `own` (the chat, or the request itself). With a trace, blocks
/// `b < trace_blocks` are keyed by the trace's hash ids instead (from `trace_from`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Owners {
    pub shared: u64,
    pub shared_blocks: u64,
    pub own: u64,
    pub trace_from: u64,
    pub trace_blocks: u64,
}

/// The longest chat context kept (tokens): a chat's prompt stops growing here.
pub const MAX_CONTEXT: u64 = 1 << 24;
const TAG_SHARED: u64 = 1 << 62;
const TAG_OWN: u64 = 2 << 62;
const TAG_TRACE: u64 = 3 << 62;

impl Owners {
    /// The content key of block `b` (equal blocks, equal keys).
    pub fn key(&self, b: u64) -> u64 {
        if b < self.shared_blocks {
            TAG_SHARED | (self.shared & 0xf_ffff_ffff) << 24 | b
        } else {
            TAG_OWN | (self.own & 0xf_ffff_ffff) << 24 | b
        }
    }
}

/// The chat generator: a new chat (system prompt, fresh history) or the next turn of a
/// recent one.
pub struct Sharing {
    p: SharingParams,
    zipf: Option<rand_distr::Zipf<f64>>,
    /// Recent chats: (chat id, system, context tokens so far).
    chats: std::collections::VecDeque<(u64, u64, u64)>,
    next_chat: u64,
}

/// A generated request: prompt tokens and block owners.
pub struct Turn {
    pub prompt: u64,
    pub owners: Owners,
    /// The chat (to extend its context when the turn finishes).
    pub chat: u64,
}

impl Sharing {
    pub fn new(p: SharingParams) -> Result<Self, ConfigError> {
        if p.systems == 0 || p.systems > 1 << 32 {
            return Err(err("prefix.systems", "must be between 1 and 2^32"));
        }
        if !(0.0..=1.0).contains(&p.follow_up) {
            return Err(err("prefix.follow_up", "must be a probability in [0, 1]"));
        }
        if p.recent_chats == 0 || p.recent_chats > 1 << 20 {
            return Err(err("prefix.recent_chats", "must be between 1 and 2^20"));
        }
        if p.system_tokens > 1 << 24 {
            return Err(err("prefix.system_tokens", "at most 2^24"));
        }
        let zipf = if p.system_zipf > 0.0 {
            Some(
                rand_distr::Zipf::new(p.systems, p.system_zipf)
                    .map_err(|e| err("prefix.system_zipf", e.to_string()))?,
            )
        } else if p.system_zipf == 0.0 {
            None
        } else {
            return Err(err("prefix.system_zipf", "must be 0 or more"));
        };
        Ok(Sharing {
            p,
            zipf,
            chats: Default::default(),
            next_chat: 0,
        })
    }

    /// The next request: `user` new tokens after the shared context.
    pub fn next(&mut self, user: u64, block_tokens: u64, rng: &mut Rng) -> Turn {
        let follow = !self.chats.is_empty() && rng.gen::<f64>() < self.p.follow_up;
        let (chat, system, history) = if follow {
            let i = rng.gen_range(0..self.chats.len());
            self.chats[i]
        } else {
            let system = match &self.zipf {
                Some(z) => z.sample(rng) as u64 - 1,
                None => rng.gen_range(0..self.p.systems),
            };
            let chat = self.next_chat;
            self.next_chat += 1;
            self.chats.push_back((chat, system, self.p.system_tokens));
            if self.chats.len() as u64 > self.p.recent_chats {
                self.chats.pop_front();
            }
            (chat, system, self.p.system_tokens)
        };
        Turn {
            prompt: history + user,
            owners: Owners {
                shared: system,
                shared_blocks: self.p.system_tokens / block_tokens,
                own: chat,
                ..Default::default()
            },
            chat,
        }
    }

    /// A chat's turn finished with `context` tokens (prompt and output): the next turn
    /// starts from there.
    pub fn finished(&mut self, chat: u64, context: u64) {
        if let Some(c) = self.chats.iter_mut().find(|c| c.0 == chat) {
            c.2 = c.2.max(context).min(MAX_CONTEXT);
        }
    }
}

struct Level {
    tier: usize,
    policy: Box<dyn EvictionPolicy>,
    /// Blocks found here, bytes read from here, bytes written here (demotions).
    hits: u64,
    bytes_loaded: u64,
    bytes_demoted: u64,
}

/// The prefix cache: see the module doc.
pub struct PrefixCache {
    levels: Vec<Level>,
    names: Vec<String>,
    block_bytes: u32,
    evicted: Vec<Victim>,
    spill: Vec<Victim>,
    /// Bytes to read per level for the lookup in progress.
    pending: Vec<u64>,
    /// A trace's dense hash ids and KV blocks per id (`Owners::trace_from`).
    hashes: Vec<u64>,
    per_hash: u64,
    pub lookups: u64,
    pub prompt_tokens: u64,
    pub hit_tokens: u64,
}

impl PrefixCache {
    pub fn new(
        p: &CacheParams,
        tiers: &[String],
        block_bytes: u32,
        seed: u64,
        trace: Option<&super::prefix_trace::Trace>,
    ) -> Result<Self, ConfigError> {
        let entry = EVICTION
            .get(&p.eviction)
            .map_err(|e| err("prefix_cache.eviction", e))?;
        if p.levels.is_empty() {
            return Err(err("prefix_cache.levels", "give at least one level"));
        }
        let mut levels = Vec::new();
        for (i, l) in p.levels.iter().enumerate() {
            let key = format!("prefix_cache.levels[{i}]");
            let tier = tiers.iter().position(|t| *t == l.tier).ok_or_else(|| {
                err(
                    &format!("{key}.tier"),
                    format!("no [[tiers]] entry named '{}'", l.tier),
                )
            })?;
            if l.capacity.0 < block_bytes as u64 {
                return Err(err(
                    &format!("{key}.capacity"),
                    format!("must hold at least one KV block ({block_bytes} B)"),
                ));
            }
            let policy = (entry.build)(&Default::default(), l.capacity.0, seed + i as u64)
                .map_err(|e| err(&format!("{key}.eviction"), e))?;
            levels.push(Level {
                tier,
                policy,
                hits: 0,
                bytes_loaded: 0,
                bytes_demoted: 0,
            });
        }
        Ok(PrefixCache {
            names: p.levels.iter().map(|l| l.tier.clone()).collect(),
            pending: vec![0; levels.len()],
            hashes: trace.map(|t| t.hashes.clone()).unwrap_or_default(),
            per_hash: trace.map_or(1, |t| t.per_hash),
            levels,
            block_bytes,
            evicted: Vec::new(),
            spill: Vec::new(),
            lookups: 0,
            prompt_tokens: 0,
            hit_tokens: 0,
        })
    }

    fn req(&self, key: u64) -> Request {
        Request {
            time: 0,
            id: key,
            size: self.block_bytes,
            op: Op::Read,
            next_access: u64::MAX,
        }
    }

    /// The content key of block `b` of a request (equal blocks, equal keys).
    fn key(&self, owners: &Owners, b: u64) -> u64 {
        if b < owners.trace_blocks {
            let id = self.hashes[(owners.trace_from + b / self.per_hash) as usize];
            TAG_TRACE | id << 20 | (b % self.per_hash)
        } else {
            owners.key(b)
        }
    }

    fn level_of(&self, key: u64) -> Option<usize> {
        self.levels.iter().position(|l| l.policy.contains(key))
    }

    /// Puts `key` in level 0; victims cascade down (each written to the next level's
    /// tier at `ctx.now()`, off the critical path); the last level's are dropped.
    fn insert_top(&mut self, key: u64, ctx: &mut Ctx) {
        let req = self.req(key);
        self.evicted.clear();
        self.levels[0].policy.insert(&req, &mut self.evicted);
        for l in 1..self.levels.len() {
            if self.evicted.is_empty() {
                return;
            }
            std::mem::swap(&mut self.evicted, &mut self.spill);
            self.evicted.clear();
            let mut bytes = 0;
            for v in self.spill.iter() {
                let r = Request {
                    id: v.id,
                    size: v.size,
                    ..req
                };
                self.levels[l].policy.insert(&r, &mut self.evicted);
                bytes += v.size as u64;
            }
            self.levels[l].bytes_demoted += bytes;
            ctx.pinned(self.levels[l].tier, Op::Write, bytes, true);
        }
    }

    /// Looks up a prompt's blocks from the start (at most `(prompt - 1) / block_tokens`:
    /// the last prompt token is always computed); loads the hits found below level 0
    /// (one sequential read per level, all started now) and promotes them. Returns
    /// (tokens covered, when their KV is in accelerator memory).
    pub fn lookup(
        &mut self,
        owners: &Owners,
        prompt: u64,
        block_tokens: u64,
        ctx: &mut Ctx,
    ) -> (u64, crate::engine::Time) {
        self.lookups += 1;
        self.prompt_tokens += prompt;
        // First where each block is, and the loads (started now, before the
        // promotions' demotion writes queue behind them).
        let mut blocks = 0;
        for b in 0..prompt.saturating_sub(1) / block_tokens {
            let Some(l) = self.level_of(self.key(owners, b)) else {
                break;
            };
            self.levels[l].hits += 1;
            self.pending[l] += self.block_bytes as u64;
            blocks += 1;
        }
        let mut ready = ctx.now();
        self.pending[0] = 0;
        for l in 1..self.levels.len() {
            let bytes = std::mem::take(&mut self.pending[l]);
            if bytes > 0 {
                self.levels[l].bytes_loaded += bytes;
                ready = ready.max(ctx.pinned(self.levels[l].tier, Op::Read, bytes, true));
            }
        }
        // Then the blocks move to level 0 (or are touched there).
        for b in 0..blocks {
            let key = self.key(owners, b);
            match self.level_of(key) {
                Some(0) => {
                    let req = self.req(key);
                    self.evicted.clear();
                    self.levels[0].policy.access(&req, &mut self.evicted);
                }
                Some(l) => {
                    self.levels[l].policy.remove(key);
                    self.insert_top(key, ctx);
                }
                // Pushed out of the last level by this lookup's own promotions.
                None => self.insert_top(key, ctx),
            }
        }
        self.hit_tokens += blocks * block_tokens;
        (blocks * block_tokens, ready)
    }

    /// Stores the full blocks `from..to` of a request's context (those not cached yet).
    pub fn store(&mut self, owners: &Owners, from: u64, to: u64, ctx: &mut Ctx) {
        for b in from..to {
            let key = self.key(owners, b);
            if self.level_of(key).is_none() {
                self.insert_top(key, ctx);
            }
        }
    }

    /// The summary's `prefix_cache` object.
    pub fn summary(&self) -> serde_json::Value {
        let levels: Vec<_> = self
            .levels
            .iter()
            .zip(&self.names)
            .map(|(l, n)| {
                serde_json::json!({
                    "tier": n,
                    "hit_blocks": l.hits,
                    "bytes_loaded": l.bytes_loaded,
                    "bytes_demoted_in": l.bytes_demoted,
                    "blocks_held": l.policy.len(),
                })
            })
            .collect();
        serde_json::json!({
            "lookups": self.lookups,
            "prompt_tokens": self.prompt_tokens,
            "hit_tokens": self.hit_tokens,
            "hit_ratio": if self.prompt_tokens > 0 { self.hit_tokens as f64 / self.prompt_tokens as f64 } else { 0.0 },
            "levels": levels,
        })
    }
}
