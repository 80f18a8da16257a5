//! S3-FIFO (Yang et al., SOSP '23), exactly as libCacheSim's `S3FIFO.c`: a small FIFO
//! (`small_frac` of the capacity, default 0.1), a main FIFO (the rest) with a 2-bit
//! reinsertion counter, and a ghost FIFO of ids (`ghost_frac` of the capacity's worth,
//! default 0.9). Queue sizes are truncated like libCacheSim's `(int64_t)(c * frac)`.
//!
//! - A hit adds 1 to the object's counter in whichever queue holds it.
//! - A miss whose id is in the ghost leaves the ghost and enters main; any other miss
//!   enters small, with counter 0. An object larger than the small queue is a miss
//!   and is not admitted (libCacheSim's `S3FIFO_can_insert`, which also takes the id
//!   off the ghost). An object exactly the size of the small queue and not in the
//!   ghost passes that check (`<=`), room is made for it, and then it is not inserted
//!   (libCacheSim's insert refuses `>=`). So a unit-size cache admits nothing below 20
//!   objects (small queue 0 or 1); below 10 libCacheSim 0.3.5 refuses to build the
//!   cache at all, where tiersim builds it and admits nothing.
//! - To make room: evict from main when main is over its share or small is empty,
//!   else from small. Small's oldest moves to main (counter 0) if its counter is at
//!   least `move_to_main_threshold` (default 2), else leaves and its id enters the
//!   ghost (unless it is larger than the whole ghost); this repeats until one object
//!   has left. Main's oldest with counter >= 1 is reinserted at main's head with
//!   counter min(counter, 3) - 1, otherwise it leaves.
//!
//! Variants (`variant`): `"libcachesim"` (the default) is `S3FIFO.c` of the pinned
//! libCacheSim (PyPI `libcachesim` 0.3.5, from December 2024 on): until the first
//! eviction, a new object enters main once small is full. `"v0"` is libCacheSim's
//! `S3FIFOv0.c`, the earlier `S3FIFO.c` that produced ../shared/data's reference
//! counts: new objects always enter small (at 50% of cloudPhysicsIO in unit size:
//! 70,351 misses for v0, 54,451 for the default).

use super::linked::{impl_linked, Links, List, Resident};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::config::ConfigError;
use crate::registry::{in_interval, ComponentParams};
use crate::trace::Request;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queue {
    Small = 0,
    Main = 1,
    Ghost = 2,
}

struct Node {
    id: u64,
    size: u32,
    freq: u32,
    queue: Queue,
    links: Links,
}

impl_linked!(Node);

/// S3-FIFO's parameters (libCacheSim names: small-size-ratio, ghost-size-ratio,
/// move-to-main-threshold).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3FifoParams {
    /// Share of the capacity held by the small FIFO, in (0, 1); default 0.1.
    #[serde(default = "small_frac")]
    pub small_frac: f64,
    /// Ghost FIFO size as a share of the capacity (ids of that many bytes' worth of
    /// objects), >= 0; default 0.9.
    #[serde(default = "ghost_frac")]
    pub ghost_frac: f64,
    /// Hits (counter value) a small-queue object needs to move to main, >= 1; default 2.
    #[serde(default = "move_to_main_threshold")]
    pub move_to_main_threshold: u32,
    /// `"libcachesim"` (default: libCacheSim 0.3.5's S3FIFO.c) or `"v0"` (its
    /// S3FIFOv0.c, the reference counts' version). See the module doc.
    #[serde(default)]
    pub variant: S3FifoVariant,
}

/// Which libCacheSim S3-FIFO. See the module doc.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum S3FifoVariant {
    #[default]
    Libcachesim,
    V0,
}

fn small_frac() -> f64 {
    0.1
}
fn ghost_frac() -> f64 {
    0.9
}
fn move_to_main_threshold() -> u32 {
    2
}

impl Default for S3FifoParams {
    fn default() -> Self {
        S3FifoParams {
            small_frac: small_frac(),
            ghost_frac: ghost_frac(),
            move_to_main_threshold: move_to_main_threshold(),
            variant: S3FifoVariant::default(),
        }
    }
}

impl ComponentParams for S3FifoParams {
    fn check(&self) -> Result<(), ConfigError> {
        in_interval("small_frac", self.small_frac, (0.0, true), (1.0, true))?;
        if !(self.ghost_frac >= 0.0 && self.ghost_frac.is_finite()) {
            return Err(ConfigError::new(
                "ghost_frac",
                format!("must be a number >= 0, got {}", self.ghost_frac),
            ));
        }
        if self.move_to_main_threshold == 0 {
            return Err(ConfigError::new(
                "move_to_main_threshold",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// S3-FIFO with libCacheSim's exact queue sizing and eviction order.
pub struct S3Fifo {
    res: Resident<Node>,
    /// Small, main, ghost, indexed by `Queue`; their byte totals are the sizes.
    queues: [List; 3],
    /// Capacities of small, main and ghost.
    caps: [u64; 3],
    threshold: u32,
    capacity: u64,
    /// Until the first eviction, new objects enter main once small is full (the
    /// default variant; false for v0).
    fill_main_first: bool,
    /// Whether anything was ever evicted.
    has_evicted: bool,
}

impl S3Fifo {
    pub fn new(capacity: u64, params: S3FifoParams) -> Self {
        let small = (capacity as f64 * params.small_frac) as u64;
        let ghost = (capacity as f64 * params.ghost_frac) as u64;
        S3Fifo {
            res: Resident::default(),
            queues: [List::default(); 3],
            caps: [small, capacity - small, ghost],
            threshold: params.move_to_main_threshold,
            capacity,
            fill_main_first: params.variant == S3FifoVariant::Libcachesim,
            has_evicted: false,
        }
    }

    /// Bytes (objects in unit-size mode) in queue `q`.
    #[inline]
    fn bytes(&self, q: Queue) -> u64 {
        self.queues[q as usize].bytes
    }

    #[inline]
    fn detach(&mut self, i: u32) {
        let q = self.res[i].queue;
        self.queues[q as usize].unlink(&mut self.res.slab, i);
    }

    #[inline]
    fn attach(&mut self, i: u32, to: Queue) {
        self.queues[to as usize].push_front(&mut self.res.slab, i);
        self.res[i].queue = to;
    }

    /// Forgets node `i` entirely.
    fn forget(&mut self, i: u32) {
        self.detach(i);
        self.res.forget(i);
    }

    /// Puts the id of node `i` (in no queue) into the ghost, trimming the ghost.
    fn send_to_ghost(&mut self, i: u32) {
        let size = self.res[i].size as u64;
        let cap = self.caps[Queue::Ghost as usize];
        if size > cap {
            self.res.forget(i);
            return;
        }
        while self.bytes(Queue::Ghost) + size > cap {
            let t = self.queues[Queue::Ghost as usize].tail;
            self.forget(t);
        }
        self.attach(i, Queue::Ghost);
    }

    fn evict_small(&mut self, evicted: &mut Vec<Victim>) {
        while self.bytes(Queue::Small) > 0 {
            let t = self.queues[Queue::Small as usize].tail;
            self.detach(t);
            let node = &mut self.res[t];
            if node.freq >= self.threshold {
                node.freq = 0;
                self.attach(t, Queue::Main);
            } else {
                let (id, size) = (node.id, node.size);
                self.send_to_ghost(t);
                evicted.push(Victim { id, size });
                return;
            }
        }
    }

    fn evict_main(&mut self, evicted: &mut Vec<Victim>) {
        while self.bytes(Queue::Main) > 0 {
            let t = self.queues[Queue::Main as usize].tail;
            let node = &mut self.res[t];
            if node.freq >= 1 {
                node.freq = node.freq.min(3) - 1;
                self.queues[Queue::Main as usize].move_to_front(&mut self.res.slab, t);
            } else {
                let (id, size) = (node.id, node.size);
                self.forget(t);
                evicted.push(Victim { id, size });
                return;
            }
        }
    }

    fn evict(&mut self, evicted: &mut Vec<Victim>) {
        self.has_evicted = true;
        let (small, main) = (self.bytes(Queue::Small), self.bytes(Queue::Main));
        if main > self.caps[Queue::Main as usize] || small == 0 {
            self.evict_main(evicted);
        } else {
            self.evict_small(evicted);
        }
        // Start loading what the next evictions will touch: each queue's next victims
        // and the index bucket of its tail.
        for q in &self.queues {
            self.res.prefetch_victims(q);
        }
    }

    /// One request; true on a hit.
    fn request(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        let small_cap = self.caps[Queue::Small as usize];
        let admissible = size <= small_cap && size <= self.capacity;
        let (slot, from_ghost) = match self.res.probe(req.id) {
            Probe::Found(i) => {
                let node = &mut self.res[i];
                if node.queue != Queue::Ghost {
                    node.freq = node.freq.saturating_add(1);
                    return true;
                }
                self.detach(i);
                if !admissible {
                    self.res.forget(i);
                    return false;
                }
                let node = &mut self.res[i];
                node.size = req.size;
                node.freq = 0;
                (i, true)
            }
            Probe::Vacant(v) => {
                if !admissible {
                    return false;
                }
                if size >= small_cap {
                    // libCacheSim makes room for it, then its insert refuses it.
                    while self.used() + size > self.capacity {
                        self.evict(evicted);
                    }
                    return false;
                }
                let node = Node {
                    id: req.id,
                    size: req.size,
                    freq: 0,
                    queue: Queue::Small,
                    links: Links::NONE,
                };
                (self.res.add_vacant(v, node), false)
            }
        };
        while self.used() + size > self.capacity {
            self.evict(evicted);
        }
        let small_full = self.bytes(Queue::Small) >= small_cap;
        let to = if from_ghost || (self.fill_main_first && !self.has_evicted && small_full) {
            Queue::Main
        } else {
            Queue::Small
        };
        self.attach(slot, to);
        false
    }

    fn data_node(&self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        (self.res[i].queue != Queue::Ghost).then_some(i)
    }
}

impl EvictionPolicy for S3Fifo {
    fn name(&self) -> &'static str {
        "s3fifo"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        self.request(req, evicted)
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.data_node(req.id) {
            Some(i) => {
                let f = &mut self.res[i].freq;
                *f = f.saturating_add(1);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if self.data_node(req.id).is_none() {
            self.request(req, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.data_node(id)?;
        let size = self.res[i].size;
        self.forget(i);
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.data_node(id).is_some()
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        self.res.prefetch(id)
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        self.res.prefetch_node(id)
    }
    fn used(&self) -> u64 {
        self.bytes(Queue::Small) + self.bytes(Queue::Main)
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        (self.queues[Queue::Small as usize].len + self.queues[Queue::Main as usize].len) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, victims};

    #[test]
    fn queue_sizes_truncate_like_libcachesim() {
        // 489 x 0.1 = 48.9 -> 48 small, 441 main; 489 x 0.9 = 440.1 -> 440 ghost.
        let s = S3Fifo::new(489, S3FifoParams::default());
        assert_eq!(s.caps, [48, 441, 440]);
    }

    fn v0() -> S3FifoParams {
        S3FifoParams {
            variant: S3FifoVariant::V0,
            ..S3FifoParams::default()
        }
    }

    #[test]
    fn hand_worked_sequence_v0() {
        // c = 20: small 2, main 18, ghost 18. Queues written oldest first.
        // 1..=20 miss: all enter small (it may exceed its share while the cache is not
        //   full): small [1..20], used 20.
        // 1 hit (small, counter 1).
        // 21 miss: full; main (0) is not over its share, small not empty: evict from
        //   small: 1 has counter 1 < 2, leaves, id to the ghost [1]. 21 enters small.
        // 1 miss, found in the ghost: leaves it; full: evict small: 2 (counter 0) leaves
        //   to the ghost [2]. 1 enters main [1].
        // 22 miss: main 1 is not over 18: evict small: 3 leaves. 22 enters small.
        let mut seq: Vec<u64> = (1..=20).collect();
        seq.extend([1, 21, 1, 22]);
        let h = hits(&mut S3Fifo::new(20, v0()), &seq);
        let mut expect = vec![false; seq.len()];
        expect[20] = true;
        assert_eq!(h, expect);
        let mut s = S3Fifo::new(20, v0());
        assert_eq!(victims(&mut s, &seq), vec![1, 2, 3]);
        assert!(s.contains(1) && s.contains(21) && s.contains(22));
        assert!(!s.contains(2) && !s.contains(3));
    }

    #[test]
    fn promotion_at_two_and_main_reinsertion() {
        // c = 4 with small_frac 0.5: small 2, main 2, ghost floor(3.6) = 3.
        // 1 1 1 (counter 2), 2 2 2 (counter 2), 3, 4: small [1 2 3 4], used 4.
        // 5 miss: evict small: 1 (counter 2) moves to main (counter 0), so does 2;
        //   3 (counter 0) leaves to the ghost [3]. 5 enters small [4 5]; main [1 2].
        // 1 hit (main, counter 1).
        // 6 miss: main 2 is not over 2: evict small: 4 leaves (ghost [3 4]); small [5 6].
        // 3 miss, in the ghost: evict small: 5 leaves (ghost [4 5]); 3 enters main
        //   [1 2 3], over its share.
        // 7 miss: evict main: 1 has counter 1: back to main's head with counter
        //   min(1, 3) - 1 = 0 ([2 3 1]); 2 (counter 0) leaves. 7 enters small [6 7].
        let params = S3FifoParams {
            small_frac: 0.5,
            ..v0()
        };
        let seq = [1, 1, 1, 2, 2, 2, 3, 4, 5, 1, 6, 3, 7];
        let mut s = S3Fifo::new(4, params);
        assert_eq!(s.caps, [2, 2, 3]);
        assert_eq!(victims(&mut s, &seq), vec![3, 4, 5, 2]);
        for id in [1, 3, 6, 7] {
            assert!(s.contains(id), "{id} should be cached");
        }
    }

    /// Unit size: below 10 objects the small queue is 0 and nothing fits in it; from 10
    /// to 19 it is 1, and an object of its size is refused at insertion; at 20 objects
    /// the small queue is 2 and objects are admitted. Same in both variants.
    #[test]
    fn tiny_cache_admits_nothing_below_20_objects() {
        for params in [S3FifoParams::default(), v0()] {
            for (c, want) in [(5, [false; 3]), (10, [false; 3]), (19, [false; 3])] {
                assert_eq!(hits(&mut S3Fifo::new(c, params), &[1, 1, 1]), want, "{c}");
            }
            assert_eq!(
                hits(&mut S3Fifo::new(20, params), &[1, 1, 1]),
                [false, true, true]
            );
        }
    }

    /// Capacity 100 B, small queue 10 B (no larger object is admitted). A(6) and B(4)
    /// fill small; D1..D10 (9 B each) enter main in the default variant (small is full
    /// and nothing was evicted yet), small in v0: 100 B. X(10), exactly the small
    /// queue's size: 100 + 10 > 100, so small's oldest A leaves to the ghost, 94 + 10 is
    /// still too much, so B leaves too; then X is not inserted. X again: 90 + 10 fits,
    /// nothing leaves, X is refused again. D1 hits.
    #[test]
    fn object_the_size_of_the_small_queue_makes_room_then_is_refused() {
        let mut reqs = vec![(1, 6), (2, 4)];
        reqs.extend((11..=20).map(|id| (id, 9)));
        reqs.extend([(3, 10), (3, 10), (11, 9)]);
        for params in [S3FifoParams::default(), v0()] {
            let mut s = S3Fifo::new(100, params);
            let (mut h, mut victims, mut ev) = (Vec::new(), Vec::new(), Vec::new());
            for &(id, size) in &reqs {
                ev.clear();
                h.push(s.access(&Request::read(id, size), &mut ev));
                victims.extend(ev.iter().map(|v| v.id));
            }
            let mut want = vec![false; reqs.len()];
            want[14] = true;
            assert_eq!(h, want, "{params:?}");
            assert_eq!(victims, [1, 2], "{params:?}");
            assert!(!s.contains(3) && s.used() == 90, "{params:?}");
        }
    }

    /// c = 20: small 2, main 18. Default variant: 1 and 2 enter small; small is then
    /// full and nothing was evicted, so 3..=20 enter main. 1 hits (counter 1). 21: full;
    /// main is not over 18, so small's oldest, 1 (counter 1 < 2), leaves to the ghost.
    /// 1: a ghost hit; small's 2 leaves; 1 enters main (19). 22: main is over its
    /// share: its oldest, 3, leaves. 23: main is at 18: small's 21 leaves. 4 is in main:
    /// a hit. In v0 everything entered small, and 4 left it (to the ghost) at 23; 4 is
    /// then a ghost hit that pushes small's 5 out.
    #[test]
    fn default_fills_main_until_the_first_eviction() {
        let mut seq: Vec<u64> = (1..=20).collect();
        seq.extend([1, 21, 1, 22, 23, 4]);
        let mut s = S3Fifo::new(20, S3FifoParams::default());
        assert_eq!(victims(&mut s, &seq), [1, 2, 3, 21]);
        let h = hits(&mut S3Fifo::new(20, S3FifoParams::default()), &seq);
        assert_eq!((h[20], h[25]), (true, true));
        assert_eq!(h.iter().filter(|&&x| x).count(), 2);
        let mut s = S3Fifo::new(20, v0());
        assert_eq!(victims(&mut s, &seq), [1, 2, 3, 4, 5]);
        let h = hits(&mut S3Fifo::new(20, v0()), &seq);
        assert_eq!(h.iter().filter(|&&x| x).count(), 1);
    }
}
