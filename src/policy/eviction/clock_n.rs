//! n-bit CLOCK: FIFO with reinsertion and an n-bit saturating counter per object, the
//! generalisation of the second-chance CLOCK (Corbató 1968) that libCacheSim exposes
//! as Clock's `n-bit-counter` option. A new object starts at 0; a hit adds 1, up to
//! 2^n - 1. To evict, the hand takes the oldest object: if its counter is positive it
//! is decremented and the object is reinserted at the head, otherwise it leaves. With
//! n = 1 this is the classic CLOCK; larger n approximates LFU among recent objects.
//! Parameter `bits` (1..=16, default 2).

use super::linked::{impl_linked, Links, List, Resident};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::config::ConfigError;
use crate::registry::{in_range, ComponentParams};
use crate::trace::Request;
use serde::{Deserialize, Serialize};

/// n-bit CLOCK's parameters.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClockNParams {
    /// Counter width in bits, in [1, 16]; default 2.
    #[serde(default = "bits")]
    pub bits: u32,
}

fn bits() -> u32 {
    2
}

impl ComponentParams for ClockNParams {
    fn check(&self) -> Result<(), ConfigError> {
        in_range("bits", self.bits as u64, 1, 16)
    }
}

struct Node {
    id: u64,
    size: u32,
    count: u16,
    links: Links,
}

impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            count: 0,
            links: Links::NONE,
        }
    }
}

/// n-bit CLOCK over a slab-allocated queue (the hand is always at its tail).
pub struct ClockN {
    res: Resident<Node>,
    queue: List,
    max_count: u16,
    capacity: u64,
}

impl ClockN {
    /// A CLOCK with `bits`-bit counters (1..=16).
    pub fn new(capacity: u64, bits: u32) -> Self {
        assert!((1..=16).contains(&bits), "clock-n bits must be in 1..=16");
        ClockN {
            res: Resident::default(),
            queue: List::default(),
            max_count: ((1u32 << bits) - 1) as u16,
            capacity,
        }
    }

    /// Evicts until node `i` (added, not yet queued) fits, then queues it at the head.
    fn fill(&mut self, i: u32, evicted: &mut Vec<Victim>) {
        let size = self.res[i].size as u64;
        while self.queue.bytes + size > self.capacity {
            self.evict_one(evicted);
        }
        self.queue.push_front(&mut self.res.slab, i);
    }

    fn evict_one(&mut self, evicted: &mut Vec<Victim>) {
        loop {
            let t = self.queue.tail;
            let n = &mut self.res[t];
            if n.count > 0 {
                n.count -= 1;
                self.queue.move_to_front(&mut self.res.slab, t);
            } else {
                let (id, size) = (n.id, n.size);
                self.queue.unlink(&mut self.res.slab, t);
                self.res.forget(t);
                evicted.push(Victim { id, size });
                return;
            }
        }
    }
}

impl EvictionPolicy for ClockN {
    fn name(&self) -> &'static str {
        "clock-n"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        // One hash: the node is added before eviction, which cannot pick it because
        // it is not on the queue yet.
        match self.res.probe(req.id) {
            Probe::Found(i) => {
                let n = &mut self.res[i];
                n.count = (n.count + 1).min(self.max_count);
                true
            }
            Probe::Vacant(v) => {
                if req.size as u64 <= self.capacity {
                    let i = self.res.add_vacant(v, Node::new(req));
                    self.fill(i, evicted);
                }
                false
            }
        }
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                let n = &mut self.res[i];
                n.count = (n.count + 1).min(self.max_count);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 <= self.capacity {
            let i = self.res.add(Node::new(req));
            self.fill(i, evicted);
        }
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.res.remove_from(&mut self.queue, id)
    }

    fn contains(&self, id: u64) -> bool {
        self.res.find(id).is_some()
    }
    fn used(&self) -> u64 {
        self.queue.bytes
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.queue.len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::victims;

    /// Capacity 2, queue oldest -> newest with counters.
    /// 2 bits (max 3): A B; A hit x3 -> A3 B0 (a 4th hit saturates at 3).
    /// C: A3 -> A2 reinserted (B0 A2); B0 evicted -> A2 C0.
    /// D: A2 -> A1 (C0 A1); C0 evicted -> A1 D0.
    /// E: A1 -> A0 (D0 A0); D0 evicted -> A0 E0.
    /// F: A0 evicted -> E0 F0. So A survives three newcomers with 2 bits.
    #[test]
    fn saturating_counter_buys_that_many_second_chances() {
        let mut c = ClockN::new(2, 2);
        let ev = victims(&mut c, &[1, 2, 1, 1, 1, 1, 3, 4, 5, 6]);
        assert_eq!(ev, vec![2, 3, 4, 1]);
    }

    /// Same sequence with 1 bit (classic CLOCK): A saturates at 1.
    /// C: A1 -> A0 (B0 A0); B evicted -> A0 C0. D: A0 evicted -> C0 D0.
    /// E: C evicted. F: D evicted.
    #[test]
    fn one_bit_is_second_chance() {
        let mut c = ClockN::new(2, 1);
        let ev = victims(&mut c, &[1, 2, 1, 1, 1, 1, 3, 4, 5, 6]);
        assert_eq!(ev, vec![2, 1, 3, 4]);
    }
}
