//! First in, first out (libCacheSim `FIFO`): hits change nothing; the oldest insert
//! leaves first; a miss evicts until the object fits, then inserts it.

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

/// FIFO over a slab-allocated queue (its byte total is `used`) and an id -> slot index.
pub struct Fifo {
    res: Resident<Node>,
    queue: List,
    capacity: u64,
}

impl Fifo {
    pub fn new(capacity: u64) -> Self {
        Fifo {
            res: Resident::default(),
            queue: List::default(),
            capacity,
        }
    }

    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.queue.bytes + size > self.capacity
            && self.res.evict_tail(&mut self.queue, evicted)
        {}
    }
}

impl EvictionPolicy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let slot = match self.res.probe(req.id) {
            Probe::Found(_) => return true,
            Probe::Vacant(v) => {
                if req.size as u64 > self.capacity {
                    return false;
                }
                self.res.add_vacant(v, Node::new(req))
            }
        };
        self.make_room(req.size as u64, evicted);
        self.queue.push_front(&mut self.res.slab, slot);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.contains(req.id)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        self.insert_admitted(req, evicted);
    }

    #[inline]
    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.contains(req.id) {
            return true;
        }
        if req.size as u64 > self.capacity {
            return false;
        }
        self.make_room(req.size as u64, evicted);
        let i = self.res.add(Node::new(req));
        self.queue.push_front(&mut self.res.slab, i);
        true
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.res.remove_from(&mut self.queue, id)
    }

    #[inline]
    fn contains(&self, id: u64) -> bool {
        // Every node is a resident object (no ghosts).
        self.res.has(id)
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        // A hit reads only its presence bit; a miss inserts.
        self.res.prefetch_for_insert(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        // A hit reads no node (FIFO does not reorder), and a dense id's lookup needs
        // none to confirm the id: only a hashed id's lookup reads it.
        if !self.res.is_dense(id) {
            self.res.prefetch_node(id)
        }
    }
    fn used(&self) -> u64 {
        self.queue.bytes
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
