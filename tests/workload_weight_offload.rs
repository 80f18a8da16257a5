//! Weight-offload decoding (FlexGen, ZeRO-Inference): with layer-by-layer prefetch a
//! step takes max(compute, model bytes / link bandwidth) (by hand, within 2%); batching
//! raises tokens/s while link-bound; bad keys are named.

use tiersim::config::Config;
use tiersim::model;

/// Weights in host DRAM (fast itself) behind a PCIe Gen5 link at the measured
/// host-to-device 35 GB/s (REFERENCES.md s5, nvbandwidth#24), 1 us latency.
fn config(workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "1us"
read_bandwidth = "3350GB/s"
channels = 64
capacity = "80GB"

[[tiers]]
name = "dram"
read_latency = "100ns"
read_bandwidth = "1000GB/s"
channels = 64
link = "pcie"

[[links]]
name = "pcie"
read_latency = "1us"
read_bandwidth = "35GB/s"
channels = 64

[workload]
kind = "weight-offload"
model = "llama3-70b"
weights_tier = "dram"
tokens = 4
{workload}
"#
    )
}

fn run(text: &str) -> serde_json::Value {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 5).unwrap();
    let out = sim.run();
    assert!(out.finished);
    sim.workload.summary(out.end)
}

fn within(got: f64, want: f64, tol: f64) -> bool {
    (got / want - 1.0).abs() < tol
}

#[test]
fn batch_one_decoding_is_link_bound_or_compute_bound() {
    // 70.6e9 params x 2 B = 141.2 GB over 35 GB/s: 4.034 s per token.
    let link: f64 = 70.6e9 * 2.0 / 35e9;
    let s = run(&config("batch = 1\ncompute_per_token = \"50ms\""));
    let got = s["seconds_per_step"].as_f64().unwrap();
    assert!(within(got, link, 0.02), "link-bound {got} want {link}");
    // 10 s of compute per token exceeds the 4.03 s of loading: compute-bound.
    let s = run(&config("batch = 1\ncompute_per_token = \"10s\""));
    let got = s["seconds_per_step"].as_f64().unwrap();
    assert!(within(got, 10.0, 0.02), "compute-bound {got} want 10");
}

#[test]
fn tokens_per_second_grow_with_the_batch_until_compute_bound() {
    // Link-bound: one weight pass per step serves the whole batch.
    let link: f64 = 70.6e9 * 2.0 / 35e9;
    for batch in [1u64, 4, 16] {
        let s = run(&config(&format!(
            "batch = {batch}\ncompute_per_token = \"50ms\""
        )));
        let want = batch as f64 / link.max(0.05 * batch as f64);
        let got = s["tokens_per_s"].as_f64().unwrap();
        assert!(within(got, want, 0.02), "batch {batch}: {got} want {want}");
    }
    // 128 x 50 ms = 6.4 s of compute: compute-bound at 128 / 6.4 = 20 tokens/s.
    let s = run(&config("batch = 128\ncompute_per_token = \"50ms\""));
    let got = s["tokens_per_s"].as_f64().unwrap();
    assert!(within(got, 20.0, 0.02), "{got}");
}

#[test]
fn bad_keys_are_named() {
    let cfg = Config::parse(
        &config("compute_per_token = \"1ms\"").replace("\"dram\"\ntokens", "\"ram\"\ntokens"),
    )
    .unwrap();
    let e = model::build(&cfg, 5).err().unwrap().to_string();
    assert!(e.contains("workload.weights_tier"), "{e}");
    let cfg = Config::parse(&config("compute_per_token = \"1ms\"\nbatch = 0")).unwrap();
    let e = model::build(&cfg, 5).err().unwrap().to_string();
    assert!(e.contains("workload.batch"), "{e}");
}

#[test]
fn kv_offload_streams_each_layers_share_of_the_growing_context() {
    // Llama-3-70B: 70.6e9 x 2 B over 80 layers = 1.765 GB a layer; KV per token per
    // layer 2 (K, V) x 8 heads x 128 x 2 B = 4,096 B. Batch 2, prompt 1,024, 4 steps:
    // step s reads 4,096 x 80 x 2 x (1,024 + s) bytes of KV.
    let s = run(&config(
        "batch = 2\nprompt_tokens = 1024\nkv_offload = true\ncompute_per_token = \"1ms\"",
    ));
    assert_eq!(s["layer_bytes"].as_u64().unwrap(), 1_765_000_000);
    let kv: u64 = (0..4).map(|step| 4096 * 80 * 2 * (1024 + step)).sum();
    assert_eq!(
        s["bytes_streamed"].as_u64().unwrap(),
        4 * 80 * 1_765_000_000 + kv
    );
}
