//! Request-dependent device speed through full timed runs from TOML configs: one
//! device (the `micron-9400` preset: 7 GB/s, 1.6 M IOPS, 80 us) serves 4 KiB random
//! reads at its IOPS limit and 1 MiB reads at its bandwidth limit, and a request larger
//! than `max_transfer` is split into device requests that each pay the IOPS cost.
//! Expected values are closed forms of the preset's figures.

mod common;

/// Throughput (requests/s) and mean read latency (ns) of closed-loop clients reading
/// `size` objects uniformly from one tier.
fn run(tier: &str, size: &str, clients: u32, requests: u64) -> (f64, f64) {
    let text = format!(
        r#"
[[tiers]]
name = "ssd"
{tier}
[workload]
kind = "synthetic"
pattern = "uniform"
objects = 100000
requests = {requests}
clients = {clients}
size = "{size}"
"#
    );
    let s = common::run_toml(&text, 7);
    (
        s["workload"]["throughput_requests_per_s"].as_f64().unwrap(),
        s["latency"]["read"]["mean_ns"].as_f64().unwrap(),
    )
}

fn within(what: &str, got: f64, expected: f64, tolerance: f64) {
    let err = (got / expected - 1.0).abs();
    assert!(
        err <= tolerance,
        "{what}: got {got:.4e}, expected {expected:.4e} (error {:.2}%)",
        err * 100.0
    );
}

#[test]
fn small_reads_hit_the_iops_limit_and_large_reads_the_bandwidth_limit() {
    let tier = "preset = \"micron-9400\"";
    // 4 KiB: the data path holds each read max(1 / 1.6 M, 4096 B / 7 GB/s) = 625 ns,
    // so 1.6 M reads/s (the bandwidth alone would allow 1.71 M/s). 512 clients keep
    // more than the 129 needed in flight (1.6 M x 80.625 us).
    let (x, _) = run(tier, "4KiB", 512, 400_000);
    within("4 KiB random reads/s", x, 1.6e6, 0.02);
    // 1 MiB: 1 MiB / 7 GB/s = 149.8 us per read on the path (1 / IOPS is 0.6 us), so
    // 7 GB/s; 16 clients are more than the (80 + 149.8) / 149.8 = 1.5 needed.
    let (x, _) = run(tier, "1MiB", 16, 20_000);
    within("1 MiB read bandwidth", x * (1 << 20) as f64, 7.0e9, 0.02);
}

#[test]
fn reads_larger_than_max_transfer_are_split_into_device_requests() {
    // One client, 1 MiB reads, max_transfer 128 KiB: 8 device requests submitted at
    // once on 8 of the 256 channels, each 80 us of latency, then 8 transfers of 128 KiB
    // back to back on the path: 80 us + 1 MiB / 7 GB/s = 229.80 us.
    let tier = "preset = \"micron-9400\"\nmax_transfer = \"128KiB\"";
    let (_, latency_ns) = run(tier, "1MiB", 1, 2_000);
    within(
        "1 MiB in 128 KiB transfers",
        latency_ns,
        80e3 + 1e9 * (1u64 << 20) as f64 / 7e9,
        0.01,
    );
    // With 4 KiB transfers each of the 256 pieces costs 1 / IOPS (625 ns) on the path:
    // 80 us + 256 x 625 ns = 240 us, where one 1 MiB request would take 229.8 us.
    let tier = "preset = \"micron-9400\"\nmax_transfer = \"4KiB\"";
    let (_, latency_ns) = run(tier, "1MiB", 1, 2_000);
    within(
        "1 MiB in 4 KiB transfers",
        latency_ns,
        80e3 + 256.0 * 625.0,
        0.01,
    );
    // One channel: the 8 pieces of 128 KiB take turns, 8 x (80 us + 18.72 us).
    let tier = "preset = \"micron-9400\"\nmax_transfer = \"128KiB\"\nchannels = 1";
    let (_, latency_ns) = run(tier, "1MiB", 1, 500);
    within(
        "1 MiB in 128 KiB transfers on 1 channel",
        latency_ns,
        8.0 * (80e3 + 1e9 * (128u64 << 10) as f64 / 7e9),
        0.01,
    );
}
