//! Throughput of the eviction policies of branch policies-more (and LRU as a yardstick)
//! replaying an in-memory Zipf(1.0) trace: 4 M requests over 1 M objects, unit size,
//! cache at 10% of the objects (100 k), one thread (issue 4's setting, with 4 M rather
//! than 10 M requests to keep memory and bench time down). Figures go to benches/README.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::prelude::*;
use rand_distr::Zipf;
use tiersim::engine::stream;
use tiersim::policy::eviction::{build, Params};
use tiersim::trace::Request;

fn trace() -> Vec<Request> {
    let mut rng = stream(1, "bench.zipf");
    let zipf = Zipf::new(1_000_000, 1.0).unwrap();
    (0..4_000_000)
        .map(|_| Request::read(zipf.sample(&mut rng) as u64, 1))
        .collect()
}

fn bench(c: &mut Criterion) {
    let reqs = trace();
    let mut g = c.benchmark_group("replay_zipf1_4M_req_1M_obj");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.sample_size(10);
    for kind in ["lru", "twoq", "sieve", "lirs", "random", "minio", "clock-n"] {
        g.bench_function(kind, |b| {
            b.iter(|| {
                let mut p = build(kind, &Params::new(), 100_000, 7).unwrap();
                let mut ev = Vec::new();
                let mut misses = 0u64;
                for r in &reqs {
                    ev.clear();
                    misses += !p.access(r, &mut ev) as u64;
                }
                misses
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
