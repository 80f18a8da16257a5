//! Randomised invariants of the libCacheSim-exact policies under variable object
//! sizes (the exactness test covers unit size only): capacity is never exceeded, an
//! access hits exactly when the object was resident, a miss leaves the object resident
//! unless it could not be admitted, and inserts = evictions + resident objects.

use rand::Rng;
use tiersim::policy::eviction::{build, Params, Victim};
use tiersim::trace::Request;

#[test]
fn invariants_hold_with_variable_sizes() {
    for name in ["lru", "fifo", "clock", "lfu", "arc", "s3fifo", "belady"] {
        for (cap, max_size) in [(1000u64, 300u32), (64, 8), (10_000, 2000)] {
            let mut rng = tiersim::engine::stream(3, name);
            let n = 20_000;
            let ids: Vec<u64> = (0..n).map(|_| rng.gen_range(0..400u64)).collect();
            let mut p = build(name, &Params::new(), cap, 0).unwrap();
            let mut ev: Vec<Victim> = vec![];
            let (mut inserts, mut evictions) = (0u64, 0u64);
            for (t, &id) in ids.iter().enumerate() {
                // Size a fixed function of the id, as in real traces.
                let size = 1 + (id.wrapping_mul(0x9E37_79B9) % max_size as u64) as u32;
                let mut req = Request::read(id, size);
                req.next_access = ids[t + 1..]
                    .iter()
                    .position(|&j| j == id)
                    .map_or(u64::MAX, |k| (t + 1 + k) as u64);
                let was = p.contains(id);
                ev.clear();
                let hit = p.access(&req, &mut ev);
                assert_eq!(hit, was, "{name} cap {cap}: hit iff resident, t={t}");
                assert!(p.used() <= cap, "{name}: used {} > {cap}", p.used());
                evictions += ev.len() as u64;
                if !hit && p.contains(id) {
                    inserts += 1;
                }
                assert!(
                    hit || ev.iter().all(|v| !p.contains(v.id)),
                    "{name}: victim resident"
                );
                assert!(!hit || ev.is_empty(), "{name}: a hit evicted");
            }
            assert_eq!(inserts, evictions + p.len() as u64, "{name} cap {cap}");
        }
    }
}
