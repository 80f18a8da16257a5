//! 2Q (Johnson & Shasha, "2Q: A Low Overhead High Performance Buffer Management
//! Replacement Algorithm", VLDB 1994), the "full version": a new object enters A1in, a
//! FIFO holding `kin_frac` (default 25%) of the capacity; a hit there changes nothing.
//! When A1in is over its share, its oldest object leaves the cache and its id enters
//! A1out, a FIFO of ids only (a ghost) remembering `kout_frac` (default 50%) of the
//! capacity's worth of objects. A miss whose id is in A1out is judged hot: it goes
//! straight into Am, an LRU holding the rest; a hit in Am moves the object to Am's
//! head. Reclaiming follows the paper: from A1in's tail if A1in holds more than its
//! share (in bytes), else from Am's tail (not remembered). Shares are in bytes, and so
//! is the ghost's size (the bytes the remembered objects occupied); in unit-size mode
//! both count objects, as in the paper.

use super::linked::{impl_linked, Links, List, Resident};
use super::{EvictionPolicy, Victim};
use crate::config::ConfigError;
use crate::registry::{in_interval, ComponentParams};
use crate::trace::Request;
use serde::{Deserialize, Serialize};

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
}

impl TwoQ {
    /// A1in holds `kin_frac` of `capacity` (at least 1), A1out remembers `kout_frac`.
    pub fn new(capacity: u64, kin_frac: f64, kout_frac: f64) -> Self {
        TwoQ {
            res: Resident::default(),
            a1in: List::default(),
            a1out: List::default(),
            am: List::default(),
            kin: ((capacity as f64 * kin_frac) as u64).max(1),
            kout: (capacity as f64 * kout_frac) as u64,
            capacity,
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
            evicted.push(Victim {
                id: n.id,
                size: n.size,
            });
            self.a1out.push_front(&mut self.res.slab, t);
            self.trim_ghost();
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
        if size > self.capacity {
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
    use crate::policy::eviction::testutil::run;

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
        let mut c = TwoQ::new(4, 0.25, 0.5);
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
        let mut c = TwoQ::new(4, 0.25, 0.5);
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
        let c = TwoQ::new(100, 0.5, 1.0);
        assert_eq!((c.kin, c.kout), (50, 100));
        let e = build("kin_frac = 1.5").err().unwrap();
        assert_eq!(e, "kin_frac: must be in (0, 1], got 1.5");
        let e = build("k = 1").err().unwrap();
        assert!(e.starts_with("k: unknown field `k`"), "{e}");
    }
}
