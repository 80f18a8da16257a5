//! Prefix cache of the inference workload: a hit's TTFT is the KV bytes over the link
//! plus the prefill of the uncovered tokens (by hand), the same request without the
//! cache pays the full prefill; sharing raises the hit ratio; bad keys are named.

use tiersim::config::Config;
use tiersim::model;

/// H100-like HBM (REFERENCES.md s5: 3.35 TB/s) holding the weights, and host DRAM
/// behind a PCIe Gen5 link at the measured host-to-device 35 GB/s (REFERENCES.md s5,
/// nvbandwidth#24) with 1 us latency. DRAM itself is fast (1000 GB/s, 100 ns) so the
/// link is the bottleneck of a load.
fn config(cache: &str, arrivals: &std::path::Path) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "1us"
read_bandwidth = "3350GB/s"
channels = 64
capacity = "80GB"
eviction = "lru"

[[tiers]]
name = "dram"
read_latency = "100ns"
write_latency = "100ns"
read_bandwidth = "1000GB/s"
write_bandwidth = "1000GB/s"
channels = 64
link = "pcie"

[[links]]
name = "pcie"
read_latency = "1us"
write_latency = "1us"
read_bandwidth = "35GB/s"
write_bandwidth = "35GB/s"
channels = 64

[workload]
kind = "inference"
layers = 2
kv_heads = 8
head_dim = 128
params = 1e6
arrivals = "{}"
prompt_tokens = 64
output_tokens = 1
prefill_per_token = "1us"
decode_per_token = "1us"
kv_block_tokens = 16

[workload.prefix]
systems = 1
system_tokens = 256
{cache}
"#,
        arrivals.display()
    )
}

const CACHE: &str = r#"
[workload.prefix_cache]
eviction = "lru"
levels = [{ tier = "hbm", capacity = "131072B" }, { tier = "dram", capacity = "1GB" }]
"#;

fn run(text: &str) -> (tiersim::sim::Simulation, serde_json::Value) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 5).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    (sim, s)
}

fn second_ttft(sim: &tiersim::sim::Simulation) -> f64 {
    let h = sim.metrics().get("ttft").unwrap();
    assert_eq!(h.len(), 2);
    // Request 1 streams the weights from DRAM first: request 2 is the faster.
    h.min() as f64 * 1e-12
}

#[test]
fn a_hit_pays_the_kv_over_the_link_plus_the_uncovered_prefill() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = dir.path().join("arrivals.txt");
    // Two requests 1 s apart, each a new chat with the same 256-token system prompt
    // and 64 user tokens: 320 prompt tokens.
    std::fs::write(&arrivals, "0\n1\n").unwrap();
    let (sim, s) = run(&config(CACHE, &arrivals));
    // KV per token: 2 x 2 layers x 8 heads x 128 x 2 B = 8,192 B; a block of 16 tokens
    // is 131,072 B. Request 1 stores its 20 prompt blocks; the 1-block HBM level keeps
    // the last, the rest go to DRAM. Request 2 finds the system prompt's 16 blocks in
    // DRAM (its own blocks differ): 2,097,152 B over the 35 GB/s link plus its latency,
    // then prefills 320 - 256 = 64 tokens at 1 us. Its weights (2 MB) are in HBM,
    // read at the same time (1.6 us, hidden under the load).
    let load = 1e-6 + 16.0 * 131_072.0 / 35e9;
    let want = load + 64.0 * 1e-6;
    let got = second_ttft(&sim);
    assert!((got / want - 1.0).abs() < 0.01, "ttft {got} want {want}");
    let pc = &s["prefix_cache"];
    assert_eq!(pc["hit_tokens"], 256);
    assert_eq!(pc["prompt_tokens"], 640);
    assert_eq!(pc["levels"][1]["bytes_loaded"], 16 * 131_072);
    assert_eq!(pc["levels"][1]["hit_blocks"], 16);
}

#[test]
fn without_the_cache_the_same_request_pays_the_full_prefill() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = dir.path().join("arrivals.txt");
    std::fs::write(&arrivals, "0\n1\n").unwrap();
    let (sim, s) = run(&config("", &arrivals));
    assert!(s.get("prefix_cache").is_none());
    // 320 tokens at 1 us, after the HBM-resident weights' read (1 us + 2e6 B / 3.35 TB/s).
    let want = 1e-6 + 2e6 / 3350e9 + 320.0 * 1e-6;
    let got = second_ttft(&sim);
    assert!((got / want - 1.0).abs() < 0.01, "ttft {got} want {want}");
}

#[test]
fn unknown_tier_and_policy_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = dir.path().join("arrivals.txt");
    std::fs::write(&arrivals, "0\n").unwrap();
    let bad = CACHE.replace("tier = \"dram\"", "tier = \"ram\"");
    let cfg = Config::parse(&config(&bad, &arrivals)).unwrap();
    let e = model::build(&cfg, 5).err().unwrap().to_string();
    assert!(e.contains("workload.prefix_cache.levels[1].tier"), "{e}");
    let bad = CACHE.replace("eviction = \"lru\"", "eviction = \"nope\"");
    let cfg = Config::parse(&config(&bad, &arrivals)).unwrap();
    let e = model::build(&cfg, 5).err().unwrap().to_string();
    assert!(e.contains("workload.prefix_cache.eviction"), "{e}");
}
