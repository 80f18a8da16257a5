//! Helpers for the policies' hand-worked unit tests: replay a sequence of unit-size ids.

use super::EvictionPolicy;
use crate::trace::Request;

/// Hit (true) or miss (false) of each access of `seq`, every object of size 1.
pub(crate) fn hits(p: &mut dyn EvictionPolicy, seq: &[u64]) -> Vec<bool> {
    let mut ev = Vec::new();
    seq.iter()
        .map(|&id| p.access(&Request::read(id, 1), &mut ev))
        .collect()
}

/// The ids evicted while replaying `seq` at unit size, in eviction order.
pub(crate) fn victims(p: &mut dyn EvictionPolicy, seq: &[u64]) -> Vec<u64> {
    let mut ev = Vec::new();
    for &id in seq {
        p.access(&Request::read(id, 1), &mut ev);
    }
    ev.iter().map(|v| v.id).collect()
}

/// Hits (as [`hits`]) and evicted ids (as [`victims`]) of one replay of `seq`.
pub(crate) fn run(p: &mut dyn EvictionPolicy, seq: &[u64]) -> (Vec<bool>, Vec<u64>) {
    let mut ev = Vec::new();
    let hits = seq
        .iter()
        .map(|&id| p.access(&Request::read(id, 1), &mut ev))
        .collect();
    (hits, ev.iter().map(|v| v.id).collect())
}

/// Requests of `seq` with next-access times filled in (Belady's oracle), by a
/// straightforward quadratic scan, independent of the replay's backward pass.
pub(crate) fn with_next(seq: &[u64]) -> Vec<Request> {
    (0..seq.len())
        .map(|i| {
            let mut r = Request::read(seq[i], 1);
            if let Some(j) = (i + 1..seq.len()).find(|&j| seq[j] == seq[i]) {
                r.next_access = j as u64;
            }
            r
        })
        .collect()
}
