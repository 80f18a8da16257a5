//! MinIO, the cache of CoorDL (Mohan et al., "Analyzing and Mitigating Data Stalls in
//! DNN Training", VLDB 2021): insert every missed object while it fits, and never evict.
//! A miss that does not fit in the remaining space is served but not admitted. Under
//! per-epoch random shuffling of N equal items this is optimal for an on-demand cache:
//! exactly C of the N accesses of every epoch after the first hit (REFERENCES.md
//! section 3, "MinIO cache", and section 4, item 1), where LRU thrashes.

use super::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::Request;

/// Fill-until-full cache: an id -> size map and a byte count.
pub struct MinIo {
    map: IdMap<u32>,
    used: u64,
    capacity: u64,
}

impl MinIo {
    pub fn new(capacity: u64) -> Self {
        MinIo {
            map: IdMap::default(),
            used: 0,
            capacity,
        }
    }
}

impl EvictionPolicy for MinIo {
    fn name(&self) -> &'static str {
        "minio"
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.map.contains_key(&req.id) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.map.contains_key(&req.id)
    }

    /// Admits the object only if it fits in the space left; never evicts.
    fn insert(&mut self, req: &Request, _evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if self.used + size <= self.capacity {
            self.map.insert(req.id, req.size);
            self.used += size;
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let s = self.map.remove(&id)?;
        self.used -= s as u64;
        Some(s)
    }

    fn contains(&self, id: u64) -> bool {
        self.map.contains_key(&id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stream;
    use rand::seq::SliceRandom;

    /// REFERENCES.md section 4, item 1: with N equal items read in a fresh random
    /// permutation every epoch and room for C of them, MinIO holds the first C distinct
    /// items of epoch 0 forever, so every later epoch hits exactly C times (and epoch 0
    /// never hits, since each item appears once per epoch).
    #[test]
    fn exactly_c_hits_per_epoch_under_shuffling() {
        let (n, c, epochs) = (1000u64, 300u64, 5);
        let mut rng = stream(42, "test.minio.shuffle");
        let mut cache = MinIo::new(c);
        let mut order: Vec<u64> = (0..n).collect();
        let mut ev = Vec::new();
        for epoch in 0..epochs {
            order.shuffle(&mut rng);
            let hits = order
                .iter()
                .filter(|&&id| cache.access(&Request::read(id, 1), &mut ev))
                .count() as u64;
            assert_eq!(hits, if epoch == 0 { 0 } else { c }, "epoch {epoch}");
        }
        assert!(ev.is_empty());
        assert_eq!((cache.used(), cache.len()), (c, c as usize));
    }

    #[test]
    fn fills_bytes_then_refuses_what_does_not_fit() {
        // capacity 10: 4 fits (4), 5 fits (9), 3 does not (12 > 10), 1 fits (10).
        let mut cache = MinIo::new(10);
        let mut ev = Vec::new();
        for (id, size) in [(1, 4), (2, 5), (3, 3), (4, 1)] {
            assert!(!cache.access(&Request::read(id, size), &mut ev));
        }
        assert!(cache.contains(1) && cache.contains(2) && !cache.contains(3));
        assert!(cache.access(&Request::read(4, 1), &mut ev));
        assert!(!cache.access(&Request::read(3, 3), &mut ev));
        assert_eq!(cache.used(), 10);
        // Removing frees room for the next miss.
        assert_eq!(cache.remove(2), Some(5));
        assert!(!cache.access(&Request::read(3, 3), &mut ev));
        assert!(cache.contains(3) && cache.used() == 8 && ev.is_empty());
    }
}
