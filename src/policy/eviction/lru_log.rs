//! LRU with its recency order kept as a log rather than a linked list (the order
//! [`super::Lru`] uses for dense id spaces; decisions identical to the list's): every access appends
//! (slot, stamp) to a queue and stamps the node; the node's live entry is the one whose
//! stamp it still carries. The oldest live entry is the LRU object, so eviction pops the
//! queue's front, skipping stale entries. Decisions are those of the list (the same
//! order of last use), but eviction reads the queue front to back instead of chasing a
//! tail pointer, so the nodes of the next victims are loaded into the CPU cache well
//! before they are needed (a hit touches only its own node, not two neighbours). Stale
//! entries are dropped when they outnumber live ones: the queue stays within twice the
//! resident objects plus a constant.

use super::linked::{Keyed, Resident};
use super::slot_index::{prefetch_ptr, Probe};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;
use std::collections::VecDeque;

/// The stamp of a node with no live queue entry (just added, or forgotten).
const UNSTAMPED: u64 = u64::MAX;
/// Queue entries ahead of the front whose nodes eviction loads early.
const EVICT_AHEAD: usize = 8;
/// Stale entries allowed beyond the live ones before the log is compacted.
pub(super) const LOG_SLACK: usize = 1024;

struct Node {
    id: u64,
    size: u32,
    /// The stamp of this node's live queue entry.
    stamp: u64,
}

impl Keyed for Node {
    #[inline]
    fn id(&self) -> u64 {
        self.id
    }
    #[inline]
    fn size(&self) -> u32 {
        self.size
    }
}

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            stamp: UNSTAMPED,
        }
    }
}

/// LRU over slab-allocated nodes, an id -> slot index and a recency log (see the
/// module doc).
pub(crate) struct LogLru {
    res: Resident<Node>,
    /// (slot, stamp) of every access, oldest first.
    order: VecDeque<(u32, u64)>,
    /// The last stamp given.
    clock: u64,
    used: u64,
    capacity: u64,
}

impl LogLru {
    pub fn new(capacity: u64) -> Self {
        LogLru {
            res: Resident::default(),
            order: VecDeque::new(),
            clock: 0,
            used: 0,
            capacity,
        }
    }

    /// Makes node `slot` the most recently used.
    #[inline]
    fn touch(&mut self, slot: u32) {
        self.clock += 1;
        self.res.slab[slot].stamp = self.clock;
        self.order.push_back((slot, self.clock));
        if self.order.len() > 2 * self.res.len() + LOG_SLACK {
            let nodes = &self.res.slab.nodes;
            self.order.retain(|&(s, t)| nodes[s as usize].stamp == t);
        }
    }

    /// Evicts least recently used objects until `size` more fits.
    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity {
            let Some((slot, stamp)) = self.order.pop_front() else {
                return;
            };
            // The nodes of later entries, and the index entries of nearer ones (whose
            // nodes were loaded by now), for the stamp checks and the forgets ahead.
            if let Some(&(ahead, _)) = self.order.get(EVICT_AHEAD) {
                prefetch_ptr(self.res.slab.nodes.as_ptr().wrapping_add(ahead as usize));
            }
            if let Some(&(near, _)) = self.order.get(EVICT_AHEAD / 2) {
                self.res.prefetch(self.res.slab[near].id);
            }
            let n = &mut self.res.slab[slot];
            if n.stamp != stamp {
                continue; // a stale entry: the node was used again, or is gone
            }
            n.stamp = UNSTAMPED;
            evicted.push(Victim {
                id: n.id,
                size: n.size,
            });
            self.used -= n.size as u64;
            self.res.forget(slot);
        }
    }

    /// Adds the node of `req` (absent, small enough) in bucket `v`, making room first.
    #[inline]
    fn admit(&mut self, slot: u32, size: u32, evicted: &mut Vec<Victim>) {
        // The new node has no live entry yet, so eviction never picks it.
        self.make_room(size as u64, evicted);
        self.used += size as u64;
        self.touch(slot);
    }
}

impl EvictionPolicy for LogLru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        // One hash of the requested id: the slot is claimed before eviction.
        match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.touch(i);
                true
            }
            Probe::Vacant(v) => {
                if req.size as u64 <= self.capacity {
                    let slot = self.res.add_vacant(v, Node::new(req));
                    self.admit(slot, req.size, evicted);
                }
                false
            }
        }
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.touch(i);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 > self.capacity {
            return;
        }
        if let Probe::Vacant(v) = self.res.probe(req.id) {
            let slot = self.res.add_vacant(v, Node::new(req));
            self.admit(slot, req.size, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        let n = &mut self.res.slab[i];
        n.stamp = UNSTAMPED;
        let size = n.size;
        self.used -= size as u64;
        self.res.forget(i);
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.res.find(id).is_some()
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        self.res.prefetch(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        self.res.prefetch_node(id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.res.len()
    }
}
