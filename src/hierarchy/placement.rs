//! Placement mode of the hierarchy, used when a migration policy or a prefetcher
//! that places data itself (clairvoyant) is installed (see [`crate::datapath`]): an
//! access is served by the fastest tier holding the object and fills nothing on a
//! miss; only the policies move data ([`Hierarchy::migrate`],
//! [`Hierarchy::prefetch`], [`Hierarchy::drop_copy`]). A page touched for the first
//! time is allocated where the migration policy says, without traffic (a zero-filled
//! page): [`Hierarchy::place`]. The tiers' eviction policies are then only residency
//! sets: policies make room before they move a page in; if one does not, the eviction
//! policy picks the victim and it moves one tier down (migration runs the hierarchy
//! exclusive: one copy of each page).
//!
//! Prefetch fills (any mode) are here too: a hit on a prefetched copy waits until that
//! copy's fill is done.

use super::{Access, Hierarchy, Traffic};
use crate::engine::Time;
use crate::trace::{Op, Request};

impl Hierarchy {
    /// The fastest tier holding `req`'s object, updating that tier's policy state on a
    /// hit (placement mode: a miss changes nothing).
    #[inline]
    pub fn find(&mut self, req: &Request) -> usize {
        let home = self.home();
        if !self.topo.is_flat() {
            for l in 0..self.topo.levels.len() - 1 {
                let i = self.viewed(l, req.id);
                if self.tiers[i].cache.as_mut().is_some_and(|c| c.lookup(req)) {
                    return i;
                }
            }
            return home;
        }
        (0..home)
            .find(|&i| self.tiers[i].cache.as_mut().is_some_and(|c| c.lookup(req)))
            .unwrap_or(home)
    }

    /// A prefetched copy of `id` in a tier above the home: when it is ready (the
    /// entry is consumed).
    #[inline]
    pub fn take_ready(&mut self, id: u64, tier: usize) -> Option<Time> {
        if self.ready.is_empty() || tier >= self.home() {
            return None;
        }
        self.ready.remove(&id)
    }

    /// Serves `req` from tier `k` (placement mode) with the hit and miss counters of
    /// the tiers above.
    pub fn serve(&mut self, now: Time, req: &Request, sequential: bool, k: usize) -> Access {
        if !self.topo.is_flat() {
            return self.serve_viewed(now, req, sequential, k);
        }
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
        let done = self.charge(k, now, req.op, req.size as u64, sequential, Traffic::Served);
        Access { tier: k, done }
    }

    /// [`Self::serve`] on a cluster: the levels above `k`'s missed in the view's
    /// instances; the data crosses the route from the view's node.
    fn serve_viewed(&mut self, now: Time, req: &Request, sequential: bool, k: usize) -> Access {
        for l in 0..self.topo.level(k) {
            let i = self.viewed(l, req.id);
            self.tiers[i].stats.misses += 1;
        }
        self.tiers[k].stats.hits += 1;
        if req.op == Op::Write
            && k < self.home()
            && self.inclusion == crate::config::Inclusion::Inclusive
        {
            self.set_dirty(req.id, k);
        }
        let done = self.charge_from(
            k,
            now,
            req.op,
            req.size as u64,
            sequential,
            Traffic::Served,
            self.view,
        );
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
        if !self.topo.is_flat() {
            return self.prefetch_viewed(t, id, size, to);
        }
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
        let read = self.charge(from, t, Op::Read, size as u64, true, Traffic::Source);
        let done = self
            .charge(to, t, Op::Write, size as u64, true, Traffic::Fill)
            .max(read);
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

    /// [`Self::prefetch`] on a cluster: level `to` in the view's node (the owner's
    /// instance for a cluster-scope level), the source found along the view's levels,
    /// both transfers crossing their routes from the view's node. The copy's ready
    /// time is kept per instance (hits wait for it, as for coalesced demand fills).
    fn prefetch_viewed(&mut self, t: Time, id: u64, size: u32, to: usize) -> Option<Time> {
        let top = self.topo.levels.len() - 1;
        if to >= top || self.holds(to, id) {
            return None;
        }
        let dst = self.viewed(to, id);
        let from = (to + 1..top)
            .map(|l| self.viewed(l, id))
            .find(|&i| self.tiers[i].cache.as_ref().is_some_and(|c| c.contains(id)))
            .unwrap_or(self.home());
        let req = Request::read(id, size);
        self.insert(dst, t, &req);
        if !self.holds(to, id) {
            return None;
        }
        if self.inclusion == crate::config::Inclusion::Exclusive && from < self.home() {
            let dirty = self.take_dirty(id, from);
            self.tiers[from].cache.as_mut().map(|c| c.remove(id));
            if dirty {
                self.set_dirty(id, dst);
            }
        }
        let view = self.view;
        let read = self.charge_from(from, t, Op::Read, size as u64, true, Traffic::Source, view);
        let done = self
            .charge_from(dst, t, Op::Write, size as u64, true, Traffic::Fill, view)
            .max(read);
        self.note_inflight(t, id, dst, done);
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
        if !self.topo.is_flat() {
            if tier + 1 >= self.topo.levels.len() {
                return false;
            }
            let i = self.viewed(tier, id);
            let Some(size) = self.tiers[i].cache.as_mut().and_then(|c| c.remove(id)) else {
                return false;
            };
            if self.take_dirty(id, i) {
                let below = self.below(i, id);
                let from = self.topo.node_of(i);
                self.charge_from(
                    below,
                    t,
                    Op::Write,
                    size as u64,
                    false,
                    Traffic::WritebackIn,
                    from,
                );
            }
            return true;
        }
        if tier >= self.home() {
            return false;
        }
        let Some(size) = self.tiers[tier].cache.as_mut().and_then(|c| c.remove(id)) else {
            return false;
        };
        self.ready.remove(&id);
        if self.take_dirty(id, tier) {
            self.charge(
                tier + 1,
                t,
                Op::Write,
                size as u64,
                false,
                Traffic::WritebackIn,
            );
        }
        true
    }
}
