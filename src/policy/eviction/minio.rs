//! MinIO, the cache of CoorDL (Mohan et al., "Analyzing and Mitigating Data Stalls in
//! DNN Training", VLDB 2021): insert every missed object while it fits, and never evict.
//! A miss that does not fit in the remaining space is served but not admitted. Under
//! per-epoch random shuffling of N equal items this is optimal for an on-demand cache:
//! exactly C of the N accesses of every epoch after the first hit (REFERENCES.md
//! section 3, "MinIO cache", and section 4, item 1), where LRU thrashes.
//!
//! With dense ids (a training set's samples `0..n`), a presence bitmap indexed by the
//! id answers lookups (an eighth of a byte an id, so it stays in the CPU cache where
//! a map would not) and a table indexed by the id keeps the sizes; other ids stay in
//! the map. Same decisions either way.

use super::slot_index::prefetch_ptr;
use super::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::Request;

/// Fill-until-full cache: an id -> size map (or tables for dense ids) and a byte count.
pub struct MinIo {
    /// Sizes of resident ids at or past `dense`.
    map: IdMap<u32>,
    /// Ids below this are dense (0 without dense ids).
    dense: u64,
    /// Bit `id` set when dense id `id` is resident.
    present: Vec<u64>,
    /// The size of each resident dense id.
    sizes: Vec<u32>,
    /// Resident dense ids.
    dense_len: usize,
    used: u64,
    capacity: u64,
}

impl MinIo {
    pub fn new(capacity: u64) -> Self {
        MinIo {
            map: IdMap::default(),
            dense: 0,
            present: Vec::new(),
            sizes: Vec::new(),
            dense_len: 0,
            used: 0,
            capacity,
        }
    }

    /// The word and bit of dense id `id` in `present`.
    #[inline]
    fn bit(&self, id: u64) -> Option<(usize, u64)> {
        (id < self.dense).then(|| ((id / 64) as usize, 1 << (id % 64)))
    }

    #[inline]
    fn resident(&self, id: u64) -> bool {
        match self.bit(id) {
            Some((w, b)) => self.present[w] & b != 0,
            None => self.map.contains_key(&id),
        }
    }

    /// Makes `id` (absent) resident with `size`.
    fn add(&mut self, id: u64, size: u32) {
        match self.bit(id) {
            Some((w, b)) => {
                self.present[w] |= b;
                self.sizes[id as usize] = size;
                self.dense_len += 1;
            }
            None => {
                self.map.insert(id, size);
            }
        }
    }
}

impl EvictionPolicy for MinIo {
    fn name(&self) -> &'static str {
        "minio"
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.resident(req.id) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.resident(req.id)
    }

    /// Admits the object only if it fits in the space left; never evicts.
    fn insert(&mut self, req: &Request, _evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if self.used + size <= self.capacity {
            self.add(req.id, req.size);
            self.used += size;
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let s = match self.bit(id) {
            Some((w, b)) if self.present[w] & b != 0 => {
                self.present[w] &= !b;
                self.dense_len -= 1;
                self.sizes[id as usize]
            }
            Some(_) => return None,
            None => self.map.remove(&id)?,
        };
        self.used -= s as u64;
        Some(s)
    }

    /// Tables for ids `0..n`; resident ones move over.
    fn use_dense_ids(&mut self, n: u64) {
        let old = std::mem::take(&mut self.map);
        self.dense = n;
        self.present = vec![0; n.div_ceil(64) as usize];
        self.sizes = crate::huge::table(n as usize, 0);
        self.dense_len = 0;
        for (id, size) in old {
            self.add(id, size);
        }
    }

    #[inline]
    fn prefetch(&self, id: u64) {
        if let Some((w, _)) = self.bit(id) {
            prefetch_ptr(self.present.as_ptr().wrapping_add(w));
        }
    }

    fn contains(&self, id: u64) -> bool {
        self.resident(id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.map.len() + self.dense_len
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

    #[test]
    fn dense_ids_make_the_same_decisions() {
        // The same ids and sizes with and without the bitmap (set before the first
        // access, and after some), ids past the bitmap included; removes clear bits.
        let mut rng = stream(7, "test.minio.dense");
        let reqs: Vec<Request> = (0..5000)
            .map(|_| {
                let id = rand::Rng::gen_range(&mut rng, 0..300u64);
                Request::read(id, 1 + (id % 7) as u32)
            })
            .collect();
        let mut plain = MinIo::new(400);
        let mut dense = MinIo::new(400);
        let mut late = MinIo::new(400);
        dense.use_dense_ids(200);
        let mut ev = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            if i == 100 {
                late.use_dense_ids(250);
            }
            if i % 97 == 0 {
                let id = r.id ^ 1;
                let a = plain.remove(id);
                assert_eq!(dense.remove(id), a);
                assert_eq!(late.remove(id), a);
            }
            let hit = plain.access(r, &mut ev);
            assert_eq!(dense.access(r, &mut ev), hit, "request {i}");
            assert_eq!(late.access(r, &mut ev), hit, "request {i}");
            assert_eq!(dense.contains(r.id ^ 2), plain.contains(r.id ^ 2));
        }
        assert_eq!((dense.used(), dense.len()), (plain.used(), plain.len()));
    }
}
