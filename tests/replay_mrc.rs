//! Two independent computations must agree: the one-pass LRU miss-ratio curve (stack
//! distances over a Fenwick tree) and a plain LRU simulation at each size, in objects
//! and in bytes. And a multi-policy parallel replay must equal one replay per pair.

use rand::Rng;
use std::io::Write;
use std::path::{Path, PathBuf};
use tiersim::replay::{self, CacheSize, ReplayOptions};
use tiersim::trace::Format;

/// A skewed synthetic trace (squared uniform ranks over 3000 ids, sizes 1..=64) as
/// oracleGeneral records, next-access times found by a forward scan per request.
fn synthetic(dir: &Path) -> PathBuf {
    let mut rng = tiersim::engine::stream(7, "mrc-test");
    let ids: Vec<u64> = (0..60_000)
        .map(|_| {
            let u: f64 = rng.gen();
            (u * u * 3000.0) as u64
        })
        .collect();
    let path = dir.join("syn.oracleGeneral.bin");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for (t, &id) in ids.iter().enumerate() {
        let size = 1 + (id.wrapping_mul(2_654_435_761) % 64) as u32;
        let next = ids[t + 1..]
            .iter()
            .position(|&j| j == id)
            .map_or(-1, |k| (t + 1 + k) as i64);
        f.write_all(&(t as u32).to_le_bytes()).unwrap();
        f.write_all(&id.to_le_bytes()).unwrap();
        f.write_all(&size.to_le_bytes()).unwrap();
        f.write_all(&next.to_le_bytes()).unwrap();
    }
    f.flush().unwrap();
    path
}

#[test]
fn mrc_equals_lru_simulation_in_objects_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = synthetic(dir.path());
    let fmt = Some(Format::OracleGeneral);
    for (ignore_size, sizes) in [
        (true, vec![1u64, 2, 10, 77, 500, 1999]),
        // Byte sizes no smaller than the largest object (64), where the stack model
        // is exact for LRU.
        (false, vec![64u64, 100, 1000, 12_345, 60_000]),
    ] {
        let points = replay::lru_mrc(&path, fmt, ignore_size, &sizes).unwrap();
        let opts = ReplayOptions {
            policies: vec!["lru".into()],
            sizes: sizes.iter().map(|&s| CacheSize::Absolute(s)).collect(),
            ignore_size,
            seed: 0,
        };
        let sim = replay::replay(&path, fmt, &opts).unwrap();
        for r in &sim {
            let p = points
                .iter()
                .find(|p| p.cache_size == r.cache_size)
                .unwrap_or_else(|| panic!("no MRC point at {}", r.cache_size));
            assert_eq!(
                p.misses, r.misses,
                "misses at {} (unit {ignore_size})",
                r.cache_size
            );
            assert_eq!(p.bytes_missed, r.bytes_missed, "bytes at {}", r.cache_size);
        }
    }
}

#[test]
fn parallel_multi_policy_replay_equals_separate_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = synthetic(dir.path());
    let fmt = Some(Format::OracleGeneral);
    let policies = ["lru", "fifo", "clock", "lfu", "arc", "s3fifo", "belady"];
    let sizes = [CacheSize::Absolute(300), CacheSize::Fraction(0.25)];
    let all = replay::replay(
        &path,
        fmt,
        &ReplayOptions {
            policies: policies.iter().map(|s| s.to_string()).collect(),
            sizes: sizes.to_vec(),
            ignore_size: true,
            seed: 0,
        },
    )
    .unwrap();
    assert_eq!(all.len(), policies.len() * sizes.len());
    for r in &all {
        let size = match r.fraction {
            Some(f) => CacheSize::Fraction(f),
            None => CacheSize::Absolute(r.cache_size),
        };
        let one = replay::replay(
            &path,
            fmt,
            &ReplayOptions {
                policies: vec![r.policy.clone()],
                sizes: vec![size],
                ignore_size: true,
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(&one[0], r);
        assert!(r.misses <= r.requests && r.misses > 0);
    }
    // Belady is optimal: no policy misses less at the same size.
    for size in [300u64, all[1].cache_size] {
        let at: Vec<_> = all.iter().filter(|r| r.cache_size == size).collect();
        let belady = at.iter().find(|r| r.policy == "belady").unwrap().misses;
        assert!(at.iter().all(|r| r.misses >= belady));
    }
}

/// Zero-size requests are not requests in libCacheSim (its readers drop them), so
/// replay, its counting pass and the MRC skip them. Trace (id:size): 1:100 2:0 1:100
/// 3:0 3:0 2:50 -> three requests (1, 1, 2), 250 bytes; LRU of 1000 B misses 1 and 2
/// (150 B); the distinct bytes are 100 + 50 = 150 (2's zero-size request does not fix
/// its size); the MRC at 1000 B counts the same.
#[test]
fn zero_size_requests_are_skipped() {
    use tiersim::replay::{self, CacheSize, ReplayOptions};
    use tiersim::trace::{self, Format, Request, WriteOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.oracleGeneral.bin");
    let mut w = trace::create(&path, Some(Format::OracleGeneral), WriteOptions::default()).unwrap();
    for (id, size) in [(1, 100), (2, 0), (1, 100), (3, 0), (3, 0), (2, 50)] {
        w.write(&Request::read(id, size)).unwrap();
    }
    w.finish().unwrap();
    let opts = ReplayOptions {
        policies: vec!["lru".into(), "belady".into()],
        sizes: vec![CacheSize::Absolute(1000), CacheSize::Fraction(1.0)],
        ignore_size: false,
        seed: 0,
    };
    let got = replay::replay(&path, None, &opts).unwrap();
    for r in &got {
        let counts = (r.requests, r.misses, r.bytes_requested, r.bytes_missed);
        assert_eq!(counts, (3, 2, 250, 150), "{} at {}", r.policy, r.cache_size);
    }
    assert_eq!(got[1].cache_size, 150, "distinct bytes");
    let (summary, _) = replay::summarize(&path, None, true, false).unwrap();
    assert_eq!((summary.requests, summary.distinct_objects), (3, 2));
    let mrc = replay::lru_mrc(&path, None, false, &[1000]).unwrap();
    assert_eq!(
        (mrc[0].requests, mrc[0].misses, mrc[0].bytes_missed),
        (3, 2, 150)
    );
}
