//! CLOCK with one reference bit (libCacheSim `Clock`, also called FIFO-reinsertion or
//! second chance): objects enter at the head with the bit clear; a hit sets the bit;
//! to evict, the tail object with its bit set has it cleared and goes back to the
//! head, and the first tail object with a clear bit leaves.

use super::linked::{impl_linked, Links, List, Resident};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

struct Node {
    id: u64,
    size: u32,
    referenced: bool,
    links: Links,
}
impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            referenced: false,
            links: Links::NONE,
        }
    }
}

/// One-bit CLOCK as a FIFO queue with reinsertion (its byte total is `used`).
pub struct Clock {
    res: Resident<Node>,
    queue: List,
    capacity: u64,
}

impl Clock {
    pub fn new(capacity: u64) -> Self {
        Clock {
            res: Resident::default(),
            queue: List::default(),
            capacity,
        }
    }

    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.queue.bytes + size > self.capacity {
            // Second chances: referenced tails go back to the head with the bit clear.
            let mut t = self.queue.tail;
            while self.queue.len > 0 && self.res[t].referenced {
                self.res[t].referenced = false;
                self.queue.move_to_front(&mut self.res.slab, t);
                t = self.queue.tail;
            }
            if !self.res.evict_tail(&mut self.queue, evicted) {
                break;
            }
        }
    }
}

impl EvictionPolicy for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let slot = match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.res[i].referenced = true;
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
        self.queue.push_front(&mut self.res.slab, slot);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.res[i].referenced = true;
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
        self.queue.push_front(&mut self.res.slab, i);
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.res.remove_from(&mut self.queue, id)
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
        // Capacity 3; queue written oldest first, * = bit set.
        // 1 2 3 miss: [1 2 3]. 1 hit: [1* 2 3]. 4 miss: 1* gets a second chance
        // ([2 3 1]), 2 leaves: [3 1 4]. 3 hit: [3* 1 4]. 5 miss: 3* back ([1 4 3]),
        // 1 leaves: [4 3 5]. 1 miss: 4 leaves: [3 5 1]. 3 hit.
        let seq = [1, 2, 3, 1, 4, 3, 5, 1, 3];
        let h = hits(&mut Clock::new(3), &seq);
        assert_eq!(
            h,
            vec![false, false, false, true, false, true, false, false, true]
        );
        assert_eq!(victims(&mut Clock::new(3), &seq), vec![2, 1, 4]);
    }

    #[test]
    fn all_referenced_goes_full_circle() {
        // Capacity 2: 1 2 miss, 1 2 hit (both bits set); 3 miss clears both bits,
        // reinserting 1 then 2, and evicts 1, the oldest.
        assert_eq!(victims(&mut Clock::new(2), &[1, 2, 1, 2, 3]), vec![1]);
    }
}
