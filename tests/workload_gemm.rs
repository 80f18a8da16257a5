//! Tiled GEMM workload: home-tier traffic against the textbook blocked-matmul model,
//! compulsory traffic when everything fits, and bad parameters.

use tiersim::config::Config;
use tiersim::model;

const TILE_BYTES: u64 = 32 * 32 * 4;

/// A cache tier of `cache` bytes (LRU) over a home memory, and a GEMM.
fn config(cache: u64, workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "cache"
read_latency = "100ns"
read_bandwidth = "100GB/s"
channels = 8
capacity = {cache}
eviction = "lru"

[[tiers]]
name = "mem"
read_latency = "1us"
read_bandwidth = "10GB/s"
channels = 8

[workload]
kind = "gemm"
{workload}
"#
    )
}

/// Runs a config; returns (home bytes read, home bytes written, workload summary).
fn run(text: &str) -> (u64, u64, serde_json::Value) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 1).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let home = sim.hier().tiers.last().unwrap().device.stats().clone();
    (
        home.bytes_read,
        home.bytes_written,
        sim.workload.summary(out.end),
    )
}

#[test]
fn three_tile_cache_follows_the_textbook_2mnk_over_b() {
    // M = N = K = 256, b = 32: 8 x 8 x 8 = 512 steps. Textbook traffic 2MNK/b elements.
    let (m, n, k, b) = (256u64, 256u64, 256u64, 32u64);
    let textbook = 2 * m * n * k / b;
    let w =
        "m = 256\nn = 256\nk = 256\ntile = 32\nelement_bytes = 4\norder = \"ijk\"\nflops = 1e12";
    let (read, written, s) = run(&config(3 * TILE_BYTES, w));
    // Derivation: with LRU over exactly three tiles and `ijk`, each step's A and B tiles
    // miss (they changed), C[i,j] stays resident across its K/b steps (it is the most
    // recently used), so reads = 2 tiles per step + one C tile per (i, j):
    // 2MNK/b + MN elements. The C term is a relative excess of MN / (2MNK/b) = b / 2K
    // = 6.25% here: that is the tolerance around the textbook figure, and the exact
    // count is asserted too.
    let tolerance = b as f64 / (2.0 * k as f64);
    let elements = read / 4;
    assert!(elements >= textbook, "{elements} < {textbook}");
    assert!(
        elements as f64 <= textbook as f64 * (1.0 + tolerance),
        "{elements} vs textbook {textbook}"
    );
    assert_eq!(elements, textbook + m * n);
    // Each C tile is written back once when evicted, except the last (still cached).
    assert_eq!(written, (64 - 1) * TILE_BYTES);
    assert_eq!(s["tile_steps"], 512);
    assert_eq!(s["flops"].as_f64().unwrap(), 2.0 * (m * n * k) as f64);
}

#[test]
fn whole_working_set_cached_costs_compulsory_traffic_in_every_order() {
    // 3 x 64 tiles = 768 KiB fit in 1 MiB: every tile comes from home exactly once.
    let compulsory = 3 * 64 * TILE_BYTES;
    for order in ["ijk", "ikj", "jik", "jki", "kij", "kji"] {
        let w = format!("m = 256\nn = 256\nk = 256\ntile = 32\norder = \"{order}\"\nflops = 1e12");
        let (read, written, s) = run(&config(1 << 20, &w));
        assert_eq!(read, compulsory, "order {order}");
        assert_eq!(written, 0, "order {order}: nothing is evicted");
        assert_eq!(
            s["compulsory_traffic_bytes"].as_f64().unwrap(),
            compulsory as f64
        );
        assert_eq!(s["tile_steps"], 512, "order {order}");
    }
}

#[test]
fn compute_time_is_flops_over_the_configured_rate() {
    // 512 steps x 2 x 32^3 flops at 1 TFLOP/s = 33.554432 us.
    let w = "m = 256\nn = 256\nk = 256\ntile = 32\nflops = 1e12";
    let (_, _, s) = run(&config(1 << 20, w));
    let expected = 512.0 * 2.0 * 32f64.powi(3) / 1e12;
    let got = s["compute_time_s"].as_f64().unwrap();
    assert!((got / expected - 1.0).abs() < 1e-6, "{got} vs {expected}");
}

#[test]
fn ragged_edges_still_cover_the_matrices() {
    // 100 = 3 x 32 + 4: edge tiles are smaller; compulsory bytes are the matrix sizes.
    let w = "m = 100\nn = 70\nk = 40\ntile = 32\nflops = 1e12";
    let (read, _, s) = run(&config(1 << 20, w));
    assert_eq!(read, (100 * 40 + 40 * 70 + 100 * 70) * 4);
    assert_eq!(s["flops"].as_f64().unwrap(), 2.0 * 100.0 * 70.0 * 40.0);
}

#[test]
fn impossible_parameters_name_the_key() {
    for (w, key) in [
        (
            "m = 64\nn = 64\nk = 64\ntile = 0\nflops = 1e12",
            "workload.tile",
        ),
        (
            "m = 64\nn = 64\nk = 16\ntile = 32\nflops = 1e12",
            "workload.tile",
        ),
        (
            "m = 0\nn = 64\nk = 64\ntile = 8\nflops = 1e12",
            "workload.m",
        ),
        (
            "m = 64\nn = 64\nk = 64\ntile = 8\nflops = 0",
            "workload.flops",
        ),
        (
            "m = 64\nn = 64\nk = 64\ntile = 8\nflops = 1e12\norder = \"iik\"",
            "workload.order",
        ),
        (
            "m = 64\nn = 64\nk = 64\ntile = 8\nflops = 1e12\nelement_bytes = 0",
            "workload.element_bytes",
        ),
        ("m = 64\nn = 64\nk = 64\nflops = 1e12", "workload"),
    ] {
        // Declared parameters are checked when the config is parsed, the rest when the
        // model is built.
        let e = match Config::parse(&config(1 << 20, w)) {
            Ok(cfg) => model::build(&cfg, 1).err().expect(w),
            Err(e) => e,
        };
        assert_eq!(e.path, key, "{w}: {e}");
    }
}

#[test]
fn pinned_tensors_bypass_the_home_tier() {
    // Every tensor pinned in the cache tier: the home tier sees nothing; the cache
    // device serves 3 tile reads and 1 tile write per step.
    let w = "m = 128\nn = 128\nk = 128\ntile = 32\nflops = 1e12\nplacement = { a = \"cache\", b = \"cache\", c = \"cache\" }";
    let cfg = Config::parse(&config(3 * TILE_BYTES, w)).unwrap();
    let mut sim = model::build(&cfg, 1).unwrap();
    assert!(sim.run().finished);
    let home = sim.hier().tiers[1].device.stats();
    assert_eq!((home.bytes_read, home.bytes_written), (0, 0));
    let cache = sim.hier().tiers[0].device.stats();
    assert_eq!(cache.bytes_read, 64 * 3 * TILE_BYTES);
    assert_eq!(cache.bytes_written, 64 * TILE_BYTES);
    // Only B pinned in the home tier: A and C still go through the cache.
    let w = "m = 128\nn = 128\nk = 128\ntile = 32\nflops = 1e12\nplacement = { b = \"mem\" }";
    let (read, _, _) = run(&config(1 << 20, w));
    // B is read from home at every step (64 x 1 tile), A and C once each (16 + 16).
    assert_eq!(read, (64 + 16 + 16) * TILE_BYTES);
    let cfg = Config::parse(&config(
        1 << 20,
        "m = 64\nn = 64\nk = 64\ntile = 8\nflops = 1e12\nplacement = { a = \"hbm\" }",
    ))
    .unwrap();
    assert_eq!(
        model::build(&cfg, 1).err().unwrap().path,
        "workload.placement.a"
    );
}

#[test]
fn double_buffering_overlaps_loads_with_compute() {
    // Everything cached after first touch; compute per step 2 x 32^3 / 65.536 GFLOP/s
    // = 1 us, comparable to a step's I/O. Overlap shortens the run but cannot beat
    // the compute time alone.
    let base = "m = 256\nn = 256\nk = 256\ntile = 32\nflops = 65.536e9";
    let end = |extra: &str| {
        let cfg = Config::parse(&config(1 << 20, &format!("{base}\n{extra}"))).unwrap();
        let mut sim = model::build(&cfg, 1).unwrap();
        let out = sim.run();
        assert!(out.finished);
        let s = sim.workload.summary(out.end);
        assert_eq!(s["tile_steps"], 512);
        (out.end, s["compute_time_s"].as_f64().unwrap())
    };
    let (serial, compute) = end("");
    let (overlapped, compute2) = end("double_buffer = true");
    assert_eq!(compute, compute2);
    assert!((compute - 512e-6).abs() < 1e-12, "{compute}");
    assert!(overlapped < serial, "{overlapped} vs {serial}");
    assert!(overlapped as f64 >= compute * 1e12);
}
