//! Least recently used (libCacheSim `LRU`): a hit moves the object to the head; the
//! tail leaves first; a miss evicts from the tail until the object fits, then inserts
//! it at the head.

use super::linked::{impl_linked, Links, List, Resident};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

struct Node {
    id: u64,
    size: u32,
    links: Links,
}
impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            links: Links::NONE,
        }
    }
}

/// LRU over a slab-allocated doubly linked list (its byte total is `used`) and an
/// id -> slot index.
pub struct Lru {
    res: Resident<Node>,
    list: List,
    capacity: u64,
}

impl Lru {
    pub fn new(capacity: u64) -> Self {
        Lru {
            res: Resident::default(),
            list: List::default(),
            capacity,
        }
    }

    /// Evicts from the tail until `size` more fits.
    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.list.bytes + size > self.capacity && self.res.evict_tail(&mut self.list, evicted)
        {
        }
    }
}

impl EvictionPolicy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        // One hash of the requested id: the slot is claimed before eviction, which
        // never picks it because it is not yet linked.
        let slot = match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.list.move_to_front(&mut self.res.slab, i);
                return true;
            }
            Probe::Vacant(v) => {
                if req.size as u64 > self.capacity {
                    return false;
                }
                self.res.add_vacant(v, Node::new(req))
            }
        };
        self.make_room(req.size as u64, evicted);
        self.list.push_front(&mut self.res.slab, slot);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.list.move_to_front(&mut self.res.slab, i);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 > self.capacity || self.contains(req.id) {
            return;
        }
        self.make_room(req.size as u64, evicted);
        let i = self.res.add(Node::new(req));
        self.list.push_front(&mut self.res.slab, i);
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.res.remove_from(&mut self.list, id)
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
        self.list.bytes
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.res.len()
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
