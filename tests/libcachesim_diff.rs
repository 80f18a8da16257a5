//! Differential test against the real libCacheSim (the pinned PyPI `libcachesim`
//! package's C core, run by scripts/libcachesim_cells.py): sized traces generated here
//! from fixed seeds (heavy-tailed lognormal sizes with objects over 1 MiB, a scan
//! mixed with a hot set, zero-size requests, objects exactly the size of S3-FIFO's
//! small queue, 2Q's A1in and LIRS's HIR share, caches down to one object) and, when
//! the shared data is there, cloudPhysicsIO with its real sizes. Every policy both
//! tools have runs at 0.1%, 1%, 10% and 50% of the distinct bytes and of the distinct
//! objects (unit-size mode), and both must count the same requests, misses, bytes
//! requested and bytes missed in every cell.
//!
//! The Python that has the package: `$TIERSIM_LIBCACHESIM_PYTHON`, else
//! `target/libcachesim-venv/bin/python` (made by scripts/libcachesim-venv.sh, which
//! .ci/run runs). Without it the test prints that it skipped; with the variable set
//! and the package missing it fails.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Zipf};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tiersim::replay::{self, CacheSize, ReplayOptions};
use tiersim::trace::{self, Format, Request, WriteOptions};

/// Every policy tiersim and libCacheSim both have (tiersim's names, default parameters).
const SHARED: &[&str] = &[
    "lru", "fifo", "lfu", "arc", "clock", "clock-n", "twoq", "s3fifo", "sieve", "lirs", "belady",
];
/// Cache sizes as fractions of the distinct bytes (sized) and objects (unit size).
const FRACTIONS: [f64; 4] = [0.001, 0.01, 0.1, 0.5];
/// Extra unit-size caches, in objects: the smallest caches, and the sizes around the
/// thresholds of 2Q (4 objects), S3-FIFO (10 and 20) and LIRS (100, 200).
const TINY: [u64; 16] = [1, 2, 3, 4, 5, 7, 9, 10, 11, 19, 20, 21, 99, 100, 199, 200];

/// Prints a line that shows in `cargo test`'s output even when the test passes (the
/// harness captures `println!`, not direct writes to stderr).
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "libcachesim_diff: {line}");
}

/// The Python with libcachesim, or None (skip) when it is absent and not required.
fn python() -> Option<PathBuf> {
    let (py, required) = match std::env::var_os("TIERSIM_LIBCACHESIM_PYTHON") {
        Some(p) => (PathBuf::from(p), true),
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/libcachesim-venv/bin/python"),
            false,
        ),
    };
    let ok = Command::new(&py)
        .args(["-c", "import libcachesim"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    match (ok, required) {
        (true, _) => Some(py),
        (false, true) => panic!(
            "TIERSIM_LIBCACHESIM_PYTHON={} cannot import libcachesim",
            py.display()
        ),
        (false, false) => {
            say(&format!(
                "skipped: no libcachesim at {} (run scripts/libcachesim-venv.sh or set \
                 TIERSIM_LIBCACHESIM_PYTHON)",
                py.display()
            ));
            None
        }
    }
}

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Lognormal sizes (median 24 KiB, sigma 1.6: about 2% of objects over 1 MiB), capped
/// at 16 MiB, with at least `big` of the first objects (the most popular under Zipf)
/// between 1 and 4 MiB.
fn sizes(n: usize, big: usize, r: &mut Xoshiro256PlusPlus) -> Vec<u32> {
    let d = LogNormal::new((24.0f64 * 1024.0).ln(), 1.6).unwrap();
    (0..n)
        .map(|i| {
            if i < big {
                r.gen_range((1 << 20) + 1..4 << 20)
            } else {
                (d.sample(r) as u32).clamp(1, 16 << 20)
            }
        })
        .collect()
}

/// Zipf(alpha) requests over `sizes.len()` objects, with `zero` in 1000 replaced by a
/// zero-size request (half to an object of the trace, half to an id seen only so).
fn zipf_trace(
    sizes: &[u32],
    n: usize,
    alpha: f64,
    zero: u32,
    r: &mut Xoshiro256PlusPlus,
) -> Vec<(u64, u32)> {
    let z = Zipf::new(sizes.len() as u64, alpha).unwrap();
    (0..n)
        .map(|_| {
            let id = z.sample(r) as u64 - 1;
            if r.gen_range(0..1000) < zero {
                let id = if r.gen_bool(0.5) {
                    id
                } else {
                    1 << 40 | r.gen_range(0..50u64)
                };
                (id, 0)
            } else {
                (id, sizes[id as usize])
            }
        })
        .collect()
}

/// A hot set (Zipf 0.8 over 400 objects, 60% of requests) mixed with scans of fresh ids
/// (runs of 50 to 2,000 consecutive new objects), lognormal sizes for both.
fn scan_hot_trace(r: &mut Xoshiro256PlusPlus) -> Vec<(u64, u32)> {
    let hot = sizes(400, 4, r);
    let z = Zipf::new(hot.len() as u64, 0.8).unwrap();
    let scan_sizes = LogNormal::new((24.0f64 * 1024.0).ln(), 1.6).unwrap();
    let (mut out, mut next_fresh) = (Vec::new(), 1u64 << 32);
    while out.len() < 60_000 {
        if r.gen_bool(0.6) {
            let id = z.sample(r) as u64 - 1;
            out.push((id, hot[id as usize]));
        } else {
            for _ in 0..r.gen_range(50..2_000) {
                let s = (scan_sizes.sample(r) as u32).clamp(1, 16 << 20);
                out.push((next_fresh, s));
                next_fresh += 1;
            }
        }
    }
    out
}

/// Objects whose sizes sit exactly on the thresholds at each fraction's cache size:
/// S3-FIFO's small queue (10%), 2Q's A1in (25%) and LIRS's HIR share (1%), each with one
/// byte either side below 50%; half the cache, below 50%; the cache itself and one byte
/// more, below 10%. Filler objects (lognormal, at most 1 MiB) then bring the distinct
/// bytes to exactly `total`, so the fractions give the cache sizes the thresholds were
/// computed from. Requests: Zipf over the special objects, then Zipf over all, then
/// every object not yet requested once.
fn threshold_trace(total: u64, r: &mut Xoshiro256PlusPlus) -> Vec<(u64, u32)> {
    let mut all: Vec<u64> = Vec::new();
    for f in FRACTIONS {
        let c = (total as f64 * f) as u64;
        for share in [0.1, 0.25, 0.01] {
            let s = (c as f64 * share) as u64;
            if f < 0.5 {
                all.extend([s - 1, s, s + 1]);
            } else {
                all.push(s);
            }
        }
        if f < 0.5 {
            all.push(c / 2);
        }
        if f < 0.1 {
            all.extend([c, c + 1]);
        }
    }
    let special = all.len();
    let mut rest = total - all.iter().sum::<u64>();
    let d = LogNormal::new((24.0f64 * 1024.0).ln(), 1.6).unwrap();
    while rest > 0 {
        let s = (d.sample(r) as u64).clamp(1, 1 << 20).min(rest);
        all.push(s);
        rest -= s;
    }
    let all: Vec<u32> = all.into_iter().map(|s| s as u32).collect();
    let mut reqs = zipf_trace(&all[..special], 8_000, 0.6, 0, r);
    let z = Zipf::new(all.len() as u64, 0.9).unwrap();
    let mut seen = vec![false; all.len()];
    reqs.iter().for_each(|&(id, _)| seen[id as usize] = true);
    for _ in 0..40_000 {
        let id = z.sample(r) as usize - 1;
        seen[id] = true;
        reqs.push((id as u64, all[id]));
    }
    for (id, s) in all.iter().enumerate() {
        if !seen[id] {
            reqs.push((id as u64, *s));
        }
    }
    reqs
}

/// A small Zipf trace over 60 unit objects for the tiny caches.
fn tiny_trace(r: &mut Xoshiro256PlusPlus) -> Vec<(u64, u32)> {
    zipf_trace(&[1; 60], 6_000, 0.7, 5, r)
}

fn write_trace(path: &Path, reqs: &[(u64, u32)]) {
    let mut w = trace::create(path, Some(Format::OracleGeneral), WriteOptions::default())
        .expect("create trace");
    for (t, &(id, size)) in reqs.iter().enumerate() {
        let mut q = Request::read(id, size);
        q.time = t as u64 / 100 * 1_000_000_000_000;
        w.write(&q).expect("write trace");
    }
    w.finish().expect("finish trace");
}

/// Distinct objects and bytes as both tools count them: zero-size requests skipped,
/// each object's size taken from its first request.
fn distinct(path: &Path) -> (u64, u64) {
    let mut seen = HashMap::new();
    let mut r = trace::open(path, Some(Format::OracleGeneral)).unwrap();
    while let Some(q) = r.next_request().unwrap() {
        if q.size > 0 {
            seen.entry(q.id).or_insert(q.size as u64);
        }
    }
    (seen.len() as u64, seen.values().sum())
}

/// One compared cell: (policy, cache size, unit-size mode).
type Cell = (String, u64, bool);

/// (requests, misses, bytes requested, bytes missed) per cell from libCacheSim; None
/// where it refused to build the cache.
type Counts = HashMap<Cell, Option<[u64; 4]>>;

fn run_libcachesim(py: &Path, path: &Path, cells: &[Cell]) -> (Value, Counts) {
    let dir = path.parent().unwrap();
    let spec = json!({
        "trace": path,
        "cells": cells.iter().map(|(p, c, u)| json!({"policy": p, "cache_size": c, "ignore_size": u})).collect::<Vec<_>>(),
    });
    let (spec_path, out_path) = (dir.join("spec.json"), dir.join("out.json"));
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/libcachesim_cells.py");
    let o = Command::new(py)
        .arg(&script)
        .arg(&spec_path)
        .arg(&out_path)
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "libcachesim_cells.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let mut got = HashMap::new();
    for c in out["cells"].as_array().unwrap() {
        let n = |k: &str| c[k].as_u64().unwrap();
        let key = (
            c["policy"].as_str().unwrap().to_string(),
            n("cache_size"),
            c["ignore_size"].as_bool().unwrap(),
        );
        let counts = if c["refused"].as_bool() == Some(true) {
            None
        } else {
            Some([
                n("requests"),
                n("misses"),
                n("bytes_requested"),
                n("bytes_missed"),
            ])
        };
        got.insert(key, counts);
    }
    (out, got)
}

fn run_tiersim(path: &Path, sizes: &[u64], unit: bool) -> HashMap<Cell, [u64; 4]> {
    let opts = ReplayOptions {
        policies: SHARED.iter().map(|s| s.to_string()).collect(),
        sizes: sizes.iter().map(|&c| CacheSize::Absolute(c)).collect(),
        ignore_size: unit,
        seed: 0,
    };
    replay::replay(path, Some(Format::OracleGeneral), &opts)
        .expect("replay")
        .into_iter()
        .map(|r| {
            let v = [r.requests, r.misses, r.bytes_requested, r.bytes_missed];
            ((r.policy, r.cache_size, unit), v)
        })
        .collect()
}

/// What the comparison found.
#[derive(Default)]
struct Tally {
    /// Cells where both tools counted.
    compared: usize,
    /// Cells whose cache libCacheSim refuses to build, where tiersim must admit nothing.
    refused: Vec<String>,
    /// One line per disagreement.
    diffs: Vec<String>,
    /// The libcachesim package's version.
    version: String,
}

/// Runs every shared policy on the trace at `path` in both tools, adding to `tally`.
fn compare(py: &Path, name: &str, path: &Path, tiny: bool, tally: &mut Tally) {
    let (objects, bytes) = distinct(path);
    let frac = |base: u64| -> Vec<u64> {
        let mut v: Vec<u64> = FRACTIONS
            .iter()
            .map(|&f| (base as f64 * f) as u64)
            .filter(|&c| c > 0)
            .collect();
        v.dedup();
        v
    };
    let byte_sizes = frac(bytes);
    let mut unit_sizes = frac(objects);
    if tiny {
        unit_sizes.extend(TINY);
        unit_sizes.sort_unstable();
        unit_sizes.dedup();
    }
    let mut cells: Vec<Cell> = Vec::new();
    for p in SHARED {
        cells.extend(byte_sizes.iter().map(|&c| (p.to_string(), c, false)));
        cells.extend(unit_sizes.iter().map(|&c| (p.to_string(), c, true)));
    }
    let t = std::time::Instant::now();
    let (out, lcs) = run_libcachesim(py, path, &cells);
    let lcs_time = t.elapsed();
    tally.version = out["version"].as_str().unwrap_or("?").to_string();
    // The working set: libCacheSim's own count against ours and tiersim's summary.
    for (mode, unit, want) in [("sized", false, bytes), ("unit", true, objects)] {
        let m = &out["modes"][mode];
        let (summary, _) =
            replay::summarize(path, Some(Format::OracleGeneral), unit, false).unwrap();
        assert_eq!(
            m["distinct_bytes"].as_u64(),
            Some(want),
            "{name} {mode}: libCacheSim's working set"
        );
        assert_eq!(
            summary.distinct_bytes, want,
            "{name} {mode}: tiersim's working set"
        );
        assert_eq!(
            m["requests"].as_u64(),
            Some(summary.requests),
            "{name} {mode}: requests"
        );
    }
    let t = std::time::Instant::now();
    let mut ours = run_tiersim(path, &byte_sizes, false);
    ours.extend(run_tiersim(path, &unit_sizes, true));
    println!(
        "{name}: {} cells, libCacheSim {:.1} s, tiersim {:.1} s",
        cells.len(),
        lcs_time.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    for cell in &cells {
        let (p, c, unit) = cell;
        let at = format!("{name} {p} at {c}{}", if *unit { " objects" } else { " B" });
        let b = ours[cell];
        match lcs[cell] {
            Some(a) => {
                tally.compared += 1;
                if a != b {
                    tally.diffs.push(format!(
                        "{at}: libCacheSim {a:?}, tiersim {b:?} (requests, misses, bytes requested, bytes missed)"
                    ));
                }
            }
            None => {
                if b[1] != b[0] {
                    tally.diffs.push(format!(
                        "{at}: libCacheSim refuses the cache, and tiersim hit {} times",
                        b[0] - b[1]
                    ));
                }
                tally.refused.push(at);
            }
        }
    }
}

#[test]
fn every_shared_policy_matches_libcachesim_on_sized_traces() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut traces: Vec<(&str, PathBuf, bool)> = Vec::new();
    let mut add = |name: &'static str, reqs: Vec<(u64, u32)>, tiny: bool| {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        let p = sub.join(format!("{name}.oracleGeneral.bin"));
        write_trace(&p, &reqs);
        traces.push((name, p, tiny));
    };
    let mut r = rng(15);
    let lognormal = sizes(3_000, 12, &mut r);
    add(
        "lognormal-zipf",
        zipf_trace(&lognormal, 60_000, 0.9, 10, &mut r),
        false,
    );
    add("scan-hot", scan_hot_trace(&mut rng(16)), false);
    add(
        "thresholds",
        threshold_trace(2_000_000_000, &mut rng(17)),
        false,
    );
    add("tiny", tiny_trace(&mut rng(18)), true);
    let shared = std::env::var_os("TIERSIM_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
        .join("cloudPhysicsIO.oracleGeneral.bin");
    if shared.exists() {
        let sub = dir.path().join("cloudPhysicsIO");
        std::fs::create_dir(&sub).unwrap();
        let p = sub.join("cloudPhysicsIO.oracleGeneral.bin");
        std::fs::copy(&shared, &p).unwrap();
        traces.push(("cloudPhysicsIO", p, false));
    } else {
        say(&format!(
            "cloudPhysicsIO not found at {}: compared on generated traces only",
            shared.display()
        ));
    }
    let mut tally = Tally::default();
    for (name, path, tiny) in &traces {
        compare(&py, name, path, *tiny, &mut tally);
    }
    say(&format!(
        "compared {} (trace, policy, size) cells on {} traces against libcachesim {}; \
         policies: {}; {} differ",
        tally.compared,
        traces.len(),
        tally.version,
        SHARED.join(", "),
        tally.diffs.len()
    ));
    say(&format!(
        "{} cells libCacheSim refuses to build (tiersim must admit nothing there): {}",
        tally.refused.len(),
        tally.refused.join("; ")
    ));
    assert!(
        tally.diffs.is_empty(),
        "{} of {} cells differ:\n{}",
        tally.diffs.len(),
        tally.compared + tally.refused.len(),
        tally.diffs.join("\n")
    );
}
