//! The tier hierarchy: tiers ordered fast to slow, each a device with an optional
//! cache policy (the last tier is the home of every object and evicts nothing), the
//! links data crosses, dirty-object tracking, and the access path.
//!
//! A read finds the fastest tier holding the object, is served there (and over the
//! tier's link), then fills faster tiers: every faster tier when inclusive, only the
//! top one (moving the object up) when exclusive. A write goes to the top tier and
//! marks the object dirty there. Victims write back one tier down when dirty
//! (inclusive) or always move one tier down (exclusive), cascading as needed.
//!
//! Timing: devices are reserved strictly in time order. Background traffic (fills,
//! write-backs, demotions, migrations) is charged to its devices at the time of the
//! access that causes it and is off the requester's critical path. A tier behind a
//! link streams through it: device and link serve the request concurrently
//! (cut-through), and the data is done when both are.
//!
//! Every byte that moves on a tier goes through one private method, [`Hierarchy::charge`],
//! which reserves the device (and the tier's link) and counts the traffic in the
//! tier's [`TierStats`] by its [`Traffic`] kind. The policies that change placement
//! (migration, prefetch) live beside the hierarchy in [`crate::datapath::DataPath`]
//! and act on it through its public methods; migration sees one adjacent pair of tiers
//! at a time through [`TierPair`].

mod bounce;
mod cache_path;
mod charge;
mod faults;
pub mod mover;
mod owned;
mod pair;
pub mod partition;
mod placement;
pub mod topology;

pub use owned::DENSE_SLOTS_MAX;
pub use pair::{TierPair, FAST, SLOW};
pub use topology::{Topology, SHARED};

use crate::config::Inclusion;
use crate::device::DeviceModel;
use crate::engine::Time;
use crate::policy::eviction::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::{Op, Request};
use serde::Serialize;

/// Per-tier access counters.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct TierStats {
    /// Accesses that found the object here.
    pub hits: u64,
    /// Lookups that did not find the object here (faster tiers on the way down).
    pub misses: u64,
    /// Accesses whose data was read from or written to this tier.
    pub served: u64,
    /// Objects copied (or moved) into this tier from a slower one.
    pub fills: u64,
    /// Objects evicted from this tier.
    pub evictions: u64,
    /// Dirty or demoted objects written into this tier from the tier above.
    pub writebacks_in: u64,
    /// Objects moved in or out by a migration policy.
    pub migrations_in: u64,
    pub migrations_out: u64,
}

/// Why bytes move on a tier: each kind is counted in [`TierStats`] by [`Hierarchy::charge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    /// A requester's access served by this tier (cache, placement or pinned path).
    Served,
    /// A copy into this tier from a slower one (demand fill or prefetch).
    Fill,
    /// Reading the source copy of a fill, prefetch or migration (no counter of its own:
    /// the device counts it).
    Source,
    /// A dirty or demoted object written into this tier from the tier above.
    WritebackIn,
    /// A migration policy's page move into this tier.
    MigrationIn,
}

/// One tier: a device, and a cache policy unless it is the home tier.
pub struct Tier {
    pub name: String,
    pub device: Box<dyn DeviceModel>,
    pub cache: Option<Box<dyn EvictionPolicy>>,
    /// Index into [`Hierarchy::links`] of the link this tier's data crosses.
    pub link: Option<usize>,
    pub stats: TierStats,
}

/// Per-node access counters (a cluster's nodes; one node otherwise).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct NodeStats {
    /// Accesses made by this node's requesters.
    pub accesses: u64,
    /// Bytes they moved.
    pub bytes: u64,
    /// Accesses served by a tier instance on this node.
    pub local: u64,
    /// Accesses served by another node's instance (a cluster-scope cache).
    pub remote: u64,
    /// Accesses served by a shared tier (storage).
    pub shared: u64,
}

/// Who makes an access: the requester's node and job (both 0 on one node with one job).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub node: u16,
    pub job: u16,
}

/// A network link: a device without capacity.
pub struct Link {
    pub name: String,
    pub device: Box<dyn DeviceModel>,
}

/// Where an access was served and when its data is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub tier: usize,
    pub done: Time,
}

/// See the module doc.
pub struct Hierarchy {
    pub tiers: Vec<Tier>,
    pub links: Vec<Link>,
    pub inclusion: Inclusion,
    /// Where instances live (one node: tiers are levels).
    pub topo: Topology,
    /// Per node.
    pub nodes: Vec<NodeStats>,
    /// Dirty copies: map 0 for shared instances, map 1 + n for node n's; bit l set:
    /// the copy in that map's instance of level l is newer than the one below.
    dirty: Vec<IdMap<u32>>,
    /// Whether a hit waits for the demand fill that brought the object in (concurrent
    /// reads of an object in flight coalesce, as in a page cache).
    coalesce: bool,
    /// When each demand-filled copy (instance, id) is ready (with `coalesce`).
    inflight: std::collections::HashMap<(u64, u32), Time, crate::policy::hash::IdBuildHasher>,
    inflight_sweep_at: usize,
    /// The latest ready time in `inflight`: from then on every entry is past, and a
    /// hit needs no lookup.
    inflight_until: Time,
    /// Some cache tier is partitioned by job quotas (see [`partition`]).
    partitioned: bool,
    /// The job of the access in progress (for partitioned tiers).
    requester: u16,
    /// Who issues the data movement in progress (the requesting actor, or the
    /// migration daemon): a device whose speed depends on concurrent writers sees it.
    pub(crate) stream: u32,
    /// Carries out migration daemons' page copies one at a time ([`mover`]).
    pub(crate) mover: Option<mover::Mover>,
    /// The fault schedule the charges consult (`faults.rs`); None: no faults.
    faults: Option<Box<crate::fault::FaultState>>,
    /// Per instance, the faster instance its requester traffic bounces through
    /// ([`bounce`]); empty when no tier bounces.
    bounce: Vec<Option<usize>>,
    /// One node, no coalescing, no partitions: the compiled fast path.
    simple: bool,
    /// The node whose view placement mode and prefetchers act in (levels map to its
    /// instances; see [`Hierarchy::set_view`]).
    view: u16,
    victims: Vec<Victim>,
    pending: Vec<(usize, Victim)>,
    /// When each prefetched copy not yet accessed is ready.
    ready: IdMap<Time>,
    /// `ready`'s size that triggers the next sweep of past entries (amortised).
    ready_sweep_at: usize,
}

/// The in-flight fill map is swept of entries already ready at this size or at twice
/// what the last sweep left (fills are short: a small map stays in the CPU cache).
const INFLIGHT_SWEEP_MIN: usize = 1 << 12;

/// The prefetched-copy map is swept of entries already ready at this size or at twice
/// what the last sweep left, whichever is larger.
const READY_SWEEP_MIN: usize = 1 << 16;

impl Hierarchy {
    /// Tiers fastest first, on one node; the last one's cache, if any, is ignored.
    pub fn new(tiers: Vec<Tier>, links: Vec<Link>, inclusion: Inclusion) -> Self {
        let names: Vec<String> = tiers.iter().map(|t| t.name.clone()).collect();
        let topo = Topology::single(&names, links.len());
        Self::with_topology(tiers, links, inclusion, topo)
    }

    /// Tier and link instances laid out by `topo` (instances in its order).
    pub fn with_topology(
        mut tiers: Vec<Tier>,
        links: Vec<Link>,
        inclusion: Inclusion,
        topo: Topology,
    ) -> Self {
        assert!(!tiers.is_empty(), "validated by the config");
        assert_eq!(tiers.len(), topo.instances());
        if let Some(home) = tiers.last_mut() {
            home.cache = None;
        }
        let maps = if topo.is_flat() { 1 } else { 1 + topo.nodes };
        Hierarchy {
            nodes: vec![NodeStats::default(); topo.nodes],
            topo,
            tiers,
            links,
            inclusion,
            dirty: vec![IdMap::default(); maps],
            coalesce: false,
            inflight: Default::default(),
            inflight_sweep_at: INFLIGHT_SWEEP_MIN,
            inflight_until: 0,
            partitioned: false,
            requester: 0,
            stream: 0,
            mover: None,
            faults: None,
            bounce: Vec::new(),
            simple: true,
            view: 0,
            victims: Vec::new(),
            pending: Vec::new(),
            ready: IdMap::default(),
            ready_sweep_at: READY_SWEEP_MIN,
        }
    }

    /// Makes hits wait for the demand fill in flight that brought their object in.
    pub fn set_coalesce(&mut self, on: bool) {
        self.coalesce = on;
        self.update_simple();
    }

    /// Notes that some cache tier is a [`partition::Partitioned`] cache.
    pub fn set_partitioned(&mut self) {
        self.partitioned = true;
        self.update_simple();
    }

    /// Placement mode and prefetchers act for node `node` from now on: a tier index
    /// they give is a level, mapped to that node's instance of it (the owner's for a
    /// cluster-scope tier). One node: nothing changes.
    #[inline]
    pub fn set_view(&mut self, node: u16) {
        self.view = node;
    }

    /// The instance of level `level` holding (or to hold) `id` in the current view.
    #[inline]
    pub fn viewed(&self, level: usize, id: u64) -> usize {
        if self.topo.is_flat() {
            level
        } else {
            self.topo.inst(self.view as usize, level, id)
        }
    }

    /// Whether level `level` holds `id` in the current view (changes nothing).
    pub fn holds(&self, level: usize, id: u64) -> bool {
        self.tiers[self.viewed(level, id)]
            .cache
            .as_ref()
            .is_some_and(|c| c.contains(id))
    }

    /// When a copy of `id` filled into instance `i` (demand or prefetch, with
    /// coalescing) is ready, if recorded.
    #[inline]
    pub fn inflight_ready(&self, id: u64, i: usize) -> Option<Time> {
        if self.inflight.is_empty() {
            return None;
        }
        self.inflight.get(&(id, i as u32)).copied()
    }

    fn update_simple(&mut self) {
        self.simple = self.topo.is_flat() && !self.coalesce && !self.partitioned;
    }

    /// Index of the home tier (the slowest, holding everything).
    #[inline]
    pub fn home(&self) -> usize {
        self.tiers.len() - 1
    }

    /// The fastest tier holding `id`, without changing any policy state.
    pub fn locate(&self, id: u64) -> usize {
        (0..self.home())
            .find(|&i| self.tiers[i].cache.as_ref().is_some_and(|c| c.contains(id)))
            .unwrap_or(self.home())
    }

    /// Moves an object from tier `from` to tier `to` at `t` (a migration policy's
    /// page move): reads it from `from`, writes it to `to`, updates both caches, and
    /// settles any victims. Both transfers are charged at `t`; returns when the later
    /// of the two is done. During a daemon tick with a [`mover`] the caches change now
    /// and the copy is queued (`cost`: its OS time); returns `t`.
    pub fn migrate(
        &mut self,
        t: Time,
        id: u64,
        size: u32,
        from: usize,
        to: usize,
        cost: Time,
    ) -> Time {
        if self.mover.as_ref().is_some_and(|m| m.active) {
            self.relocate(t, id, size, from, to);
            let m = mover::Move {
                page: id,
                size,
                from,
                to,
                decided: t,
                cost,
            };
            self.mover.as_mut().expect("checked").push(m);
            return t;
        }
        let read_done = self.charge(from, t, Op::Read, size as u64, true, Traffic::Source);
        self.relocate(t, id, size, from, to);
        self.charge(to, t, Op::Write, size as u64, true, Traffic::MigrationIn)
            .max(read_done)
    }

    /// Carries out the mover's next copy if it is free at `t`: a read on the tier the
    /// page leaves, a write on the one it joins, both at `t`.
    pub fn run_mover(&mut self, t: Time) {
        let Some(m) = self.mover.as_mut().and_then(|m| m.pop_due(t)) else {
            return;
        };
        let bytes = m.size as u64;
        let read_done = self.charge(m.from, t, Op::Read, bytes, true, Traffic::Source);
        let done = self
            .charge(m.to, t, Op::Write, bytes, true, Traffic::MigrationIn)
            .max(read_done);
        self.mover.as_mut().expect("popped").finish(&m, t, done);
    }

    /// The caches' side of a move: `id` leaves `from` (its dirty bit with it) and
    /// joins `to`, victims settled.
    fn relocate(&mut self, t: Time, id: u64, size: u32, from: usize, to: usize) {
        let home = self.home();
        let req = Request::read(id, size);
        let dirty = if from < home {
            self.take_dirty(id, from)
        } else {
            false
        };
        if from < home {
            self.tiers[from].cache.as_mut().map(|c| c.remove(id));
        }
        self.tiers[from].stats.migrations_out += 1;
        if to < home {
            if !self.tiers[to]
                .cache
                .as_ref()
                .is_some_and(|c| c.contains(id))
            {
                self.insert(to, t, &req);
            }
            if dirty
                && self.tiers[to]
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.contains(id))
            {
                self.set_dirty(id, to);
            }
        }
    }

    /// Drops `id` from every cache tier without writing it back (freed data, such as
    /// a finished request's KV cache): no traffic, no eviction counted.
    pub fn discard(&mut self, id: u64) {
        let home = self.home();
        for t in &mut self.tiers[..home] {
            if let Some(c) = t.cache.as_mut() {
                c.remove(id);
            }
        }
        for m in &mut self.dirty {
            m.remove(&id);
        }
    }

    /// Tells instance `i`'s cache which job the next lookup or insert is for.
    #[inline]
    fn select_requester(&mut self, i: usize) {
        let job = self.requester;
        if let Some(c) = self.tiers[i].cache.as_mut() {
            c.set_requester(job);
        }
    }

    /// The instance one level below instance `i` for object `id` (on `i`'s node).
    #[inline]
    fn below(&self, i: usize, id: u64) -> usize {
        if self.topo.is_flat() {
            return i + 1;
        }
        let node = match self.topo.node_of(i) {
            SHARED => 0,
            n => n as usize,
        };
        self.topo.inst(node, self.topo.level(i) + 1, id)
    }

    /// The dirty map and bit of instance `i` (see the `dirty` field).
    #[inline]
    fn dirty_slot(&self, i: usize) -> (usize, u32) {
        if self.topo.is_flat() {
            return (0, 1 << i);
        }
        let map = match self.topo.node_of(i) {
            SHARED => 0,
            n => 1 + n as usize,
        };
        (map, 1 << self.topo.level(i))
    }

    fn set_dirty(&mut self, id: u64, tier: usize) {
        let (m, bit) = self.dirty_slot(tier);
        *self.dirty[m].entry(id).or_insert(0) |= bit;
    }

    /// Clears and returns the dirty bit of `id` in `tier`.
    fn take_dirty(&mut self, id: u64, tier: usize) -> bool {
        let (m, bit) = self.dirty_slot(tier);
        let map = &mut self.dirty[m];
        if map.is_empty() {
            return false;
        }
        match map.get_mut(&id) {
            Some(bits) if *bits & bit != 0 => {
                *bits &= !bit;
                if *bits == 0 {
                    map.remove(&id);
                }
                true
            }
            _ => false,
        }
    }

    /// Whether no copy anywhere is dirty.
    fn all_clean(&self) -> bool {
        self.dirty.iter().all(|m| m.is_empty())
    }

    /// Objects with a dirty copy anywhere (for tests and reports).
    pub fn dirty_objects(&self) -> usize {
        self.dirty.iter().map(|m| m.len()).sum()
    }
}
