//! An id -> slot index for slab-allocated policies: open addressing with linear
//! probing and backward-shift deletion, 8 bytes per bucket (the slot and 32 bits of
//! the id's hash). The id itself lives in the policy's node, so a lookup compares the
//! hash tag first and reads the node only on a tag match, and removing an evicted
//! node never touches any other node. Half the memory of a `HashMap<u64, u32>`, one
//! cache line per probe, and [`SlotIndex::prefetch`] lets a replay loop start loading
//! a bucket several requests ahead.
//!
//! Dense ids: when the workload numbers its objects 0..N (training samples, embedding
//! rows, GEMM tiles), [`SlotIndex::use_dense_ids`] switches ids below N to a table
//! indexed by the id itself (4 bytes an id, no hashing, no probing, and a hit needs
//! no node read to confirm the id); any id at or above N still goes to the hash table,
//! so the index stays correct for every id.

const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Bucket {
    slot: u32,
    tag: u32,
}

const VACANT: Bucket = Bucket {
    slot: EMPTY,
    tag: 0,
};

/// Where a looked-up id is, or where it would go.
pub(crate) enum Probe {
    Found(u32),
    Vacant(VacantBucket),
}

/// A free bucket for an id just looked up; valid until the index is next changed.
pub(crate) struct VacantBucket {
    /// The bucket, or the id itself in the dense table (`tag == DENSE`).
    at: usize,
    tag: u32,
}

/// The tag of a [`VacantBucket`] in the dense table (hash tags of the hash table are
/// never compared with it).
const DENSE: u32 = u32::MAX;

/// Multiplicative hash of an id, high bits first (the top bits pick the bucket).
#[inline]
fn hash(id: u64) -> u32 {
    let x = (id ^ (id >> 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 32) as u32
}

pub(crate) struct SlotIndex {
    buckets: Vec<Bucket>,
    mask: usize,
    shift: u32,
    /// Entries in both tables.
    len: usize,
    /// Entries in the dense table.
    dense_len: usize,
    /// Slot of every id below `dense.len()` (EMPTY when absent).
    dense: Vec<u32>,
    /// Bit `id` set when dense id `id` is indexed: an eighth of a byte an id, so it
    /// stays in the CPU cache where the table does not (presence checks read it).
    present: Vec<u64>,
}

impl Default for SlotIndex {
    fn default() -> Self {
        Self::with_buckets(16)
    }
}

impl SlotIndex {
    fn with_buckets(n: usize) -> Self {
        debug_assert!(n.is_power_of_two() && n >= 2);
        SlotIndex {
            buckets: vec![VACANT; n],
            mask: n - 1,
            shift: 32 - n.trailing_zeros(),
            len: 0,
            dense_len: 0,
            dense: Vec::new(),
            present: Vec::new(),
        }
    }

    /// Indexes ids `0..n` in a table indexed by the id (see the module doc); entries
    /// already indexed move over. Ids of `n` and above stay hashed.
    pub fn use_dense_ids(&mut self, n: u64, id_of: impl Fn(u32) -> u64) {
        let n = n.min(u32::MAX as u64) as usize;
        let old = std::mem::replace(self, Self::with_buckets(16));
        self.dense = vec![EMPTY; n];
        self.present = vec![0; n.div_ceil(64)];
        let hashed = old.buckets.iter().map(|b| b.slot);
        for slot in hashed.chain(old.dense).filter(|&s| s != EMPTY) {
            self.insert(id_of(slot), slot, &id_of);
        }
    }

    /// Whether `id` is in the dense table.
    #[inline]
    pub fn is_dense(&self, id: u64) -> bool {
        id < self.dense.len() as u64
    }

    /// The dense-table entry of `id`, if `id` is dense.
    #[inline]
    fn dense_at(&self, id: u64) -> Option<usize> {
        (id < self.dense.len() as u64).then_some(id as usize)
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        (tag >> self.shift) as usize
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Finds `id`; `id_of` gives the id stored in a slot.
    #[inline]
    pub fn probe(&self, id: u64, id_of: impl Fn(u32) -> u64) -> Probe {
        if let Some(at) = self.dense_at(id) {
            return match self.dense[at] {
                EMPTY => Probe::Vacant(VacantBucket { at, tag: DENSE }),
                slot => Probe::Found(slot),
            };
        }
        let tag = hash(id);
        let mut i = self.home(tag);
        loop {
            let b = self.buckets[i];
            if b.slot == EMPTY {
                return Probe::Vacant(VacantBucket { at: i, tag });
            }
            if b.tag == tag && id_of(b.slot) == id {
                return Probe::Found(b.slot);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The slot of `id`, if indexed.
    #[inline]
    pub fn get(&self, id: u64, id_of: impl Fn(u32) -> u64) -> Option<u32> {
        match self.probe(id, id_of) {
            Probe::Found(s) => Some(s),
            Probe::Vacant(_) => None,
        }
    }

    /// Indexes `slot` in the bucket a failed probe returned.
    #[inline]
    pub fn insert_vacant(&mut self, v: VacantBucket, slot: u32) {
        self.len += 1;
        if v.tag == DENSE {
            self.dense[v.at] = slot;
            self.present[v.at / 64] |= 1 << (v.at % 64);
            self.dense_len += 1;
            return;
        }
        self.buckets[v.at] = Bucket { slot, tag: v.tag };
        if self.hashed() * 4 > self.buckets.len() * 3 {
            self.grow();
        }
    }

    /// Indexes `slot` under `id`, which must not be indexed yet.
    pub fn insert(&mut self, id: u64, slot: u32, id_of: impl Fn(u32) -> u64) {
        match self.probe(id, id_of) {
            Probe::Vacant(v) => self.insert_vacant(v, slot),
            Probe::Found(_) => panic!("id {id} indexed twice"),
        }
    }

    /// Removes the entry of `id`, known to be indexed at `slot`.
    #[inline]
    pub fn remove(&mut self, id: u64, slot: u32) {
        if let Some(at) = self.dense_at(id) {
            debug_assert_eq!(self.dense[at], slot, "id {id} not indexed at {slot}");
            self.dense[at] = EMPTY;
            self.present[at / 64] &= !(1 << (at % 64));
            self.len -= 1;
            self.dense_len -= 1;
            return;
        }
        let mut i = self.home(hash(id));
        while self.buckets[i].slot != slot {
            debug_assert!(self.buckets[i].slot != EMPTY, "id {id} not indexed");
            i = (i + 1) & self.mask;
        }
        self.delete_at(i);
    }

    /// Backward-shift deletion: later entries of the run move into the hole when
    /// their home bucket allows it, so no tombstones accumulate.
    #[inline]
    fn delete_at(&mut self, mut hole: usize) {
        let mut j = (hole + 1) & self.mask;
        loop {
            let b = self.buckets[j];
            if b.slot == EMPTY {
                break;
            }
            let home = self.home(b.tag);
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.buckets[hole] = b;
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.buckets[hole] = VACANT;
        self.len -= 1;
    }

    /// Entries in the hash table.
    #[inline]
    fn hashed(&self) -> usize {
        self.len - self.dense_len
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        let n = old.len() * 2;
        self.buckets = vec![VACANT; n];
        self.mask = n - 1;
        self.shift = 32 - n.trailing_zeros();
        for b in old.into_iter().filter(|b| b.slot != EMPTY) {
            let mut i = self.home(b.tag);
            while self.buckets[i].slot != EMPTY {
                i = (i + 1) & self.mask;
            }
            self.buckets[i] = b;
        }
    }

    /// Whether dense id `id` is indexed, from the presence bitmap (no table read);
    /// None for an id that is not dense.
    #[inline]
    pub fn dense_contains(&self, id: u64) -> Option<bool> {
        let at = self.dense_at(id)?;
        Some(self.present[at / 64] & (1 << (at % 64)) != 0)
    }

    /// For a presence check of `id` followed by an insert if absent: starts loading
    /// the table entry of a dense id only when it is absent (a present one needs no
    /// more than its bit), or the home bucket of any other id.
    #[inline]
    pub fn prefetch_for_insert(&self, id: u64) {
        match self.dense_contains(id) {
            Some(true) => {}
            _ => self.prefetch(id),
        }
    }

    /// Starts loading the home bucket of `id` into the CPU cache.
    #[inline]
    pub fn prefetch(&self, id: u64) {
        match self.dense_at(id) {
            Some(at) => prefetch_ptr(self.dense.as_ptr().wrapping_add(at)),
            None => prefetch_ptr(self.buckets.as_ptr().wrapping_add(self.home(hash(id)))),
        }
    }

    /// The slot of the first bucket whose hash tag matches `id`'s, without reading
    /// any node: the likely slot of `id`, for prefetching its node.
    #[inline]
    pub fn peek(&self, id: u64) -> Option<u32> {
        if let Some(at) = self.dense_at(id) {
            return Some(self.dense[at]).filter(|&s| s != EMPTY);
        }
        let tag = hash(id);
        let mut i = self.home(tag);
        loop {
            let b = self.buckets[i];
            if b.slot == EMPTY {
                return None;
            }
            if b.tag == tag {
                return Some(b.slot);
            }
            i = (i + 1) & self.mask;
        }
    }
}

/// Starts loading the cache line at `p` (a hint: never faults, changes nothing).
#[inline]
pub fn prefetch_ptr<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: _mm_prefetch is a hint that never dereferences or faults, whatever `p`.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use std::collections::HashMap;

    /// Random lookups, inserts and removes of `id()`'s ids, each lookup checked
    /// against a model HashMap; `before(step, index, ids)` runs before each step.
    fn exercise(
        steps: usize,
        mut id: impl FnMut() -> u64,
        mut before: impl FnMut(usize, &mut SlotIndex, &[u64]),
        rng: &mut crate::engine::Rng,
    ) -> SlotIndex {
        // ids[slot] = id.
        let mut ids: Vec<u64> = Vec::new();
        let mut free: Vec<u32> = Vec::new();
        let mut idx = SlotIndex::default();
        let mut model: HashMap<u64, u32> = HashMap::new();
        for step in 0..steps {
            before(step, &mut idx, &ids);
            let id = id();
            let found = idx.get(id, |s| ids[s as usize]);
            assert_eq!(found, model.get(&id).copied(), "step {step}, id {id}");
            match found {
                Some(slot) if rng.gen_bool(0.5) => {
                    idx.remove(id, slot);
                    model.remove(&id);
                    free.push(slot);
                }
                Some(_) => {}
                None => {
                    let slot = match free.pop() {
                        Some(s) => {
                            ids[s as usize] = id;
                            s
                        }
                        None => {
                            ids.push(id);
                            (ids.len() - 1) as u32
                        }
                    };
                    idx.insert(id, slot, |s| ids[s as usize]);
                    model.insert(id, slot);
                }
            }
            assert_eq!(idx.len(), model.len());
        }
        idx
    }

    #[test]
    fn agrees_with_a_hashmap_under_random_inserts_and_removes() {
        let mut ids = crate::engine::stream(1, "slot-index-test");
        let mut ops = crate::engine::stream(2, "slot-index-ops");
        // Ids that differ only in high bits, too, to stress the hash.
        let id = || ids.gen_range(0..2_000u64) << (ids.gen_range(0..3) * 24);
        exercise(200_000, id, |_, _, _| {}, &mut ops);
    }

    #[test]
    fn dense_ids_agree_with_a_hashmap_below_and_above_the_limit() {
        let mut ids = crate::engine::stream(3, "slot-index-dense-test");
        let mut ops = crate::engine::stream(4, "slot-index-dense-ops");
        // Half the ids below the dense limit, half above it.
        let id = || ids.gen_range(0..3_000u64);
        let switch = |step: usize, idx: &mut SlotIndex, slots: &[u64]| {
            if step == 20_000 {
                // Switch with entries present: they must all move over.
                let len = idx.len();
                idx.use_dense_ids(1_500, |s| slots[s as usize]);
                assert_eq!(idx.len(), len);
            }
            if step >= 20_000 {
                // A dense id's peek is exact, and its presence bit says whether it
                // is indexed; other ids have no presence bit.
                for id in [0u64, 7, 63, 64, 1_499] {
                    let slot = idx.peek(id);
                    assert_eq!(slot, idx.get(id, |s| slots[s as usize]));
                    assert_eq!(idx.dense_contains(id), Some(slot.is_some()));
                }
                assert_eq!(idx.dense_contains(1_500), None);
            }
        };
        let idx = exercise(100_000, id, switch, &mut ops);
        assert!(idx.dense_len > 0 && idx.hashed() > 0, "both tables used");
    }
}
