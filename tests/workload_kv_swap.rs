//! KV-cache swapping in the inference workload (vLLM preemption): on a hand case where
//! exactly one request is preempted, the swap-out and swap-in each take the blocks'
//! bytes over one direction of the duplex link plus its latency, and the preempted
//! request's end-to-end time grows by exactly those two copies; with recompute it pays
//! the prefill of its prompt and generated tokens instead. A pool large enough changes
//! nothing; bytes out = bytes in = blocks x block bytes; bad keys are named.

use tiersim::config::Config;
use tiersim::model;

/// KV per token: 2 (K, V) x 2 layers x 8 heads x 128 x 2 B = 8,192 B; 16-token blocks
/// of 131,072 B.
const BLOCK_BYTES: f64 = 131_072.0;
/// The host link: duplex, host-to-device 0.5 GB/s, device-to-host 1 GB/s, 10 us per
/// copy (slow, so the copies stand out from the microsecond reads of the iterations).
const H2D: f64 = 0.5e9;
const D2H: f64 = 1e9;
const LINK_LATENCY: f64 = 10e-6;
/// Prefill and decode per token.
const P: f64 = 100e-6;
const D: f64 = 1e-3;

/// Two requests arriving together (A then B), 16 prompt and 32 output tokens each;
/// HBM holds everything, host DRAM (fast itself) sits behind the link.
fn config(pool: &str, arrivals: &std::path::Path) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "100ns"
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
duplex = true
read_latency = "10us"
write_latency = "10us"
read_bandwidth = "0.5GB/s"
write_bandwidth = "1GB/s"
channels = 16

[workload]
kind = "inference"
layers = 2
kv_heads = 8
head_dim = 128
params = 1e3
arrivals = "{}"
prompt_tokens = 16
output_tokens = 32
prefill_per_token = "100us"
decode_per_token = "1ms"
max_batch = 8
kv_block_tokens = 16
{pool}
"#,
        arrivals.display()
    )
}

fn pool(preemption: &str, blocks: u64) -> String {
    format!(
        "[workload.kv_pool]\ngpu_blocks = {blocks}\npreemption = \"{preemption}\"\nswap_tier = \"dram\"\n"
    )
}

struct Run {
    sim: tiersim::sim::Simulation,
    summary: serde_json::Value,
    end: u64,
}

fn run(text: &str) -> Run {
    run_cfg(&Config::parse(text).unwrap())
}

fn run_cfg(cfg: &Config) -> Run {
    let mut sim = model::build(cfg, cfg.seed).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let summary = sim.workload.summary(out.end);
    Run {
        sim,
        summary,
        end: out.end,
    }
}

/// Request `i`'s end-to-end time in seconds, from requests.csv.
fn e2e(r: &Run, i: usize) -> f64 {
    let tables = r.sim.workload.tables(r.end);
    let csv = &tables.iter().find(|t| t.0 == "requests.csv").unwrap().1;
    let row = csv.lines().nth(i + 1).unwrap();
    row.split(',').nth(5).unwrap().parse().unwrap()
}

fn arrivals(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("arrivals.txt");
    std::fs::write(&path, "0\n0\n").unwrap();
    path
}

// The hand case, pool of 4 blocks. A prefills alone (iteration 1), then decodes while
// B prefills (2) and both decode. A holds ceil(KV / 16) blocks, KV = 16 + k - 2 at
// iteration k; B's is 16 + k - 3. At iteration 18 A needs room for its 33rd token (a
// third block) while A and B hold 2 each: B, the newest, is preempted holding 2 blocks
// (31 tokens, 16 generated). A finishes at iteration 32 (32 tokens); B cannot come
// back before (it needs 2 blocks, 1 is free), then resumes at iteration 33.
const B_BLOCKS: f64 = 2.0;

#[test]
fn a_swapped_request_pays_its_swap_out_and_in_over_the_duplex_link() {
    let dir = tempfile::tempdir().unwrap();
    let a = arrivals(&dir);
    let swap = run(&config(&pool("swap", 4), &a));
    let off = run(&config("", &a));
    let s = &swap.summary["kv_pool"];
    assert_eq!(s["preemptions"], 1);
    assert_eq!(s["swaps_out"], 1);
    assert_eq!(s["swaps_in"], 1);
    assert_eq!(s["recompute_preemptions"], 0);
    // Each copy: bytes / that direction's bandwidth + the link's latency.
    let out = LINK_LATENCY + B_BLOCKS * BLOCK_BYTES / D2H;
    let back = LINK_LATENCY + B_BLOCKS * BLOCK_BYTES / H2D;
    let m = swap.sim.metrics();
    let got_out = m.get("kv_swap_out").unwrap().max() as f64 * 1e-12;
    let got_in = m.get("kv_swap_in").unwrap().max() as f64 * 1e-12;
    assert!(
        (got_out / out - 1.0).abs() < 0.01,
        "out {got_out} want {out}"
    );
    assert!(
        (got_in / back - 1.0).abs() < 0.01,
        "in {got_in} want {back}"
    );
    // B's e2e without the pool: 16P (A's prefill) + D + 16P (B's prefill beside A's
    // first decode) + 30 x 2D (both decode) + D (B's last) = 32P + 62D. With the pool
    // the same compute (A alone while B waits: the batch's decode time is per token),
    // plus the iteration that swaps out (waits for the copy) and the one that swaps in.
    let base = 32.0 * P + 62.0 * D;
    assert!((e2e(&off, 1) / base - 1.0).abs() < 0.01, "{}", e2e(&off, 1));
    let grew = e2e(&swap, 1) - e2e(&off, 1);
    assert!(
        (grew / (out + back) - 1.0).abs() < 0.01,
        "grew {grew} want {}",
        out + back
    );
    // A, never preempted, waits for the swap-out of its iteration 18 but decodes
    // alone in iterations 18-32: 15D less.
    let a_grew = e2e(&swap, 0) - e2e(&off, 0);
    let want = out - 15.0 * D;
    assert!(
        (a_grew / want - 1.0).abs() < 0.01,
        "A grew {a_grew} want {want}"
    );
}

#[test]
fn a_recomputed_request_pays_the_prefill_of_prompt_and_generated_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let a = arrivals(&dir);
    let rec = run(&config(&pool("recompute", 4), &a));
    let off = run(&config("", &a));
    let s = &rec.summary["kv_pool"];
    assert_eq!(s["preemptions"], 1);
    assert_eq!(s["recompute_preemptions"], 1);
    assert_eq!(s["swaps_out"], 0);
    assert_eq!(s["bytes_swapped_out"], 0);
    // B had 16 prompt and 16 generated tokens: it re-prefills 32 at iteration 33
    // (producing its 17th token), then decodes 15. e2e = 16P + (D + 16P) + 15 x 2D
    // + D + 14D + 32P + 15D = 64P + 61D: 32P - D more than without the pool.
    assert_eq!(s["recomputed_tokens"], 32);
    let grew = e2e(&rec, 1) - e2e(&off, 1);
    let want = 32.0 * P - D;
    assert!((grew / want - 1.0).abs() < 0.01, "grew {grew} want {want}");
}

#[test]
fn bytes_swapped_out_equal_bytes_swapped_in_equal_blocks_times_block_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let a = arrivals(&dir);
    let swap = run(&config(&pool("swap", 4), &a));
    let s = &swap.summary["kv_pool"];
    assert_eq!(s["bytes_swapped_out"], 2 * 131_072);
    assert_eq!(s["bytes_swapped_in"], 2 * 131_072);
    // A busier case: 24 requests at once through a 12-block pool.
    let path = dir.path().join("burst.txt");
    std::fs::write(&path, "0\n".repeat(24)).unwrap();
    let text = config(&pool("swap", 12), &path).replace("max_batch = 8", "max_batch = 16");
    let busy = run(&text);
    let s = &busy.summary["kv_pool"];
    assert_eq!(busy.summary["requests_completed"], 24);
    let blocks = s["blocks_swapped_out"].as_u64().unwrap();
    assert!(blocks > 0 && s["preemptions"].as_u64().unwrap() > 1, "{s}");
    assert_eq!(s["blocks_swapped_in"].as_u64().unwrap(), blocks);
    assert_eq!(s["bytes_swapped_out"].as_u64().unwrap(), blocks * 131_072);
    assert_eq!(s["bytes_swapped_in"].as_u64().unwrap(), blocks * 131_072);
    assert_eq!(s["swaps_in"], s["swaps_out"]);
    // The link carried them: the swap-outs away from the GPU (nothing else leaves it:
    // HBM holds every block), at least the swap-ins toward it.
    let st = busy.sim.hier().links[0].device.stats();
    assert_eq!(st.bytes_written, blocks * 131_072);
    assert!(st.bytes_read >= blocks * 131_072);
}

#[test]
fn a_pool_large_enough_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("burst.txt");
    std::fs::write(&path, "0\n0.001\n0.002\n0.01\n0.5\n").unwrap();
    let text = |pool: &str| {
        config(pool, &path)
            .replace("prompt_tokens = 16", "prompt_tokens = [8, 100]")
            .replace("output_tokens = 32", "output_tokens = [1, 60]")
    };
    for mode in ["swap", "recompute"] {
        let on = run(&text(&pool(mode, 1000)));
        let off = run(&text(""));
        assert_eq!(on.summary["kv_pool"]["preemptions"], 0);
        assert_eq!(on.end, off.end);
        let mut a = on.summary.clone();
        a.as_object_mut().unwrap().remove("kv_pool");
        assert_eq!(a, off.summary);
        assert_eq!(
            on.sim.workload.tables(on.end),
            off.sim.workload.tables(off.end)
        );
        for h in ["ttft", "tpot", "e2e"] {
            let (x, y) = (
                on.sim.metrics().get(h).unwrap(),
                off.sim.metrics().get(h).unwrap(),
            );
            assert_eq!(
                (x.len(), x.min(), x.max(), x.mean()),
                (y.len(), y.min(), y.max(), y.mean())
            );
        }
    }
}

#[test]
fn bad_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = arrivals(&dir);
    let cases = [
        (pool("bogus", 4), "workload.kv_pool.preemption"),
        (
            pool("swap", 4).replace("\"dram\"", "\"ram\""),
            "workload.kv_pool.swap_tier",
        ),
        (pool("swap", 0), "workload.kv_pool.gpu_blocks"),
        // 16 + 32 - 1 tokens need 3 blocks.
        (pool("swap", 2), "workload.kv_pool.gpu_blocks"),
        (
            "[workload.kv_pool]\npreemption = \"swap\"\nswap_tier = \"dram\"\n".into(),
            "workload.kv_pool.gpu_blocks",
        ),
        (
            "[workload.kv_pool]\ngpu_blocks = 4\npreemption = \"swap\"\n".into(),
            "workload.kv_pool.swap_tier",
        ),
        (
            "[workload.kv_pool]\ngpu_memory = \"1KB\"\n".into(),
            "workload.kv_pool.gpu_memory",
        ),
        (
            "[workload.kv_pool]\ngpu_memory = \"80GB\"\ngpu_memory_utilization = 1.5\n".into(),
            "workload.kv_pool.gpu_memory_utilization",
        ),
        (
            "[workload.kv_pool]\ngpu_blocks = 4\nswap_sapce = \"1GB\"\n".into(),
            "workload.kv_pool",
        ),
    ];
    for (p, key) in cases {
        let cfg = Config::parse(&config(&p, &a));
        let e = match cfg {
            Err(e) => e.to_string(),
            Ok(cfg) => model::build(&cfg, 5).err().expect(key).to_string(),
        };
        assert!(e.contains(key), "{key}: {e}");
    }
}

#[test]
fn the_example_config_swaps() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/inference-kv-offload.toml");
    let cfg = Config::load(&path).unwrap().0;
    let r = run_cfg(&cfg);
    let s = &r.summary["kv_pool"];
    assert_eq!(r.summary["requests_completed"], 384);
    assert!(s["swaps_out"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["bytes_swapped_out"], s["bytes_swapped_in"]);
    // 0.9 x 80 GB - 16.06 GB of weights, in 2 MiB blocks.
    let blocks = ((0.9f64 * 80e9) as u64 - 16_060_000_000) / (2 << 20);
    assert_eq!(s["gpu_blocks"].as_u64().unwrap(), blocks);
}

#[test]
fn bursts_arrive_together() {
    let text = config("", std::path::Path::new("unused")).replace(
        "arrivals = \"unused\"",
        "rate = 10.0\nburst = 3\nrequests = 7",
    );
    let r = run(&text);
    let tables = r.sim.workload.tables(r.end);
    let csv = &tables.iter().find(|t| t.0 == "requests.csv").unwrap().1;
    let times: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(times.len(), 7);
    assert_eq!(times[0], times[2]);
    assert_ne!(times[2], times[3]);
    assert_eq!(times[3], times[5]);
    assert_ne!(times[5], times[6]);
    let bad = text.replace("burst = 3", "burst = 0");
    let e = model::build(&Config::parse(&bad).unwrap(), 5)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("workload.burst"), "{e}");
}

#[test]
fn a_victim_larger_than_the_free_swap_space_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let a = arrivals(&dir);
    // One block of swap space; B holds two when preempted: recomputed instead, exactly
    // as with preemption = "recompute" (32 tokens re-prefilled), and counted.
    let p = pool("swap", 4) + "swap_space = \"131072B\"\n";
    let r = run(&config(&p, &a));
    let s = &r.summary["kv_pool"];
    assert_eq!(s["swap_blocks"], 1);
    assert_eq!(s["preemptions"], 1);
    assert_eq!(s["swaps_out"], 0);
    assert_eq!(s["swap_space_full"], 1);
    assert_eq!(s["recompute_preemptions"], 1);
    assert_eq!(s["recomputed_tokens"], 32);
    let rec = run(&config(&pool("recompute", 4), &a));
    assert_eq!(e2e(&r, 1), e2e(&rec, 1));
}
