//! The cache path of the hierarchy: an access looks its object up level by level in
//! its node's view (the owner's instance for a cluster-scope tier), is served where
//! found, fills the faster levels (inclusive) or the top one (exclusive), and settles
//! the victims one level down, writing back dirty ones. One node with no coalescing
//! and no partitions compiles to its own path (`FLAT`), as before clusters.

use super::{Access, Hierarchy, Origin, Traffic, INFLIGHT_SWEEP_MIN, SHARED};
use crate::config::Inclusion;
use crate::engine::Time;
use crate::policy::eviction::EvictionPolicy;
use crate::trace::{Op, Request};

impl Hierarchy {
    /// One access at `now` on the cache path: lookups, demand fills, write-backs (see
    /// the module doc). Placement mode is [`Hierarchy::placed_access`].
    #[inline]
    pub fn access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        self.access_from(now, req, sequential, Origin::default())
    }

    /// [`Self::access`] by a requester on node `node`: it sees its node's instances of
    /// node-local tiers, the owner's instance of a cluster-scope tier, the shared tiers.
    #[inline]
    pub fn access_from(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        origin: Origin,
    ) -> Access {
        let node = origin.node as usize;
        self.requester = origin.job;
        let a = match req.op {
            Op::Read if self.simple => self.read::<true>(now, req, sequential, node),
            Op::Read => self.read::<false>(now, req, sequential, node),
            Op::Write if self.simple => self.write::<true>(now, req, sequential, node),
            Op::Write => self.write::<false>(now, req, sequential, node),
        };
        if !self.topo.is_flat() {
            self.count_node(node, a.tier, req.size);
        }
        a
    }

    /// Node `node`'s counters for an access served by instance `i`.
    pub(crate) fn count_node(&mut self, node: usize, i: usize, size: u32) {
        let at = self.topo.node_of(i);
        let s = &mut self.nodes[node];
        s.accesses += 1;
        s.bytes += size as u64;
        match at {
            SHARED => s.shared += 1,
            n if n as usize == node => s.local += 1,
            _ => s.remote += 1,
        }
    }

    /// The instance of `level` for `node` and `id` (`FLAT`: one node, the level).
    #[inline(always)]
    pub(super) fn inst<const FLAT: bool>(&self, node: usize, level: usize, id: u64) -> usize {
        if FLAT {
            level
        } else {
            self.topo.inst(node, level, id)
        }
    }

    /// A read; `FLAT` (one node) compiles the instance lookups and routes away.
    pub(super) fn read<const FLAT: bool>(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        node: usize,
    ) -> Access {
        let home = self.home();
        let top = if FLAT {
            home
        } else {
            self.topo.levels.len() - 1
        };
        let (mut k, mut kl) = (home, top);
        for l in 0..top {
            let i = self.inst::<FLAT>(node, l, req.id);
            if !FLAT && self.partitioned {
                self.select_requester(i);
            }
            if self.tiers[i].cache.as_mut().is_some_and(|c| c.lookup(req)) {
                (k, kl) = (i, l);
                break;
            }
            self.tiers[i].stats.misses += 1;
        }
        self.tiers[k].stats.hits += 1;
        let mut done = self.charge_via::<FLAT>(
            k,
            now,
            Op::Read,
            req.size as u64,
            sequential,
            Traffic::Served,
            node as u16,
        );
        if !FLAT && self.coalesce && k < home && now < self.inflight_until {
            if let Some(&r) = self.inflight.get(&(req.id, k as u32)) {
                done = done.max(r);
            }
        }
        if kl > 0 && !self.read_lost() {
            match self.inclusion {
                Inclusion::Inclusive => {
                    for l in (0..kl).rev() {
                        let i = self.inst::<FLAT>(node, l, req.id);
                        self.fill::<FLAT>(i, now, req, sequential, node, done);
                    }
                }
                Inclusion::Exclusive => {
                    let bits = if k < home {
                        self.take_dirty(req.id, k)
                    } else {
                        false
                    };
                    if k < home {
                        self.tiers[k].cache.as_mut().map(|c| c.remove(req.id));
                    }
                    let top = self.inst::<FLAT>(node, 0, req.id);
                    if self.fill::<FLAT>(top, now, req, sequential, node, done) && bits {
                        self.set_dirty(req.id, top);
                    }
                }
            }
        }
        Access { tier: k, done }
    }

    pub(super) fn write<const FLAT: bool>(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        node: usize,
    ) -> Access {
        let home = self.home();
        if home == 0 {
            return self.pinned(0, now, Op::Write, req.size as u64, sequential);
        }
        let top = self.inst::<FLAT>(node, 0, req.id);
        if !FLAT && self.partitioned {
            self.select_requester(top);
        }
        let hit = self.tiers[top]
            .cache
            .as_mut()
            .is_some_and(|c| c.lookup(req));
        let resident = if hit {
            self.tiers[top].stats.hits += 1;
            true
        } else {
            self.tiers[top].stats.misses += 1;
            self.insert(top, now, req)
        };
        // Larger than the top tier: written straight to the home tier.
        let tier = if resident { top } else { home };
        if resident {
            self.set_dirty(req.id, top);
        }
        let done = self.charge_via::<FLAT>(
            tier,
            now,
            Op::Write,
            req.size as u64,
            sequential,
            Traffic::Served,
            node as u16,
        );
        Access { tier, done }
    }

    /// Copies the object into tier instance `i` at `t` for a requester on `node` (a
    /// fill) of data that arrives from below at `arrived`; returns whether it was
    /// admitted. The object is known to be absent there (its lookup just missed). With
    /// coalescing, the copy is ready when both its write and the data are done.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fill<const FLAT: bool>(
        &mut self,
        i: usize,
        t: Time,
        req: &Request,
        sequential: bool,
        node: usize,
        arrived: Time,
    ) -> bool {
        let admitted = self.insert(i, t, req);
        if admitted {
            let done = self.charge_via::<FLAT>(
                i,
                t,
                Op::Write,
                req.size as u64,
                sequential,
                Traffic::Fill,
                node as u16,
            );
            if !FLAT && self.coalesce {
                self.note_inflight(t, req.id, i, done.max(arrived));
            }
        }
        admitted
    }

    /// Records when the copy of `id` being filled into instance `i` is ready; entries
    /// already past are swept when the map doubles (amortised).
    pub(super) fn note_inflight(&mut self, t: Time, id: u64, i: usize, done: Time) {
        if self.inflight.len() >= self.inflight_sweep_at {
            self.inflight.retain(|_, r| *r > t);
            self.inflight_sweep_at = (2 * self.inflight.len()).max(INFLIGHT_SWEEP_MIN);
        }
        self.inflight.insert((id, i as u32), done);
        self.inflight_until = self.inflight_until.max(done);
    }

    /// Starts loading the index entries of `id` in every cache tier into the CPU cache
    /// (a hint: changes nothing). A batch of accesses issues it some requests ahead.
    #[inline]
    pub fn prefetch_index(&self, id: u64, node: usize) {
        self.each_cache(id, node, |c| c.prefetch(id));
    }

    /// Starts loading the policy nodes of `id` (after [`Self::prefetch_index`]).
    #[inline]
    pub fn prefetch_node(&self, id: u64, node: usize) {
        self.each_cache(id, node, |c| c.prefetch_node(id));
    }

    /// Calls `f` on the cache of every level above the home that node `node` would
    /// look `id` up in.
    #[inline(always)]
    fn each_cache(&self, id: u64, node: usize, f: impl Fn(&dyn EvictionPolicy)) {
        if self.topo.is_flat() {
            for t in &self.tiers[..self.home()] {
                if let Some(c) = &t.cache {
                    f(c.as_ref());
                }
            }
            return;
        }
        for l in 0..self.topo.levels.len() - 1 {
            if let Some(c) = &self.tiers[self.topo.inst(node, l, id)].cache {
                f(c.as_ref());
            }
        }
    }

    /// Inserts into tier `i`'s cache and settles every victim, cascading down; returns
    /// whether the object is resident there now (the policy may decline it).
    pub(super) fn insert(&mut self, i: usize, t: Time, req: &Request) -> bool {
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        if self.partitioned {
            self.select_requester(i);
        }
        let admitted = match self.tiers[i].cache.as_mut() {
            Some(c) => c.insert_admitted(req, &mut victims),
            None => false,
        };
        if self.inclusion == Inclusion::Inclusive && self.all_clean() {
            // Clean victims of an inclusive hierarchy just leave (the tiers below keep
            // their copies): what `settle` would do with each, without queueing them.
            self.tiers[i].stats.evictions += victims.len() as u64;
        } else {
            self.pending.extend(victims.drain(..).map(|v| (i, v)));
            self.settle(t);
        }
        self.victims = victims;
        admitted
    }

    /// Handles pending victims: write back or demote one tier down.
    pub(super) fn settle(&mut self, t: Time) {
        let home = self.home();
        while let Some((i, v)) = self.pending.pop() {
            self.tiers[i].stats.evictions += 1;
            let dirty = self.take_dirty(v.id, i);
            let below = self.below(i, v.id);
            let moves = dirty || self.inclusion == Inclusion::Exclusive;
            if !moves {
                continue;
            }
            let vreq = Request::read(v.id, v.size);
            if below < home {
                let cache = self.tiers[below]
                    .cache
                    .as_mut()
                    .expect("non-home tiers have a cache");
                if !cache.contains(v.id) {
                    let mut victims = std::mem::take(&mut self.victims);
                    victims.clear();
                    cache.set_requester(self.requester);
                    cache.insert(&vreq, &mut victims);
                    self.pending.extend(victims.drain(..).map(|x| (below, x)));
                    self.victims = victims;
                }
                let admitted = self.tiers[below]
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.contains(v.id));
                if !admitted {
                    // Too large for the tier below: it goes home if it carries new data.
                    if dirty {
                        let from = self.topo.node_of(i);
                        self.charge_from(
                            home,
                            t,
                            Op::Write,
                            v.size as u64,
                            false,
                            Traffic::WritebackIn,
                            from,
                        );
                    }
                    continue;
                }
                if dirty {
                    self.set_dirty(v.id, below);
                }
            } else if !dirty {
                continue; // a clean copy leaving for home: home already has it
            }
            let from = self.topo.node_of(i);
            self.charge_from(
                below,
                t,
                Op::Write,
                v.size as u64,
                false,
                Traffic::WritebackIn,
                from,
            );
        }
    }
}
