//! Migration over N tiers: one instance of a two-tier policy per adjacent pair of
//! tiers (DRAM over CXL over Optane PMM: a DRAM/CXL instance and a CXL/PMM instance),
//! each seeing its pair through a [`TierPair`]. Pages climb and sink one tier at a
//! time; each pair's promotions, demotions and bytes are reported on their own.
//!
//! - First touch: the top pair decides; a page it sends to its slow side is offered to
//!   the next pair's fast side, and so on (DRAM while it has room, then CXL, ...).
//! - Observation: an access served by tier k is seen by the pair above k (as a slow
//!   access) and the pair below k (as a fast access).
//! - Daemons: each pair runs its own daemon (one thread per pair, like one kswapd per
//!   node): a tick that overran its period delays that pair's next tick. Pairs due at
//!   the same time tick bottom-up, so a lower tier makes room before the one above
//!   demotes into it.

use super::{MigrationPolicy, MigrationStats, Tick, FAST};
use crate::engine::Time;
use crate::hierarchy::{Hierarchy, TierPair};
use crate::trace::Op;

/// The policies of every adjacent pair of a hierarchy. See the module doc.
pub struct PerPair {
    /// `pairs[u]` manages tiers `u` (fast) and `u + 1` (slow).
    pairs: Vec<Box<dyn MigrationPolicy>>,
    /// When each pair's daemon runs next (absolute), None when it has stopped.
    due: Vec<Option<Time>>,
    /// (upper, lower) tier names of each pair, for the summary.
    names: Vec<(String, String)>,
}

impl PerPair {
    /// One policy per pair, fastest pair first; `tiers` names every tier.
    pub fn new(pairs: Vec<Box<dyn MigrationPolicy>>, tiers: &[String]) -> Self {
        assert_eq!(pairs.len() + 1, tiers.len(), "one policy per adjacent pair");
        let names = tiers
            .windows(2)
            .map(|w| (w[0].clone(), w[1].clone()))
            .collect();
        let due = pairs.iter().map(|p| p.first_tick()).collect();
        PerPair { pairs, due, names }
    }

    /// The tier a page touched for the first time goes to (see the module doc).
    pub fn allocate(&mut self, now: Time, page: u64, size: u32, hier: &mut Hierarchy) -> usize {
        for (u, p) in self.pairs.iter_mut().enumerate() {
            if p.allocate(now, page, size, &TierPair::new(hier, u)) == FAST {
                return u;
            }
        }
        self.pairs.len()
    }

    /// Shows an access served by `tier` to the pairs it belongs to; returns the extra
    /// latency they charge it.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        now: Time,
        page: u64,
        size: u32,
        op: Op,
        tier: usize,
        hier: &mut Hierarchy,
    ) -> Time {
        let mut extra = 0;
        for u in tier.saturating_sub(1)..=tier.min(self.pairs.len() - 1) {
            let mut view = TierPair::new(hier, u);
            if let Some(side) = view.side_of(tier) {
                extra += self.pairs[u].observe(now, page, size, op, side, &mut view);
            }
        }
        extra
    }

    /// Delay from the start of the run to the first tick of any pair.
    pub fn first_tick(&self) -> Option<Time> {
        self.due.iter().flatten().min().copied()
    }

    /// Runs every pair due at `now` (bottom-up); returns the delay to the next tick
    /// of any pair, None once every daemon has stopped.
    pub fn tick(&mut self, now: Time, hier: &mut Hierarchy) -> Option<Time> {
        for u in (0..self.pairs.len()).rev() {
            if self.due[u].is_some_and(|d| d <= now) {
                let Tick { next, busy } = self.pairs[u].tick(now, &mut TierPair::new(hier, u));
                self.due[u] = next.map(|p| now.saturating_add(p.max(busy)));
            }
        }
        self.first_tick().map(|d| d - now)
    }

    /// summary.json's `"migration"`: the counters summed over pairs (for one pair, the
    /// policy's own summary) and `pairs`, each pair's summary with its tier names.
    pub fn summary(&self) -> serde_json::Value {
        let per: Vec<serde_json::Value> = self
            .pairs
            .iter()
            .zip(&self.names)
            .map(|(p, (upper, lower))| {
                let mut v = serde_json::json!({ "upper": upper, "lower": lower });
                if let (Some(m), serde_json::Value::Object(s)) = (v.as_object_mut(), p.summary()) {
                    m.extend(s);
                }
                v
            })
            .collect();
        let mut top = if self.pairs.len() == 1 {
            self.pairs[0].summary()
        } else {
            let mut total = MigrationStats::default();
            for p in &self.pairs {
                total.add(p.stats());
            }
            total.json(self.pairs[0].name())
        };
        top["pairs"] = per.into();
        top
    }
}
