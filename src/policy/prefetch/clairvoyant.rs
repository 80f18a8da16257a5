//! Clairvoyant prefetching after NoPFS (Dryden et al., SC'21; REFERENCES.md s3): the
//! sampler's seed gives every future access, so before the run it counts how often
//! each sample will be read and when first; tiers are filled fastest first with the
//! most-read samples (ties: earlier first access first), and within a tier samples are
//! loaded in order of first access, `loads_per_access` per access, in the background.
//! A staging buffer of `staging` bytes in the fastest tier holds the next samples not
//! placed there, filled in exact access order as far ahead as it has room, and each
//! staged copy is dropped once consumed. Placement mode: a miss fills nothing; only
//! this prefetcher decides contents, so the tiers' eviction policies never evict.
//! Parameters: `staging` (bytes, default 1/8 of the fastest tier), `loads_per_access`
//! (default 2: loaders run ahead of consumption), `lookahead` (at most this many
//! future accesses tracked, default 65,536). Needs a workload exposing its future
//! accesses (`Workload::future_accesses`, e.g. training).
//!
//! Reads that come out of the sequence's order (loader workers and ranks finishing
//! in a timing-dependent order, or reading sample by sample side by side) are matched
//! lazily: a read that is not the cursor's next access is counted (`mismatches`) and
//! remembered, and the cursor consumes that entry when it reaches it, so the window
//! never stalls behind a read that already happened (its staged copy is dropped
//! then). A read of a staged sample hits whatever its order; a read beyond the window
//! misses. If more than `lookahead` reads are outstanding ahead of the cursor, the
//! cursor gives up on its next entry (`skipped`); reads not in the sequence at all
//! (e.g. batches a loader fetched past the job's last iteration) stay `unmatched`.

use super::{params, BuildCtx, FutureAccesses, Prefetcher};
use crate::config::{Bytes, ConfigError};
use crate::engine::Time;
use crate::hierarchy::Hierarchy;
use crate::policy::hash::{IdMap, IdSet};
use crate::registry::ComponentParams;
use crate::trace::Request;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// The clairvoyant prefetcher's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClairvoyantParams {
    /// Staging buffer in the fastest tier, bytes, at most its capacity; default
    /// (when absent) 1/8 of the fastest tier's capacity.
    pub staging: Option<Bytes>,
    /// Background loads issued per access, >= 1; default 2.
    #[serde(default = "two")]
    pub loads_per_access: usize,
    /// Future accesses tracked at most (0 counts as 1); default 65,536.
    #[serde(default = "lookahead")]
    pub lookahead: usize,
}

impl ComponentParams for ClairvoyantParams {
    fn check(&self) -> Result<(), ConfigError> {
        if self.loads_per_access == 0 {
            return Err(ConfigError::new("loads_per_access", "must be at least 1"));
        }
        Ok(())
    }
}

fn two() -> usize {
    2
}
fn lookahead() -> usize {
    65_536
}

/// See the module doc.
pub struct Clairvoyant {
    /// Per tier above the home: samples still to load, in first-access order.
    plan: Vec<VecDeque<(u64, u32)>>,
    /// Samples placed in tier 0 (never staged, never dropped).
    placed0: IdSet,
    loads_per_access: usize,
    staging: u64,
    lookahead: usize,
    future: std::iter::Peekable<Box<dyn Iterator<Item = (u64, u32)> + Send>>,
    /// The next accesses, in order: (id, size, staged copy?).
    window: VecDeque<(u64, u32, bool)>,
    /// Staged copies in tier 0 and their pending uses in the window.
    staged: IdMap<u32>,
    staged_bytes: u64,
    placed: Vec<u64>,
    loads: u64,
    staged_fills: u64,
    mismatches: u64,
    /// Reads that came before the cursor reached them: count per sample, and total.
    early: IdMap<u32>,
    early_total: usize,
    skipped: u64,
}

pub fn build(params_: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Prefetcher>, ConfigError> {
    let p: ClairvoyantParams = params(params_)?;
    let Some(future) = ctx.future else {
        return Err(ConfigError::new(
            "prefetch.kind",
            "'clairvoyant' needs a workload that exposes its future accesses (a training \
             job's sampler); this workload does not: use 'next-n' or 'none'",
        ));
    };
    if ctx.capacities.is_empty() {
        return Err(ConfigError::new(
            "prefetch.kind",
            "'clairvoyant' needs at least one tier above the home tier",
        ));
    }
    let staging = p.staging.map_or(ctx.capacities[0] / 8, |b| b.0);
    if staging > ctx.capacities[0] {
        return Err(ConfigError::new(
            "prefetch.staging",
            "larger than the fastest tier's capacity",
        ));
    }
    Ok(Box::new(Clairvoyant::new(
        future,
        &ctx.capacities,
        staging,
        p.loads_per_access,
        p.lookahead.max(1),
    )))
}

impl Clairvoyant {
    /// Plans placement over `capacities` (tiers above the home, fastest first) from
    /// one pass over `future`, then keeps a second pass as the access cursor.
    pub fn new(
        future: &dyn FutureAccesses,
        capacities: &[u64],
        staging: u64,
        loads_per_access: usize,
        lookahead: usize,
    ) -> Self {
        // (count, first access, size) per sample.
        let mut seen: IdMap<(u64, u64, u32)> = IdMap::default();
        for (i, (id, size)) in future.future_accesses().enumerate() {
            let e = seen.entry(id).or_insert((0, i as u64, size));
            e.0 += 1;
        }
        let mut order: Vec<(u64, u64, u64, u32)> = seen
            .into_iter()
            .map(|(id, (c, f, s))| (c, f, id, s))
            .collect();
        order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut plan = vec![Vec::new(); capacities.len()];
        let mut budget: Vec<u64> = capacities.to_vec();
        budget[0] -= staging.min(budget[0]);
        for &(_, first, id, size) in &order {
            // The fastest tier with room left.
            if let Some(k) = (0..budget.len()).find(|&k| budget[k] >= size as u64) {
                budget[k] -= size as u64;
                plan[k].push((first, id, size));
            }
        }
        let placed = plan.iter().map(|v| v.len() as u64).collect();
        let placed0 = plan[0].iter().map(|&(_, id, _)| id).collect();
        let plan = plan
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.into_iter().map(|(_, id, s)| (id, s)).collect()
            })
            .collect();
        Clairvoyant {
            plan,
            placed0,
            loads_per_access,
            staging,
            lookahead,
            future: future.future_accesses().peekable(),
            window: VecDeque::new(),
            staged: IdMap::default(),
            staged_bytes: 0,
            placed,
            loads: 0,
            staged_fills: 0,
            mismatches: 0,
            early: IdMap::default(),
            early_total: 0,
            skipped: 0,
        }
    }

    /// Extends the window in access order while the staging buffer has room.
    fn refill(&mut self, now: Time, hier: &mut Hierarchy) {
        while self.window.len() < self.lookahead {
            let Some(&(id, size)) = self.future.peek() else {
                break;
            };
            let in_fast = hier.holds(0, id);
            if self.placed0.contains(&id) {
                if !in_fast && hier.prefetch(now, id, size, 0).is_some() {
                    self.loads += 1; // a placed sample needed before its turn
                }
                self.window.push_back((id, size, false));
            } else if let Some(uses) = self.staged.get_mut(&id) {
                *uses += 1;
                self.window.push_back((id, size, true));
            } else if in_fast {
                self.window.push_back((id, size, false));
            } else {
                if self.staged_bytes + size as u64 > self.staging {
                    break;
                }
                if hier.prefetch(now, id, size, 0).is_some() {
                    self.staged_bytes += size as u64;
                    self.staged.insert(id, 1);
                    self.staged_fills += 1;
                    self.window.push_back((id, size, true));
                } else {
                    self.window.push_back((id, size, false));
                }
            }
            self.future.next();
        }
    }
}

impl Clairvoyant {
    /// The cursor's next access happened: pop it, dropping its staged copy after the
    /// last pending use.
    fn consume_front(&mut self, now: Time, hier: &mut Hierarchy) {
        let Some((id, size, staged)) = self.window.pop_front() else {
            return;
        };
        if staged {
            let uses = self.staged.get_mut(&id).expect("staged copies are counted");
            *uses -= 1;
            if *uses == 0 {
                self.staged.remove(&id);
                self.staged_bytes -= size as u64;
                hier.drop_copy(now, 0, id);
            }
        }
    }

    /// Consumes entries at the cursor that were read early; gives up on the cursor's
    /// entry while more than `lookahead` early reads are outstanding.
    fn settle(&mut self, now: Time, hier: &mut Hierarchy) {
        while let Some(&(id, _, _)) = self.window.front() {
            if let Some(c) = self.early.get_mut(&id) {
                *c -= 1;
                if *c == 0 {
                    self.early.remove(&id);
                }
                self.early_total -= 1;
            } else if self.early_total > self.lookahead {
                self.skipped += 1;
            } else {
                break;
            }
            self.consume_front(now, hier);
        }
    }
}

impl Prefetcher for Clairvoyant {
    fn name(&self) -> &'static str {
        "clairvoyant"
    }

    fn places(&self) -> bool {
        true
    }

    fn after_access(&mut self, now: Time, req: &Request, _tier: usize, hier: &mut Hierarchy) {
        if self.window.is_empty() {
            self.refill(now, hier);
            if self.window.is_empty() {
                // A sequence with no room to stage: advance the cursor directly.
                if let Some(&(id, size)) = self.future.peek() {
                    self.window.push_back((id, size, false));
                    self.future.next();
                }
            }
        }
        if self.window.front().is_some_and(|e| e.0 == req.id) {
            self.consume_front(now, hier);
        } else {
            // Out of order: remembered until the cursor reaches the entry.
            self.mismatches += 1;
            *self.early.entry(req.id).or_insert(0) += 1;
            self.early_total += 1;
        }
        if !self.early.is_empty() {
            self.settle(now, hier);
        }
        // Background loaders: placed samples in first-access order, fastest tier first.
        let mut budget = self.loads_per_access;
        for t in 0..self.plan.len() {
            while budget > 0 {
                let Some((id, size)) = self.plan[t].pop_front() else {
                    break;
                };
                if hier.prefetch(now, id, size, t).is_some() {
                    self.loads += 1;
                    budget -= 1;
                }
            }
        }
        self.refill(now, hier);
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": "clairvoyant",
            "placed_per_tier": self.placed,
            "staging_bytes": self.staging,
            "loads": self.loads,
            "staged_fills": self.staged_fills,
            "mismatches": self.mismatches,
            "unmatched": self.early_total,
            "skipped": self.skipped,
        })
    }
}
