//! Miss counts of `clock-n`, `twoq`, `sieve` and `lirs` on the real cloudPhysicsIO trace
//! (unit size, cache = floor(48,974 distinct x {1%, 10%, 50%}) = 489 / 4,897 / 24,487
//! objects), against libCacheSim's own implementations. Needs the shared data
//! (`$TIERSIM_SHARED_DATA`, else `../shared/data`); skipped when it is absent.
//!
//! Expected counts: libCacheSim's Python bindings (PyPI `libcachesim` 0.3.5), run as
//! ```text
//! p = lcs.ReaderInitParam(ignore_obj_size=True)
//! r = lcs.TraceReader("cloudPhysicsIO.oracleGeneral.bin", lcs.TraceType.ORACLE_GENERAL_TRACE, p)
//! miss_ratio, _ = lcs.Sieve(489).process_trace(r)   # n_miss = round(miss_ratio * 113872)
//! ```
//! with `lcs.Clock(c, n_bit_counter=2)`, `lcs.TwoQ(c)` (A1in 25%, A1out 50%),
//! `lcs.Sieve(c)` and `lcs.LIRS(c)`. The same script reproduces the shared reference
//! file's LRU and Clock rows exactly, which validates the harness.

use std::path::PathBuf;
use tiersim::policy::eviction::{build, Params};
use tiersim::trace::{self, Request};

fn shared_data() -> Option<PathBuf> {
    let dir = match std::env::var_os("TIERSIM_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    dir.join("cloudPhysicsIO.txt").exists().then_some(dir)
}

fn unit_trace(dir: &std::path::Path) -> Vec<Request> {
    let mut r = trace::open(&dir.join("cloudPhysicsIO.txt"), None).expect("open trace");
    let mut reqs = Vec::new();
    while let Some(q) = r.next_request().expect("read trace") {
        reqs.push(Request::read(q.id, 1));
    }
    reqs
}

fn misses(kind: &str, params: &str, reqs: &[Request], capacity: u64) -> u64 {
    let params: Params = params.parse().unwrap();
    let mut p = build(kind, &params, capacity, 0).unwrap();
    let mut ev = Vec::new();
    let mut misses = 0;
    for r in reqs {
        ev.clear();
        misses += !p.access(r, &mut ev) as u64;
    }
    misses
}

fn check(kind: &str, params: &str, want: [u64; 3]) {
    let Some(dir) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    let reqs = unit_trace(&dir);
    assert_eq!(reqs.len(), 113_872);
    let got: Vec<u64> = [489, 4897, 24487]
        .iter()
        .map(|&c| misses(kind, params, &reqs, c))
        .collect();
    assert_eq!(got, want, "{kind} {params}");
}

/// With 1 bit, n-bit CLOCK is libCacheSim's Clock; these are the shared reference
/// file's `clock` rows (libcachesim-reference-cloudPhysicsIO.csv).
#[test]
fn clock_n_one_bit_matches_libcachesim_clock() {
    check("clock-n", "bits = 1", [95332, 91599, 64456]);
}

#[test]
fn clock_n_two_bits_matches_libcachesim() {
    check("clock-n", "", [95181, 91531, 64451]);
}

#[test]
fn twoq_matches_libcachesim() {
    check("twoq", "", [94573, 88160, 71993]);
}

#[test]
fn sieve_matches_libcachesim() {
    check("sieve", "", [94419, 90040, 64377]);
}

/// LIRS follows the paper; libCacheSim's LIRS.c departs from it in one place: on a hit
/// to a resident HIR object that has left S (`hit_RD_HIRinQ`) it also demotes S's
/// bottom LIR object into Q, evicting Q's front, although the paper changes no status
/// on such a hit. Emulating that step (a throwaway patch, not kept: it makes a hit
/// evict, which the eviction contract forbids) reproduced all three counts exactly;
/// without it the counts differ by at most one miss in 113,872 requests.
#[test]
fn lirs_within_one_miss_of_libcachesim() {
    let Some(dir) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    let reqs = unit_trace(&dir);
    for (c, want) in [(489, 94680u64), (4897, 85609), (24487, 54577)] {
        let got = misses("lirs", "", &reqs, c);
        assert!(
            got.abs_diff(want) <= 1,
            "lirs at {c}: {got} vs libCacheSim {want}"
        );
    }
}
