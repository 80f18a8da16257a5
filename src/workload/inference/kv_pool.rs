//! KV-cache swapping (vLLM semantics; Kwon et al., SOSP'23): the accelerator's KV
//! cache is a pool of `gpu_blocks` blocks of `kv_block_tokens` tokens. A request holds
//! ceil(KV tokens / block tokens) blocks; each decode step needs room for one more
//! token. Scheduling is FCFS: running requests reserve their next block oldest first,
//! and when the pool is empty the most recently arrived running request is preempted
//! (repeatedly, possibly the requester itself). `preemption = "swap"` writes the
//! victim's blocks to the swap tier (host DRAM) over its link, device to host, and
//! reads them back (host to device) before it resumes; when `swap_space` is full the
//! victim is recomputed instead. `preemption = "recompute"` drops the blocks: the
//! request re-prefills its prompt and generated tokens when it resumes. Swapped
//! requests resume first (FCFS), and no new request is admitted while any is swapped
//! out; none swaps in in an iteration that preempted. Swaps delay the iteration that
//! issues them (vLLM copies before the model runs).

use super::{err, Inference};
use crate::config::units::Bytes;
use crate::config::ConfigError;
use crate::engine::Time;
use crate::metrics::HistId;
use crate::sim::Ctx;
use crate::trace::Op;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// `[workload.kv_pool]`: absent, the KV cache is unbounded (no preemption).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PoolParams {
    /// KV blocks in GPU memory (vLLM's `num_gpu_blocks_override`).
    pub gpu_blocks: Option<u64>,
    /// Instead of `gpu_blocks`: GPU memory size and the fraction of it vLLM may use;
    /// the pool is what remains after the weights.
    pub gpu_memory: Option<Bytes>,
    pub gpu_memory_utilization: Option<f64>,
    /// `"recompute"` (vLLM's default for single sequences) or `"swap"`.
    #[serde(default = "recompute")]
    pub preemption: String,
    /// Host swap space (vLLM's `swap_space`, 4 GiB per GPU by default).
    #[serde(default = "four_gib")]
    pub swap_space: Bytes,
    /// The `[[tiers]]` name of the swap space (host DRAM behind the GPU's link).
    pub swap_tier: Option<String>,
}

fn recompute() -> String {
    "recompute".into()
}
fn four_gib() -> Bytes {
    Bytes(4 << 30)
}

/// The block pool, the swap space and the swapped-out queue.
pub struct KvPool {
    block_tokens: u64,
    block_bytes: u64,
    pub total: u64,
    pub free: u64,
    swap: bool,
    swap_tier: usize,
    swap_total: u64,
    swap_free: u64,
    /// Swapped-out requests, by arrival.
    pub swapped: VecDeque<usize>,
    /// Swap-out and swap-in durations.
    pub hists: Option<[HistId; 2]>,
    key: &'static str,
    preemptions: u64,
    swaps_out: u64,
    swaps_in: u64,
    blocks_out: u64,
    blocks_in: u64,
    recompute_preemptions: u64,
    swap_full: u64,
    pub recomputed_tokens: u64,
    pub rejected: u64,
    peak_used: u64,
}

impl KvPool {
    /// The pool for blocks of `block_bytes`; `weight_bytes` come off `gpu_memory`.
    pub fn new(
        p: &PoolParams,
        tiers: &[String],
        block_tokens: u64,
        block_bytes: u64,
        weight_bytes: u64,
    ) -> Result<Self, ConfigError> {
        let (total, key) = match (p.gpu_blocks, p.gpu_memory, p.gpu_memory_utilization) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(err(
                    "kv_pool.gpu_blocks",
                    "give either gpu_blocks or gpu_memory with gpu_memory_utilization, not both",
                ))
            }
            (Some(n), None, None) => (n, "kv_pool.gpu_blocks"),
            (None, Some(mem), util) => {
                let util = util.unwrap_or(0.9);
                if !(util > 0.0 && util <= 1.0) {
                    return Err(err(
                        "kv_pool.gpu_memory_utilization",
                        "must be in (0, 1]",
                    ));
                }
                let usable = (mem.0 as f64 * util) as u64;
                let left = usable.checked_sub(weight_bytes).ok_or_else(|| {
                    err(
                        "kv_pool.gpu_memory",
                        format!(
                            "{usable} B usable (x gpu_memory_utilization) do not hold the {weight_bytes} B of weights"
                        ),
                    )
                })?;
                (left / block_bytes, "kv_pool.gpu_memory")
            }
            (None, None, _) => {
                return Err(err(
                    "kv_pool.gpu_blocks",
                    "missing: give gpu_blocks (KV blocks in GPU memory) or gpu_memory (and gpu_memory_utilization)",
                ))
            }
        };
        if total == 0 || total > 1 << 40 {
            return Err(err(key, "the pool must hold between 1 and 2^40 KV blocks"));
        }
        let swap = match p.preemption.as_str() {
            "swap" => true,
            "recompute" => false,
            other => {
                return Err(err(
                    "kv_pool.preemption",
                    format!("unknown preemption mode '{other}'; known: swap, recompute"),
                ))
            }
        };
        let swap_tier = match (&p.swap_tier, swap) {
            (Some(name), _) => tiers.iter().position(|t| t == name).ok_or_else(|| {
                err(
                    "kv_pool.swap_tier",
                    format!("no [[tiers]] entry named '{name}'"),
                )
            })?,
            (None, true) => {
                return Err(err(
                    "kv_pool.swap_tier",
                    "missing: the [[tiers]] name of the host swap space (e.g. \"dram\")",
                ))
            }
            (None, false) => 0,
        };
        let swap_total = p.swap_space.0 / block_bytes;
        Ok(KvPool {
            block_tokens,
            block_bytes,
            total,
            free: total,
            swap,
            swap_tier,
            swap_total,
            swap_free: swap_total,
            swapped: VecDeque::new(),
            hists: None,
            key,
            preemptions: 0,
            swaps_out: 0,
            swaps_in: 0,
            blocks_out: 0,
            blocks_in: 0,
            recompute_preemptions: 0,
            swap_full: 0,
            recomputed_tokens: 0,
            rejected: 0,
            peak_used: 0,
        })
    }

    /// Blocks that hold `tokens` tokens of KV.
    pub fn blocks_for(&self, tokens: u64) -> u64 {
        tokens.div_ceil(self.block_tokens)
    }

    /// An error unless a request of `tokens` KV tokens fits the pool alone.
    pub fn check_fits(&self, tokens: u64) -> Result<(), ConfigError> {
        let need = self.blocks_for(tokens);
        if need > self.total {
            return Err(err(
                self.key,
                format!(
                    "the pool holds {} KV blocks; the longest request (prompt + output - 1 = {tokens} tokens) needs {need}",
                    self.total
                ),
            ));
        }
        Ok(())
    }

    fn take(&mut self, blocks: u64) {
        self.free -= blocks;
        self.peak_used = self.peak_used.max(self.total - self.free);
    }

    /// The summary's `kv_pool` object.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "preemption": if self.swap { "swap" } else { "recompute" },
            "gpu_blocks": self.total,
            "swap_blocks": self.swap_total,
            "peak_blocks_used": self.peak_used,
            "preemptions": self.preemptions,
            "swaps_out": self.swaps_out,
            "swaps_in": self.swaps_in,
            "blocks_swapped_out": self.blocks_out,
            "blocks_swapped_in": self.blocks_in,
            "bytes_swapped_out": self.blocks_out * self.block_bytes,
            "bytes_swapped_in": self.blocks_in * self.block_bytes,
            "recompute_preemptions": self.recompute_preemptions,
            "swap_space_full": self.swap_full,
            "recomputed_tokens": self.recomputed_tokens,
            "rejected": self.rejected,
        })
    }
}

/// Inserts `r` into `queue` kept in arrival (index) order.
fn insert_by_arrival(queue: &mut VecDeque<usize>, r: usize) {
    let at = queue.partition_point(|&x| x < r);
    queue.insert(at, r);
}

impl Inference {
    /// The pool's scheduling step at an iteration's start: reserves the running
    /// requests' next blocks (preempting as needed), swaps in, then admits. Swaps are
    /// charged now; `last` becomes the latest's end. Returns the requests admitted (at
    /// the end of `active`: they prefill).
    pub(super) fn schedule_with_pool(&mut self, ctx: &mut Ctx, last: &mut Time) -> usize {
        let now = ctx.now();
        // Oldest first; victims are the newest.
        self.active.sort_unstable();
        let mut preempted = false;
        let mut i = 0;
        while i < self.active.len() {
            let r = self.active[i];
            let pool = self.pool.as_ref().expect("pool on");
            let q = &self.reqs[r];
            let need = pool
                .blocks_for(q.kv_tokens + 1)
                .saturating_sub(q.blocks_held);
            while need > self.pool.as_ref().expect("pool on").free {
                let v = self.active.pop().expect("r is running");
                self.preempt(v, ctx, last);
                preempted = true;
                if v == r {
                    break;
                }
            }
            if self.active.get(i) == Some(&r) {
                self.pool.as_mut().expect("pool on").take(need);
                self.reqs[r].blocks_held += need;
                i += 1;
            }
        }
        let max_batch = self.p.max_batch as usize;
        let pool = self.pool.as_mut().expect("pool on");
        while !preempted && self.active.len() < max_batch {
            let Some(&r) = pool.swapped.front() else {
                break;
            };
            let q = &mut self.reqs[r];
            let need = pool.blocks_for(q.kv_tokens + 1);
            if need > pool.free {
                break;
            }
            pool.swapped.pop_front();
            pool.take(need);
            q.blocks_held = need;
            pool.swap_free += q.swap_blocks;
            pool.swaps_in += 1;
            pool.blocks_in += q.swap_blocks;
            let bytes = q.swap_blocks * pool.block_bytes;
            q.swap_blocks = 0;
            let done = ctx.pinned(pool.swap_tier, Op::Read, bytes, true);
            if let Some([_, h_in]) = pool.hists {
                ctx.record(h_in, done - now);
            }
            *last = (*last).max(done);
            self.active.push(r);
        }
        let mut admitted = 0;
        while pool.swapped.is_empty() && self.active.len() < max_batch {
            let Some(&r) = self.queue.front() else {
                break;
            };
            let q = &mut self.reqs[r];
            let need = pool.blocks_for(q.prompt + q.generated);
            if need > pool.free {
                break;
            }
            self.queue.pop_front();
            pool.take(need);
            q.blocks_held = need;
            if q.generated > 0 {
                pool.recomputed_tokens += q.prompt + q.generated;
            }
            self.active.push(r);
            admitted += 1;
        }
        admitted
    }

    /// Preempts running request `v` (already out of `active`): swaps its blocks out
    /// (charged now; `last` covers it) or drops them for a recompute.
    fn preempt(&mut self, v: usize, ctx: &mut Ctx, last: &mut Time) {
        let pool = self.pool.as_mut().expect("pool on");
        let q = &mut self.reqs[v];
        let blocks = std::mem::take(&mut q.blocks_held);
        pool.free += blocks;
        pool.preemptions += 1;
        if pool.swap && blocks <= pool.swap_free {
            pool.swap_free -= blocks;
            pool.swaps_out += 1;
            pool.blocks_out += blocks;
            q.swap_blocks = blocks;
            let now = ctx.now();
            let done = ctx.pinned(pool.swap_tier, Op::Write, blocks * pool.block_bytes, true);
            if let Some([h_out, _]) = pool.hists {
                ctx.record(h_out, done - now);
            }
            *last = (*last).max(done);
            insert_by_arrival(&mut pool.swapped, v);
            return;
        }
        pool.swap_full += u64::from(pool.swap);
        pool.recompute_preemptions += 1;
        let written = std::mem::take(&mut q.blocks_written);
        q.kv_tokens = 0;
        for b in 0..written {
            ctx.discard(self.kv_id(v, b));
        }
        insert_by_arrival(&mut self.queue, v);
    }

    /// Returns a finished request's blocks to the pool.
    pub(super) fn release_blocks(&mut self, r: usize) {
        if let Some(pool) = &mut self.pool {
            pool.free += std::mem::take(&mut self.reqs[r].blocks_held);
        }
    }
}
