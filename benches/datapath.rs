//! The timed data path alone: sample reads per second through a three-tier hierarchy
//! (DRAM with LRU over a local NVMe cache with FIFO over a remote NVMe home behind an
//! RDMA link), the shape of `configs/imagenet-resnet50.toml` without the event loop.
//! Each iteration reads one epoch: a fresh permutation of the data set's sample ids,
//! 4 KiB each, one read every microsecond of simulated time. DRAM holds half the data
//! set, the NVMe cache all of it (after the first epoch every read hits DRAM or NVMe).
//!
//! Two id spaces, set up as the model sets them up: dense (samples numbered 0..N, as a
//! training job numbers them: tables indexed by id, and the scattered-access
//! representation of LRU) and sparse (the same permutation mapped through an odd
//! multiplier: 64-bit ids as a block trace has, hashed). Reads go in loader batches of
//! 256 through `DataPath::access_batch`. Set `TIERSIM_BENCH_SAMPLES` for another N
//! (default 1,281,167: ImageNet-1k).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::seq::SliceRandom;
use tiersim::config::Inclusion;
use tiersim::datapath::DataPath;
use tiersim::device::{self, presets};
use tiersim::engine::US;
use tiersim::hierarchy::{Hierarchy, Link, Tier};
use tiersim::policy::eviction::{EvictionPolicy, Fifo, Lru};
use tiersim::trace::Request;

const SIZE: u32 = 4096;
/// Reads per loader batch.
const BATCH: usize = 256;

fn samples() -> u64 {
    std::env::var("TIERSIM_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_281_167)
}

fn tier(
    name: &str,
    preset: &str,
    cache: Option<Box<dyn EvictionPolicy>>,
    link: Option<usize>,
) -> Tier {
    Tier {
        name: name.into(),
        device: device::build(&presets::preset(preset).unwrap()).unwrap(),
        cache,
        link,
        stats: Default::default(),
    }
}

fn data_path(n: u64, dense: bool) -> DataPath {
    let bytes = n * SIZE as u64;
    let mut tiers = vec![
        tier(
            "dram",
            "ddr4-3200",
            Some(Box::new(Lru::new(bytes / 2))),
            None,
        ),
        tier(
            "nvme",
            "nvme-tlc-pcie4",
            Some(Box::new(Fifo::new(bytes))),
            None,
        ),
        tier("storage", "nvme-tlc-pcie4", None, Some(0)),
    ];
    if dense {
        for cache in tiers.iter_mut().filter_map(|t| t.cache.as_mut()) {
            cache.expect_scattered_accesses();
            cache.use_dense_ids(n);
        }
    }
    let links = vec![Link {
        name: "net".into(),
        device: device::build(&presets::preset("rdma-100g").unwrap()).unwrap(),
    }];
    DataPath::new(Hierarchy::new(tiers, links, Inclusion::Inclusive))
}

fn bench(c: &mut Criterion) {
    let n = samples();
    let mut rng = tiersim::engine::stream(7, "bench-datapath");
    let mut order: Vec<u64> = (0..n).collect();
    let mut g = c.benchmark_group("datapath");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    let mut batch = Vec::with_capacity(BATCH);
    for (name, dense, map) in [
        ("dense-ids", true, (|id| id) as fn(u64) -> u64),
        ("sparse-ids", false, |id: u64| {
            id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 << 63
        }),
    ] {
        let mut path = data_path(n, dense);
        let mut t = 0;
        g.bench_function(format!("3-tier-lru-fifo/{name}"), |b| {
            b.iter(|| {
                order.shuffle(&mut rng);
                for chunk in order.chunks(BATCH) {
                    t += US;
                    batch.clear();
                    batch.extend(chunk.iter().map(|&id| Request::read(map(id), SIZE)));
                    std::hint::black_box(path.access_batch(t, &batch, false, Default::default()));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
