//! Least recently used (libCacheSim `LRU`): a hit makes the object the most recently
//! used; the least recently used leaves first; a miss evicts until the object fits,
//! then inserts it as the most recently used.
//!
//! Three representations of the same order, chosen once per tier: a doubly linked list
//! (a hit moves the node to the head, the tail leaves first); for a workload that
//! spreads its accesses over a huge working set (a training job's shuffled epochs) a
//! log of accesses (`lru_log.rs`); and for such a workload with dense ids the log over
//! a table indexed by id (`lru_dense.rs`). The list is fastest when the hot nodes stay
//! in the CPU cache (skewed traces: a hit splices cached nodes); the log when accesses
//! spread over a working set far larger than the CPU cache (shuffled epochs), because
//! its evictions read the log front to back instead of chasing tail pointers, and the
//! table needs one memory access per hit or eviction where the log over a slab needs
//! two. On a Zipf(1.0) replay the list is 1.4x faster than the log (benches/README.md).
//! The eviction contract test checks they all give the same decisions.

use super::linked::{impl_linked, Links, List, Resident};
use super::lru_dense::{DenseLru, DENSE_LRU_MAX_IDS};
use super::lru_log::LogLru;
use super::slot_index::Probe;
use super::{EvictionPolicy, Victim};
use crate::trace::Request;

struct Node {
    id: u64,
    size: u32,
    links: Links,
}
impl_linked!(Node);

impl Node {
    fn new(req: &Request) -> Node {
        Node {
            id: req.id,
            size: req.size,
            links: Links::NONE,
        }
    }
}

/// LRU over a slab-allocated doubly linked list (its byte total is `used`) and an
/// id -> slot index.
struct ListLru {
    res: Resident<Node>,
    list: List,
    capacity: u64,
}

impl ListLru {
    fn new(capacity: u64) -> Self {
        ListLru {
            res: Resident::default(),
            list: List::default(),
            capacity,
        }
    }

    /// Evicts from the tail until `size` more fits.
    #[inline]
    fn make_room(&mut self, size: u64, evicted: &mut Vec<Victim>) {
        while self.list.bytes + size > self.capacity && self.res.evict_tail(&mut self.list, evicted)
        {
        }
    }
}

impl EvictionPolicy for ListLru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.res.use_dense_ids(n);
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        // One hash of the requested id: the slot is claimed before eviction, which
        // never picks it because it is not yet linked.
        let slot = match self.res.probe(req.id) {
            Probe::Found(i) => {
                self.list.move_to_front(&mut self.res.slab, i);
                return true;
            }
            Probe::Vacant(v) => {
                if req.size as u64 > self.capacity {
                    return false;
                }
                self.res.add_vacant(v, Node::new(req))
            }
        };
        self.make_room(req.size as u64, evicted);
        self.list.push_front(&mut self.res.slab, slot);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.res.find(req.id) {
            Some(i) => {
                self.list.move_to_front(&mut self.res.slab, i);
                true
            }
            None => false,
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        if req.size as u64 > self.capacity || self.contains(req.id) {
            return;
        }
        self.make_room(req.size as u64, evicted);
        let i = self.res.add(Node::new(req));
        self.list.push_front(&mut self.res.slab, i);
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        self.res.remove_from(&mut self.list, id)
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
        self.list.bytes
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.res.len()
    }
}

/// See the module doc: the list, or the log once
/// [`EvictionPolicy::expect_scattered_accesses`] has been called on an empty cache (kept
/// in a table indexed by id when the ids are dense too).
pub struct Lru {
    order: Order,
    /// The id space given by [`EvictionPolicy::use_dense_ids`].
    dense_ids: Option<u64>,
}

enum Order {
    List(ListLru),
    Log(LogLru),
    Dense(DenseLru),
}

impl Lru {
    pub fn new(capacity: u64) -> Self {
        Lru {
            order: Order::List(ListLru::new(capacity)),
            dense_ids: None,
        }
    }

    /// Moves an empty log to the dense table when both hints have been given.
    fn pick_dense(&mut self) {
        if let (Order::Log(l), Some(n)) = (&self.order, self.dense_ids) {
            if l.is_empty() && n <= DENSE_LRU_MAX_IDS {
                self.order = Order::Dense(DenseLru::new(l.capacity(), n));
            }
        }
    }
}

/// Calls `$m` on whichever representation is in use.
macro_rules! either {
    ($self:expr, $p:ident => $e:expr) => {
        match $self {
            Order::List($p) => $e,
            Order::Log($p) => $e,
            Order::Dense($p) => $e,
        }
    };
}

impl EvictionPolicy for Lru {
    fn name(&self) -> &'static str {
        "lru"
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.dense_ids = Some(n);
        either!(&mut self.order, p => p.use_dense_ids(n));
        self.pick_dense();
    }

    fn expect_scattered_accesses(&mut self) {
        if let Order::List(l) = &self.order {
            if l.is_empty() {
                let mut log = LogLru::new(l.capacity());
                if let Some(n) = self.dense_ids {
                    log.use_dense_ids(n);
                }
                self.order = Order::Log(log);
            }
        }
        self.pick_dense();
    }

    #[inline]
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        either!(&mut self.order, p => p.access(req, evicted))
    }
    #[inline]
    fn lookup(&mut self, req: &Request) -> bool {
        either!(&mut self.order, p => p.lookup(req))
    }
    #[inline]
    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        either!(&mut self.order, p => p.insert(req, evicted))
    }
    #[inline]
    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        either!(&mut self.order, p => p.insert_admitted(req, evicted))
    }
    fn remove(&mut self, id: u64) -> Option<u32> {
        either!(&mut self.order, p => p.remove(id))
    }
    #[inline]
    fn contains(&self, id: u64) -> bool {
        either!(&self.order, p => p.contains(id))
    }
    #[inline]
    fn prefetch(&self, id: u64) {
        either!(&self.order, p => p.prefetch(id))
    }
    #[inline]
    fn prefetch_node(&self, id: u64) {
        either!(&self.order, p => p.prefetch_node(id))
    }
    fn used(&self) -> u64 {
        either!(&self.order, p => p.used())
    }
    fn capacity(&self) -> u64 {
        either!(&self.order, p => p.capacity())
    }
    fn len(&self) -> usize {
        either!(&self.order, p => p.len())
    }
    fn access_batch(&mut self, batch: &[Request], evicted: &mut Vec<Victim>) -> (u64, u64) {
        either!(&mut self.order, p => p.access_batch(batch, evicted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction::testutil::{hits, victims};

    /// Every representation: the list, the log, the log in a table indexed by id
    /// (ids 0..6 there, the rest beside it).
    fn every_order(capacity: u64) -> [Lru; 3] {
        let mut log = Lru::new(capacity);
        log.expect_scattered_accesses();
        let mut dense = Lru::new(capacity);
        dense.expect_scattered_accesses();
        dense.use_dense_ids(6);
        assert!(matches!(dense.order, Order::Dense(_)));
        [Lru::new(capacity), log, dense]
    }

    #[test]
    fn hand_worked_sequence() {
        // Capacity 3, accesses 1 2 3 1 4 2 5 1:
        // 1 2 3 miss (stack 3 2 1); 1 hit (1 3 2); 4 miss evicts LRU 2 (4 1 3);
        // 2 miss evicts 3 (2 4 1); 5 miss evicts 1 (5 2 4); 1 miss evicts 4 (1 5 2).
        let seq = [1, 2, 3, 1, 4, 2, 5, 1];
        for mut p in every_order(3) {
            assert_eq!(
                hits(&mut p, &seq),
                vec![false, false, false, true, false, false, false, false]
            );
        }
        for mut p in every_order(3) {
            assert_eq!(victims(&mut p, &seq), vec![2, 3, 1, 4]);
        }
    }

    #[test]
    fn bytes_evict_until_fit_and_big_objects_bypass() {
        // Capacity 10 bytes: a(4) b(4) then c(6): 8 + 6 > 10 evicts a (LRU), 4 + 6 fits.
        for mut p in every_order(10) {
            let mut ev = vec![];
            assert!(!p.access(&Request::read(1, 4), &mut ev));
            assert!(!p.access(&Request::read(2, 4), &mut ev));
            assert!(!p.access(&Request::read(3, 6), &mut ev));
            assert_eq!(ev, vec![Victim { id: 1, size: 4 }]);
            assert_eq!(p.used(), 10);
            // An 11-byte object is a miss, not admitted, and evicts nothing.
            ev.clear();
            assert!(!p.access(&Request::read(9, 11), &mut ev));
            assert!(ev.is_empty() && !p.contains(9) && p.used() == 10);
        }
    }
}
