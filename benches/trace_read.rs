//! Trace read throughput: tsb (tiersim binary, target >= 50 M records/s), oracleGeneral
//! and csv, each streamed through `read_batch` from a file in the page cache.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::Path;
use tiersim::trace::gen::{self, GenSpec};
use tiersim::trace::{self, Request, WriteOptions};

const RECORDS: u64 = 4_000_000;

fn write(path: &Path, n: u64, opts: WriteOptions) {
    let spec = GenSpec {
        kind: "zipf".into(),
        objects: 1_000_000,
        requests: n,
        write_frac: 0.2,
        seed: 1,
        ..GenSpec::default()
    };
    let mut w = trace::create(path, None, opts).unwrap();
    for r in gen::generate(&spec).unwrap() {
        w.write(&r).unwrap();
    }
    w.finish().unwrap();
}

fn read_all(path: &Path, buf: &mut Vec<Request>) -> u64 {
    let mut r = trace::open(path, None).unwrap();
    let mut sum = 0u64;
    while r.read_batch(buf, 1 << 16).unwrap() > 0 {
        sum = sum.wrapping_add(buf.iter().map(|q| q.id).fold(0, u64::wrapping_add));
    }
    sum
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut buf = Vec::with_capacity(1 << 16);
    let cases = [
        ("tsb", "t.tsb", RECORDS, WriteOptions::default()),
        (
            "tsb+next_access",
            "n.tsb",
            RECORDS,
            WriteOptions {
                keep_next_access: false,
                compute_next_access: true,
            },
        ),
        (
            "oracleGeneral",
            "t.oracleGeneral.bin",
            RECORDS,
            WriteOptions::default(),
        ),
        ("csv", "t.csv", RECORDS / 10, WriteOptions::default()),
    ];
    let mut g = c.benchmark_group("trace_read");
    g.sample_size(10);
    for (name, file, n, opts) in cases {
        let path = dir.path().join(file);
        write(&path, n, opts);
        g.throughput(Throughput::Elements(n));
        g.bench_function(name, |b| b.iter(|| read_all(&path, &mut buf)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
