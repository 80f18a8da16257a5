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

use super::dlist::{Linked, Links, List, Slab};
use super::slot_index::{prefetch_ptr, Probe, SlotIndex};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Where {
    T1 = 0,
    T2 = 1,
    B1 = 2,
    B2 = 3,
}

#[derive(Clone, Copy)]
struct Node {
    id: u64,
    size: u32,
    at: Where,
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

/// Everything but the id index.
struct State {
    slab: Slab<Node>,
    /// T1, T2, B1, B2, indexed by `Where`.
    lists: [List; 4],
    /// Bytes (objects in unit-size mode) in each list.
    bytes: [u64; 4],
    p: f64,
    capacity: u64,
}

/// ARC with libCacheSim's exact adaptation and eviction order.
pub struct Arc {
    index: SlotIndex,
    st: State,
}

impl State {
    #[inline]
    fn bytes(&self, at: Where) -> u64 {
        self.bytes[at as usize]
    }

    /// Takes node `i` out of its list.
    #[inline]
    fn detach(&mut self, i: u32) {
        let Node { size, at, .. } = self.slab.nodes[i as usize];
        self.lists[at as usize].unlink(&mut self.slab.nodes, i);
        self.bytes[at as usize] -= size as u64;
    }

    /// Links node `i` (in no list) at the head of `to`.
    #[inline]
    fn attach(&mut self, i: u32, to: Where) {
        let size = self.slab.nodes[i as usize].size;
        self.lists[to as usize].push_front(&mut self.slab.nodes, i);
        self.bytes[to as usize] += size as u64;
        self.slab.nodes[i as usize].at = to;
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
        let Node { id, size, .. } = self.slab.nodes[victim as usize];
        self.detach(victim);
        self.attach(victim, ghost);
        evicted.push(Victim { id, size });
    }
}

impl Arc {
    pub fn new(capacity: u64) -> Self {
        Arc {
            index: SlotIndex::default(),
            st: State {
                slab: Slab::default(),
                lists: [List::default(); 4],
                bytes: [0; 4],
                p: 0.0,
                capacity,
            },
        }
    }

    /// Forgets node `i` entirely (a dropped ghost or an evicted object without ghost).
    fn forget(&mut self, i: u32) {
        self.st.detach(i);
        self.index.remove(self.st.slab.nodes[i as usize].id, i);
        self.st.slab.release(i);
    }

    /// One eviction step for a miss of `size` bytes (`ghost`: the ghost it hit).
    fn evict(&mut self, size: u64, ghost: Option<Where>, evicted: &mut Vec<Victim>) {
        let [t1, t2, b1, b2] = self.st.bytes;
        let c = self.st.capacity;
        if ghost.is_some() {
            self.st.replace(ghost == Some(Where::B2), evicted);
        } else if t1 + b1 + size > c {
            if b1 > 0 {
                self.forget(self.st.lists[Where::B1 as usize].tail);
                self.st.replace(false, evicted);
            } else {
                let t = self.st.lists[Where::T1 as usize].tail;
                let Node { id, size, .. } = self.st.slab.nodes[t as usize];
                self.forget(t);
                evicted.push(Victim { id, size });
            }
        } else {
            if t1 + b1 + t2 + b2 >= 2 * c && b2 > 0 {
                self.forget(self.st.lists[Where::B2 as usize].tail);
            }
            self.st.replace(false, evicted);
        }
    }

    /// The miss path after the lookup: node `i` is mapped but in no list.
    fn fill(&mut self, i: u32, ghost: Option<Where>, evicted: &mut Vec<Victim>) {
        let size = self.st.slab.nodes[i as usize].size as u64;
        while self.used() + size > self.st.capacity {
            self.evict(size, ghost, evicted);
        }
        let to = if ghost.is_some() {
            Where::T2
        } else {
            Where::T1
        };
        self.st.attach(i, to);
    }

    /// One request: Some(true) on a hit, None after a miss that inserted, Some(false)
    /// after a miss that could not insert (object larger than the cache).
    fn request(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> Option<bool> {
        let size = req.size as u64;
        let cap = self.st.capacity;
        let nodes = &self.st.slab.nodes;
        let (slot, ghost) = match self.index.probe(req.id, |s| nodes[s as usize].id) {
            Probe::Found(i) => {
                let at = self.st.slab.nodes[i as usize].at;
                match at {
                    Where::T1 => {
                        self.st.detach(i);
                        self.st.attach(i, Where::T2);
                        return Some(true);
                    }
                    Where::T2 => {
                        self.st.lists[Where::T2 as usize].move_to_front(&mut self.st.slab.nodes, i);
                        return Some(true);
                    }
                    Where::B1 | Where::B2 => {
                        self.st.ghost_hit(i, at);
                        if size > cap {
                            self.index.remove(req.id, i);
                            self.st.slab.release(i);
                            return Some(false);
                        }
                        self.st.slab.nodes[i as usize].size = req.size;
                        (i, Some(at))
                    }
                }
            }
            Probe::Vacant(v) => {
                if size > cap {
                    return Some(false);
                }
                let i = self.st.slab.alloc(Node {
                    id: req.id,
                    size: req.size,
                    at: Where::T1,
                    links: Links::default(),
                });
                self.index.insert_vacant(v, i);
                (i, None)
            }
        };
        self.fill(slot, ghost, evicted);
        None
    }

    fn data_node(&self, id: u64) -> Option<u32> {
        let i = self.index.get(id, |s| self.st.slab.nodes[s as usize].id)?;
        matches!(self.st.slab.nodes[i as usize].at, Where::T1 | Where::T2).then_some(i)
    }

    /// The target size of T1 (for tests and diagnostics).
    pub fn target_t1(&self) -> f64 {
        self.st.p
    }
}

impl EvictionPolicy for Arc {
    fn name(&self) -> &'static str {
        "arc"
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
        let size = self.st.slab.nodes[i as usize].size;
        self.forget(i);
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.data_node(id).is_some()
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        self.index.prefetch(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        if let Some(s) = self.index.peek(id) {
            prefetch_ptr(self.st.slab.nodes.as_ptr().wrapping_add(s as usize));
        }
    }
    fn used(&self) -> u64 {
        self.st.bytes(Where::T1) + self.st.bytes(Where::T2)
    }
    fn capacity(&self) -> u64 {
        self.st.capacity
    }
    fn len(&self) -> usize {
        (self.st.lists[0].len + self.st.lists[1].len) as usize
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
