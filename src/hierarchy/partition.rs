//! A cache tier partitioned by job quotas (`[[jobs]] quota`): one eviction policy per
//! partition, each with its own capacity. A lookup finds an object in any partition
//! (a sample of a shared dataset cached by another job is a hit, and updates that
//! partition's policy, as a page cache charging a page to one cgroup still serves it to
//! all); an insert goes to the partition of the requesting job, so one job's fills
//! never evict another job's data.

use crate::policy::eviction::{EvictionPolicy, Victim};
use crate::trace::Request;

/// See the module doc.
pub struct Partitioned {
    parts: Vec<Box<dyn EvictionPolicy>>,
    /// The partition of each job.
    of_job: Vec<usize>,
    /// The requesting job's partition.
    current: usize,
}

impl Partitioned {
    /// `parts`, and the partition of each job (by job index).
    pub fn new(parts: Vec<Box<dyn EvictionPolicy>>, of_job: Vec<usize>) -> Self {
        assert!(!parts.is_empty() && of_job.iter().all(|&p| p < parts.len()));
        Partitioned {
            parts,
            of_job,
            current: 0,
        }
    }

    /// The partition holding `id`.
    fn holder(&self, id: u64) -> Option<usize> {
        self.parts.iter().position(|p| p.contains(id))
    }
}

impl EvictionPolicy for Partitioned {
    fn name(&self) -> &'static str {
        self.parts[0].name()
    }

    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        if self.lookup(req) {
            return true;
        }
        self.insert(req, evicted);
        false
    }

    fn lookup(&mut self, req: &Request) -> bool {
        match self.holder(req.id) {
            Some(p) => self.parts[p].lookup(req),
            // The requester's policy sees its miss (policies with ghost history).
            None => self.parts[self.current].lookup(req),
        }
    }

    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>) {
        self.parts[self.current].insert(req, evicted);
    }

    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        self.parts[self.current].insert_admitted(req, evicted)
    }

    fn remove(&mut self, id: u64) -> Option<u32> {
        let p = self.holder(id)?;
        self.parts[p].remove(id)
    }

    fn contains(&self, id: u64) -> bool {
        self.holder(id).is_some()
    }

    fn used(&self) -> u64 {
        self.parts.iter().map(|p| p.used()).sum()
    }

    fn capacity(&self) -> u64 {
        self.parts.iter().map(|p| p.capacity()).sum()
    }

    fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }

    fn set_importance(&mut self, id: u64, importance: f64) {
        self.parts
            .iter_mut()
            .for_each(|p| p.set_importance(id, importance));
    }

    fn use_dense_ids(&mut self, n: u64) {
        self.parts.iter_mut().for_each(|p| p.use_dense_ids(n));
    }

    fn expect_scattered_accesses(&mut self) {
        self.parts
            .iter_mut()
            .for_each(|p| p.expect_scattered_accesses());
    }

    fn set_requester(&mut self, job: u16) {
        self.current = self.of_job.get(job as usize).copied().unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::eviction;

    fn lru(capacity: u64) -> Box<dyn EvictionPolicy> {
        eviction::build("lru", &toml::Table::new(), capacity, 1).unwrap()
    }

    #[test]
    fn fills_stay_in_the_requesters_partition_and_lookups_see_all() {
        // Job 0: 2 objects; job 1: 3 objects (unit sizes).
        let mut c = Partitioned::new(vec![lru(2), lru(3)], vec![0, 1]);
        let mut ev = Vec::new();
        c.set_requester(1);
        for id in 0..3 {
            c.insert(&Request::read(id, 1), &mut ev);
        }
        assert!(ev.is_empty());
        c.set_requester(0);
        for id in 10..13 {
            c.insert(&Request::read(id, 1), &mut ev);
        }
        // Job 0's third fill evicted its own first, none of job 1's.
        assert_eq!(ev.iter().map(|v| v.id).collect::<Vec<_>>(), vec![10]);
        assert!((0..3).all(|id| c.contains(id)));
        // Job 0 hits job 1's object.
        assert!(c.lookup(&Request::read(2, 1)));
        assert_eq!((c.used(), c.capacity(), c.len()), (5, 5, 5));
    }
}
