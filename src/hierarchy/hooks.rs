//! The engine hooks of the hierarchy: a migration policy and a prefetcher.
//!
//! With neither installed, [`Hierarchy::access`] costs one never-taken branch. With a
//! migration policy (two tiers), or a prefetcher that places data itself (clairvoyant),
//! the hierarchy runs in *placement mode*: an access is served by the fastest tier
//! holding the object and fills nothing on a miss; only the policy moves data
//! ([`Hierarchy::migrate`], [`Hierarchy::prefetch`], [`Hierarchy::drop_copy`]). A page
//! touched for the first time is allocated where the migration policy says, without
//! traffic (a zero-filled page). The fast tier's eviction policy is then only a
//! residency set: policies make room before they move a page in; if one does not, the
//! eviction policy picks the victim and it is written to the slow tier (migration
//! runs the hierarchy exclusive: one copy of each page).
//!
//! Order per access: serve (placement or cache path), then `observe` (the migration
//! policy; its extra latency, e.g. a hint fault, is added), then the prefetcher's
//! `after_access`. A hit on a prefetched copy waits until that copy's fill is done.

use super::{Access, Hierarchy};
use crate::engine::Time;
use crate::policy::hash::IdSet;
use crate::policy::migration::{MigrationPolicy, Tick};
use crate::policy::prefetch::Prefetcher;
use crate::trace::{Op, Request};

/// The installed policies.
#[derive(Default)]
pub struct Hooks {
    pub migration: Option<Box<dyn MigrationPolicy>>,
    pub prefetch: Option<Box<dyn Prefetcher>>,
    /// Placement mode: no demand fills.
    pub placement: bool,
    /// Every page touched so far that first-touch allocation has seen.
    allocated: IdSet,
}

impl Hierarchy {
    /// Installs a migration policy: the hierarchy switches to placement mode.
    pub fn set_migration(&mut self, policy: Box<dyn MigrationPolicy>) {
        let h = self.hooks.get_or_insert_with(Default::default);
        h.migration = Some(policy);
        h.placement = true;
    }

    /// Installs a prefetcher (placement mode if it places data itself).
    pub fn set_prefetch(&mut self, prefetcher: Box<dyn Prefetcher>) {
        let h = self.hooks.get_or_insert_with(Default::default);
        h.placement |= prefetcher.places();
        h.prefetch = Some(prefetcher);
    }

    /// The installed hooks, if any.
    pub fn hooks(&self) -> Option<&Hooks> {
        self.hooks.as_deref()
    }

    /// Delay to the migration daemon's first tick, if a policy with a daemon is set.
    pub fn migration_first_tick(&self) -> Option<Time> {
        self.hooks.as_ref()?.migration.as_ref()?.first_tick()
    }

    /// Runs the migration daemon at `now`; returns the delay to its next tick.
    pub fn migration_tick(&mut self, now: Time) -> Option<Time> {
        let mut h = self.hooks.take()?;
        let tick = h.migration.as_mut().map(|m| m.tick(now, self));
        self.hooks = Some(h);
        let Tick { next, busy } = tick?;
        // One daemon thread: a tick that overran its period delays the next one.
        next.map(|p| p.max(busy))
    }

    /// summary.json entries of the installed policies.
    pub fn hooks_summary(&self) -> Vec<(&'static str, serde_json::Value)> {
        let mut v = Vec::new();
        if let Some(h) = &self.hooks {
            if let Some(m) = &h.migration {
                v.push(("migration", m.summary()));
            }
            if let Some(p) = &h.prefetch {
                v.push(("prefetch", p.summary()));
            }
        }
        v
    }

    #[inline(never)]
    pub(super) fn hooked_access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        let mut h = self.hooks.take().expect("checked by the caller");
        let mut a = if h.placement {
            let Hooks {
                migration,
                allocated,
                ..
            } = &mut *h;
            let m = migration
                .as_mut()
                .map(|m| m.as_mut() as &mut dyn MigrationPolicy);
            self.placed_access(now, req, sequential, m, allocated)
        } else {
            self.cached_access(now, req, sequential)
        };
        if !self.ready.is_empty() && a.tier < self.home() {
            if let Some(r) = self.ready.remove(&req.id) {
                a.done = a.done.max(r);
            }
        }
        if let Some(p) = h.prefetch.as_mut() {
            p.after_access(now, req, a.tier, self);
        }
        self.hooks = Some(h);
        a
    }

    /// One access in placement mode observed by `policy` (the engine's path when a
    /// migration policy is installed; public so tests can drive a policy they hold).
    pub fn access_migrating(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        policy: &mut dyn MigrationPolicy,
    ) -> Access {
        let mut allocated =
            std::mem::take(&mut self.hooks.get_or_insert_with(Default::default).allocated);
        let a = self.placed_access(now, req, sequential, Some(policy), &mut allocated);
        if let Some(h) = self.hooks.as_mut() {
            h.allocated = allocated;
        }
        a
    }

    fn placed_access(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        policy: Option<&mut dyn MigrationPolicy>,
        allocated: &mut IdSet,
    ) -> Access {
        let home = self.home();
        let mut k = home;
        for i in 0..home {
            if self.tiers[i].cache.as_mut().is_some_and(|c| c.lookup(req)) {
                k = i;
                break;
            }
        }
        let Some(policy) = policy else {
            return self.serve(now, req, sequential, k);
        };
        // Only accesses that miss every faster tier consult the set of touched pages.
        if k == home && allocated.insert(req.id) {
            let t = policy.allocate(now, req.id, req.size, self);
            if t < home && self.place(t, req) {
                k = t;
            }
        }
        let mut a = self.serve(now, req, sequential, k);
        a.done += policy.observe(now, req.id, req.size, req.op, k, self);
        a
    }

    /// Serves `req` from tier `k` with the hit and miss counters of the tiers above.
    fn serve(&mut self, now: Time, req: &Request, sequential: bool, k: usize) -> Access {
        for i in 0..k {
            self.tiers[i].stats.misses += 1;
        }
        self.tiers[k].stats.hits += 1;
        if req.op == Op::Write
            && k < self.home()
            && self.inclusion == crate::config::Inclusion::Inclusive
        {
            self.set_dirty(req.id, k);
        }
        let done = self.device_op(k, now, req.op, req.size as u64, sequential);
        Access { tier: k, done }
    }

    /// Puts an object into tier `i` without traffic (a first-touch allocation) if it
    /// fits without evicting; returns whether it did.
    pub fn place(&mut self, i: usize, req: &Request) -> bool {
        let Some(c) = self.tiers[i].cache.as_mut() else {
            return false;
        };
        if c.contains(req.id) {
            return true;
        }
        if c.used() + req.size as u64 > c.capacity() {
            return false;
        }
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        c.insert(&Request::read(req.id, req.size), &mut victims);
        debug_assert!(victims.is_empty());
        let ok = c.contains(req.id);
        self.victims = victims;
        ok
    }

    /// Copies `id` into tier `to` at `t` from the fastest slower tier holding it (a
    /// prefetch fill, off the critical path; exclusive hierarchies move it instead): a
    /// read there, a write in `to`, victims settled. Returns when the copy is ready, or None if it was already there, `to`
    /// is the home tier, or the tier did not admit it. A later access that finds this
    /// copy waits until it is ready.
    pub fn prefetch(&mut self, t: Time, id: u64, size: u32, to: usize) -> Option<Time> {
        let home = self.home();
        if to >= home
            || self.tiers[to]
                .cache
                .as_ref()
                .is_some_and(|c| c.contains(id))
        {
            return None;
        }
        let from = (to + 1..home)
            .find(|&i| self.tiers[i].cache.as_ref().is_some_and(|c| c.contains(id)))
            .unwrap_or(home);
        let req = Request::read(id, size);
        self.insert(to, t, &req);
        if !self.tiers[to]
            .cache
            .as_ref()
            .is_some_and(|c| c.contains(id))
        {
            return None;
        }
        // Exclusive: the object moves up rather than being copied.
        if self.inclusion == crate::config::Inclusion::Exclusive && from < home {
            let dirty = self.take_dirty(id, from);
            self.tiers[from].cache.as_mut().map(|c| c.remove(id));
            if dirty {
                self.set_dirty(id, to);
            }
        }
        let read = self.device_op(from, t, Op::Read, size as u64, true);
        let done = self
            .device_op(to, t, Op::Write, size as u64, true)
            .max(read);
        self.tiers[to].stats.fills += 1;
        if self.ready.len() >= self.ready_sweep_at {
            // Copies evicted without being read leave entries behind: drop those
            // already ready. Amortised: when most entries are still in flight (loaders
            // far ahead of a slow tier) the next sweep waits for the map to double,
            // so a sweep is never repeated on every prefetch.
            self.ready.retain(|_, r| *r > t);
            self.ready_sweep_at = (2 * self.ready.len()).max(super::READY_SWEEP_MIN);
        }
        self.ready.insert(id, done);
        Some(done)
    }

    /// Passes a workload's importance score of `id` to every tier's eviction policy
    /// (SHADE-like admission uses it; other policies ignore it).
    pub fn set_importance(&mut self, id: u64, importance: f64) {
        for t in &mut self.tiers {
            if let Some(c) = t.cache.as_mut() {
                c.set_importance(id, importance);
            }
        }
    }

    /// Drops the copy of `id` in tier `tier` (not the home) at `t`, writing it one
    /// tier down first if it is dirty. Returns whether a copy was there.
    pub fn drop_copy(&mut self, t: Time, tier: usize, id: u64) -> bool {
        if tier >= self.home() {
            return false;
        }
        let Some(size) = self.tiers[tier].cache.as_mut().and_then(|c| c.remove(id)) else {
            return false;
        };
        self.ready.remove(&id);
        if self.take_dirty(id, tier) {
            self.tiers[tier + 1].stats.writebacks_in += 1;
            self.device_op(tier + 1, t, Op::Write, size as u64, false);
        }
        true
    }
}
