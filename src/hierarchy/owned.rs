//! Dense ids on a cluster ([`Hierarchy::use_dense_ids`]). A cluster-scope cache
//! instance over dense ids: its policy sees the ids its node owns renumbered `0..k` (k ~ n / nodes), so the policy's tables indexed by id (see
//! `EvictionPolicy::use_dense_ids`) take k entries rather than n, and a level of
//! instances holds n in all, as one node's cache would, instead of n per node.
//!
//! [`OwnedIds`] wraps the instance's policy and translates ids both ways: an owned
//! dense id through a table shared by the level's instances ([`LocalIds`]: each id's
//! index among its owner's ids), a victim back through the instance's list of its ids.
//! Ids at or past n (which a dense workload does not make) pass through unchanged
//! (they are at least n >= k, so they never meet a renumbered id). A dense id the
//! node does not own is never cached here (the hierarchy sends each id to its owner's
//! instance): asked about one, it is absent, and a `remove` or importance of one is
//! ignored. Decisions are the policy's on the renumbered ids.

use super::topology::owner_of;
use super::Hierarchy;
use crate::config::cluster::Scope;
use crate::policy::eviction::{prefetch_ptr, EvictionPolicy, Victim};
use crate::trace::Request;
use std::sync::Arc;

/// The most dense-id table entries the instances of one node-scope level may hold
/// together (about 1 GiB at 8 bytes an entry); past it they stay hashed (same
/// decisions, less memory).
pub const DENSE_SLOTS_MAX: u64 = 1 << 27;

impl Hierarchy {
    /// The workload numbers its objects `0..n`: every cache instance indexes them in
    /// tables indexed by id (`EvictionPolicy::use_dense_ids`). A cluster-scope
    /// instance's policy sees only its node's ids, renumbered (see the module doc); the
    /// instances of a node-scope level stay hashed when their tables together would
    /// pass [`DENSE_SLOTS_MAX`] ids.
    pub fn use_dense_ids(&mut self, n: u64) {
        if self.topo.is_flat() {
            for c in self.tiers.iter_mut().filter_map(|t| t.cache.as_mut()) {
                c.use_dense_ids(n);
            }
            return;
        }
        let mut table = None;
        for l in 0..self.topo.levels.len() {
            let range = self.topo.level_range(l);
            let per_node = range.len() > 1;
            let scope = self.topo.levels[l].scope;
            if scope == Scope::Node && n.saturating_mul(range.len() as u64) > DENSE_SLOTS_MAX {
                continue;
            }
            for (k, i) in range.enumerate() {
                let Some(c) = self.tiers[i].cache.take() else {
                    continue;
                };
                self.tiers[i].cache = Some(if scope == Scope::Cluster && per_node {
                    let nodes = self.topo.nodes;
                    let t = table.get_or_insert_with(|| Arc::new(LocalIds::new(n, nodes)));
                    Box::new(OwnedIds::new(c, t.clone(), k, nodes))
                } else {
                    let mut c = c;
                    c.use_dense_ids(n);
                    c
                });
            }
        }
    }
}

/// Every dense id's index among the ids of its owner node, and each node's ids.
pub struct LocalIds {
    local: Vec<u32>,
    ids: Vec<Vec<u32>>,
}

impl LocalIds {
    /// Ids `0..n` over `nodes` owners (`n` below 2^32).
    pub fn new(n: u64, nodes: usize) -> Self {
        let mut local = crate::huge::table(n as usize, 0u32);
        let mut ids: Vec<Vec<u32>> = vec![Vec::new(); nodes];
        for (id, l) in local.iter_mut().enumerate() {
            let own = &mut ids[owner_of(id as u64, nodes)];
            *l = own.len() as u32;
            own.push(id as u32);
        }
        LocalIds { local, ids }
    }
}

/// See the module doc.
pub struct OwnedIds {
    inner: Box<dyn EvictionPolicy>,
    table: Arc<LocalIds>,
    node: usize,
    nodes: usize,
}

impl OwnedIds {
    /// `inner` as node `node`'s instance; tells it its `k` renumbered dense ids.
    pub fn new(
        mut inner: Box<dyn EvictionPolicy>,
        table: Arc<LocalIds>,
        node: usize,
        nodes: usize,
    ) -> Self {
        inner.use_dense_ids(table.ids[node].len() as u64);
        OwnedIds {
            inner,
            table,
            node,
            nodes,
        }
    }

    /// The id the policy knows `id` by: Some(local index) for an owned dense id,
    /// Some(id) past the dense ids, None for another node's dense id.
    #[inline]
    fn to_inner(&self, id: u64) -> Option<u64> {
        match self.table.local.get(id as usize) {
            Some(&l) if owner_of(id, self.nodes) == self.node => Some(l as u64),
            Some(_) => None,
            None => Some(id),
        }
    }

    /// The id of the policy's `id`.
    #[inline]
    fn to_outer(&self, id: u64) -> u64 {
        match self.table.ids[self.node].get(id as usize) {
            Some(&g) => g as u64,
            None => id,
        }
    }

    /// [`Self::to_inner`] for an id known to be this node's (the hierarchy sends each
    /// lookup and fill to the owner's instance): no owner check.
    #[inline]
    fn owned_to_inner(&self, id: u64) -> u64 {
        debug_assert!(
            id >= self.table.local.len() as u64 || owner_of(id, self.nodes) == self.node,
            "id {id} is not node {}'s",
            self.node
        );
        match self.table.local.get(id as usize) {
            Some(&l) => l as u64,
            None => id,
        }
    }

    /// `req` with its (owned) id translated.
    #[inline]
    fn req(&self, req: &Request) -> Request {
        Request {
            id: self.owned_to_inner(req.id),
            ..*req
        }
    }

    /// Translates the victims pushed onto `evicted` from index `from` on.
    #[inline]
    fn victims_out(&self, evicted: &mut [Victim], from: usize) {
        for v in &mut evicted[from..] {
            v.id = self.to_outer(v.id);
        }
    }
}

impl EvictionPolicy for OwnedIds {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let from = evicted.len();
        let hit = self.inner.access(&self.req(req), evicted);
        self.victims_out(evicted, from);
        hit
    }

    #[inline]
    fn lookup(&mut self, req: &Request) -> bool {
        let r = self.req(req);
        self.inner.lookup(&r)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        let from = evicted.len();
        self.inner.insert(&self.req(req), evicted);
        self.victims_out(evicted, from);
    }

    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let from = evicted.len();
        let admitted = self.inner.insert_admitted(&self.req(req), evicted);
        self.victims_out(evicted, from);
        admitted
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.inner.remove(self.to_inner(id)?)
    }

    fn contains(&self, id: u64) -> bool {
        self.to_inner(id).is_some_and(|i| self.inner.contains(i))
    }

    fn used(&self) -> u64 {
        self.inner.used()
    }

    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn set_importance(&mut self, id: u64, importance: f64) {
        if let Some(i) = self.to_inner(id) {
            self.inner.set_importance(i, importance);
        }
    }

    /// Already renumbered (see [`OwnedIds::new`]).
    fn use_dense_ids(&mut self, _n: u64) {}

    fn expect_scattered_accesses(&mut self) {
        self.inner.expect_scattered_accesses();
    }

    fn set_requester(&mut self, job: u16) {
        self.inner.set_requester(job);
    }

    /// Starts loading `id`'s local index (the policy's own entry needs it first).
    #[inline]
    fn prefetch(&self, id: u64) {
        if let Some(l) = self.table.local.get(id as usize) {
            prefetch_ptr(l);
        } else {
            self.inner.prefetch(id);
        }
    }

    /// Starts loading the policy's index entry of `id` (its local index loaded by
    /// [`Self::prefetch`] some requests earlier).
    #[inline]
    fn prefetch_node(&self, id: u64) {
        self.inner.prefetch(self.owned_to_inner(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction;

    /// Each node's instance under a policy over renumbered ids decides as the same
    /// policy over the original ids when the policy ignores id values (LRU: order of
    /// use), and holds only its own ids.
    #[test]
    fn renumbered_instances_decide_as_the_policy_on_original_ids() {
        let (n, nodes) = (1000u64, 4usize);
        let table = Arc::new(LocalIds::new(n, nodes));
        assert_eq!(
            table.ids.iter().map(|v| v.len() as u64).sum::<u64>(),
            n,
            "every id has one owner"
        );
        let build = || eviction::build("lru", &Default::default(), 60, 1).unwrap();
        let mut owned: Vec<OwnedIds> = (0..nodes)
            .map(|k| OwnedIds::new(build(), table.clone(), k, nodes))
            .collect();
        let mut plain: Vec<Box<dyn EvictionPolicy>> = (0..nodes).map(|_| build()).collect();
        let mut rng = crate::engine::stream(3, "test.owned");
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            // Ids past n too (they pass through).
            let id = rand::Rng::gen_range(&mut rng, 0..n + 50);
            let o = owner_of(id, nodes);
            let req = Request::read(id, 1 + (id % 3) as u32);
            ea.clear();
            eb.clear();
            assert_eq!(
                owned[o].access(&req, &mut ea),
                plain[o].access(&req, &mut eb)
            );
            assert_eq!(ea, eb);
            let other = (o + 1) % nodes;
            if id < n {
                assert!(!owned[other].contains(id));
                assert_eq!(owned[other].remove(id), None);
            }
        }
        for k in 0..nodes {
            assert_eq!(owned[k].len(), plain[k].len());
            for id in 0..n + 50 {
                assert_eq!(owned[k].contains(id), plain[k].contains(id), "{k} {id}");
            }
        }
    }
}
