//! Replay throughput: a 10 M-request Zipf(1.0) trace over 1 M objects (oracleGeneral
//! format, unit size), cache at 10% of the distinct objects, one policy at a time on
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
use std::io::Write;
use std::path::{Path, PathBuf};
use tiersim::policy::hash::IdMap;
use tiersim::replay::{self, CacheSize, ReplayOptions};
use tiersim::trace::Format;

const OBJECTS: u64 = 1_000_000;

fn requests() -> usize {
    std::env::var("TIERSIM_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000)
}

/// Writes the Zipf trace as oracleGeneral records (next-access times included).
fn generate(path: &Path, n: usize) {
    let mut rng = tiersim::engine::stream(42, "bench-zipf");
    let zipf = Zipf::new(OBJECTS, 1.0).expect("zipf");
    let ids: Vec<u64> = (0..n).map(|_| rng.sample(zipf) as u64).collect();
    let mut next = vec![-1i64; n];
    let mut last: IdMap<usize> = IdMap::default();
    for i in (0..n).rev() {
        if let Some(j) = last.insert(ids[i], i) {
            next[i] = j as i64;
        }
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create trace"));
    for i in 0..n {
        let mut rec = [0u8; 24];
        rec[0..4].copy_from_slice(&((i / 1000) as u32).to_le_bytes());
        rec[4..12].copy_from_slice(&ids[i].to_le_bytes());
        rec[12..16].copy_from_slice(&4096u32.to_le_bytes());
        rec[16..24].copy_from_slice(&next[i].to_le_bytes());
        out.write_all(&rec).expect("write trace");
    }
    out.flush().expect("flush trace");
}

fn trace_path(tmp: &tempfile::TempDir) -> PathBuf {
    let n = requests();
    let path = match std::env::var_os("TIERSIM_BENCH_TRACE") {
        Some(p) => PathBuf::from(p),
        None => tmp.path().join("zipf.oracleGeneral.bin"),
    };
    let want = (n * 24) as u64;
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
    let (summary, _) =
        replay::summarize(&path, Some(Format::OracleGeneral), true, false).expect("summarize");
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
                let r = replay::replay(&path, Some(Format::OracleGeneral), &opts).expect("replay");
                assert_eq!(r[0].requests, n as u64);
                r[0].misses
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
