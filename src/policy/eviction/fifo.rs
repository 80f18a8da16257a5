//! First in, first out: hits change nothing; the oldest insert leaves first.

use super::{EvictionPolicy, Victim};
use crate::policy::hash::IdMap;
use crate::trace::Request;
use std::collections::VecDeque;

/// FIFO over a queue of (id, insert number) and an id -> (size, insert number) map.
pub struct Fifo {
    map: IdMap<(u32, u64)>,
    queue: VecDeque<(u64, u64)>,
    inserts: u64,
    used: u64,
    capacity: u64,
}

impl Fifo {
    pub fn new(capacity: u64) -> Self {
        Fifo {
            map: IdMap::default(),
            queue: VecDeque::new(),
            inserts: 0,
            used: 0,
            capacity,
        }
    }
}

impl EvictionPolicy for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.map.contains_key(&req.id) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        self.map.contains_key(&req.id)
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        let size = req.size as u64;
        if size > self.capacity {
            return;
        }
        while self.used + size > self.capacity {
            // Entries removed out of order stay in the queue as stale tombstones; skip them.
            let Some((id, n)) = self.queue.pop_front() else {
                break;
            };
            if let Some(&(s, m)) = self.map.get(&id) {
                if m == n {
                    self.map.remove(&id);
                    self.used -= s as u64;
                    evicted.push(Victim { id, size: s });
                }
            }
        }
        self.inserts += 1;
        self.queue.push_back((req.id, self.inserts));
        self.map.insert(req.id, (req.size, self.inserts));
        self.used += size;
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let (s, _) = self.map.remove(&id)?;
        self.used -= s as u64;
        Some(s)
    }

    fn contains(&self, id: u64) -> bool {
        self.map.contains_key(&id)
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn len(&self) -> usize {
        self.map.len()
    }
}
