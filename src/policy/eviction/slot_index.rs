//! An id -> slot index for slab-allocated policies: open addressing with linear
//! probing and backward-shift deletion, 8 bytes per bucket (the slot and 32 bits of
//! the id's hash). The id itself lives in the policy's node, so a lookup compares the
//! hash tag first and reads the node only on a tag match, and removing an evicted
//! node never touches any other node. Half the memory of a `HashMap<u64, u32>`, one
//! cache line per probe, and [`SlotIndex::prefetch`] lets a replay loop start loading
//! a bucket several requests ahead.

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
    at: usize,
    tag: u32,
}

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
    len: usize,
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
        }
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
        self.buckets[v.at] = Bucket { slot, tag: v.tag };
        self.len += 1;
        if self.len * 4 > self.buckets.len() * 3 {
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

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.buckets);
        *self = Self::with_buckets(old.len() * 2);
        for b in old.into_iter().filter(|b| b.slot != EMPTY) {
            let mut i = self.home(b.tag);
            while self.buckets[i].slot != EMPTY {
                i = (i + 1) & self.mask;
            }
            self.buckets[i] = b;
            self.len += 1;
        }
    }

    /// Starts loading the home bucket of `id` into the CPU cache.
    #[inline]
    pub fn prefetch(&self, id: u64) {
        prefetch_ptr(self.buckets.as_ptr().wrapping_add(self.home(hash(id))));
    }

    /// The slot of the first bucket whose hash tag matches `id`'s, without reading
    /// any node: the likely slot of `id`, for prefetching its node.
    #[inline]
    pub fn peek(&self, id: u64) -> Option<u32> {
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
pub(crate) fn prefetch_ptr<T>(p: *const T) {
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

    #[test]
    fn agrees_with_a_hashmap_under_random_inserts_and_removes() {
        // ids[slot] = id; a model HashMap checks every lookup.
        let mut rng = crate::engine::stream(1, "slot-index-test");
        let mut ids: Vec<u64> = Vec::new();
        let mut free: Vec<u32> = Vec::new();
        let mut idx = SlotIndex::default();
        let mut model: HashMap<u64, u32> = HashMap::new();
        for _ in 0..200_000 {
            // Ids that differ only in high bits, too, to stress the hash.
            let id = rng.gen_range(0..2_000u64) << (rng.gen_range(0..3) * 24);
            let found = idx.get(id, |s| ids[s as usize]);
            assert_eq!(found, model.get(&id).copied());
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
    }
}
