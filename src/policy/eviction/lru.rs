//! Least recently used (libCacheSim `LRU`): a hit moves the object to the head; the
//! tail leaves first; a miss evicts from the tail until the object fits, then inserts
//! it at the head.

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

/// LRU over a slab-allocated doubly linked list and an id -> slot map.
pub struct Lru {
    index: SlotIndex,
    slab: Slab<Node>,
    list: List,
    used: u64,
    capacity: u64,
}

impl Lru {
    pub fn new(capacity: u64) -> Self {
        Lru {
            index: SlotIndex::default(),
            slab: Slab::default(),
            list: List::default(),
            used: 0,
            capacity,
        }
    }

    /// Evicts from the tail until `size` more fits.
    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity {
            let Some(t) = self.list.pop_back(&mut self.slab.nodes) else {
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
        if let Some(t) = self.list.tail_prefetching_next(&self.slab.nodes) {
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

impl EvictionPolicy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        // One hash of the requested id: the slot is claimed before eviction, which
        // never picks it because it is not yet linked.
        let nodes = &self.slab.nodes;
        let slot = match self.index.probe(req.id, |s| nodes[s as usize].id) {
            Probe::Found(i) => {
                self.list.move_to_front(&mut self.slab.nodes, i);
                return true;
            }
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
        self.list.push_front(&mut self.slab.nodes, slot);
        self.used += size;
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.index.get(req.id, |s| self.slab.nodes[s as usize].id) {
            Some(i) => {
                self.list.move_to_front(&mut self.slab.nodes, i);
                true
            }
            None => false,
        }
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
        self.list.push_front(&mut self.slab.nodes, i);
        self.used += size;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.index.get(id, |s| self.slab.nodes[s as usize].id)?;
        self.index.remove(id, i);
        self.list.unlink(&mut self.slab.nodes, i);
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
        // Capacity 3, accesses 1 2 3 1 4 2 5 1:
        // 1 2 3 miss (stack 3 2 1); 1 hit (1 3 2); 4 miss evicts LRU 2 (4 1 3);
        // 2 miss evicts 3 (2 4 1); 5 miss evicts 1 (5 2 4); 1 miss evicts 4 (1 5 2).
        let mut p = Lru::new(3);
        let seq = [1, 2, 3, 1, 4, 2, 5, 1];
        assert_eq!(
            hits(&mut p, &seq),
            vec![false, false, false, true, false, false, false, false]
        );
        let mut p = Lru::new(3);
        assert_eq!(victims(&mut p, &seq), vec![2, 3, 1, 4]);
    }

    #[test]
    fn bytes_evict_until_fit_and_big_objects_bypass() {
        // Capacity 10 bytes: a(4) b(4) then c(6): 8 + 6 > 10 evicts a (LRU), 4 + 6 fits.
        let mut p = Lru::new(10);
        let mut ev = vec![];
        assert!(!p.access(&Request::read(1, 4), &mut ev));
        assert!(!p.access(&Request::read(2, 4), &mut ev));
        assert!(!p.access(&Request::read(3, 6), &mut ev));
        assert_eq!(ev, vec![Victim { id: 1, size: 4 }]);
        assert_eq!(p.used(), 10);
        // An 11-byte object is a miss, not admitted, and evicts nothing.
        ev.clear();
        assert!(!p.access(&Request::read(9, 11), &mut ev));
        assert!(ev.is_empty() && !p.contains(9) && p.used() == 10);
    }
}
