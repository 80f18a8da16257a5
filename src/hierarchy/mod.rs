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

mod pair;
mod placement;

pub use pair::{TierPair, FAST, SLOW};

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
    /// Bit i set: the copy in tier i is newer than the one below.
    dirty: IdMap<u32>,
    victims: Vec<Victim>,
    pending: Vec<(usize, Victim)>,
    /// When each prefetched copy not yet accessed is ready.
    ready: IdMap<Time>,
    /// `ready`'s size that triggers the next sweep of past entries (amortised).
    ready_sweep_at: usize,
}

/// The prefetched-copy map is swept of entries already ready at this size or at twice
/// what the last sweep left, whichever is larger.
const READY_SWEEP_MIN: usize = 1 << 16;

impl Hierarchy {
    /// Tiers fastest first; the last one's cache, if any, is ignored.
    pub fn new(mut tiers: Vec<Tier>, links: Vec<Link>, inclusion: Inclusion) -> Self {
        assert!(!tiers.is_empty(), "validated by the config");
        if let Some(home) = tiers.last_mut() {
            home.cache = None;
        }
        Hierarchy {
            tiers,
            links,
            inclusion,
            dirty: IdMap::default(),
            victims: Vec::new(),
            pending: Vec::new(),
            ready: IdMap::default(),
            ready_sweep_at: READY_SWEEP_MIN,
        }
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

    /// The one place bytes move on a tier: reserves tier `i`'s device at `t` (streamed
    /// through the tier's link if it has one) and counts the traffic by `kind`.
    /// Returns when the data is done.
    #[inline]
    fn charge(
        &mut self,
        i: usize,
        t: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
    ) -> Time {
        let tier = &mut self.tiers[i];
        match kind {
            Traffic::Served => tier.stats.served += 1,
            Traffic::Fill => tier.stats.fills += 1,
            Traffic::WritebackIn => tier.stats.writebacks_in += 1,
            Traffic::MigrationIn => tier.stats.migrations_in += 1,
            Traffic::Source => {}
        }
        let done = tier.device.submit(t, op, bytes, sequential);
        match tier.link {
            Some(l) => done.max(self.links[l].device.submit(t, op, bytes, sequential)),
            None => done,
        }
    }

    /// A pinned access: `bytes` of data that lives in tier `i` by construction (hot
    /// embedding rows, a resident tile, a checkpoint written to its tier) are read or
    /// written there at `t`, counted as a hit and a served access.
    pub fn pinned(&mut self, i: usize, t: Time, op: Op, bytes: u64, sequential: bool) -> Access {
        self.tiers[i].stats.hits += 1;
        let done = self.charge(i, t, op, bytes, sequential, Traffic::Served);
        Access { tier: i, done }
    }

    /// Moves `bytes` over link `l` at `t` (gradient exchange, remote reads).
    pub fn transfer(&mut self, l: usize, t: Time, bytes: u64) -> Time {
        self.links[l].device.submit(t, Op::Read, bytes, true)
    }

    /// One access at `now` on the cache path: lookups, demand fills, write-backs (see
    /// the module doc). Placement mode is [`Hierarchy::placed_access`].
    #[inline]
    pub fn access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        match req.op {
            Op::Read => self.read(now, req, sequential),
            Op::Write => self.write(now, req, sequential),
        }
    }

    fn read(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        let home = self.home();
        let mut k = home;
        for i in 0..home {
            if self.tiers[i].cache.as_mut().is_some_and(|c| c.lookup(req)) {
                k = i;
                break;
            }
            self.tiers[i].stats.misses += 1;
        }
        self.tiers[k].stats.hits += 1;
        let done = self.charge(
            k,
            now,
            Op::Read,
            req.size as u64,
            sequential,
            Traffic::Served,
        );
        if k > 0 {
            match self.inclusion {
                Inclusion::Inclusive => {
                    for i in (0..k).rev() {
                        self.fill(i, now, req, sequential);
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
                    if self.fill(0, now, req, sequential) && bits {
                        self.set_dirty(req.id, 0);
                    }
                }
            }
        }
        Access { tier: k, done }
    }

    fn write(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        let home = self.home();
        if home == 0 {
            return self.pinned(0, now, Op::Write, req.size as u64, sequential);
        }
        let hit = self.tiers[0].cache.as_mut().is_some_and(|c| c.lookup(req));
        let resident = if hit {
            self.tiers[0].stats.hits += 1;
            true
        } else {
            self.tiers[0].stats.misses += 1;
            self.insert(0, now, req)
        };
        // Larger than the top tier: written straight to the home tier.
        let tier = if resident { 0 } else { home };
        if resident {
            self.set_dirty(req.id, 0);
        }
        let done = self.charge(
            tier,
            now,
            Op::Write,
            req.size as u64,
            sequential,
            Traffic::Served,
        );
        Access { tier, done }
    }

    /// Copies the object into tier `i` at `t` (a fill); returns whether it was admitted.
    /// The object is known to be absent there (its lookup just missed).
    fn fill(&mut self, i: usize, t: Time, req: &Request, sequential: bool) -> bool {
        let admitted = self.insert(i, t, req);
        if admitted {
            self.charge(i, t, Op::Write, req.size as u64, sequential, Traffic::Fill);
        }
        admitted
    }

    /// Starts loading the index entries of `id` in every cache tier into the CPU cache
    /// (a hint: changes nothing). A batch of accesses issues it some requests ahead.
    #[inline]
    pub fn prefetch_index(&self, id: u64) {
        for t in &self.tiers[..self.home()] {
            if let Some(c) = &t.cache {
                c.prefetch(id);
            }
        }
    }

    /// Starts loading the policy nodes of `id` (after [`Self::prefetch_index`]).
    #[inline]
    pub fn prefetch_node(&self, id: u64) {
        for t in &self.tiers[..self.home()] {
            if let Some(c) = &t.cache {
                c.prefetch_node(id);
            }
        }
    }

    /// Inserts into tier `i`'s cache and settles every victim, cascading down; returns
    /// whether the object is resident there now (the policy may decline it).
    fn insert(&mut self, i: usize, t: Time, req: &Request) -> bool {
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        let admitted = match self.tiers[i].cache.as_mut() {
            Some(c) => c.insert_admitted(req, &mut victims),
            None => false,
        };
        if self.inclusion == Inclusion::Inclusive && self.dirty.is_empty() {
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
    fn settle(&mut self, t: Time) {
        let home = self.home();
        while let Some((i, v)) = self.pending.pop() {
            self.tiers[i].stats.evictions += 1;
            let dirty = self.take_dirty(v.id, i);
            let below = i + 1;
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
                        self.charge(
                            home,
                            t,
                            Op::Write,
                            v.size as u64,
                            false,
                            Traffic::WritebackIn,
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
            self.charge(
                below,
                t,
                Op::Write,
                v.size as u64,
                false,
                Traffic::WritebackIn,
            );
        }
    }

    /// Moves an object from tier `from` to tier `to` at `t` (a migration policy's
    /// page move): reads it from `from`, writes it to `to`, updates both caches, and
    /// settles any victims. Both transfers are charged at `t`; returns when the later
    /// of the two is done.
    pub fn migrate(&mut self, t: Time, id: u64, size: u32, from: usize, to: usize) -> Time {
        let home = self.home();
        let req = Request::read(id, size);
        let read_done = self.charge(from, t, Op::Read, size as u64, true, Traffic::Source);
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
        self.charge(to, t, Op::Write, size as u64, true, Traffic::MigrationIn)
            .max(read_done)
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
        self.dirty.remove(&id);
    }

    fn set_dirty(&mut self, id: u64, tier: usize) {
        *self.dirty.entry(id).or_insert(0) |= 1 << tier;
    }

    /// Clears and returns the dirty bit of `id` in `tier`.
    fn take_dirty(&mut self, id: u64, tier: usize) -> bool {
        if self.dirty.is_empty() {
            return false;
        }
        match self.dirty.get_mut(&id) {
            Some(bits) if *bits & (1 << tier) != 0 => {
                *bits &= !(1 << tier);
                if *bits == 0 {
                    self.dirty.remove(&id);
                }
                true
            }
            _ => false,
        }
    }

    /// Objects with a dirty copy anywhere (for tests and reports).
    pub fn dirty_objects(&self) -> usize {
        self.dirty.len()
    }
}
