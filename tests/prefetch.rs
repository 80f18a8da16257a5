//! Prefetchers and ML-aware admission: clairvoyant (NoPFS) prefetching against LRU and
//! MinIO on a multi-epoch shuffled stream with closed-form references (REFERENCES.md
//! s4.1), NoPFS placement by access count, next-N on a sequential stream, SHADE
//! admission through the hierarchy, and the `[prefetch]` config.

use tiersim::config::{Config, Inclusion};
use tiersim::datapath::DataPath;
use tiersim::device::{self, presets};
use tiersim::engine::{Time, US};
use tiersim::hierarchy::{Hierarchy, Tier};
use tiersim::policy::eviction::{importance_from_rank, EvictionPolicy, Lru, Shade};
use tiersim::policy::hash::IdSet;
use tiersim::policy::prefetch::{Clairvoyant, EpochShuffle, FutureAccesses, NextN};
use tiersim::trace::Request;

const SIZE: u32 = 4096;

fn tier(name: &str, preset: &str, cache: Option<Box<dyn EvictionPolicy>>) -> Tier {
    Tier {
        name: name.into(),
        device: device::build(&presets::preset(preset).unwrap()).unwrap(),
        cache,
        link: None,
        stats: Default::default(),
    }
}

/// DRAM caches (one per capacity, in objects) over an NVMe home.
fn hierarchy(caches: &[u64]) -> DataPath {
    let mut tiers: Vec<Tier> = caches
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            tier(
                &format!("cache{i}"),
                "ddr4-3200",
                Some(Box::new(Lru::new(c * SIZE as u64))),
            )
        })
        .collect();
    tiers.push(tier("nvme", "nvme-tlc-pcie3", None));
    DataPath::new(Hierarchy::new(tiers, vec![], Inclusion::Inclusive))
}

/// Runs the stream, one access every `gap`; returns per-epoch tier-0 hits and the
/// largest access latency after the first epoch.
fn run(h: &mut DataPath, s: &EpochShuffle, gap: Time) -> (Vec<u64>, Time) {
    let mut hits = vec![0; s.epochs as usize];
    let mut t = gap;
    let mut worst = 0;
    for (i, (id, size)) in s.future_accesses().enumerate() {
        let a = h.access(t, &Request::read(id, size), false);
        if a.tier == 0 {
            hits[i / s.objects as usize] += 1;
        }
        if i as u64 >= s.objects {
            worst = worst.max(a.done - t);
        }
        t += gap;
    }
    (hits, worst)
}

fn shuffle(objects: u64, epochs: u64) -> EpochShuffle {
    EpochShuffle {
        objects,
        epochs,
        size: SIZE,
        seed: 2024,
        stream: "sampler".into(),
    }
}

#[test]
fn clairvoyant_beats_lru_and_matches_minio_on_shuffled_epochs() {
    let (n, epochs) = (4000u64, 8u64);
    let c = n / 2;
    let f = c as f64 / n as f64;
    let s = shuffle(n, epochs);
    let steady = |hits: &[u64]| hits[1..].iter().sum::<u64>() as f64 / ((epochs - 1) * n) as f64;

    // LRU: closed form f + (1 - f) ln(1 - f) = 0.1534 at f = 0.5.
    let mut h = hierarchy(&[c]);
    let (lru_hits, _) = run(&mut h, &s, US);
    let lru = steady(&lru_hits);
    let lru_closed = f + (1.0 - f) * (1.0 - f).ln();
    assert!((lru - lru_closed).abs() < 0.02, "LRU {lru} vs {lru_closed}");

    // MinIO (insert on miss until full, never evict), counted inline: exactly C hits
    // in every epoch after the first, the closed form f.
    let mut minio = IdSet::default();
    let mut minio_hits = vec![0u64; epochs as usize];
    for (i, (id, _)) in s.future_accesses().enumerate() {
        if minio.contains(&id) {
            minio_hits[i / n as usize] += 1;
        } else if (minio.len() as u64) < c {
            minio.insert(id);
        }
    }
    assert!(minio_hits[1..].iter().all(|&x| x == c));
    let minio_ratio = steady(&minio_hits);
    assert_eq!(minio_ratio, f);

    // Clairvoyant without a staging buffer: the first C samples of the run, loaded in
    // first-access order ahead of use, stay: C hits every epoch, epoch 1 included
    // (but for the very first access, which precedes any load).
    let mut h = hierarchy(&[c]);
    h.set_prefetch(Box::new(Clairvoyant::new(
        &s,
        &[c * SIZE as u64],
        0,
        2,
        1 << 16,
    )));
    let (cv_hits, _) = run(&mut h, &s, US);
    assert_eq!(cv_hits[0], c - 1);
    assert!(cv_hits[1..].iter().all(|&x| x == c), "{cv_hits:?}");
    let cv = steady(&cv_hits);
    assert!(
        cv >= minio_ratio && minio_ratio > lru,
        "{cv} >= {minio_ratio} > {lru}"
    );
    assert_eq!(h.hierarchy().tiers[0].stats.evictions, 0);

    // With a staging buffer carved out of the same capacity (1/8 of it), the rest of
    // every epoch is staged in exact access order: every access but the very first
    // hits DRAM, and after the first epoch's burst of loads, with accesses 4 us apart
    // (250 K/s, under the NVMe's 854 K 4 KB reads/s), every staged copy is ready in
    // time: no access waits for the NVMe's 92 us.
    let mut h = hierarchy(&[c]);
    let staging = c / 8 * SIZE as u64;
    h.set_prefetch(Box::new(Clairvoyant::new(
        &s,
        &[c * SIZE as u64],
        staging,
        2,
        1 << 16,
    )));
    let (st_hits, worst) = run(&mut h, &s, 4 * US);
    assert!(steady(&st_hits) == 1.0, "{st_hits:?}");
    assert_eq!(st_hits[0], n - 1);
    assert!(worst < US, "a staged hit waited {worst} ps");
    assert!(h.hierarchy().tiers[0].cache.as_ref().unwrap().used() <= c * SIZE as u64);
    let summary = h.prefetcher().expect("installed").summary();
    assert_eq!(summary["mismatches"], 0);
}

/// A fixed future for placement tests.
struct Fixed(Vec<u64>);

impl FutureAccesses for Fixed {
    fn future_accesses(&self) -> Box<dyn Iterator<Item = (u64, u32)> + Send> {
        Box::new(self.0.clone().into_iter().map(|id| (id, SIZE)))
    }
}

#[test]
fn clairvoyant_places_samples_fastest_first_by_future_access_count() {
    // Counts: 1 x3, 2 x3, 3 x2, 4 x2, 5 x1; first accesses in order 4, 3, 2, 1, 5.
    let future = Fixed(vec![4, 3, 2, 1, 5, 1, 2, 3, 4, 1, 2]);
    let mut path = hierarchy(&[2, 2]);
    let h = path.hierarchy_mut();
    let mut cv = Clairvoyant::new(&future, &[2 * SIZE as u64, 2 * SIZE as u64], 0, 1, 16);
    let mut t = US;
    let mut order = Vec::new();
    for &id in &future.0 {
        let before: Vec<bool> = (1..=4).map(|i| h.locate(i) < 2).collect();
        tiersim::policy::prefetch::Prefetcher::after_access(
            &mut cv,
            t,
            &Request::read(id, SIZE),
            h.locate(id),
            h,
        );
        for i in 1..=4u64 {
            if h.locate(i) < 2 && !before[i as usize - 1] {
                order.push(i);
            }
        }
        t += US;
    }
    let c0 = h.tiers[0].cache.as_ref().unwrap();
    let c1 = h.tiers[1].cache.as_ref().unwrap();
    assert!(
        c0.contains(1) && c0.contains(2),
        "most-read samples in the fastest tier"
    );
    assert!(c1.contains(3) && c1.contains(4));
    assert!(!c0.contains(5) && !c1.contains(5));
    // Loads: tier 0's plan in first-access order (2 before 1), then tier 1's (4, 3).
    assert_eq!(order, vec![2, 1, 4, 3]);
}

#[test]
fn next_n_turns_a_sequential_stream_into_one_miss_in_n_plus_one() {
    let run = |n: Option<u64>| {
        let mut h = hierarchy(&[64]);
        if let Some(n) = n {
            h.set_prefetch(Box::new(NextN::new(n, 0)));
        }
        let mut t = US;
        for id in 0..1000 {
            h.access(t, &Request::read(id, SIZE), true);
            t += US;
        }
        (
            h.hierarchy().tiers[0].stats.hits,
            h.hierarchy().tiers[0].stats.misses,
        )
    };
    assert_eq!(run(None), (0, 1000));
    // A miss on id prefetches id+1..=id+4: misses at 0, 5, 10, ...: 200 of 1000.
    assert_eq!(run(Some(4)), (800, 200));
    assert_eq!(run(Some(9)), (900, 100));
}

#[test]
fn shade_admission_takes_importance_from_the_workload_through_the_hierarchy() {
    let mut tiers = vec![tier(
        "dram",
        "ddr4-3200",
        Some(Box::new(Shade::new(2 * SIZE as u64))),
    )];
    tiers.push(tier("nvme", "nvme-tlc-pcie3", None));
    let mut h = DataPath::new(Hierarchy::new(tiers, vec![], Inclusion::Inclusive));
    // Loss ranks in a batch of 4: sample 3 has the highest loss.
    for (id, rank) in [(0, 1), (1, 2), (2, 3), (3, 4)] {
        h.hierarchy_mut()
            .set_importance(id, importance_from_rank(rank));
    }
    assert_eq!(importance_from_rank(1), 11f64.ln());
    let mut t = US;
    for id in [0, 1, 2, 3, 0, 1, 2, 3] {
        h.access(t, &Request::read(id, SIZE), false);
        t += US;
    }
    let c = h.hierarchy().tiers[0].cache.as_ref().unwrap();
    assert!(c.contains(2) && c.contains(3) && !c.contains(0) && !c.contains(1));
    // 0, 1 admitted while room, then displaced by 2 and 3; the second pass hits
    // only 2 and 3.
    assert_eq!(h.hierarchy().tiers[0].stats.hits, 2);
}

fn config(workload: &str, prefetch: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1MiB"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "{workload}"
objects = 10000
requests = 5000
size = "4KiB"
[prefetch]
{prefetch}
"#
    )
}

#[test]
fn prefetch_config_builds_runs_and_reports_errors_by_key() {
    let build = |text: String| {
        let cfg = Config::parse(&text).map_err(|e| e.to_string())?;
        tiersim::model::build(&cfg, 1).map_err(|e| e.to_string())
    };
    let mut sim = build(config("sequential", "kind = \"next-n\"\nn = 7")).unwrap();
    let out = sim.run();
    let s = tiersim::report::summary(&sim, &out);
    assert_eq!(s["prefetch"]["kind"], "next-n");
    assert_eq!(s["tiers"][0]["misses"], 5000 / 8);
    let mut none = build(config("sequential", "kind = \"none\"")).unwrap();
    none.run();
    assert_eq!(none.hier().tiers[0].stats.hits, 0);

    let e = build(config("uniform", "kind = \"clairvoyant\""))
        .err()
        .unwrap();
    assert!(
        e.starts_with("prefetch.kind") && e.contains("future accesses"),
        "{e}"
    );
    let e = build(config("uniform", "kind = \"oracle\"")).err().unwrap();
    assert!(
        e.starts_with("prefetch.kind") && e.contains("next-n, clairvoyant"),
        "{e}"
    );
    let e = build(config("uniform", "kind = \"next-n\"\nn = 0"))
        .err()
        .unwrap();
    assert!(e.starts_with("prefetch.n"), "{e}");
    let e = build(config("uniform", "kind = \"next-n\"\ndepth = 2"))
        .err()
        .unwrap();
    assert!(e.starts_with("prefetch") && e.contains("depth"), "{e}");
}

#[test]
fn shipped_configs_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in [
        "configs/migration-hemem.toml",
        "configs/prefetch-clairvoyant.toml",
    ] {
        let text = std::fs::read_to_string(root.join(name)).unwrap();
        // Shrink the run: the configs are sized for release builds.
        let text = text.replace("requests = 100_000", "requests = 2_000");
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap();
        assert!(sim.run().finished, "{name}");
    }
}
