//! 2Q (Johnson & Shasha, "2Q: A Low Overhead High Performance Buffer Management
//! Replacement Algorithm", VLDB 1994), the "full version": a new object enters A1in, a
//! FIFO holding `kin_frac` (default 25%) of the capacity; a hit there changes nothing.
//! When A1in is over its share, its oldest object leaves the cache and its id enters
//! A1out, a FIFO of ids only (a ghost) remembering `kout_frac` (default 50%) of the
//! capacity's worth of objects. A miss whose id is in A1out is judged hot: it goes
//! into Am, an LRU holding the rest; a hit in Am moves the object to Am's head.
//! Reclaiming: from A1in's tail if A1in holds more than its share (in bytes), else from
//! Am's tail (not remembered). Shares are in bytes, and so is the ghost's size (the
//! bytes the remembered objects occupied); in unit-size mode both count objects. An
//! object larger than the ghost is not remembered (the ghost is left as it was).
//!
//! `variant = "libcachesim"` (the default) is libCacheSim's TwoQ.c exactly:
//! - A1in's share is floor(capacity x kin_frac), possibly 0, and only objects no larger
//!   than it are admitted (so a unit-size cache of fewer than 4 objects admits nothing);
//!   a refused object found in A1out still leaves A1out.
//! - A ghost hit, once the cache has room, enters Am as an insertion into an LRU of
//!   capacity minus A1in's share: Am evicts its own tail until the object fits in that
//!   share.
//!
//! `variant = "paper"` is the paper's algorithm with sizes: A1in's share is at least 1,
//! any object that fits in the capacity is admitted, and a ghost hit goes straight to
//! Am's head after the reclaiming.

use super::linked::{impl_linked, Links, List, Resident};
use super::{EvictionPolicy, Victim};
use crate::config::ConfigError;
use crate::registry::{in_interval, ComponentParams};
use crate::trace::Request;
use serde::{Deserialize, Serialize};

/// Which 2Q: libCacheSim's (the default) or the paper's. See the module doc.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TwoQVariant {
    #[default]
    Libcachesim,
    Paper,
}

/// 2Q's parameters.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TwoQParams {
    /// A1in's share of the capacity, in (0, 1]; default 0.25 (the paper's Kin).
    #[serde(default = "kin_frac")]
    pub kin_frac: f64,
    /// A1out (ghost) size as a share of the capacity, in [0, 16]; default 0.5 (Kout).
    #[serde(default = "kout_frac")]
    pub kout_frac: f64,
    /// `"libcachesim"` (default: libCacheSim's TwoQ.c) or `"paper"`.
    #[serde(default)]
    pub variant: TwoQVariant,
}

impl Default for TwoQParams {
    fn default() -> Self {
        TwoQParams {
            kin_frac: kin_frac(),
            kout_frac: kout_frac(),
            variant: TwoQVariant::default(),
        }
    }
}

fn kin_frac() -> f64 {
    0.25
}
fn kout_frac() -> f64 {
    0.5
}

impl ComponentParams for TwoQParams {
    fn check(&self) -> Result<(), ConfigError> {
        in_interval("kin_frac", self.kin_frac, (0.0, true), (1.0, false))?;
        in_interval("kout_frac", self.kout_frac, (0.0, false), (16.0, false))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Where {
    A1In,
    Am,
    /// A1out: id remembered, object not resident.
    Ghost,
}

struct Node {
    id: u64,
    size: u32,
    at: Where,
    links: Links,
}

impl_linked!(Node);

/// 2Q with A1in, A1out and Am as lists over one slab and one id -> slot index.
pub struct TwoQ {
    res: Resident<Node>,
    a1in: List,
    a1out: List,
    am: List,
    kin: u64,
    kout: u64,
    capacity: u64,
    /// libCacheSim's variant (see the module doc).
    lcs: bool,
}

impl TwoQ {
    /// A1in holds `kin_frac` of `capacity` (at least 1 in the paper's variant), A1out
    /// remembers `kout_frac`.
    pub fn new(capacity: u64, params: TwoQParams) -> Self {
        let lcs = params.variant == TwoQVariant::Libcachesim;
        let kin = (capacity as f64 * params.kin_frac) as u64;
        TwoQ {
            res: Resident::default(),
            a1in: List::default(),
            a1out: List::default(),
            am: List::default(),
            kin: if lcs { kin } else { kin.max(1) },
            kout: (capacity as f64 * params.kout_frac) as u64,
            capacity,
            lcs,
        }
    }

    fn used_bytes(&self) -> u64 {
        self.a1in.bytes + self.am.bytes
    }

    fn trim_ghost(&mut self) {
        while self.a1out.bytes > self.kout {
            let g = self
                .a1out
                .pop_back(&mut self.res.slab)
                .expect("ghost bytes > 0");
            self.res.forget(g);
        }
    }

    /// Frees one resident object, per the paper's `reclaimfor`.
    fn evict_one(&mut self, evicted: &mut Vec<Victim>) {
        if self.a1in.bytes > self.kin || self.am.len == 0 {
            let t = self
                .a1in
                .pop_back(&mut self.res.slab)
                .expect("a resident object");
            let n = &mut self.res[t];
            n.at = Where::Ghost;
            let (id, size) = (n.id, n.size);
            evicted.push(Victim { id, size });
            if size as u64 > self.kout {
                // Larger than the whole ghost: not remembered.
                self.res.forget(t);
            } else {
                self.a1out.push_front(&mut self.res.slab, t);
                self.trim_ghost();
            }
        } else {
            let t = self
                .am
                .pop_back(&mut self.res.slab)
                .expect("a resident object");
            let Node { id, size, .. } = self.res[t];
            self.res.forget(t);
            evicted.push(Victim { id, size });
        }
    }

    /// The miss path once the map lookup gave `slot` (Some for an A1out ghost).
    fn admit(&mut self, req: &Request, slot: Option<u32>, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        let admissible = size <= self.capacity && (!self.lcs || size <= self.kin);
        if !admissible {
            // libCacheSim takes the id off A1out before it checks the size.
            if let (true, Some(g)) = (self.lcs, slot) {
                self.a1out.unlink(&mut self.res.slab, g);
                self.res.forget(g);
            }
            return;
        }
        // Take a ghost off A1out first, so trimming the ghost cannot free its slot.
        if let Some(g) = slot {
            self.a1out.unlink(&mut self.res.slab, g);
        }
        while self.used_bytes() + size > self.capacity {
            self.evict_one(evicted);
        }
        match slot {
            Some(g) => {
                if self.lcs {
                    // An insertion into Am as an LRU of its own share.
                    let am_cap = self.capacity - self.kin;
                    if size > am_cap {
                        self.res.forget(g);
                        return;
                    }
                    while self.am.bytes + size > am_cap {
                        let t = self
                            .am
                            .pop_back(&mut self.res.slab)
                            .expect("Am holds bytes");
                        let Node { id, size, .. } = self.res[t];
                        self.res.forget(t);
                        evicted.push(Victim { id, size });
                    }
                }
                let n = &mut self.res[g];
                n.size = req.size;
                n.at = Where::Am;
                self.am.push_front(&mut self.res.slab, g);
            }
            None => {
                let i = self.res.add(Node {
                    id: req.id,
                    size: req.size,
                    at: Where::A1In,
                    links: Links::NONE,
                });
                self.a1in.push_front(&mut self.res.slab, i);
            }
        }
    }

    /// Resident slot or ghost slot of `id`: (slot, is a resident hit).
    #[inline]
    fn find(&self, id: u64) -> Option<(u32, bool)> {
        self.res
            .find(id)
            .map(|i| (i, self.res[i].at != Where::Ghost))
    }

    fn hit(&mut self, i: u32) {
        if self.res[i].at == Where::Am {
            self.am.move_to_front(&mut self.res.slab, i);
        }
    }
}

impl EvictionPolicy for TwoQ {
    fn name(&self) -> &'static str {
        "twoq"
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
                self.admit(req, ghost.map(|(g, _)| g), evicted);
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
            ghost => self.admit(req, ghost.map(|(g, _)| g), evicted),
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let (i, true) = self.find(id)? else {
            return None;
        };
        let Node { size, at, .. } = self.res[i];
        match at {
            Where::A1In => self.a1in.unlink(&mut self.res.slab, i),
            Where::Am => self.am.unlink(&mut self.res.slab, i),
            Where::Ghost => unreachable!("find() reported a resident object"),
        }
        self.res.forget(i);
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
        (self.a1in.len + self.am.len) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, run};

    fn twoq(capacity: u64, kin_frac: f64, kout_frac: f64, variant: TwoQVariant) -> TwoQ {
        let params = TwoQParams {
            kin_frac,
            kout_frac,
            variant,
        };
        TwoQ::new(capacity, params)
    }

    /// Runs (id, size) requests; returns (hits, victims).
    fn run_sized(c: &mut TwoQ, reqs: &[(u64, u32)]) -> (Vec<bool>, Vec<u64>) {
        let (mut h, mut victims, mut ev) = (Vec::new(), Vec::new(), Vec::new());
        for &(id, size) in reqs {
            ev.clear();
            h.push(c.access(&Request::read(id, size), &mut ev));
            victims.extend(ev.iter().map(|v| v.id));
        }
        (h, victims)
    }

    fn place(c: &TwoQ, id: u64) -> Option<Where> {
        c.res.find(id).map(|i| c.res[i].at)
    }

    /// Capacity 4, Kin = floor(4 x 0.25) = 1, Kout = floor(4 x 0.5) = 2, unit size.
    /// Lists written newest first.
    /// 1 2 3 4: misses, room left: A1in = 4 3 2 1.
    /// 5: full; A1in holds 4 > Kin, so its tail 1 leaves and is remembered:
    ///    A1in = 5 4 3 2, A1out = 1.
    /// 1: ghost hit, a miss: reclaim 2 from A1in (A1out = 2), 1 enters Am = 1.
    /// 2: ghost hit, a miss: reclaim 3 from A1in (A1out = 3), Am = 2 1, A1in = 5 4.
    /// 1: hit in Am: Am = 1 2.
    #[test]
    fn ghost_hit_promotes_to_am() {
        for variant in [TwoQVariant::Libcachesim, TwoQVariant::Paper] {
            ghost_hit_promotes_to_am_in(twoq(4, 0.25, 0.5, variant));
        }
    }

    fn ghost_hit_promotes_to_am_in(mut c: TwoQ) {
        let (hits, ev) = run(&mut c, &[1, 2, 3, 4, 5, 1, 2, 1]);
        assert_eq!(
            hits,
            [false, false, false, false, false, false, false, true]
        );
        assert_eq!(ev, vec![1, 2, 3]);
        // A1in = E D (D oldest), Am = A B (B least recent). All four resident.
        for id in [1, 2, 4, 5] {
            assert!(c.contains(id), "{id}");
        }
        // Ghost C is not resident, and a lookup of it is a miss that changes nothing.
        assert!(!c.contains(3) && !c.lookup(&Request::read(3, 1)));
        // 6: A1in = 5 4 holds 2 > Kin: 4 leaves (A1out = 4 3), A1in = 6 5.
        // 7: 5 leaves (A1out = 5 4 3, 3 ids > Kout: 3 is forgotten), A1in = 7 6.
        let (_, ev) = run(&mut c, &[6, 7]);
        assert_eq!(ev, vec![4, 5]);
        // 5: ghost hit (A1out = 5 4); A1in holds 2 > Kin, so 6 leaves (A1out = 6 4),
        // and 5 enters Am = 5 1 2; A1in = 7.
        let (hits, ev) = run(&mut c, &[5]);
        assert_eq!((hits, ev), (vec![false], vec![6]));
        // 8: A1in is at its share (1 <= Kin), so the miss reclaims Am's LRU tail: 2.
        let (_, ev) = run(&mut c, &[8]);
        assert_eq!(ev, vec![2]);
    }

    /// A hit in A1in does not move the object: a burst of re-references to a new
    /// object does not make it hot (the paper's "correlated references").
    #[test]
    fn hit_in_a1in_changes_nothing() {
        let mut c = twoq(4, 0.25, 0.5, TwoQVariant::default());
        // A B C D, then A hits (in A1in), then E: A1in is over its share, A (oldest
        // by insertion, despite the hit) leaves.
        let (hits, ev) = run(&mut c, &[1, 2, 3, 4, 1, 1, 5]);
        assert_eq!(hits.iter().filter(|&&h| h).count(), 2);
        assert_eq!(ev, vec![1]);
    }

    #[test]
    fn params_are_checked() {
        let build = |s: &str| crate::policy::eviction::build("twoq", &s.parse().unwrap(), 100, 1);
        assert!(build("kin_frac = 0.5\nkout_frac = 1.0").is_ok());
        let c = twoq(100, 0.5, 1.0, TwoQVariant::Paper);
        assert_eq!((c.kin, c.kout), (50, 100));
        let e = build("variant = \"lru\"").err().unwrap();
        assert!(e.starts_with("variant: unknown variant `lru`"), "{e}");
        let e = build("kin_frac = 1.5").err().unwrap();
        assert_eq!(e, "kin_frac: must be in (0, 1], got 1.5");
        let e = build("k = 1").err().unwrap();
        assert!(e.starts_with("k: unknown field `k`"), "{e}");
    }

    /// libCacheSim admits only objects no larger than A1in's share (25 of 100 B): a
    /// 30 B object misses every time there, and is a hit the second time in the
    /// paper's variant. Below 4 objects A1in's share is 0 and libCacheSim admits
    /// nothing; the paper's variant keeps a share of 1.
    #[test]
    fn libcachesim_admits_only_objects_within_a1in() {
        let reqs = [(1, 30), (1, 30), (2, 25), (2, 25)];
        let mut lcs = twoq(100, 0.25, 0.5, TwoQVariant::Libcachesim);
        assert_eq!(run_sized(&mut lcs, &reqs).0, [false, false, false, true]);
        let mut paper = twoq(100, 0.25, 0.5, TwoQVariant::Paper);
        assert_eq!(run_sized(&mut paper, &reqs).0, [false, true, false, true]);
        let lcs3 = hits(
            &mut twoq(3, 0.25, 0.5, TwoQVariant::Libcachesim),
            &[1, 1, 1],
        );
        assert_eq!(lcs3, [false, false, false]);
        let lcs4 = hits(
            &mut twoq(4, 0.25, 0.5, TwoQVariant::Libcachesim),
            &[1, 1, 1],
        );
        assert_eq!(lcs4, [false, true, true]);
        let paper3 = hits(&mut twoq(3, 0.25, 0.5, TwoQVariant::Paper), &[1, 1, 1]);
        assert_eq!(paper3, [false, true, true]);
    }

    /// Capacity 100 B: A1in share 25, ghost 50, Am's share (libCacheSim) 75. Lists
    /// newest first, sizes in brackets.
    ///  1-5  A(20) B(20) C(20) D(15) E(25): A1in = E D C B A, 100 B.
    ///  6    F(5): A1in over its share: A leaves (ghost A); A1in = F E D C B, 85.
    ///  7    A: ghost hit; 105 > 100: B leaves (ghost B); Am = A, A1in = F E D C; 85.
    ///  8    B: ghost hit; C leaves (ghost C); Am = B A; A1in = F E D; 85.
    ///  9    C: ghost hit; D leaves (ghost D); Am = C B A; A1in = F E; 90.
    /// 10    D: ghost hit; E leaves (ghost E); Am = D C B A (75 B); A1in = F; 80.
    /// 11    X(10): fits: A1in = X F (15 B, under its share); 90.
    /// 12    E: ghost hit; 115 > 100, A1in is within its share: Am's tail A leaves (70).
    ///       libCacheSim: Am would hold 55 + 25 > 75, so Am's tail B leaves too and
    ///       Am = E D C (60). Paper: Am = E D C B (80).
    /// 13    B: a miss in libCacheSim (into A1in: 95 B, nothing leaves), a hit in the
    ///       paper's variant.
    #[test]
    fn libcachesim_ghost_hit_enters_am_within_its_share() {
        let reqs: Vec<(u64, u32)> = vec![
            (1, 20),
            (2, 20),
            (3, 20),
            (4, 15),
            (5, 25),
            (6, 5),
            (1, 20),
            (2, 20),
            (3, 20),
            (4, 15),
            (7, 10),
            (5, 25),
            (2, 20),
        ];
        let mut lcs = twoq(100, 0.25, 0.5, TwoQVariant::Libcachesim);
        let (h, ev) = run_sized(&mut lcs, &reqs);
        assert_eq!(h.iter().filter(|&&x| x).count(), 0);
        assert_eq!(ev, [1, 2, 3, 4, 5, 1, 2]);
        let mut paper = twoq(100, 0.25, 0.5, TwoQVariant::Paper);
        let (h, ev) = run_sized(&mut paper, &reqs);
        assert_eq!(h.iter().filter(|&&x| x).count(), 1);
        assert!(h[12]);
        assert_eq!(ev, [1, 2, 3, 4, 5, 1]);
    }

    /// An object larger than the whole ghost is not remembered, and the ghost keeps
    /// what it held (tiersim used to empty it). libCacheSim, capacity 100 B, A1in 25,
    /// ghost floor(100 x 0.1) = 10 B:
    ///  1-6  A(5) B(5) C(20) D(25) E(25) F(20): A1in = F E D C B A, 100 B.
    ///  7    G(5): A leaves (ghost A, 5 B).  8  H(5): B leaves (ghost B A, 10 B).
    ///  9    I(5): C (20 B > 10) leaves unremembered; the ghost stays B A.
    /// 10    A: a ghost hit, into Am. The paper's variant with a 50 B ghost and a 60 B
    /// object: A(10) B(10) C(60); D(30) pushes out A (ghost A), E(10) pushes out B
    /// (ghost B A), F(10) pushes out C (60 > 50: unremembered); A is then a ghost hit.
    #[test]
    fn object_larger_than_the_ghost_is_not_remembered() {
        let mut lcs = twoq(100, 0.25, 0.1, TwoQVariant::Libcachesim);
        let reqs = [
            (1, 5),
            (2, 5),
            (3, 20),
            (4, 25),
            (5, 25),
            (6, 20),
            (7, 5),
            (8, 5),
            (9, 5),
        ];
        let (_, ev) = run_sized(&mut lcs, &reqs);
        assert_eq!(ev, [1, 2, 3]);
        assert_eq!(
            (place(&lcs, 1), place(&lcs, 2), place(&lcs, 3)),
            (Some(Where::Ghost), Some(Where::Ghost), None)
        );
        run_sized(&mut lcs, &[(1, 5)]);
        assert_eq!(place(&lcs, 1), Some(Where::Am));
        let mut paper = twoq(100, 0.25, 0.5, TwoQVariant::Paper);
        let reqs = [(1, 10), (2, 10), (3, 60), (4, 30), (5, 10), (6, 10)];
        let (_, ev) = run_sized(&mut paper, &reqs);
        assert_eq!(ev, [1, 2, 3]);
        assert_eq!(paper.a1out.len, 2);
        run_sized(&mut paper, &[(1, 10)]);
        assert_eq!(place(&paper, 1), Some(Where::Am));
    }
}
