//! LIRS as libCacheSim's `LIRS.c` runs it (the default `lirs`; the paper's algorithm is
//! `variant = "paper"`, in lirs.rs). libCacheSim builds LIRS from three LRU lists,
//! each with its own entry per object: the stack S (entries flagged LIR or HIR,
//! resident or not), the queue Q of resident HIR objects (an LRU: a hit moves its entry
//! to the top) and NH, the non-resident HIR entries of S in the order they left the
//! cache. The HIR share is max(1, floor(hir_frac x capacity)) bytes, the LIR share the
//! rest. What differs from the paper (and from lirs.rs):
//!
//! - A new object larger than the HIR share (1% of the cache) is not admitted; a LIR
//!   object demoted while larger than it leaves the cache instead of entering Q.
//! - Q holds at most the HIR share: new HIR objects and demoted LIR objects push Q's
//!   oldest out first (tiersim's paper variant lets Q use LIR space still free).
//! - A hit on a resident HIR object that has left S makes room in the LIR share as if
//!   the object were LIR (demoting S's bottom LIR objects into Q, which may push
//!   objects out of Q: a hit can evict), then puts a HIR entry for it on S's top.
//! - If that demotion pushed the hit object's own Q entry out, its S entry still says
//!   "resident": libCacheSim no longer counts its bytes, but a later request for it is
//!   a hit (and makes it LIR). tiersim counts such an object as resident (in `used()`
//!   and `len()`), so `used()` may exceed the capacity by these objects, as libCacheSim's
//!   real footprint does; it leaves when S's pruning drops its entry.
//! - A miss on a non-resident HIR entry of S demotes LIR objects until the object fits
//!   in the LIR share, then makes room in the cache by pushing out Q's oldest while Q
//!   is at its share and demoting S's bottom LIR object, repeatedly.
//!
//! After every request, while S's entries add up to more than `stack_frac` (2) times
//! the capacity, the oldest NH entry is dropped from S and NH.
//!
//! Victims of a hit are reported through `access`'s buffer; after a `lookup` (which has
//! none) they are reported by the next `access` or `insert`. `remove` drops every entry
//! of the object (libCacheSim's own remove is not used by its simulations).

mod node;
#[cfg(test)]
mod tests;

use super::linked::{Links, List, Resident, NIL};
use super::{EvictionPolicy, Victim};
use crate::trace::Request;
use node::{ChunkReuse, Entry, Node};

/// Which of libCacheSim's miss cases a request is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MissCase {
    /// A non-resident HIR entry on S (slot).
    NonResidentInS(u32),
    /// Neither on S nor on Q.
    New,
}

/// LIRS with libCacheSim's three lists over one slab and one id index.
pub struct LirsLibCacheSim {
    res: Resident<Node>,
    stack: List<0>,
    queue: List<1>,
    nh: List<2>,
    /// libCacheSim's `lirs_count` (bytes of LIR entries; a u64 that its odd paths can
    /// wrap) and `occupied_byte` (an i64).
    lirs_count: u64,
    occupied: i64,
    lirs_limit: u64,
    hirs_limit: u64,
    stack_cap: u64,
    capacity: u64,
    /// Bytes and number of resident objects, as tiersim counts them.
    resident_bytes: u64,
    resident_len: usize,
    /// The slot of the object being requested: its accounting is settled at the end.
    current: u32,
    /// The slot `evict_lir` is moving: settled when it is done with it.
    held: u32,
    /// Victims of `lookup` hits, handed out by the next `access` or `insert`.
    pending: Vec<Victim>,
    reuse: ChunkReuse,
}

impl LirsLibCacheSim {
    pub fn new(capacity: u64, hir_frac: f64, stack_frac: f64) -> Self {
        let hirs_limit = ((capacity as f64 * hir_frac) as u64).clamp(1, capacity);
        LirsLibCacheSim {
            res: Resident::default(),
            stack: List::default(),
            queue: List::default(),
            nh: List::default(),
            lirs_count: 0,
            occupied: 0,
            lirs_limit: capacity - hirs_limit,
            hirs_limit,
            stack_cap: (capacity as f64 * stack_frac) as u64,
            capacity,
            resident_bytes: 0,
            resident_len: 0,
            current: NIL,
            held: NIL,
            pending: Vec::new(),
            reuse: ChunkReuse::default(),
        }
    }

    #[inline]
    fn size(&self, i: u32) -> u64 {
        self.res[i].size as u64
    }

    /// Settles node `i` after its entries changed: a node that stopped being resident
    /// is a victim; a node on no list is forgotten. The current request's node is
    /// settled at the end of the request instead.
    fn settle(&mut self, i: u32, was_resident: bool, evicted: &mut Vec<Victim>) {
        if i == self.current || i == self.held {
            return;
        }
        let n = &self.res[i];
        if was_resident && !n.resident() {
            self.resident_bytes -= n.size as u64;
            self.resident_len -= 1;
            evicted.push(Victim {
                id: n.id,
                size: n.size,
            });
        } else if !was_resident && n.resident() {
            // The requested object admitted, or a non-resident entry demoted into Q
            // (see `evict_lir`).
            self.resident_bytes += n.size as u64;
            self.resident_len += 1;
        }
        if !(n.in_s || n.in_q || n.in_nh) {
            self.res.forget(i);
        }
    }

    fn unlink_s(&mut self, i: u32) {
        self.stack.unlink(&mut self.res.slab, i);
        let n = &mut self.res[i];
        n.in_s = false;
        n.s_lir = false;
        n.s_resident = false;
    }

    fn unlink_nh(&mut self, i: u32) {
        if self.res[i].in_nh {
            self.nh.unlink(&mut self.res.slab, i);
            self.res[i].in_nh = false;
        }
    }

    /// libCacheSim's `LIRS_prune`: drops non-LIR entries from S's bottom, never S's top.
    fn prune(&mut self, evicted: &mut Vec<Victim>) {
        loop {
            let t = self.stack.tail;
            if t == self.stack.head || self.res[t].s_lir {
                return;
            }
            let was = self.res[t].resident();
            if !self.res[t].s_resident && self.res[t].in_nh {
                self.unlink_nh(t);
                self.reuse.freed(Entry::Nh, t);
            }
            self.unlink_s(t);
            self.reuse.freed(Entry::S, t);
            self.settle(t, was, evicted);
        }
    }

    /// libCacheSim's `evictHIR`: Q's oldest leaves; its S entry, if any, becomes
    /// non-resident and enters NH. False when Q is empty (libCacheSim would crash).
    fn evict_hir(&mut self, evicted: &mut Vec<Victim>) -> bool {
        let Some(t) = self.queue.pop_back(&mut self.res.slab) else {
            return false;
        };
        let was = true;
        self.res[t].in_q = false;
        self.reuse.freed(Entry::Q, t);
        self.occupied -= self.size(t) as i64;
        if self.res[t].in_s {
            self.res[t].s_resident = false;
            if !self.res[t].in_nh {
                self.nh.push_front(&mut self.res.slab, t);
                self.res[t].in_nh = true;
            }
            self.reuse.allocated(Entry::Nh, t, self.res[t].size);
        }
        self.settle(t, was, evicted);
        true
    }

    /// libCacheSim's `evictLIR`: S's bottom entry leaves S; the object enters Q
    /// (pushing Q's oldest out while it does not fit in the HIR share) if it is no
    /// larger than the HIR share, else it leaves the cache. Then S is pruned. The
    /// bottom is LIR except after the LIR set emptied (S's top is never pruned, so HIR
    /// entries can then sit under a new LIR one): libCacheSim then takes the HIR entry
    /// all the same, its bytes off the LIR count, its NH entry left in place, and a
    /// non-resident one becomes resident in Q. False when S is empty.
    fn evict_lir(&mut self, evicted: &mut Vec<Victim>) -> bool {
        let t = self.stack.tail;
        if t == NIL {
            return false;
        }
        let size = self.size(t);
        let was = self.res[t].resident();
        self.held = t;
        self.lirs_count = self.lirs_count.wrapping_sub(size);
        self.unlink_s(t);
        self.reuse.freed(Entry::S, t);
        self.occupied -= size as i64;
        if size <= self.hirs_limit {
            while self.queue.bytes + size > self.hirs_limit {
                if !self.evict_hir(evicted) {
                    break;
                }
            }
            if self.res[t].in_q {
                // libCacheSim would hold a second Q entry for it; one is kept here.
                self.queue.move_to_front(&mut self.res.slab, t);
            } else {
                self.queue.push_front(&mut self.res.slab, t);
                self.res[t].in_q = true;
            }
            self.reuse.allocated(Entry::Q, t, self.res[t].size);
            self.occupied += size as i64;
        }
        self.held = NIL;
        self.settle(t, was, evicted);
        self.prune(evicted);
        true
    }

    /// Demotes LIR objects while `size` more bytes would not fit in the LIR share.
    fn make_lir_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.lirs_count.wrapping_add(size) > self.lirs_limit {
            if !self.evict_lir(evicted) {
                return;
            }
        }
    }

    /// A hit on resident HIR slot `i` on S (`hit_RD_HIRinS`): it becomes LIR.
    fn hit_hir_in_s(&mut self, i: u32, evicted: &mut Vec<Victim>) {
        let size = self.size(i);
        if self.res[i].in_q {
            self.queue.unlink(&mut self.res.slab, i);
            self.res[i].in_q = false;
            self.occupied -= size as i64;
        }
        self.make_lir_room(size, evicted);
        self.res[i].s_lir = true;
        self.lirs_count = self.lirs_count.wrapping_add(size);
        self.occupied += size as i64;
    }

    /// A hit on resident HIR slot `i` not on S (`hit_RD_HIRinQ`). libCacheSim's loop
    /// re-reads the size through its pointer to the object's Q entry, which the loop
    /// itself may free (pushing the object out of Q) and the allocator may hand to a
    /// later entry: the loop then runs on that entry's size (see [`ChunkReuse`]).
    fn hit_hir_in_q(&mut self, i: u32, evicted: &mut Vec<Victim>) {
        self.reuse.start(i, self.res[i].size);
        while self.lirs_count.wrapping_add(self.reuse.size as u64) > self.lirs_limit {
            if !self.evict_lir(evicted) {
                break;
            }
        }
        self.reuse.stop();
        self.stack.push_front(&mut self.res.slab, i);
        let n = &mut self.res[i];
        n.in_s = true;
        n.s_lir = false;
        n.s_resident = true;
    }

    /// `LIRS_can_insert` with its side effects; false when the object is refused.
    fn can_insert(&mut self, case: MissCase, size: u64, evicted: &mut Vec<Victim>) -> bool {
        if size > self.capacity {
            return false;
        }
        match case {
            MissCase::NonResidentInS(i) => {
                self.make_lir_room(self.size(i), evicted);
                self.unlink_nh(i);
                true
            }
            MissCase::New => {
                if size > self.lirs_limit || size > self.hirs_limit {
                    return false;
                }
                if self.lirs_count.wrapping_add(size) > self.lirs_limit
                    && self.queue.bytes + size > self.hirs_limit
                {
                    while self.queue.bytes + size > self.hirs_limit {
                        if !self.evict_hir(evicted) {
                            break;
                        }
                    }
                }
                true
            }
        }
    }

    /// `LIRS_evict`, once; false when it freed nothing (libCacheSim would loop).
    fn evict_for(&mut self, case: MissCase, size: u64, evicted: &mut Vec<Victim>) -> bool {
        let before = (self.occupied, self.lirs_count);
        match case {
            MissCase::NonResidentInS(_) => {
                while self.queue.bytes >= self.hirs_limit {
                    if !self.evict_hir(evicted) {
                        break;
                    }
                }
                self.evict_lir(evicted);
            }
            MissCase::New => {
                if self.lirs_count.wrapping_add(size) > self.lirs_limit
                    && self.queue.bytes + size > self.hirs_limit
                {
                    self.evict_hir(evicted);
                }
            }
        }
        self.occupied < before.0 || self.lirs_count < before.1
    }

    /// `LIRS_insert`; returns the slot.
    fn insert_missed(&mut self, case: MissCase, req: &Request) -> u32 {
        match case {
            MissCase::NonResidentInS(i) => {
                let size = self.size(i);
                let n = &mut self.res[i];
                // Making room may have taken the entry itself off S (when it was all
                // S held): libCacheSim then writes the flags through a stale pointer
                // into freed memory, and only its counts change.
                if n.in_s {
                    n.s_lir = true;
                    n.s_resident = true;
                }
                self.lirs_count = self.lirs_count.wrapping_add(size);
                self.occupied += size as i64;
                i
            }
            MissCase::New => {
                let size = req.size as u64;
                let i = match self.res.find(req.id) {
                    Some(i) => {
                        // On NH only (not reached by libCacheSim's own sequence).
                        self.unlink_nh(i);
                        self.res[i].size = req.size;
                        i
                    }
                    None => self.res.add(Node {
                        id: req.id,
                        size: req.size,
                        in_s: false,
                        s_lir: false,
                        s_resident: false,
                        in_q: false,
                        in_nh: false,
                        s: Links::NONE,
                        q: Links::NONE,
                        nh: Links::NONE,
                    }),
                };
                self.stack.push_front(&mut self.res.slab, i);
                let lir = self.lirs_count.wrapping_add(size) <= self.lirs_limit;
                let n = &mut self.res[i];
                n.in_s = true;
                n.s_lir = lir;
                n.s_resident = true;
                if lir {
                    self.lirs_count = self.lirs_count.wrapping_add(size);
                } else {
                    self.queue.push_front(&mut self.res.slab, i);
                    self.res[i].in_q = true;
                }
                self.occupied += size as i64;
                i
            }
        }
    }

    /// `limitStack`: drops the oldest NH entries while S is over its cap.
    fn limit_stack(&mut self, evicted: &mut Vec<Victim>) {
        while self.stack.bytes > self.stack_cap {
            let Some(t) = self.nh.pop_back(&mut self.res.slab) else {
                return;
            };
            let was = self.res[t].resident();
            self.res[t].in_nh = false;
            if self.res[t].in_s {
                self.unlink_s(t);
            }
            self.settle(t, was, evicted);
        }
    }

    /// One request (libCacheSim's `LIRS_get`); true on a hit.
    fn request(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let slot = self.res.find(req.id);
        let was = slot.is_some_and(|i| self.res[i].resident());
        self.current = slot.unwrap_or(NIL);
        let mut case = MissCase::New;
        let mut hit = false;
        if let Some(i) = slot {
            let n = &self.res[i];
            let (in_s, in_q, lir, res) = (n.in_s, n.in_q, n.s_lir, n.s_resident);
            if in_s {
                self.stack.move_to_front(&mut self.res.slab, i);
            }
            if in_q {
                self.queue.move_to_front(&mut self.res.slab, i);
            }
            if in_s && lir {
                self.prune(evicted);
                hit = true;
            } else if in_s && res {
                self.hit_hir_in_s(i, evicted);
                hit = true;
            } else if in_s {
                case = MissCase::NonResidentInS(i);
            } else if in_q {
                self.hit_hir_in_q(i, evicted);
                hit = true;
            }
        }
        let size = req.size as u64;
        let mut done = slot;
        if !hit && self.can_insert(case, size, evicted) {
            while self.occupied + size as i64 > self.capacity as i64 {
                if !self.evict_for(case, size, evicted) {
                    break;
                }
            }
            done = Some(self.insert_missed(case, req));
        }
        // Settle the requested object's own accounting (and forget it if it is on no
        // list, as after a refused miss).
        self.current = NIL;
        if let Some(i) = done {
            self.settle(i, was, evicted);
        }
        self.limit_stack(evicted);
        hit
    }

    fn take_pending(&mut self, evicted: &mut Vec<Victim>) {
        if !self.pending.is_empty() {
            evicted.append(&mut self.pending);
        }
    }
}

impl EvictionPolicy for LirsLibCacheSim {
    fn name(&self) -> &'static str {
        "lirs"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        self.take_pending(evicted);
        self.request(req, evicted)
    }

    fn lookup(&mut self, req: &Request) -> bool {
        if !self.contains(req.id) {
            return false;
        }
        let mut pending = std::mem::take(&mut self.pending);
        let hit = self.request(req, &mut pending);
        self.pending = pending;
        hit
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        self.take_pending(evicted);
        if !self.contains(req.id) {
            self.request(req, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        if !self.res[i].resident() {
            return None;
        }
        let size = self.res[i].size;
        if self.res[i].in_q {
            self.queue.unlink(&mut self.res.slab, i);
            self.occupied -= size as i64;
        }
        if self.res[i].in_s {
            if self.res[i].s_lir {
                self.lirs_count = self.lirs_count.wrapping_sub(size as u64);
                self.occupied -= size as i64;
            }
            self.unlink_s(i);
        }
        self.unlink_nh(i);
        self.res[i].in_q = false;
        self.resident_bytes -= size as u64;
        self.resident_len -= 1;
        self.res.forget(i);
        let mut dropped = std::mem::take(&mut self.pending);
        self.prune(&mut dropped);
        self.pending = dropped;
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.res.find(id).is_some_and(|i| self.res[i].resident())
    }
    fn used(&self) -> u64 {
        self.resident_bytes
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.resident_len
    }
}
