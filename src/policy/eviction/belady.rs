//! Belady's MIN (libCacheSim `Belady`), without bypass: on a miss, evict the resident
//! object whose next access is farthest in the future (never-again objects first)
//! until the missed object fits, then insert it, whatever its own next access.
//!
//! Next-access times come from [`Request::next_access`] (virtual time, the index of
//! the object's next request; [`NO_NEXT_ACCESS`] for never). Formats that do not carry
//! them get them from `tiersim replay`, which computes them in one backward pass over
//! the trace's ids. Without them every object looks never-again, and the policy
//! degenerates to evicting in slot order.
//!
//! A max-heap of (next access, generation, slot) with lazy deletion: a hit pushes a
//! fresh entry and leaves the old one stale; stale entries are skipped when popped and
//! swept out whenever they outnumber the live ones.
//!
//! [`NO_NEXT_ACCESS`]: crate::trace::NO_NEXT_ACCESS

use super::slot_index::{prefetch_ptr, Probe, SlotIndex};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;
use std::collections::BinaryHeap;

#[derive(Clone, Copy)]
struct Node {
    id: u64,
    size: u32,
    /// Bumped on every heap push for this slot, so older entries are recognisably stale.
    gen: u32,
    resident: bool,
    next: u64,
}

/// Belady's MIN with lazy-deletion max-heap.
pub struct Belady {
    index: SlotIndex,
    nodes: Vec<Node>,
    free: Vec<u32>,
    heap: BinaryHeap<(u64, u32, u32)>,
    used: u64,
    capacity: u64,
}

impl Belady {
    pub fn new(capacity: u64) -> Self {
        Belady {
            index: SlotIndex::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            used: 0,
            capacity,
        }
    }

    #[inline]
    fn push(&mut self, slot: u32) {
        let n = &mut self.nodes[slot as usize];
        n.gen = n.gen.wrapping_add(1);
        self.heap.push((n.next, n.gen, slot));
    }

    #[inline]
    fn is_live(&self, (next, gen, slot): (u64, u32, u32)) -> bool {
        let n = &self.nodes[slot as usize];
        n.resident && n.gen == gen && n.next == next
    }

    fn alloc(&mut self, req: &Request) -> u32 {
        alloc_slot(&mut self.nodes, &mut self.free, req)
    }

    fn release(&mut self, slot: u32) {
        let n = &mut self.nodes[slot as usize];
        n.resident = false;
        self.used -= n.size as u64;
        self.free.push(slot);
    }

    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity {
            let Some(top) = self.heap.pop() else { break };
            if !self.is_live(top) {
                continue;
            }
            let slot = top.2;
            let Node { id, size, .. } = self.nodes[slot as usize];
            self.index.remove(id, slot);
            self.release(slot);
            evicted.push(Victim { id, size });
        }
    }

    /// Sweeps stale heap entries once they outnumber the resident objects.
    #[inline]
    fn maybe_compact(&mut self) {
        if self.heap.len() > 2 * self.index.len() + 1024 {
            let nodes = &self.nodes;
            self.heap.retain(|&(next, gen, slot)| {
                let n = &nodes[slot as usize];
                n.resident && n.gen == gen && n.next == next
            });
        }
    }
}

/// Stores a resident node for `req` in a free slot, with the slot's generation bumped
/// so that heap entries left from the slot's previous object stay stale.
fn alloc_slot(nodes: &mut Vec<Node>, free: &mut Vec<u32>, req: &Request) -> u32 {
    let node = |gen| Node {
        id: req.id,
        size: req.size,
        gen,
        resident: true,
        next: req.next_access,
    };
    match free.pop() {
        Some(i) => {
            let gen = nodes[i as usize].gen.wrapping_add(1);
            nodes[i as usize] = node(gen);
            i
        }
        None => {
            nodes.push(node(0));
            (nodes.len() - 1) as u32
        }
    }
}

impl EvictionPolicy for Belady {
    fn name(&self) -> &'static str {
        "belady"
    }

    fn use_dense_ids(&mut self, n: u64) {
        let nodes = &self.nodes;
        self.index.use_dense_ids(n, |s| nodes[s as usize].id);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        let nodes = &self.nodes;
        let slot = match self.index.probe(req.id, |s| nodes[s as usize].id) {
            Probe::Found(i) => {
                self.nodes[i as usize].next = req.next_access;
                self.push(i);
                self.maybe_compact();
                return true;
            }
            Probe::Vacant(v) => {
                if size > self.capacity {
                    return false;
                }
                let i = alloc_slot(&mut self.nodes, &mut self.free, req);
                self.index.insert_vacant(v, i);
                i
            }
        };
        self.make_room(size, evicted);
        self.used += size;
        self.push(slot);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.index.get(req.id, |s| self.nodes[s as usize].id) {
            Some(i) => {
                self.nodes[i as usize].next = req.next_access;
                self.push(i);
                self.maybe_compact();
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
        // The slot is taken before making room, as `access` does, so both paths break
        // ties between equally distant objects (by slot) the same way.
        let i = self.alloc(req);
        self.make_room(size, evicted);
        let nodes = &self.nodes;
        self.index.insert(req.id, i, |s| nodes[s as usize].id);
        self.used += size;
        self.push(i);
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.index.get(id, |s| self.nodes[s as usize].id)?;
        self.index.remove(id, i);
        let size = self.nodes[i as usize].size;
        self.release(i);
        self.maybe_compact();
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.index.get(id, |s| self.nodes[s as usize].id).is_some()
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        self.index.prefetch(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        if let Some(s) = self.index.peek(id) {
            prefetch_ptr(self.nodes.as_ptr().wrapping_add(s as usize));
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
    use crate::policy::eviction::testutil::with_next;

    fn run(cap: u64, seq: &[u64]) -> (Vec<bool>, Vec<u64>) {
        let mut p = Belady::new(cap);
        let mut ev = vec![];
        let h = with_next(seq)
            .iter()
            .map(|r| p.access(r, &mut ev))
            .collect();
        (h, ev.iter().map(|v| v.id).collect())
    }

    #[test]
    fn hand_worked_sequence() {
        // Capacity 2, accesses (time: id) 0:1 1:2 2:3 3:1 4:2 5:3 6:1.
        // t2: 3 misses; next accesses: 1 at 3, 2 at 4: evict 2 (farther). Cache {1, 3}.
        // t3: 1 hits. t4: 2 misses; next: 1 at 6, 3 at 5: evict 1. Cache {3, 2}.
        // t5: 3 hits. t6: 1 misses; 3 and 2 are never used again: one of them leaves.
        let (h, ev) = run(2, &[1, 2, 3, 1, 2, 3, 1]);
        assert_eq!(h, vec![false, false, false, true, false, true, false]);
        assert_eq!(&ev[..2], &[2, 1]);
        assert_eq!(ev.len(), 3);
    }

    #[test]
    fn no_bypass_inserts_even_a_never_again_object() {
        // Capacity 1: 1 2 1. MIN with bypass would skip 2 and hit 1; without bypass
        // 2 evicts 1 (never-again 2 is inserted anyway), so 1 misses again.
        let (h, ev) = run(1, &[1, 2, 1]);
        assert_eq!(h, vec![false, false, false]);
        assert_eq!(ev, vec![1, 2]);
    }

    #[test]
    fn stale_entries_are_swept() {
        // 2000 hits on one object leave the heap bounded by the sweep rule.
        let seq = [7u64; 2000];
        let mut p = Belady::new(4);
        let mut ev = vec![];
        for r in with_next(&seq) {
            p.access(&r, &mut ev);
        }
        assert!(p.heap.len() <= 2 * p.index.len() + 1025);
        assert!(ev.is_empty());
    }
}
