//! Least frequently used (libCacheSim `LFU`): an object's frequency is counted while
//! it is cached and forgotten when it leaves (it re-enters at 1). The victim is the
//! object of lowest frequency; among equal frequencies, the one that reached that
//! frequency first leaves first (libCacheSim appends an object to the tail of its new
//! frequency's list and evicts from the head), so at frequency 1 the oldest insert
//! goes first. O(1) per access: a list of frequency buckets, each a FIFO of objects.

use super::linked::{impl_linked, Links, List, Resident, Slab, NIL};
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

struct Node {
    id: u64,
    size: u32,
    /// The frequency bucket holding this object.
    bucket: u32,
    links: Links,
}

impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            bucket: NIL,
            links: Links::NONE,
        }
    }
}

/// All cached objects of one frequency; buckets form a list in increasing frequency.
/// (The policy keeps `used` itself, so the object lists count no bytes.)
#[derive(Clone, Copy)]
struct Bucket {
    freq: u64,
    objects: List<0, false>,
    lower: u32,
    higher: u32,
}

/// LFU with FIFO order within a frequency.
pub struct Lfu {
    res: Resident<Node>,
    buckets: Slab<Bucket>,
    /// Bucket of the lowest frequency, or NIL when empty.
    lowest: u32,
    used: u64,
    capacity: u64,
}

impl Lfu {
    pub fn new(capacity: u64) -> Self {
        Lfu {
            res: Resident::default(),
            buckets: Slab::default(),
            lowest: NIL,
            used: 0,
            capacity,
        }
    }

    /// A new, empty bucket of `freq` placed right after `lower` (NIL: at the front).
    fn new_bucket_after(&mut self, lower: u32, freq: u64) -> u32 {
        let higher = if lower == NIL {
            self.lowest
        } else {
            self.buckets[lower].higher
        };
        let b = self.buckets.alloc(Bucket {
            freq,
            objects: List::default(),
            lower,
            higher,
        });
        if lower == NIL {
            self.lowest = b;
        } else {
            self.buckets[lower].higher = b;
        }
        if higher != NIL {
            self.buckets[higher].lower = b;
        }
        b
    }

    /// Unlinks bucket `b` from the frequency list if it holds no object.
    fn drop_if_empty(&mut self, b: u32) {
        let Bucket {
            objects,
            lower,
            higher,
            ..
        } = self.buckets[b];
        if objects.len > 0 {
            return;
        }
        if lower == NIL {
            self.lowest = higher;
        } else {
            self.buckets[lower].higher = higher;
        }
        if higher != NIL {
            self.buckets[higher].lower = lower;
        }
        self.buckets.release(b);
    }

    /// Adds 1 to the frequency of object `i`.
    #[inline]
    fn bump(&mut self, i: u32) {
        let b = self.res[i].bucket;
        let Bucket { freq, higher, .. } = self.buckets[b];
        let target = if higher != NIL && self.buckets[higher].freq == freq + 1 {
            higher
        } else {
            self.new_bucket_after(b, freq + 1)
        };
        self.buckets[b].objects.unlink(&mut self.res.slab, i);
        self.buckets[target]
            .objects
            .push_front(&mut self.res.slab, i);
        self.res[i].bucket = target;
        self.drop_if_empty(b);
    }

    /// Links object `i` (just allocated) into the frequency-1 bucket.
    fn link_new(&mut self, i: u32) {
        let b = if self.lowest != NIL && self.buckets[self.lowest].freq == 1 {
            self.lowest
        } else {
            self.new_bucket_after(NIL, 1)
        };
        self.buckets[b].objects.push_front(&mut self.res.slab, i);
        self.res[i].bucket = b;
    }

    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.used + size > self.capacity && self.lowest != NIL {
            let b = self.lowest;
            let t = self.buckets[b]
                .objects
                .pop_back(&mut self.res.slab)
                .expect("buckets in the list are never empty");
            self.drop_if_empty(b);
            let Node { id, size, .. } = self.res[t];
            self.res.forget(t);
            self.used -= size as u64;
            evicted.push(Victim { id, size });
        }
    }
}

impl EvictionPolicy for Lfu {
    fn name(&self) -> &'static str {
        "lfu"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        let size = req.size as u64;
        let slot = match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.bump(i);
                return true;
            }
            Probe::Vacant(v) => {
                if size > self.capacity {
                    return false;
                }
                self.res.add_vacant(v, Node::new(req))
            }
        };
        self.make_room(size, evicted);
        self.link_new(slot);
        self.used += size;
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.bump(i);
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
        self.make_room(size, evicted);
        let i = self.res.add(Node::new(req));
        self.link_new(i);
        self.used += size;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let i = self.res.find(id)?;
        let b = self.res[i].bucket;
        self.buckets[b].objects.unlink(&mut self.res.slab, i);
        self.drop_if_empty(b);
        self.res.forget(i);
        let size = self.res[i].size;
        self.used -= size as u64;
        Some(size)
    }

    fn contains(&self, id: u64) -> bool {
        self.res.find(id).is_some()
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
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.res.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, victims};

    #[test]
    fn hand_worked_sequence() {
        // Capacity 3; frequencies in brackets.
        // 1 2 3 miss: 1[1] 2[1] 3[1]. 1 hit: 1[2]. 2 hit: 2[2] (reached 2 after 1).
        // 4 miss: the only frequency-1 object, 3, leaves; 4[1].
        // 5 miss: 4 leaves (frequency 1); 5[1]. 5 hit: 5[2], now 1, 2, 5 all at 2.
        // 6 miss: lowest frequency 2, reached first by 1: 1 leaves.
        // 1 miss: 6[1] leaves. 2 hit.
        let seq = [1, 2, 3, 1, 2, 4, 5, 5, 6, 1, 2];
        let h = hits(&mut Lfu::new(3), &seq);
        let expect = [0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1].map(|x| x == 1);
        assert_eq!(h, expect.to_vec());
        assert_eq!(victims(&mut Lfu::new(3), &seq), vec![3, 4, 1, 6]);
    }

    #[test]
    fn frequency_is_forgotten_on_eviction() {
        // Capacity 1: 1 1 1 (frequency 3), 2 evicts 1, 1 evicts 2 and 1 restarts at 1,
        // so 3 evicts 1 even though 1 was accessed four times.
        assert_eq!(
            victims(&mut Lfu::new(1), &[1, 1, 1, 2, 1, 3]),
            vec![1, 2, 1]
        );
    }
}
