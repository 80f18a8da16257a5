//! SHADE-like importance-based admission (Khan et al., FAST'23; REFERENCES.md s3). The
//! workload supplies a per-sample importance ([`EvictionPolicy::set_importance`],
//! reached through `Hierarchy::set_importance`); SHADE scores a sample by the rank of
//! its loss within its batch as log(rank + 10) ([`importance_from_rank`], rank 1 = the
//! lowest loss). A missed sample is admitted while the cache has room; when full, only
//! if its importance strictly beats the least important cached sample, which is then
//! evicted (as many as needed for its size, all less important, or none at all).
//! Samples never scored have importance 0, below any rank-based score. A hit changes
//! nothing; a new score for a cached sample reorders it. Unlike the other policies, a
//! miss does not always insert (admission control): the object may stay out.

use super::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::Request;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// SHADE's importance of a sample whose loss ranks `rank` (1-based, ascending) in its
/// batch: ln(rank + 10).
pub fn importance_from_rank(rank: u64) -> f64 {
    ((rank + 10) as f64).ln()
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Key(f64, u64, u64); // (importance, version, id)

impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then(self.1.cmp(&other.1))
            .then(self.2.cmp(&other.2))
    }
}

/// See the module doc.
pub struct Shade {
    capacity: u64,
    used: u64,
    /// Resident objects: (size, importance, version of their heap entry).
    resident: IdMap<(u32, f64, u64)>,
    /// Importance of every scored object.
    scores: IdMap<f64>,
    /// Min-heap of resident objects by importance, lazily invalidated.
    heap: BinaryHeap<Reverse<Key>>,
    version: u64,
    scratch: Vec<Key>,
}

impl Shade {
    pub fn new(capacity: u64) -> Self {
        Shade {
            capacity,
            used: 0,
            resident: IdMap::default(),
            scores: IdMap::default(),
            heap: BinaryHeap::new(),
            version: 0,
            scratch: Vec::new(),
        }
    }

    fn live(&self, k: &Key) -> bool {
        self.resident.get(&k.2).is_some_and(|e| e.2 == k.1)
    }

    fn push(&mut self, id: u64, importance: f64) -> u64 {
        self.version += 1;
        self.heap.push(Reverse(Key(importance, self.version, id)));
        if self.heap.len() > 2 * self.resident.len() + 1024 {
            let resident = &self.resident;
            self.heap
                .retain(|Reverse(k)| resident.get(&k.2).is_some_and(|e| e.2 == k.1));
        }
        self.version
    }
}

impl EvictionPolicy for Shade {
    fn name(&self) -> &'static str {
        "shade"
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.lookup(req) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.resident.contains_key(&req.id)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if size > self.capacity {
            return;
        }
        let importance = self.scores.get(&req.id).copied().unwrap_or(0.0);
        // Collect the least important residents that would make room, all strictly
        // less important than the newcomer; admit only if they suffice.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut freed = 0;
        while self.used - freed + size > self.capacity {
            let Some(Reverse(k)) = self.heap.pop() else {
                break;
            };
            if !self.live(&k) {
                continue;
            }
            if k.0 >= importance {
                self.heap.push(Reverse(k));
                break;
            }
            freed += self.resident[&k.2].0 as u64;
            scratch.push(k);
        }
        if self.used - freed + size > self.capacity {
            for k in scratch.drain(..) {
                self.heap.push(Reverse(k));
            }
        } else {
            for k in scratch.drain(..) {
                let (s, _, _) = self.resident.remove(&k.2).expect("live");
                self.used -= s as u64;
                evicted.push(Victim { id: k.2, size: s });
            }
            let v = self.push(req.id, importance);
            self.resident.insert(req.id, (req.size, importance, v));
            self.used += size;
        }
        self.scratch = scratch;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let (s, _, _) = self.resident.remove(&id)?;
        self.used -= s as u64;
        Some(s)
    }

    fn contains(&self, id: u64) -> bool {
        self.resident.contains_key(&id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.resident.len()
    }

    fn set_importance(&mut self, id: u64, importance: f64) {
        self.scores.insert(id, importance);
        if self.resident.contains_key(&id) {
            let v = self.push(id, importance);
            let e = self.resident.get_mut(&id).expect("resident");
            e.1 = importance;
            e.2 = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_only_more_important_samples_when_full() {
        let mut c = Shade::new(2);
        let mut ev = Vec::new();
        for (id, rank) in [(1, 5), (2, 1), (3, 3), (4, 1)] {
            c.set_importance(id, importance_from_rank(rank));
        }
        assert!(!c.access(&Request::read(1, 1), &mut ev));
        assert!(!c.access(&Request::read(2, 1), &mut ev));
        assert!(ev.is_empty());
        // 3 (ln 13) beats the minimum, 2 (ln 11): 2 leaves.
        assert!(!c.access(&Request::read(3, 1), &mut ev));
        assert_eq!(ev, vec![Victim { id: 2, size: 1 }]);
        // 4 (ln 11) does not beat the minimum, 3 (ln 13): not admitted.
        ev.clear();
        assert!(!c.access(&Request::read(4, 1), &mut ev));
        assert!(ev.is_empty() && !c.contains(4));
        assert!(c.contains(1) && c.contains(3));
        // Rescoring a cached sample reorders it: 1 drops to 0, then 4 gets in.
        c.set_importance(1, 0.0);
        assert!(!c.access(&Request::read(4, 1), &mut ev));
        assert_eq!(ev, vec![Victim { id: 1, size: 1 }]);
        assert_eq!((c.used(), c.len()), (2, 2));
    }
}
