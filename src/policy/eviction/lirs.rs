//! LIRS (Jiang & Zhang, "LIRS: An Efficient Low Inter-reference Recency Set Replacement
//! Policy to Improve Buffer Cache Performance", SIGMETRICS 2002), as the paper gives it:
//! `variant = "paper"` (the default `lirs` is libCacheSim's, in lirs_lcs.rs; this file
//! also declares the parameters of both). Objects with a low
//! inter-reference recency (IRR: how many distinct objects were seen between their last
//! two accesses) are LIR and hold most of the cache; the rest are HIR. A small share of
//! the cache (`hir_frac`, default 1%, the paper's setting) holds resident HIR objects in
//! a FIFO queue Q, and only they are evicted. The stack S orders objects by recency:
//! all LIR objects plus HIR objects (resident or not) more recent than the oldest LIR
//! one, which always sits at S's bottom ("stack pruning" drops HIR entries from below
//! it). A hit on a LIR object moves it to S's top. A hit on a resident HIR object that
//! is still in S (its IRR beats the oldest LIR's recency) makes it LIR, and the bottom
//! LIR object becomes a resident HIR at Q's end; a resident HIR hit not in S just moves
//! to S's top and Q's end. A miss evicts Q's front (it stays in S as a non-resident HIR
//! if it was there); the new object becomes LIR if its id was still in S, else a
//! resident HIR. Until the LIR share is full, every new object is LIR (warm-up).
//!
//! Sizes: the HIR share is max(1, floor(hir_frac x capacity)) bytes, the LIR share the
//! rest, and demotion repeats until the LIR objects fit in it; with unit sizes
//! this is exactly the paper's algorithm. S would grow without bound over a stream of
//! new ids, so, as libCacheSim does, after every access the oldest non-resident entries
//! (oldest by when they left the cache) are dropped while S's entries add up to more
//! than `stack_frac` (default 2.0) times the capacity.
//!
//! Against libCacheSim (tests/eviction_more_reference.rs): libCacheSim's LIRS also
//! demotes S's bottom LIR object (evicting Q's front) on a hit to a resident HIR object
//! no longer in S, a step the paper does not have and that makes a hit evict; this
//! variant follows the paper, which costs at most one miss of difference on
//! cloudPhysicsIO in unit size (with sizes, libCacheSim's LIRS differs more: see
//! lirs_lcs.rs).

use super::linked::{Keyed, Linked, Links, List, Resident, NIL};
use super::{EvictionPolicy, Victim};
use crate::config::ConfigError;
use crate::registry::{in_interval, ComponentParams};
use crate::trace::Request;
use serde::{Deserialize, Serialize};

/// Which LIRS: libCacheSim's (the default, lirs_lcs.rs) or the paper's (this file).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LirsVariant {
    #[default]
    Libcachesim,
    Paper,
}

/// LIRS's parameters.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LirsParams {
    /// Share of the capacity for resident HIR objects (Q), in (0, 1]; default 0.01.
    #[serde(default = "hir_frac")]
    pub hir_frac: f64,
    /// Stack S is pruned to this many times the capacity, in [0, 64]; default 2.
    #[serde(default = "stack_frac")]
    pub stack_frac: f64,
    /// `"libcachesim"` (default: libCacheSim's LIRS.c) or `"paper"`.
    #[serde(default)]
    pub variant: LirsVariant,
}

fn hir_frac() -> f64 {
    0.01
}
fn stack_frac() -> f64 {
    2.0
}

impl ComponentParams for LirsParams {
    fn check(&self) -> Result<(), ConfigError> {
        in_interval("hir_frac", self.hir_frac, (0.0, true), (1.0, false))?;
        in_interval("stack_frac", self.stack_frac, (0.0, false), (64.0, false))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Lir,
    /// Resident HIR: on Q, maybe on S.
    HirRes,
    /// Non-resident HIR: on S and on the non-resident list.
    HirNonRes,
    /// Off every list while a miss is being handled.
    Detached,
}

struct Node {
    id: u64,
    size: u32,
    state: State,
    in_s: bool,
    /// Links on S (set 0).
    s: Links,
    /// Links on Q or on the non-resident list (set 1).
    q: Links,
}

impl Keyed for Node {
    #[inline]
    fn id(&self) -> u64 {
        self.id
    }
    #[inline]
    fn size(&self) -> u32 {
        self.size
    }
}

impl Linked for Node {
    #[inline]
    fn links(&self, k: usize) -> &Links {
        if k == 0 {
            &self.s
        } else {
            &self.q
        }
    }
    #[inline]
    fn links_mut(&mut self, k: usize) -> &mut Links {
        if k == 0 {
            &mut self.s
        } else {
            &mut self.q
        }
    }
}

/// LIRS over one slab: the stack S (head = top), the resident-HIR queue Q (tail = front,
/// the next victim) and the list of non-resident HIR entries still on S.
pub struct Lirs {
    res: Resident<Node>,
    stack: List<0>,
    queue: List<1>,
    nonres: List<1>,
    lir_bytes: u64,
    lir_len: usize,
    lir_cap: u64,
    stack_cap: u64,
    capacity: u64,
}

impl Lirs {
    pub fn new(capacity: u64, hir_frac: f64, stack_frac: f64) -> Self {
        let hir = ((capacity as f64 * hir_frac) as u64).clamp(1, capacity);
        Lirs {
            res: Resident::default(),
            stack: List::default(),
            queue: List::default(),
            nonres: List::default(),
            lir_bytes: 0,
            lir_len: 0,
            lir_cap: capacity - hir,
            stack_cap: (capacity as f64 * stack_frac) as u64,
            capacity,
        }
    }

    fn used_bytes(&self) -> u64 {
        self.lir_bytes + self.queue.bytes
    }

    /// Stack pruning: drop HIR entries from S's bottom until a LIR object is there.
    fn prune(&mut self) {
        loop {
            let b = self.stack.tail;
            if b == NIL || self.res[b].state == State::Lir {
                return;
            }
            self.stack.unlink(&mut self.res.slab, b);
            self.res[b].in_s = false;
            if self.res[b].state == State::HirNonRes {
                self.nonres.unlink(&mut self.res.slab, b);
                self.res.forget(b);
            }
        }
    }

    /// The LIR object at S's bottom becomes a resident HIR at Q's end.
    fn demote_bottom(&mut self) {
        let b = self.stack.tail;
        self.stack.unlink(&mut self.res.slab, b);
        let n = &mut self.res[b];
        debug_assert_eq!(n.state, State::Lir);
        n.state = State::HirRes;
        n.in_s = false;
        self.lir_bytes -= n.size as u64;
        self.lir_len -= 1;
        self.queue.push_front(&mut self.res.slab, b);
        self.prune();
    }

    /// Makes detached slot `i` LIR at S's top, demoting from the bottom until LIR fits.
    fn make_lir(&mut self, i: u32) {
        let n = &mut self.res[i];
        n.state = State::Lir;
        n.in_s = true;
        self.lir_bytes += n.size as u64;
        self.lir_len += 1;
        self.stack.push_front(&mut self.res.slab, i);
        while self.lir_bytes > self.lir_cap {
            self.demote_bottom();
        }
    }

    fn evict_one(&mut self, evicted: &mut Vec<Victim>) {
        if self.queue.len == 0 {
            self.demote_bottom();
        }
        let f = self
            .queue
            .pop_back(&mut self.res.slab)
            .expect("a resident object");
        let n = &mut self.res[f];
        evicted.push(Victim {
            id: n.id,
            size: n.size,
        });
        if n.in_s {
            n.state = State::HirNonRes;
            self.nonres.push_front(&mut self.res.slab, f);
        } else {
            self.res.forget(f);
        }
    }

    /// Puts resident HIR slot `i` on S's top. With no LIR object on S (possible only
    /// when removals or large objects emptied the LIR set) S must stay empty: an HIR
    /// entry is kept only while some LIR object is older.
    fn push_hir_on_stack(&mut self, i: u32) {
        self.stack.push_front(&mut self.res.slab, i);
        self.res[i].in_s = true;
        if self.stack.tail == i {
            self.prune();
        }
    }

    /// Bounds S: drops the longest non-resident entries while S is over its cap.
    fn limit_stack(&mut self) {
        while self.stack.bytes > self.stack_cap {
            let Some(g) = self.nonres.pop_back(&mut self.res.slab) else {
                return;
            };
            self.stack.unlink(&mut self.res.slab, g);
            self.res.forget(g);
        }
    }

    /// A hit on slot `i` (LIR or resident HIR).
    fn hit(&mut self, i: u32) {
        self.promote(i);
        self.limit_stack();
    }

    fn promote(&mut self, i: u32) {
        let n = &self.res[i];
        match (n.state, n.in_s) {
            (State::Lir, _) => {
                let was_bottom = self.stack.tail == i;
                self.stack.move_to_front(&mut self.res.slab, i);
                if was_bottom {
                    self.prune();
                }
            }
            (_, true) => {
                self.stack.unlink(&mut self.res.slab, i);
                self.queue.unlink(&mut self.res.slab, i);
                self.make_lir(i);
            }
            (_, false) => {
                self.push_hir_on_stack(i);
                self.queue.move_to_front(&mut self.res.slab, i);
            }
        }
    }

    /// A miss; `ghost` is the slot of a non-resident HIR entry for the id, if any.
    fn miss(&mut self, req: &Request, ghost: Option<u32>, evicted: &mut Vec<Victim>) {
        self.admit(req, ghost, evicted);
        self.limit_stack();
    }

    fn admit(&mut self, req: &Request, ghost: Option<u32>, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if let Some(g) = ghost {
            // Detach first, so pruning cannot free the slot.
            self.nonres.unlink(&mut self.res.slab, g);
            self.stack.unlink(&mut self.res.slab, g);
            self.res[g].state = State::Detached;
            if size > self.capacity {
                self.res.forget(g);
                return;
            }
        } else if size > self.capacity {
            return;
        }
        while self.used_bytes() + size > self.capacity {
            self.evict_one(evicted);
        }
        let i = match ghost {
            Some(g) => {
                self.res[g].size = req.size;
                g
            }
            None => self.res.add(Node {
                id: req.id,
                size: req.size,
                state: State::Detached,
                in_s: false,
                s: Links::NONE,
                q: Links::NONE,
            }),
        };
        if ghost.is_some() || self.lir_bytes + size <= self.lir_cap {
            self.make_lir(i);
        } else {
            self.res[i].state = State::HirRes;
            self.push_hir_on_stack(i);
            self.queue.push_front(&mut self.res.slab, i);
        }
    }

    /// (slot, resident) for `id`, hashing once.
    #[inline]
    fn find(&self, id: u64) -> Option<(u32, bool)> {
        self.res
            .find(id)
            .map(|i| (i, self.res[i].state != State::HirNonRes))
    }
}

impl EvictionPolicy for Lirs {
    fn name(&self) -> &'static str {
        "lirs"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        match self.find(req.id) {
            Some((i, true)) => {
                self.hit(i);
                true
            }
            ghost => {
                self.miss(req, ghost.map(|(g, _)| g), evicted);
                false
            }
        }
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.find(req.id) {
            Some((i, true)) => {
                self.hit(i);
                true
            }
            _ => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        match self.find(req.id) {
            Some((_, true)) => {}
            ghost => self.miss(req, ghost.map(|(g, _)| g), evicted),
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let (i, true) = self.find(id)? else {
            return None;
        };
        let Node {
            size, state, in_s, ..
        } = self.res[i];
        if state == State::Lir {
            self.lir_bytes -= size as u64;
            self.lir_len -= 1;
        } else {
            self.queue.unlink(&mut self.res.slab, i);
        }
        if in_s {
            self.stack.unlink(&mut self.res.slab, i);
        }
        self.res.forget(i);
        self.prune();
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        matches!(self.find(id), Some((_, true)))
    }
    fn used(&self) -> u64 {
        self.used_bytes()
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.lir_len + self.queue.len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::run;

    /// Capacity 3: HIR share floor(3 x 0.34) = 1, LIR share 2 (the paper's Figure 3
    /// setting of Llirs = 2, Lhirs = 1). S written top first, Q front last; A=1 .. D=4.
    /// A, B: misses during warm-up: both LIR, S = [B A].
    /// C: miss, LIR full: resident HIR. S = [C B A], Q = [C].
    /// D: miss: evict Q's front C (still in S: non-resident HIR). S = [D C B A], Q = [D].
    /// C: miss, but C is in S (small IRR): evict D (stays in S, non-resident); C becomes
    ///    LIR at the top, S = [C D B A]; LIR is over its share, so the bottom LIR A
    ///    becomes resident HIR: Q = [A]; pruning stops at B (LIR). S = [C D B].
    /// A: hit on a resident HIR no longer in S: to S's top and Q's end. S = [A C D B].
    /// B: hit on LIR at the bottom: S = [B A C D]; pruning drops D (non-resident: its
    ///    history is forgotten) and stops at C. S = [B A C].
    /// D: miss, a new id again: evict Q's front A (in S: non-resident). D resident HIR.
    ///    S = [D B A C], Q = [D].
    /// A: miss, in S: evict D (in S, non-resident); A becomes LIR at the top,
    ///    S = [A D B C]; bottom LIR C demoted to Q = [C]; prune stops at B. S = [A D B].
    /// C: hit on resident HIR (not in S). Victims: C, D, A, D.
    #[test]
    fn worked_example_small_irr_becomes_lir() {
        let mut c = Lirs::new(3, 0.34, 2.0);
        let (hits, ev) = run(&mut c, &[1, 2, 3, 4, 3, 1, 2, 4, 1, 3]);
        let h: Vec<usize> = (0..10).filter(|&i| hits[i]).collect();
        assert_eq!(h, vec![5, 6, 9]);
        assert_eq!(ev, vec![3, 4, 1, 4]);
        for id in [1, 2, 3] {
            assert!(c.contains(id), "{id}");
        }
        assert_eq!((c.lir_len, c.queue.len), (2, 1));
    }

    /// Scan resistance: capacity 10 with 1 HIR slot; 9 objects referenced twice become
    /// LIR. A scan of 100 new ids only ever passes through the one HIR slot (each id is
    /// seen once, so none gets a small IRR), so afterwards all 9 still hit. LRU would
    /// have lost all of them.
    #[test]
    fn one_time_scan_does_not_flush_lir_set() {
        let mut c = Lirs::new(10, 0.1, 2.0);
        let hot: Vec<u64> = (0..9).collect();
        run(&mut c, &hot);
        run(&mut c, &hot);
        let scan: Vec<u64> = (100..200).collect();
        let (hits, ev) = run(&mut c, &scan);
        assert!(hits.iter().all(|&h| !h));
        assert_eq!(ev, (100..199).collect::<Vec<u64>>());
        // S is capped at twice the capacity: 9 LIR + 1 resident HIR + 10 non-resident.
        assert_eq!((c.stack.len, c.nonres.len), (20, 10));
        let (hits, _) = run(&mut c, &hot);
        assert!(hits.iter().all(|&h| h));
        // Moving the bottom LIR objects to the top pruned every scan entry off S.
        assert_eq!((c.stack.len, c.nonres.len, c.queue.len), (9, 0, 1));
    }

    #[test]
    fn remove_updates_shares() {
        let mut c = Lirs::new(3, 0.34, 2.0);
        run(&mut c, &[1, 2, 3]);
        assert_eq!(c.remove(1), Some(1));
        assert_eq!(c.remove(3), Some(1));
        assert_eq!((c.used(), c.len(), c.lir_bytes), (1, 1, 1));
        assert_eq!(c.remove(1), None);
    }
}
