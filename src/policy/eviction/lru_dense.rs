//! LRU's log representation (`lru_log.rs`) for a dense id space: the state of each
//! object lives in a table indexed by its id (its size and the stamp of its live log
//! entry), so there is no id -> slot index and no slab of nodes. A hit, a miss and an
//! eviction each touch one 8-byte table entry, where the log over a slab touches an
//! index entry and a node; log entries are 8 bytes too, so the table and the log of a
//! million-sample dataset stay within the CPU's last-level cache. Decisions are those
//! of the list and the log (the same order of last use); the eviction contract test
//! checks it. Stamps are 32-bit: before they run out, the log is compacted and its
//! live entries renumbered in order (the order of last use is unchanged). Ids at or
//! past the table's end (which a dense workload does not make) get table slots past
//! the end, found through a hash map.

use super::lru_log::LOG_SLACK;
use super::slot_index::prefetch_ptr;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;
use std::collections::{HashMap, VecDeque};

/// The stamp of an object with no live log entry: not resident.
const UNSTAMPED: u32 = u32::MAX;
/// Log entries ahead of the front whose table entries eviction loads early.
const EVICT_AHEAD: usize = 8;
/// The largest id space given a table (8 bytes an id: 32 MiB).
pub const DENSE_LRU_MAX_IDS: u64 = 1 << 22;

#[derive(Clone, Copy)]
struct Entry {
    /// The stamp of the object's live log entry, or [`UNSTAMPED`].
    stamp: u32,
    size: u32,
}

const ABSENT: Entry = Entry {
    stamp: UNSTAMPED,
    size: 0,
};

/// See the module doc.
pub(crate) struct DenseLru {
    /// Indexed by slot: the id for ids below `dense`, then the slots of other ids.
    table: Vec<Entry>,
    /// Ids in the table, indexed by themselves.
    dense: u64,
    /// Slots of ids at or past `dense`, and their ids by slot - `dense`.
    overflow: HashMap<u64, u32>,
    overflow_ids: Vec<u64>,
    /// (slot, stamp) of every access, oldest first.
    order: VecDeque<(u32, u32)>,
    /// The last stamp given.
    clock: u32,
    /// The stamp after which the log is renumbered (below [`UNSTAMPED`]).
    last_stamp: u32,
    /// Resident objects.
    len: usize,
    used: u64,
    capacity: u64,
}

impl DenseLru {
    /// An empty cache of `capacity` bytes for ids `0..n` (`n` at most
    /// [`DENSE_LRU_MAX_IDS`]).
    pub fn new(capacity: u64, n: u64) -> Self {
        debug_assert!(n <= DENSE_LRU_MAX_IDS);
        DenseLru {
            table: crate::huge::table(n as usize, ABSENT),
            dense: n,
            overflow: HashMap::new(),
            overflow_ids: Vec::new(),
            order: VecDeque::new(),
            clock: 0,
            last_stamp: UNSTAMPED - 1,
            len: 0,
            used: 0,
            capacity,
        }
    }

    /// The slot of `id`, if it has one.
    #[inline]
    fn slot(&self, id: u64) -> Option<u32> {
        if id < self.dense {
            Some(id as u32)
        } else {
            self.overflow.get(&id).copied()
        }
    }

    /// The slot of `id`, given one if it has none.
    #[inline]
    fn slot_or_add(&mut self, id: u64) -> u32 {
        if id < self.dense {
            return id as u32;
        }
        let slots = &mut self.table;
        let ids = &mut self.overflow_ids;
        *self.overflow.entry(id).or_insert_with(|| {
            slots.push(ABSENT);
            ids.push(id);
            (slots.len() - 1) as u32
        })
    }

    #[inline]
    fn id_of(&self, slot: u32) -> u64 {
        if (slot as u64) < self.dense {
            slot as u64
        } else {
            self.overflow_ids[(slot as u64 - self.dense) as usize]
        }
    }

    /// Makes `slot` the most recently used.
    #[inline]
    fn touch(&mut self, slot: u32) {
        if self.clock >= self.last_stamp {
            self.renumber();
        }
        self.clock += 1;
        self.table[slot as usize].stamp = self.clock;
        self.order.push_back((slot, self.clock));
        if self.order.len() > 2 * self.len + LOG_SLACK {
            self.compact();
        }
    }

    /// Drops the log's stale entries.
    #[cold]
    fn compact(&mut self) {
        let table = &self.table;
        self.order.retain(|&(s, t)| table[s as usize].stamp == t);
    }

    /// Stamps the live entries 1, 2, ... in log order (the stamps are about to run
    /// out; the order of last use stays the same).
    #[cold]
    fn renumber(&mut self) {
        self.compact();
        for (k, (s, t)) in self.order.iter_mut().enumerate() {
            *t = k as u32 + 1;
            self.table[*s as usize].stamp = *t;
        }
        self.clock = self.order.len() as u32;
    }

    /// Evicts least recently used objects until `size` more fits.
    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity {
            let Some((slot, stamp)) = self.order.pop_front() else {
                return;
            };
            if let Some(&(ahead, _)) = self.order.get(EVICT_AHEAD) {
                prefetch_ptr(self.table.as_ptr().wrapping_add(ahead as usize));
            }
            let e = &mut self.table[slot as usize];
            if e.stamp != stamp {
                continue; // a stale entry: the object was used again, or is gone
            }
            e.stamp = UNSTAMPED;
            let size = e.size;
            evicted.push(Victim {
                id: self.id_of(slot),
                size,
            });
            self.used -= size as u64;
            self.len -= 1;
        }
    }

    /// Adds absent `req` (small enough), making room first.
    #[inline]
    fn admit(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        // The new object has no live entry yet, so eviction never picks it.
        self.make_room(req.size as u64, evicted);
        let slot = self.slot_or_add(req.id);
        self.table[slot as usize].size = req.size;
        self.used += req.size as u64;
        self.len += 1;
        self.touch(slot);
    }
}

impl EvictionPolicy for DenseLru {
    fn name(&self) -> &'static str {
        "lru"
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.lookup(req) {
            return true;
        }
        if req.size as u64 <= self.capacity {
            self.admit(req, evicted);
        }
        false
    }

    #[inline]
    fn lookup(&mut self, req: &Request) -> bool {
        match self.slot(req.id) {
            Some(s) if self.table[s as usize].stamp != UNSTAMPED => {
                self.touch(s);
                true
            }
            _ => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 <= self.capacity && !self.contains(req.id) {
            self.admit(req, evicted);
        }
    }

    #[inline]
    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.contains(req.id) {
            return true;
        }
        if req.size as u64 > self.capacity {
            return false;
        }
        self.admit(req, evicted);
        true
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let s = self.slot(id)?;
        let e = &mut self.table[s as usize];
        if e.stamp == UNSTAMPED {
            return None;
        }
        e.stamp = UNSTAMPED;
        self.used -= e.size as u64;
        self.len -= 1;
        Some(e.size)
    }

    #[inline]
    fn contains(&self, id: u64) -> bool {
        self.slot(id)
            .is_some_and(|s| self.table[s as usize].stamp != UNSTAMPED)
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        if id < self.dense {
            prefetch_ptr(self.table.as_ptr().wrapping_add(id as usize));
        }
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renumbering the stamps changes no decision: a cache whose stamps run out every
    /// few accesses evicts exactly what one that never renumbers does.
    #[test]
    fn renumbering_changes_no_decision() {
        let mut rng = crate::engine::stream(7, "test.lru_dense");
        let mut a = DenseLru::new(40, 50);
        let mut b = DenseLru::new(40, 50);
        b.last_stamp = 60; // above the 40 objects that fit, so renumbering makes room
        let (mut ea, mut eb) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let id = rand::Rng::gen_range(&mut rng, 0..70u64);
            let req = Request::read(id, 1 + (id % 7) as u32);
            assert_eq!(a.access(&req, &mut ea), b.access(&req, &mut eb));
            assert_eq!(ea, eb);
            assert!(b.clock <= 61);
        }
    }
}
