//! One adjacent pair of tiers as a migration policy sees it: the upper (faster) tier
//! is side [`FAST`] (0), the one below it side [`SLOW`] (1). A policy written for
//! two tiers (HeMem, Memtis, ...) runs unchanged on any hierarchy: the data path gives
//! each adjacent pair its own policy instance and its own view.
//!
//! A page may have left the pair since the policy last saw it (the pair below demoted
//! it further, or an eviction pushed it down): [`TierPair::migrate`] moves a page only
//! from where it really is, so a stale request is declined, never charged.

use super::Hierarchy;
use crate::device::DeviceModel;
use crate::engine::Time;

/// The fast side of a [`TierPair`] (its upper tier).
pub const FAST: usize = 0;
/// The slow side of a [`TierPair`] (the tier below).
pub const SLOW: usize = 1;

/// The pair (`upper`, `upper + 1`) of a hierarchy. See the module doc.
pub struct TierPair<'a> {
    hier: &'a mut Hierarchy,
    upper: usize,
}

impl<'a> TierPair<'a> {
    /// The pair whose fast tier is `upper` (`upper + 1` must be a tier).
    pub fn new(hier: &'a mut Hierarchy, upper: usize) -> Self {
        assert!(upper + 1 < hier.tiers.len(), "a pair needs a tier below");
        TierPair { hier, upper }
    }

    /// The hierarchy index of `side` ([`FAST`] or [`SLOW`]).
    #[inline]
    pub fn index(&self, side: usize) -> usize {
        self.upper + side
    }

    /// The side an access served by hierarchy tier `tier` belongs to, if either.
    #[inline]
    pub fn side_of(&self, tier: usize) -> Option<usize> {
        tier.checked_sub(self.upper).filter(|&s| s <= SLOW)
    }

    /// Free bytes in the fast tier.
    #[inline]
    pub fn fast_free(&self) -> u64 {
        self.hier.tiers[self.upper]
            .cache
            .as_ref()
            .map_or(0, |c| c.capacity().saturating_sub(c.used()))
    }

    /// Capacity of the fast tier in bytes.
    #[inline]
    pub fn fast_capacity(&self) -> u64 {
        self.hier.tiers[self.upper]
            .cache
            .as_ref()
            .map_or(0, |c| c.capacity())
    }

    /// Which side holds `page`, or None when it is elsewhere (above or below the pair).
    pub fn locate(&self, page: u64) -> Option<usize> {
        self.side_of(self.hier.locate(page))
    }

    /// The device of `side` (its counters and spec).
    pub fn device(&self, side: usize) -> &dyn DeviceModel {
        self.hier.tiers[self.index(side)].device.as_ref()
    }

    /// Moves `page` from side `from` to the other side at `t` through the hierarchy (a read
    /// there, a write here, victims settled; during a daemon tick the copy is queued
    /// for the mover, `cost` its OS time). Returns when the data is done (`t` when
    /// queued), or None (nothing charged) when the page is not on `from` any more.
    pub fn migrate(
        &mut self,
        t: Time,
        page: u64,
        size: u32,
        from: usize,
        cost: Time,
    ) -> Option<Time> {
        if self.locate(page) != Some(from) {
            return None;
        }
        let to = SLOW - from;
        Some(
            self.hier
                .migrate(t, page, size, self.index(from), self.index(to), cost),
        )
    }
}
