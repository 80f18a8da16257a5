//! The one data path: every request a workload makes is served by exactly one tier and
//! recorded once, on every path (cache, placement, pinned, checkpoint writes), and
//! migration runs over every adjacent pair of a three-tier hierarchy.

use tiersim::config::Config;
use tiersim::model;
use tiersim::sim::Simulation;

fn run(text: &str) -> Simulation {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = model::build(&cfg, 5).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished);
    sim
}

/// Requests recorded in the read and write histograms.
fn recorded(sim: &Simulation) -> u64 {
    ["read", "write"]
        .iter()
        .map(|n| sim.metrics().get(n).map_or(0, |h| h.len()))
        .sum()
}

fn served(sim: &Simulation) -> Vec<u64> {
    sim.hier().tiers.iter().map(|t| t.stats.served).collect()
}

const TWO_TIERS: &str = r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "8MiB"

[[tiers]]
name = "pmem"
preset = "optane-pmm"
"#;

fn synthetic(requests: u64, size: &str) -> String {
    format!(
        "[workload]\nkind = \"synthetic\"\npattern = \"zipf\"\nalpha = 0.9\nobjects = 512\n\
         requests = {requests}\nclients = 4\nread_fraction = 0.8\nsize = \"{size}\"\n"
    )
}

#[test]
fn the_cache_path_serves_each_request_once() {
    let sim = run(&format!("{TWO_TIERS}{}", synthetic(5_000, "4KiB")));
    let s = served(&sim);
    assert_eq!(s.iter().sum::<u64>(), 5_000);
    assert_eq!(recorded(&sim), 5_000);
}

#[test]
fn the_placement_path_counts_served_accesses() {
    // With a migration policy the hierarchy places pages; served used to stay 0 here.
    let text = format!(
        "{TWO_TIERS}{}\n[migration]\nkind = \"hemem\"\n",
        synthetic(3_000, "2MiB")
    );
    let sim = run(&text);
    let s = served(&sim);
    assert_eq!(s.iter().sum::<u64>(), 3_000);
    assert_eq!(recorded(&sim), 3_000);
    // In placement mode a tier serves exactly the accesses that found the page there.
    for t in &sim.hier().tiers {
        assert_eq!(t.stats.served, t.stats.hits, "{}", t.name);
    }
}

#[test]
fn pinned_accesses_are_served_and_recorded() {
    // Hot embedding rows pinned in DRAM bypass the cache lookup; they used to count a
    // hit but no served access.
    let text = format!(
        "{TWO_TIERS}[workload]\nkind = \"embedding\"\ntables = 1\nrows = 10000\n\
         row_bytes = 256\nalpha = 1.1\nbatch_size = 100\nbatches = 20\nhot_rows = 100\n\
         hot_tier = \"dram\"\n"
    );
    let sim = run(&text);
    let summary = sim.workload.summary(0);
    let lookups = summary["lookups"].as_u64().unwrap();
    assert_eq!(lookups, 20 * 100);
    assert!(summary["hot_hits"].as_u64().unwrap() > 0);
    let s = served(&sim);
    assert_eq!(s.iter().sum::<u64>(), lookups);
    assert_eq!(recorded(&sim), lookups);
    let dram = &sim.hier().tiers[0].stats;
    assert_eq!(dram.served, dram.hits);
}

#[test]
fn checkpoint_writes_reach_the_histograms_and_their_tier() {
    // 8,000 samples over 2 ranks in batches of 32: 125 iterations an epoch, 250 in
    // two epochs: checkpoints after iterations 100 and 200.
    let text = r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "256MiB"

[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"

[workload]
kind = "training"
dataset = { preset = "imagenet-1k", samples = 8_000 }
ranks = 2
epochs = 2
batch_size = 32
workers = 2
compute = { per_batch = "5ms" }

[workload.checkpoint]
every = 100
tier = "nvme"
bytes = "100MB"
"#;
    let sim = run(text);
    assert_eq!(sim.workload.summary(0)["checkpoints"], 2);
    // Training only reads samples: every byte written to the NVMe home is checkpoint.
    let nvme = sim.hier().tiers[1].device.stats();
    assert_eq!(nvme.bytes_written, 2 * 100_000_000);
    assert_eq!(sim.metrics().get("write").map(|h| h.len()), Some(2));
}

#[test]
fn migration_runs_on_both_pairs_of_three_tiers() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/migration-3tier.toml"),
    )
    .unwrap();
    for kind in ["hemem", "memtis"] {
        let text = text.replace("kind = \"hemem\"", &format!("kind = \"{kind}\""));
        let sim = run(&text);
        let m = sim.data.migration().expect("installed").summary();
        let pairs = m["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), 2, "{kind}");
        let count = |p: usize, k: &str| pairs[p][k].as_u64().unwrap();
        for p in 0..2 {
            assert!(count(p, "promotions") > 0, "{kind} pair {p}: {m}");
            assert!(count(p, "demotions") > 0, "{kind} pair {p}: {m}");
        }
        assert_eq!(
            (pairs[0]["upper"].as_str(), pairs[1]["lower"].as_str()),
            (Some("dram"), Some("pmem"))
        );
        // The tiers' own counters agree with the policies': moves go between
        // neighbours only (DRAM in = DRAM/CXL promotions; PMM in = CXL/PMM demotions).
        let tiers = &sim.hier().tiers;
        assert_eq!(tiers[0].stats.migrations_in, count(0, "promotions"));
        assert_eq!(
            tiers[1].stats.migrations_in,
            count(0, "demotions") + count(1, "promotions")
        );
        assert_eq!(tiers[2].stats.migrations_in, count(1, "demotions"));
        assert_eq!(
            m["promotions"].as_u64().unwrap(),
            count(0, "promotions") + count(1, "promotions")
        );
    }
}
