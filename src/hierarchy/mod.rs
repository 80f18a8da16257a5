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

mod hooks;

pub use hooks::Hooks;

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
    /// Migration and prefetch policies (see `hooks.rs`); None costs one branch per access.
    hooks: Option<Box<Hooks>>,
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
            hooks: None,
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

    /// A device operation on tier `i` at `t`, streamed through the tier's link if it
    /// has one. Returns when the data is done.
    pub fn device_op(&mut self, i: usize, t: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        let done = self.tiers[i].device.submit(t, op, bytes, sequential);
        match self.tiers[i].link {
            Some(l) => done.max(self.links[l].device.submit(t, op, bytes, sequential)),
            None => done,
        }
    }

    /// Moves `bytes` over link `l` at `t` (gradient exchange, remote reads).
    pub fn transfer(&mut self, l: usize, t: Time, bytes: u64) -> Time {
        self.links[l].device.submit(t, Op::Read, bytes, true)
    }

    /// One access at `now`. See the module doc for the path; with a migration policy
    /// or a placing prefetcher installed, see `hooks.rs`.
    #[inline]
    pub fn access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        if self.hooks.is_some() {
            return self.hooked_access(now, req, sequential);
        }
        self.cached_access(now, req, sequential)
    }

    /// The cache path of the module doc: lookups, demand fills, write-backs.
    fn cached_access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
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
        self.tiers[k].stats.served += 1;
        let done = self.device_op(k, now, Op::Read, req.size as u64, sequential);
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
            self.tiers[0].stats.hits += 1;
            self.tiers[0].stats.served += 1;
            let done = self.device_op(0, now, Op::Write, req.size as u64, sequential);
            return Access { tier: 0, done };
        }
        let hit = self.tiers[0].cache.as_mut().is_some_and(|c| c.lookup(req));
        if hit {
            self.tiers[0].stats.hits += 1;
        } else {
            self.tiers[0].stats.misses += 1;
            self.insert(0, now, req);
        }
        let resident = hit
            || self.tiers[0]
                .cache
                .as_ref()
                .is_some_and(|c| c.contains(req.id));
        let tier = if resident { 0 } else { home };
        self.tiers[tier].stats.served += 1;
        if resident {
            self.set_dirty(req.id, 0);
        } else {
            // Larger than the top tier: written straight to the home tier.
        }
        let done = self.device_op(tier, now, Op::Write, req.size as u64, sequential);
        Access { tier, done }
    }

    /// Copies the object into tier `i` at `t` (a fill); returns whether it was admitted.
    fn fill(&mut self, i: usize, t: Time, req: &Request, sequential: bool) -> bool {
        if self.tiers[i]
            .cache
            .as_ref()
            .is_some_and(|c| c.contains(req.id))
        {
            return true;
        }
        self.insert(i, t, req);
        let admitted = self.tiers[i]
            .cache
            .as_ref()
            .is_some_and(|c| c.contains(req.id));
        if admitted {
            self.tiers[i].stats.fills += 1;
            self.device_op(i, t, Op::Write, req.size as u64, sequential);
        }
        admitted
    }

    /// Inserts into tier `i`'s cache and settles every victim, cascading down.
    fn insert(&mut self, i: usize, t: Time, req: &Request) {
        let mut victims = std::mem::take(&mut self.victims);
        victims.clear();
        if let Some(c) = self.tiers[i].cache.as_mut() {
            c.insert(req, &mut victims);
        }
        self.pending.extend(victims.drain(..).map(|v| (i, v)));
        self.victims = victims;
        self.settle(t);
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
                        self.tiers[home].stats.writebacks_in += 1;
                        self.device_op(home, t, Op::Write, v.size as u64, false);
                    }
                    continue;
                }
                if dirty {
                    self.set_dirty(v.id, below);
                }
            } else if !dirty {
                continue; // a clean copy leaving for home: home already has it
            }
            self.tiers[below].stats.writebacks_in += 1;
            self.device_op(below, t, Op::Write, v.size as u64, false);
        }
    }

    /// Moves an object from tier `from` to tier `to` at `t` (a migration policy's
    /// page move): reads it from `from`, writes it to `to`, updates both caches, and
    /// settles any victims. Both transfers are charged at `t`; returns when the later
    /// of the two is done.
    pub fn migrate(&mut self, t: Time, id: u64, size: u32, from: usize, to: usize) -> Time {
        let home = self.home();
        let req = Request::read(id, size);
        let read_done = self.device_op(from, t, Op::Read, size as u64, true);
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
        self.tiers[to].stats.migrations_in += 1;
        self.device_op(to, t, Op::Write, size as u64, true)
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
