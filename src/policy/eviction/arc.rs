//! Adaptive replacement cache (Megiddo and Modha, FAST '03), exactly as libCacheSim's
//! `ARC.c`: T1 (seen once) and T2 (seen twice or more) hold data; their ghosts B1 and
//! B2 hold ids of objects recently evicted from them. A ghost hit adapts the target
//! size p of T1 (by max(|B2|/|B1|, 1) up on a B1 hit, by max(|B1|/|B2|, 1) down on a
//! B2 hit, as floating point), leaves the ghost, counts as a miss and enters T2; any
//! other miss enters T1. Sizes are in bytes (objects in unit-size mode).
//!
//! Making room, as libCacheSim does, only when the cache is full:
//! - after a ghost hit: REPLACE;
//! - otherwise, if |T1| + |B1| + size > c: drop B1's oldest id and REPLACE when B1 is
//!   not empty, else evict T1's oldest without a ghost;
//!   else: if |T1| + |B1| + |T2| + |B2| >= 2c drop B2's oldest id (if any); REPLACE.
//!
//! REPLACE moves T1's oldest to B1 when T2 is empty or (T1 is not empty and
//! (|T1| > p or (|T1| = p and the request hit B2))), else T2's oldest to B2.

use super::linked::{impl_linked, Links, List, Resident};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Where {
    T1 = 0,
    T2 = 1,
    B1 = 2,
    B2 = 3,
}

struct Node {
    id: u64,
    size: u32,
    at: Where,
    links: Links,
}

impl_linked!(Node);

/// ARC with libCacheSim's exact adaptation and eviction order.
pub struct Arc {
    res: Resident<Node>,
    /// T1, T2, B1, B2, indexed by `Where`; their byte totals are the sizes.
    lists: [List; 4],
    p: f64,
    capacity: u64,
}

impl Arc {
    /// Bytes (objects in unit-size mode) in list `at`.
    #[inline]
    fn bytes(&self, at: Where) -> u64 {
        self.lists[at as usize].bytes
    }

    /// Takes node `i` out of its list.
    #[inline]
    fn detach(&mut self, i: u32) {
        let at = self.res[i].at;
        self.lists[at as usize].unlink(&mut self.res.slab, i);
    }

    /// Links node `i` (in no list) at the head of `to`.
    #[inline]
    fn attach(&mut self, i: u32, to: Where) {
        self.lists[to as usize].push_front(&mut self.res.slab, i);
        self.res[i].at = to;
    }

    /// Adapts p on a hit in ghost `at` and takes the node out of the ghost.
    fn ghost_hit(&mut self, i: u32, at: Where) {
        let (b1, b2) = (self.bytes(Where::B1) as f64, self.bytes(Where::B2) as f64);
        if at == Where::B1 {
            let delta = (b2 / b1).max(1.0);
            self.p = (self.p + delta).min(self.capacity as f64);
        } else {
            let delta = (b1 / b2).max(1.0);
            self.p = (self.p - delta).max(0.0);
        }
        self.detach(i);
    }

    /// REPLACE: one object from T1 or T2 to its ghost.
    fn replace(&mut self, hit_b2: bool, evicted: &mut Vec<Victim>) {
        let t1_bytes = self.bytes(Where::T1);
        let t1 = t1_bytes as f64;
        let from_t1 = (t1_bytes > 0 && (t1 > self.p || (t1 == self.p && hit_b2)))
            || self.bytes(Where::T2) == 0;
        let (from, ghost) = if from_t1 {
            (Where::T1, Where::B1)
        } else {
            (Where::T2, Where::B2)
        };
        let victim = self.lists[from as usize].tail;
        let Node { id, size, .. } = self.res[victim];
        self.detach(victim);
        self.attach(victim, ghost);
        evicted.push(Victim { id, size });
    }

    pub fn new(capacity: u64) -> Self {
        Arc {
            res: Resident::default(),
            lists: [List::default(); 4],
            p: 0.0,
            capacity,
        }
    }

    /// Forgets node `i` entirely (a dropped ghost or an evicted object without ghost).
    fn forget(&mut self, i: u32) {
        self.detach(i);
        self.res.forget(i);
    }

    /// One eviction step for a miss of `size` bytes (`ghost`: the ghost it hit).
    fn evict(&mut self, size: u64, ghost: Option<Where>, evicted: &mut Vec<Victim>) {
        let [t1, t2, b1, b2] = self.lists.map(|l| l.bytes);
        let c = self.capacity;
        if ghost.is_some() {
            self.replace(ghost == Some(Where::B2), evicted);
        } else if t1 + b1 + size > c {
            if b1 > 0 {
                self.forget(self.lists[Where::B1 as usize].tail);
                self.replace(false, evicted);
            } else {
                let t = self.lists[Where::T1 as usize].tail;
                let Node { id, size, .. } = self.res[t];
                self.forget(t);
                evicted.push(Victim { id, size });
            }
        } else {
            if t1 + b1 + t2 + b2 >= 2 * c && b2 > 0 {
                self.forget(self.lists[Where::B2 as usize].tail);
            }
            self.replace(false, evicted);
        }
    }

    /// The miss path after the lookup: node `i` is mapped but in no list.
    fn fill(&mut self, i: u32, ghost: Option<Where>, evicted: &mut Vec<Victim>) {
        let size = self.res[i].size as u64;
        while self.used() + size > self.capacity {
            self.evict(size, ghost, evicted);
        }
        let to = if ghost.is_some() {
            Where::T2
        } else {
            Where::T1
        };
        self.attach(i, to);
    }

    /// One request: Some(true) on a hit, None after a miss that inserted, Some(false)
    /// after a miss that could not insert (object larger than the cache).
    fn request(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> Option<bool> {
        let size = req.size as u64;
        let cap = self.capacity;
        let (slot, ghost) = match self.res.probe(req.id) {
            Probe::Found(i) => {
                let at = self.res[i].at;
                match at {
                    Where::T1 => {
                        self.detach(i);
                        self.attach(i, Where::T2);
                        return Some(true);
                    }
                    Where::T2 => {
                        self.lists[Where::T2 as usize].move_to_front(&mut self.res.slab, i);
                        return Some(true);
                    }
                    Where::B1 | Where::B2 => {
                        self.ghost_hit(i, at);
                        if size > cap {
                            self.res.forget(i);
                            return Some(false);
                        }
                        self.res[i].size = req.size;
                        (i, Some(at))
                    }
                }
            }
            Probe::Vacant(v) => {
                if size > cap {
                    return Some(false);
                }
                let node = Node {
                    id: req.id,
                    size: req.size,
                    at: Where::T1,
                    links: Links::NONE,
                };
                (self.res.add_vacant(v, node), None)
            }
        };
        self.fill(slot, ghost, evicted);
        None
    }

    fn data_node(&self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        matches!(self.res[i].at, Where::T1 | Where::T2).then_some(i)
    }

    /// The target size of T1 (for tests and diagnostics).
    pub fn target_t1(&self) -> f64 {
        self.p
    }
}

impl EvictionPolicy for Arc {
    fn name(&self) -> &'static str {
        "arc"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        self.request(req, evicted).unwrap_or(false)
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.data_node(req.id) {
            Some(_) => {
                let mut none = Vec::new();
                self.request(req, &mut none).unwrap_or(false)
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if self.data_node(req.id).is_none() {
            self.request(req, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.data_node(id)?;
        let size = self.res[i].size;
        self.forget(i);
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.data_node(id).is_some()
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
        self.bytes(Where::T1) + self.bytes(Where::T2)
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        (self.lists[Where::T1 as usize].len + self.lists[Where::T2 as usize].len) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, victims};

    #[test]
    fn hand_worked_sequence() {
        // c = 2, lists written newest first, p starts at 0.
        // 1 miss: T1 [1]. 2 miss: T1 [2 1]. 1 hit: T1 [2], T2 [1].
        // 3 miss, full: |T1|+|B1|+1 = 2 is not > 2; total 2 < 4; REPLACE: |T1| = 1 > p = 0
        //   so 2 goes to B1 [2]; T1 [3].
        // 2 miss, ghost hit in B1: p = min(0 + max(0/1, 1), 2) = 1; B1 []; full: REPLACE
        //   with |T1| = 1 = p but not a B2 hit, T2 not empty: T2's 1 goes to B2 [1];
        //   2 enters T2 [2]. Now T1 [3], T2 [2], B2 [1].
        // 1 miss, ghost hit in B2: p = max(1 - max(0/1, 1), 0) = 0; REPLACE: |T1| = 1 > 0:
        //   3 to B1 [3]; 1 enters T2 [1 2].
        // 3 miss, ghost hit in B1: p = 0 + max(0/1, 1) = 1; REPLACE: |T1| = 0, T2 not
        //   empty: T2's oldest 2 to B2 [2]; 3 enters T2 [3 1].
        let seq = [1, 2, 1, 3, 2, 1, 3];
        let h = hits(&mut Arc::new(2), &seq);
        assert_eq!(h, vec![false, false, true, false, false, false, false]);
        let mut a = Arc::new(2);
        assert_eq!(victims(&mut a, &seq), vec![2, 1, 3, 2]);
        assert_eq!(a.target_t1(), 1.0);
        assert!(a.contains(3) && a.contains(1) && !a.contains(2));
    }

    #[test]
    fn cold_misses_without_ghosts_evict_t1_oldest() {
        // c = 3, a scan 1..=5: after 1 2 3, 4 finds |T1|+|B1|+1 = 4 > 3 and B1 empty,
        // so 1 leaves without a ghost; likewise 2 for 5. A later 1 is a plain miss.
        let mut a = Arc::new(3);
        assert_eq!(victims(&mut a, &[1, 2, 3, 4, 5]), vec![1, 2]);
        assert_eq!(a.target_t1(), 0.0);
        assert_eq!(hits(&mut a, &[1]), vec![false]);
        assert_eq!(a.target_t1(), 0.0);
    }
}
