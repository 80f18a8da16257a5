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
//! `lcs.Sieve(c)` and `lcs.LIRS(c)` (tests/libcachesim_diff.rs runs the same package in
//! CI on generated traces too). The same script reproduces the shared reference
//! file's LRU and Clock rows exactly, which validates the harness.
//!
//! Variable sizes: the same, without `ignore_obj_size`, counting misses and missed
//! bytes of `cache.get(req)` per request, with capacities of 1%, 10% and 50% of the
//! trace's 2,029,769,728 distinct bytes (sizes as the oracleGeneral records give them).

use std::path::PathBuf;
use tiersim::policy::eviction::{build, Params};
use tiersim::trace::{self, Request};

/// Distinct bytes of cloudPhysicsIO.oracleGeneral.bin (sum of each object's size).
const DISTINCT_BYTES: u64 = 2_029_769_728;
/// floor(DISTINCT_BYTES x {0.01, 0.1, 0.5}).
const BYTE_CAPACITIES: [u64; 3] = [20_297_697, 202_976_972, 1_014_884_864];

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

fn sized_trace(dir: &std::path::Path) -> Vec<Request> {
    let path = dir.join("cloudPhysicsIO.oracleGeneral.bin");
    let mut r = trace::open(&path, None).expect("open trace");
    let mut reqs = Vec::new();
    while let Some(q) = r.next_request().expect("read trace") {
        reqs.push(q);
    }
    reqs
}

/// (misses, missed bytes).
fn replay(kind: &str, params: &str, reqs: &[Request], capacity: u64) -> (u64, u64) {
    let params: Params = params.parse().unwrap();
    let mut p = build(kind, &params, capacity, 0).unwrap();
    let mut ev = Vec::new();
    let (mut misses, mut bytes) = (0, 0);
    for r in reqs {
        ev.clear();
        if !p.access(r, &mut ev) {
            misses += 1;
            bytes += r.size as u64;
        }
    }
    (misses, bytes)
}

fn misses(kind: &str, params: &str, reqs: &[Request], capacity: u64) -> u64 {
    replay(kind, params, reqs, capacity).0
}

fn check_bytes(kind: &str, want: [(u64, u64); 3]) {
    let Some(dir) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    let reqs = sized_trace(&dir);
    let distinct: std::collections::HashMap<u64, u32> =
        reqs.iter().map(|r| (r.id, r.size)).collect();
    assert_eq!(
        distinct.values().map(|&s| s as u64).sum::<u64>(),
        DISTINCT_BYTES
    );
    let got: Vec<(u64, u64)> = BYTE_CAPACITIES
        .iter()
        .map(|&c| replay(kind, "", &reqs, c))
        .collect();
    assert_eq!(got, want, "{kind} with sizes");
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

/// The default LIRS is libCacheSim's LIRS.c (lirs_lcs.rs): exact.
#[test]
fn lirs_matches_libcachesim() {
    check("lirs", "", [94680, 85609, 54577]);
}

/// The paper's LIRS departs from libCacheSim's in one place in unit size: on a hit to a
/// resident HIR object that has left S (`hit_RD_HIRinQ`) libCacheSim also demotes S's
/// bottom LIR object into Q, evicting Q's front, although the paper changes no status
/// on such a hit. That costs at most one miss in 113,872 requests here.
#[test]
fn paper_lirs_within_one_miss_of_libcachesim() {
    let Some(dir) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    let reqs = unit_trace(&dir);
    for (c, want) in [(489, 94680u64), (4897, 85609), (24487, 54577)] {
        let got = misses("lirs", "variant = \"paper\"", &reqs, c);
        assert!(
            got.abs_diff(want) <= 1,
            "lirs at {c}: {got} vs libCacheSim {want}"
        );
    }
}

#[test]
fn sized_clock_n_matches_libcachesim() {
    check_bytes(
        "clock-n",
        [
            (94737, 4279063040),
            (91996, 4158948352),
            (65298, 2750453248),
        ],
    );
}

#[test]
fn sized_twoq_matches_libcachesim() {
    check_bytes(
        "twoq",
        [
            (94245, 4273110528),
            (87627, 3938483200),
            (72002, 3076495360),
        ],
    );
}

#[test]
fn sized_sieve_matches_libcachesim() {
    check_bytes(
        "sieve",
        [
            (93724, 4270392832),
            (89993, 4060649472),
            (64383, 2696382464),
        ],
    );
}

/// With sizes, the default (libCacheSim's) LIRS gives libCacheSim's counts exactly:
/// 93,607 / 84,149 / 55,348 misses. The paper's variant differs beyond the hit step
/// above: libCacheSim holds Q strictly to its byte share and refuses a new object
/// larger than it, where the paper's variant lets Q borrow space the LIR set is not
/// using; it stays within 0.05% of the 113,872 requests (57) here.
#[test]
fn sized_lirs_matches_libcachesim_and_paper_is_close() {
    let Some(dir) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    let reqs = sized_trace(&dir);
    for (c, want) in BYTE_CAPACITIES.into_iter().zip([93607u64, 84149, 55348]) {
        assert_eq!(misses("lirs", "", &reqs, c), want, "lirs at {c} B");
        let got = misses("lirs", "variant = \"paper\"", &reqs, c);
        assert!(
            got.abs_diff(want) <= 57,
            "paper lirs at {c} B: {got} vs libCacheSim {want}"
        );
    }
}
