//! Replay throughput: a 10 M-request Zipf(1.0) trace over 1 M objects (tiersim's
//! binary format, unit size), cache at 10% of the distinct objects, one policy at a time on
//! one thread, through the same `replay::replay` the CLI uses (trace reading
//! included). Targets (issue 4): LRU and S3-FIFO >= 20 M requests/s, Belady >= 5 M/s.
//!
//! The trace is generated into a temporary directory, or kept at
//! `$TIERSIM_BENCH_TRACE` (generated there if missing) so that `tiersim replay` can be
//! timed on the same file with /usr/bin/time. Set `TIERSIM_BENCH_REQUESTS` for a
//! smaller trace.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::Rng as _;
use rand_distr::Zipf;
use std::path::{Path, PathBuf};
use tiersim::replay::{self, CacheSize, ReplayOptions};
use tiersim::trace::{self, Format, Op, Request, WriteOptions, NO_NEXT_ACCESS};

const OBJECTS: u64 = 1_000_000;

fn requests() -> usize {
    std::env::var("TIERSIM_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000)
}

/// Writes the Zipf trace in tiersim's binary format (32-byte records with next-access
/// times, computed by the writer's backward pass).
fn generate(path: &Path, n: usize) {
    let mut rng = tiersim::engine::stream(42, "bench-zipf");
    let zipf = Zipf::new(OBJECTS, 1.0).expect("zipf");
    let opts = WriteOptions {
        keep_next_access: true,
        compute_next_access: true,
    };
    let mut out = trace::create(path, Some(Format::Tsb), opts).expect("create trace");
    for i in 0..n {
        let id = rng.sample(zipf) as u64;
        let req = Request {
            time: i as u64 * 1_000_000,
            id,
            size: 4096,
            op: Op::Read,
            next_access: NO_NEXT_ACCESS,
        };
        out.write(&req).expect("write trace");
    }
    out.finish().expect("finish trace");
}

fn trace_path(tmp: &tempfile::TempDir) -> PathBuf {
    let n = requests();
    let path = match std::env::var_os("TIERSIM_BENCH_TRACE") {
        Some(p) => PathBuf::from(p),
        None => tmp.path().join("zipf.tsb"),
    };
    // 32-byte header, 32-byte records with next-access times.
    let want = 32 + (n * 32) as u64;
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(want) {
        generate(&path, n);
    }
    path
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = trace_path(&tmp);
    let n = requests();
    // 10% of the distinct objects, by the same counting pass the CLI uses.
    let (summary, _) = replay::summarize(&path, Some(Format::Tsb), true, false).expect("summarize");
    let cache = summary.distinct_objects / 10;
    eprintln!(
        "trace: {} requests, {} distinct objects, cache {} objects",
        summary.requests, summary.distinct_objects, cache
    );
    let mut g = c.benchmark_group("replay_zipf1.0_10pct");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    for policy in ["lru", "s3fifo", "belady", "fifo", "clock", "lfu", "arc"] {
        let opts = ReplayOptions {
            policies: vec![policy.to_string()],
            sizes: vec![CacheSize::Absolute(cache)],
            ignore_size: true,
            seed: 0,
        };
        g.bench_function(policy, |b| {
            b.iter(|| {
                let r = replay::replay(&path, Some(Format::Tsb), &opts).expect("replay");
                assert_eq!(r[0].requests, n as u64);
                r[0].misses
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
