//! Hand-checked sequences for libCacheSim's LIRS (their hits also checked with
//! libcachesim 0.3.5), beside the paper's variant.
use super::*;
use crate::policy::eviction::testutil::{hits, run};
use crate::policy::eviction::Lirs;

fn run_sized(p: &mut dyn EvictionPolicy, reqs: &[(u64, u32)]) -> Vec<bool> {
    let mut ev = Vec::new();
    reqs.iter()
        .map(|&(id, size)| p.access(&Request::read(id, size), &mut ev))
        .collect()
}

/// Capacity 3: HIR share max(1, floor(0.03)) = 1, LIR share 2. S top first.
///  1, 2: LIR. 3: HIR, Q = [3]. 4: Q is at its share: 3 leaves (non-resident on S).
///  3: a miss on S: S's bottom LIR 1 is demoted into Q (pushing 4 out), then 3 is
///     LIR: S = [3 4n 2], Q = [1].
///  1: a hit in Q, not on S: libCacheSim makes LIR room for it, demoting 2 into Q
///     (which pushes 1's own Q entry out), prunes 4 off S, then puts 1 on S as a
///     resident HIR: S = [1 3], Q = [2]. The paper changes no status here.
///  2: a hit in Q: LIR has room, so 2 just goes on S. 4: a miss, and LIR (1 + 1
///  fits). 1: a hit on S (its entry still says resident): 3 is demoted (pushing 2
///  out of Q) and 1 becomes LIR. 3: a hit in Q. Hits 5, 6, 8, 9 (the paper: 5, 6,
///  9); victims 3, 4, 2. libcachesim 0.3.5's `LIRS(3)` gives the same hits.
#[test]
fn hit_on_hir_outside_the_stack_demotes_lir() {
    let seq = [1, 2, 3, 4, 3, 1, 2, 4, 1, 3];
    let mut c = LirsLibCacheSim::new(3, 0.01, 2.0);
    let (h, ev) = run(&mut c, &seq);
    let got: Vec<usize> = (0..seq.len()).filter(|&i| h[i]).collect();
    assert_eq!(got, [5, 6, 8, 9]);
    assert_eq!(ev, [3, 4, 2]);
    let paper = hits(&mut Lirs::new(3, 0.34, 2.0), &seq);
    let got: Vec<usize> = (0..seq.len()).filter(|&i| paper[i]).collect();
    assert_eq!(got, [5, 6, 9]);
}

/// Capacity 1000 B: HIR share 10. A new object of 11 B is never admitted; 10 B is.
/// The paper's variant admits anything that fits in the cache. libCacheSim:
/// misses, misses, miss, hit.
#[test]
fn new_object_larger_than_the_hir_share_is_refused() {
    let reqs = [(1, 11), (1, 11), (2, 10), (2, 10)];
    let mut c = LirsLibCacheSim::new(1000, 0.01, 2.0);
    assert_eq!(run_sized(&mut c, &reqs), [false, false, false, true]);
    let mut paper = Lirs::new(1000, 0.01, 2.0);
    assert_eq!(run_sized(&mut paper, &reqs), [false, true, false, true]);
}

/// Capacity 1000 B: LIR share 990, HIR share 10. 98 objects of 10 B and one of 5 B
/// are LIR (985 B). X (6 B) does not fit in the LIR share: resident HIR. Y (6 B):
/// Q would hold 12 > 10, so X leaves though the cache has 15 B free. X again: a
/// miss. The paper's variant lets Q use the 5 B of LIR share left: X stays, a hit.
#[test]
fn hir_queue_is_held_to_its_share() {
    let mut reqs: Vec<(u64, u32)> = (1..=98).map(|i| (i, 10)).collect();
    reqs.extend([(99, 5), (100, 6), (101, 6), (100, 6)]);
    let mut c = LirsLibCacheSim::new(1000, 0.01, 2.0);
    let h = run_sized(&mut c, &reqs);
    assert!(h.iter().all(|&x| !x));
    let mut paper = Lirs::new(1000, 0.01, 2.0);
    assert_eq!(run_sized(&mut paper, &reqs).last(), Some(&true));
}

/// One object of capacity: LIR share 0, so nothing is admitted; at 2 objects an
/// object is admitted (libcachesim 0.3.5: `LIRS(1)` misses twice, `LIRS(2)` hits).
#[test]
fn one_object_cache_admits_nothing() {
    assert_eq!(
        hits(&mut LirsLibCacheSim::new(1, 0.01, 2.0), &[1, 1]),
        [false, false]
    );
    assert_eq!(
        hits(&mut LirsLibCacheSim::new(2, 0.01, 2.0), &[1, 1]),
        [false, true]
    );
}
