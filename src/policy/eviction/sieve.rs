//! SIEVE (Zhang et al., "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction
//! Algorithm for Web Caches", NSDI 2024): one FIFO queue, a visited bit per object and a
//! moving hand. A hit only sets the bit (no list move, so hits are cheap). To evict, the
//! hand walks from where it stopped last (initially the oldest object) towards the
//! newest, clearing set bits, and evicts the first object whose bit is clear, then
//! stays at that object's newer neighbour; past the newest it wraps to the oldest. New
//! objects go in at the head with the bit clear. Unlike CLOCK, survivors are not moved
//! to the head, so new objects that are never hit again leave quickly ("lazy promotion,
//! quick demotion").

use super::linked::{impl_linked, Links, List, Resident, NIL};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

struct Node {
    id: u64,
    size: u32,
    visited: bool,
    links: Links,
}

impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            visited: false,
            links: Links::NONE,
        }
    }
}

/// SIEVE over a slab-allocated queue, an id -> slot index and the hand's slot.
pub struct Sieve {
    res: Resident<Node>,
    queue: List,
    hand: u32,
    capacity: u64,
}

impl Sieve {
    pub fn new(capacity: u64) -> Self {
        Sieve {
            res: Resident::default(),
            queue: List::default(),
            hand: NIL,
            capacity,
        }
    }

    /// Unlinks and forgets slot `i`, moving the hand off it (to its newer
    /// neighbour) first.
    fn unlink(&mut self, i: u32) {
        if self.hand == i {
            self.hand = self.res[i].links.prev;
        }
        self.queue.unlink(&mut self.res.slab, i);
        self.res.forget(i);
    }

    /// Evicts until node `i` (added, not yet queued) fits, then queues it at the head.
    fn fill(&mut self, i: u32, evicted: &mut Vec<Victim>) {
        let size = self.res[i].size as u64;
        while self.queue.bytes + size > self.capacity {
            self.evict_one(evicted);
        }
        self.queue.push_front(&mut self.res.slab, i);
    }

    fn evict_one(&mut self, evicted: &mut Vec<Victim>) {
        let mut i = if self.hand == NIL {
            self.queue.tail
        } else {
            self.hand
        };
        loop {
            let n = &mut self.res[i];
            if !n.visited {
                break;
            }
            n.visited = false;
            i = if n.links.prev == NIL {
                self.queue.tail
            } else {
                n.links.prev
            };
        }
        let (id, size) = (self.res[i].id, self.res[i].size);
        self.hand = i;
        self.unlink(i);
        evicted.push(Victim { id, size });
    }
}

impl EvictionPolicy for Sieve {
    fn name(&self) -> &'static str {
        "sieve"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        // One hash: the node is added before eviction, which cannot pick it because
        // it is not on the queue yet.
        match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.res[i].visited = true;
                true
            }
            Probe::Vacant(v) => {
                if req.size as u64 <= self.capacity {
                    let i = self.res.add_vacant(v, Node::new(req));
                    self.fill(i, evicted);
                }
                false
            }
        }
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.res[i].visited = true;
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 <= self.capacity {
            let i = self.res.add(Node::new(req));
            self.fill(i, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        let size = self.res[i].size;
        self.unlink(i);
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.res.find(id).is_some()
    }
    fn used(&self) -> u64 {
        self.queue.bytes
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.queue.len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::run;

    /// Capacity 3. Queue written oldest -> newest, `*` = visited, `^` = hand.
    /// A B C (misses)            A B C
    /// A (hit)                   A* B C
    /// D: hand starts at the oldest, A* -> clear, B clear -> evict B; hand stays at C
    ///                           A C D, hand at C
    /// C (hit)                   A C* D
    /// E: hand at C* -> clear, D clear -> evict D; hand past the newest (nothing newer)
    ///                           A C E, hand NIL (restarts from the oldest)
    /// F: hand from oldest: A clear -> evict A (A's bit was cleared in the first sweep)
    ///                           C E F, hand at C
    /// B (miss: it was evicted): C clear -> evict C
    /// LRU on the same sequence evicts B, A, D, C: SIEVE instead lets the hit A outlive
    /// the never-hit newcomer D ("quick demotion"), and keeps A at its place in the
    /// queue (no move to the head), which is why A leaves at F.
    #[test]
    fn hand_sweeps_and_stays() {
        let mut c = Sieve::new(3);
        let (hits, ev) = run(&mut c, &[1, 2, 3, 1, 4, 3, 5, 6, 2]);
        let want = [false, false, false, true, false, true, false, false, false];
        assert_eq!(hits, want);
        assert_eq!(ev, vec![2, 4, 1, 3]);
        assert!(c.contains(5) && c.contains(6) && c.contains(2));
    }

    /// The hand keeps its place across evictions: with capacity 4 and objects
    /// A B C D all hit once, E's eviction sweeps all four bits (A* B* C* D* -> wrap to
    /// A, now clear) and evicts A, leaving the hand at B. A hit on E then F: hand at B
    /// (clear) -> evict B at once, without revisiting C or D.
    #[test]
    fn hand_resumes_where_it_stopped() {
        let mut c = Sieve::new(4);
        let (hits, ev) = run(&mut c, &[1, 2, 3, 4, 1, 2, 3, 4, 5, 5, 6]);
        assert_eq!(hits.iter().filter(|&&h| h).count(), 5);
        assert_eq!(ev, vec![1, 2]);
        // Next miss: hand at C (clear) -> evict C.
        let (_, ev) = run(&mut c, &[7]);
        assert_eq!(ev, vec![3]);
    }

    #[test]
    fn variable_sizes_evict_until_it_fits() {
        // capacity 10: A(4) B(4) fill 8; C(6) needs 4 more -> evict A, then 4+6=10 fits.
        let mut c = Sieve::new(10);
        let mut ev = Vec::new();
        c.access(&Request::read(1, 4), &mut ev);
        c.access(&Request::read(2, 4), &mut ev);
        c.access(&Request::read(3, 6), &mut ev);
        assert_eq!(ev, vec![Victim { id: 1, size: 4 }]);
        assert_eq!(c.used(), 10);
        // An object larger than the whole cache is not admitted and evicts nothing.
        assert!(!c.access(&Request::read(9, 11), &mut ev));
        assert!(!c.contains(9) && ev.len() == 1);
    }
}
