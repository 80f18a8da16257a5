//! CLOCK with one reference bit (libCacheSim `Clock`, also called FIFO-reinsertion or
//! second chance): objects enter at the head with the bit clear; a hit sets the bit;
//! to evict, the tail object with its bit set has it cleared and goes back to the
//! head, and the first tail object with a clear bit leaves.

use super::dlist::{Linked, Links, List, Slab};
use super::slot_index::{prefetch_ptr, Probe, SlotIndex};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

#[derive(Clone, Copy)]
struct Node {
    id: u64,
    size: u32,
    referenced: bool,
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

/// One-bit CLOCK as a FIFO queue with reinsertion.
pub struct Clock {
    index: SlotIndex,
    slab: Slab<Node>,
    queue: List,
    used: u64,
    capacity: u64,
}

impl Clock {
    pub fn new(capacity: u64) -> Self {
        Clock {
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
            let mut t = self.queue.tail;
            if t == super::dlist::NIL {
                break;
            }
            while self.slab.nodes[t as usize].referenced {
                self.slab.nodes[t as usize].referenced = false;
                self.queue.move_to_front(&mut self.slab.nodes, t);
                t = self.queue.tail;
            }
            self.queue.unlink(&mut self.slab.nodes, t);
            let Node { id, size, .. } = self.slab.nodes[t as usize];
            self.index.remove(id, t);
            self.slab.release(t);
            self.used -= size as u64;
            evicted.push(Victim { id, size });
            if let Some(t) = self.queue.tail_prefetching_next(&self.slab.nodes) {
                self.index.prefetch(self.slab.nodes[t as usize].id);
            }
        }
    }

    fn new_node(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            referenced: false,
            links: Links::default(),
        }
    }
}

impl EvictionPolicy for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        let nodes = &self.slab.nodes;
        let slot = match self.index.probe(req.id, |s| nodes[s as usize].id) {
            Probe::Found(i) => {
                self.slab.nodes[i as usize].referenced = true;
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
        self.queue.push_front(&mut self.slab.nodes, slot);
        self.used += size;
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.index.get(req.id, |s| self.slab.nodes[s as usize].id) {
            Some(i) => {
                self.slab.nodes[i as usize].referenced = true;
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
