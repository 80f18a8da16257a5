//! Building blocks shared by every list-based eviction policy (LRU, FIFO, CLOCK, LFU,
//! ARC, S3-FIFO, 2Q, SIEVE, LIRS, n-bit CLOCK): a slab of nodes addressed by `u32`
//! with a free list, intrusive doubly linked lists over it that keep their length and
//! byte total, and [`Resident`], the slab together with the id -> slot index.
//!
//! A node may carry several link sets (LIRS keeps a node on its stack and its queue at
//! once); the list's const parameter `K` names the set, so one node sits on at most
//! one list per set. Nothing here allocates once the slab has grown to the working-set
//! size. Convention: `head` is the newest end, `tail` the oldest; `prev` points towards
//! the head and `next` towards the tail.
//!
//! The totals cost nothing on the hot paths that do not change them: moving a node to
//! the head splices it without touching `len` or `bytes`. A list whose byte total
//! nobody reads (LFU's per-frequency lists, where it cost ~3% of LFU's replay
//! throughput) is a `List<K, false>`, which never reads node sizes.

use super::slot_index::{prefetch_ptr, Probe, SlotIndex, VacantBucket};
use super::Victim;
use std::ops::{Index, IndexMut};

/// "No node": the end of a list, or an unlinked node.
pub(crate) const NIL: u32 = u32::MAX;

/// One link set of a node.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Links {
    pub prev: u32,
    pub next: u32,
}

impl Links {
    pub const NONE: Links = Links {
        prev: NIL,
        next: NIL,
    };
}

impl Default for Links {
    fn default() -> Self {
        Links::NONE
    }
}

/// A cached object's node as the index sees it: its id (the index key) and size.
pub(crate) trait Keyed {
    fn id(&self) -> u64;
    /// Bytes (objects in unit-size mode) the node accounts for on a list.
    fn size(&self) -> u32;
}

/// A node on intrusive lists: [`Keyed`] plus its link sets.
pub(crate) trait Linked: Keyed {
    /// Link set `k`.
    fn links(&self, k: usize) -> &Links;
    fn links_mut(&mut self, k: usize) -> &mut Links;
}

/// Implements [`Linked`] for a node struct with fields `id: u64`, `size: u32` and one
/// link set `links: Links`.
macro_rules! impl_linked {
    ($node:ty) => {
        impl $crate::policy::eviction::linked::Keyed for $node {
            #[inline]
            fn id(&self) -> u64 {
                self.id
            }
            #[inline]
            fn size(&self) -> u32 {
                self.size
            }
        }
        impl $crate::policy::eviction::linked::Linked for $node {
            #[inline]
            fn links(&self, _k: usize) -> &$crate::policy::eviction::linked::Links {
                &self.links
            }
            #[inline]
            fn links_mut(&mut self, _k: usize) -> &mut $crate::policy::eviction::linked::Links {
                &mut self.links
            }
        }
    };
}
pub(crate) use impl_linked;

/// Nodes addressed by index, with released slots reused first (indices stay dense).
pub(crate) struct Slab<N> {
    pub nodes: Vec<N>,
    free: Vec<u32>,
}

impl<N> Default for Slab<N> {
    fn default() -> Self {
        Slab {
            nodes: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<N> Slab<N> {
    /// Stores `node` and returns its index.
    #[inline]
    pub fn alloc(&mut self, node: N) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                let i = self.nodes.len();
                assert!(i < NIL as usize, "more than 2^32 - 1 cached objects");
                self.nodes.push(node);
                i as u32
            }
        }
    }

    /// Returns slot `i` to the free list (its contents stay until reused).
    #[inline]
    pub fn release(&mut self, i: u32) {
        self.free.push(i);
    }

    /// Starts loading node `i` into the CPU cache (any `i`: a hint never faults).
    #[inline]
    pub fn prefetch(&self, i: u32) {
        prefetch_ptr(self.nodes.as_ptr().wrapping_add(i as usize));
    }
}

impl<N> Index<u32> for Slab<N> {
    type Output = N;
    #[inline]
    fn index(&self, i: u32) -> &N {
        &self.nodes[i as usize]
    }
}

impl<N> IndexMut<u32> for Slab<N> {
    #[inline]
    fn index_mut(&mut self, i: u32) -> &mut N {
        &mut self.nodes[i as usize]
    }
}

/// An intrusive doubly linked list over a slab, using link set `K`, with its length
/// and, when `BYTES`, the bytes of its nodes (else `bytes` stays 0).
#[derive(Clone, Copy, Debug)]
pub(crate) struct List<const K: usize = 0, const BYTES: bool = true> {
    pub head: u32,
    pub tail: u32,
    pub len: u32,
    pub bytes: u64,
}

impl<const K: usize, const BYTES: bool> Default for List<K, BYTES> {
    fn default() -> Self {
        List {
            head: NIL,
            tail: NIL,
            len: 0,
            bytes: 0,
        }
    }
}

impl<const K: usize, const BYTES: bool> List<K, BYTES> {
    /// Links node `i` at the head without counting it.
    #[inline]
    fn link_front<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        let old = self.head;
        *slab[i].links_mut(K) = Links {
            prev: NIL,
            next: old,
        };
        if old == NIL {
            self.tail = i;
        } else {
            slab[old].links_mut(K).prev = i;
        }
        self.head = i;
    }

    /// Unlinks node `i` without uncounting it (its links are left stale).
    #[inline]
    fn link_out<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        let Links { prev, next } = *slab[i].links(K);
        if prev == NIL {
            self.head = next;
        } else {
            slab[prev].links_mut(K).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            slab[next].links_mut(K).prev = prev;
        }
    }

    /// Links node `i` (on no list of this set) at the head.
    #[inline]
    pub fn push_front<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        self.link_front(slab, i);
        self.len += 1;
        if BYTES {
            self.bytes += slab[i].size() as u64;
        }
    }

    /// Unlinks node `i`, which must be on this list.
    #[inline]
    pub fn unlink<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        self.link_out(slab, i);
        self.len -= 1;
        if BYTES {
            self.bytes -= slab[i].size() as u64;
        }
    }

    /// Unlinks and returns the tail (oldest) node, or `None` when empty.
    #[inline]
    pub fn pop_back<N: Linked>(&mut self, slab: &mut Slab<N>) -> Option<u32> {
        let t = self.tail;
        if t == NIL {
            return None;
        }
        self.unlink(slab, t);
        Some(t)
    }

    /// Moves node `i`, on this list, to the head (totals unchanged).
    #[inline]
    pub fn move_to_front<N: Linked>(&mut self, slab: &mut Slab<N>, i: u32) {
        if self.head != i {
            self.link_out(slab, i);
            self.link_front(slab, i);
        }
    }

    /// The tail (the next victim of a FIFO-like queue), after starting to load the
    /// node before it (the victim after that) into the CPU cache.
    #[inline]
    pub fn tail_prefetching_next<N: Linked>(&self, slab: &Slab<N>) -> Option<u32> {
        if self.tail == NIL {
            return None;
        }
        let prev = slab[self.tail].links(K).prev;
        if prev != NIL {
            slab.prefetch(prev);
        }
        Some(self.tail)
    }
}

/// The nodes of a policy and the id -> slot index over them: the part of a
/// slab-allocated policy that finds, adds and forgets nodes by id.
pub(crate) struct Resident<N> {
    pub slab: Slab<N>,
    index: SlotIndex,
}

impl<N> Default for Resident<N> {
    fn default() -> Self {
        Resident {
            slab: Slab::default(),
            index: SlotIndex::default(),
        }
    }
}

impl<N: Keyed> Resident<N> {
    /// Indexes ids `0..n` in a table indexed by the id (see `SlotIndex`).
    pub fn use_dense_ids(&mut self, n: u64) {
        let nodes = &self.slab.nodes;
        self.index.use_dense_ids(n, |s| nodes[s as usize].id());
    }

    /// Finds `id`, or the bucket it would go in (one hash for a miss that then adds).
    #[inline]
    pub fn probe(&self, id: u64) -> Probe {
        let nodes = &self.slab.nodes;
        self.index.probe(id, |s| nodes[s as usize].id())
    }

    /// The slot of `id`, if it has a node.
    #[inline]
    pub fn find(&self, id: u64) -> Option<u32> {
        let nodes = &self.slab.nodes;
        self.index.get(id, |s| nodes[s as usize].id())
    }

    /// Stores `node`, whose id a [`probe`](Self::probe) just missed, in bucket `v`.
    #[inline]
    pub fn add_vacant(&mut self, v: VacantBucket, node: N) -> u32 {
        let i = self.slab.alloc(node);
        self.index.insert_vacant(v, i);
        i
    }

    /// Stores `node`, whose id has no node yet.
    #[inline]
    pub fn add(&mut self, node: N) -> u32 {
        let id = node.id();
        let i = self.slab.alloc(node);
        let nodes = &self.slab.nodes;
        self.index.insert(id, i, |s| nodes[s as usize].id());
        i
    }

    /// Drops node `i` (on no list any more) from the index and frees its slot.
    #[inline]
    pub fn forget(&mut self, i: u32) {
        self.index.remove(self.slab[i].id(), i);
        self.slab.release(i);
    }

    /// Whether `id` has a node (ghosts included), for a dense id without reading the
    /// index table or the node.
    #[inline]
    pub fn has(&self, id: u64) -> bool {
        match self.index.dense_contains(id) {
            Some(b) => b,
            None => self.find(id).is_some(),
        }
    }

    /// Starts loading what [`has`](Self::has) and then an add of an absent `id` read.
    #[inline]
    pub fn prefetch_for_insert(&self, id: u64) {
        self.index.prefetch_for_insert(id)
    }

    /// Starts loading the index bucket of `id` (see `EvictionPolicy::prefetch`).
    #[inline]
    pub fn prefetch(&self, id: u64) {
        self.index.prefetch(id)
    }

    /// Whether `id` is in the dense table (found without reading its node).
    #[inline]
    pub fn is_dense(&self, id: u64) -> bool {
        self.index.is_dense(id)
    }

    /// Starts loading the likely node of `id` (see `EvictionPolicy::prefetch_node`).
    #[inline]
    pub fn prefetch_node(&self, id: u64) {
        if let Some(s) = self.index.peek(id) {
            self.slab.prefetch(s);
        }
    }

    /// Number of nodes (resident objects plus any ghosts).
    #[inline]
    pub fn len(&self) -> usize {
        self.index.len()
    }
}

impl<N: Linked> Resident<N> {
    /// Unlinks the node of `id` from `list`, where it must be, and forgets it;
    /// returns its size, or `None` when `id` has no node.
    #[inline]
    pub fn remove_from<const K: usize, const B: bool>(
        &mut self,
        list: &mut List<K, B>,
        id: u64,
    ) -> Option<u32> {
        let i = self.find(id)?;
        list.unlink(&mut self.slab, i);
        self.forget(i);
        Some(self.slab[i].size())
    }

    /// Evicts `list`'s tail (unlinks and forgets it, reports it in `evicted`) and
    /// starts loading the next victims; false when the list is empty.
    #[inline]
    pub fn evict_tail<const K: usize, const B: bool>(
        &mut self,
        list: &mut List<K, B>,
        evicted: &mut Vec<Victim>,
    ) -> bool {
        let Some(t) = list.pop_back(&mut self.slab) else {
            return false;
        };
        let n = &self.slab[t];
        evicted.push(Victim {
            id: n.id(),
            size: n.size(),
        });
        self.forget(t);
        self.prefetch_victims(list);
        true
    }

    /// Starts loading the next victims of `list`: the node after its tail, and the
    /// index bucket of the tail (hides the misses of the next eviction).
    #[inline]
    pub fn prefetch_victims<const K: usize, const B: bool>(&self, list: &List<K, B>) {
        if let Some(t) = list.tail_prefetching_next(&self.slab) {
            self.index.prefetch(self.slab[t].id());
        }
    }
}

impl<N> Index<u32> for Resident<N> {
    type Output = N;
    #[inline]
    fn index(&self, i: u32) -> &N {
        &self.slab[i]
    }
}

impl<N> IndexMut<u32> for Resident<N> {
    #[inline]
    fn index_mut(&mut self, i: u32) -> &mut N {
        &mut self.slab[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N {
        id: u64,
        size: u32,
        links: Links,
    }
    impl_linked!(N);

    fn node(size: u32) -> N {
        N {
            id: 100 + size as u64,
            size,
            links: Links::NONE,
        }
    }

    fn order(list: &List, slab: &Slab<N>) -> Vec<u32> {
        let mut v = Vec::new();
        let mut i = list.head;
        while i != NIL {
            v.push(i);
            i = slab[i].links.next;
        }
        v
    }

    #[test]
    fn push_unlink_move_pop_keep_order_and_totals() {
        let mut slab = Slab::default();
        let mut l = List::default();
        let ids: Vec<u32> = (1..=4).map(|s| slab.alloc(node(s))).collect();
        for &i in &ids {
            l.push_front(&mut slab, i);
        }
        assert_eq!(order(&l, &slab), vec![3, 2, 1, 0]);
        assert_eq!((l.len, l.bytes), (4, 1 + 2 + 3 + 4));
        l.move_to_front(&mut slab, 1);
        assert_eq!(order(&l, &slab), vec![1, 3, 2, 0]);
        assert_eq!((l.len, l.bytes), (4, 10));
        l.unlink(&mut slab, 2);
        l.move_to_front(&mut slab, 0);
        assert_eq!(order(&l, &slab), vec![0, 1, 3]);
        assert_eq!(l.tail_prefetching_next(&slab), Some(3));
        assert_eq!(l.pop_back(&mut slab), Some(3));
        assert_eq!((l.len, l.bytes), (2, 1 + 2));
        assert_eq!(l.pop_back(&mut slab), Some(1));
        assert_eq!(l.pop_back(&mut slab), Some(0));
        assert_eq!(l.pop_back(&mut slab), None);
        assert_eq!((l.len, l.bytes, l.head, l.tail), (0, 0, NIL, NIL));
        slab.release(1);
        assert_eq!(slab.alloc(node(9)), 1);
    }

    #[test]
    fn uncounted_list_keeps_length_only() {
        let mut slab = Slab::default();
        let mut l = List::<0, false>::default();
        let (a, b) = (slab.alloc(node(5)), slab.alloc(node(7)));
        l.push_front(&mut slab, a);
        l.push_front(&mut slab, b);
        l.unlink(&mut slab, a);
        assert_eq!((l.len, l.bytes, l.head, l.tail), (1, 0, b, b));
    }

    #[test]
    fn resident_finds_adds_and_forgets_by_id() {
        let mut r = Resident::<N>::default();
        let a = r.add(node(1));
        let Probe::Vacant(v) = r.probe(102) else {
            panic!("102 is not in yet")
        };
        let b = r.add_vacant(v, node(2));
        assert_eq!((r.find(101), r.find(102), r.len()), (Some(a), Some(b), 2));
        assert!(matches!(r.probe(101), Probe::Found(s) if s == a));
        r.forget(a);
        assert_eq!((r.find(101), r.find(102), r.len()), (None, Some(b), 1));
        assert_eq!(r.add(node(3)), a, "the freed slot is reused");
    }
}
