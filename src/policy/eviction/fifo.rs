//! First in, first out (libCacheSim `FIFO`): hits change nothing; the oldest insert
//! leaves first; a miss evicts until the object fits, then inserts it.

use super::dlist::{Linked, Links, List, Slab};
use super::slot_index::{prefetch_ptr, Probe, SlotIndex};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

#[derive(Clone, Copy)]
struct Node {
    id: u64,
    size: u32,
    links: Links,
}

impl Linked for Node {
    #[inline]
    fn links(&self) -> &Links {
        &self.links
    }
    #[inline]
    fn links_mut(&mut self) -> &mut Links {
        &mut self.links
    }
}

/// FIFO over a slab-allocated queue and an id -> slot map.
pub struct Fifo {
    index: SlotIndex,
    slab: Slab<Node>,
    queue: List,
    used: u64,
    capacity: u64,
}

impl Fifo {
    pub fn new(capacity: u64) -> Self {
        Fifo {
            index: SlotIndex::default(),
            slab: Slab::default(),
            queue: List::default(),
            used: 0,
            capacity,
        }
    }

    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity {
            let Some(t) = self.queue.pop_back(&mut self.slab.nodes) else {
                break;
            };
            let Node { id, size, .. } = self.slab.nodes[t as usize];
            self.index.remove(id, t);
            self.slab.release(t);
            self.used -= size as u64;
            evicted.push(Victim { id, size });
            self.prefetch_next_victim();
        }
    }

    /// Starts loading the next victims' nodes and index bucket (hides the misses of
    /// the next eviction).
    #[inline]
    fn prefetch_next_victim(&self) {
        if let Some(t) = self.queue.tail_prefetching_next(&self.slab.nodes) {
            self.index.prefetch(self.slab.nodes[t as usize].id);
        }
    }

    fn new_node(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            links: Links::default(),
        }
    }
}

impl EvictionPolicy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        let nodes = &self.slab.nodes;
        let slot = match self.index.probe(req.id, |s| nodes[s as usize].id) {
            Probe::Found(_) => return true,
            Probe::Vacant(v) => {
                if size > self.capacity {
                    return false;
                }
                let i = self.slab.alloc(Self::new_node(req));
                self.index.insert_vacant(v, i);
                i
            }
        };
        self.make_room(size, evicted);
        self.queue.push_front(&mut self.slab.nodes, slot);
        self.used += size;
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.contains(req.id)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if size > self.capacity || self.contains(req.id) {
            return;
        }
        self.make_room(size, evicted);
        let i = self.slab.alloc(Self::new_node(req));
        let nodes = &self.slab.nodes;
        self.index.insert(req.id, i, |s| nodes[s as usize].id);
        self.queue.push_front(&mut self.slab.nodes, i);
        self.used += size;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.index.get(id, |s| self.slab.nodes[s as usize].id)?;
        self.index.remove(id, i);
        self.queue.unlink(&mut self.slab.nodes, i);
        self.slab.release(i);
        let size = self.slab.nodes[i as usize].size;
        self.used -= size as u64;
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.index
            .get(id, |s| self.slab.nodes[s as usize].id)
            .is_some()
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        self.index.prefetch(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        if let Some(s) = self.index.peek(id) {
            prefetch_ptr(self.slab.nodes.as_ptr().wrapping_add(s as usize));
        }
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, victims};

    #[test]
    fn hand_worked_sequence() {
        // Capacity 3, accesses 1 2 3 1 4 1 2: 1 2 3 miss (queue 1 2 3, oldest first);
        // 1 hit, order unchanged; 4 miss evicts 1 (2 3 4); 1 miss evicts 2 (3 4 1);
        // 2 miss evicts 3 (4 1 2).
        let seq = [1, 2, 3, 1, 4, 1, 2];
        let mut p = Fifo::new(3);
        assert_eq!(
            hits(&mut p, &seq),
            vec![false, false, false, true, false, false, false]
        );
        assert_eq!(victims(&mut Fifo::new(3), &seq), vec![1, 2, 3]);
    }
}
