//! The kernel against queueing closed forms (REFERENCES.md s4.3): one device channel fed
//! by Poisson arrivals, with exponential service (M/M/1: W = S / (1 - rho)) and
//! deterministic service (M/D/1: W = S (1 + rho / (2 (1 - rho)))), and Little's law
//! (L = X W) measured on the same runs. Service time S = bytes / bandwidth with no
//! latency: 1000 B at 1 GB/s = 1 us.

mod common;

/// Mean response (us), throughput (1/s) and time-average number in system of one run.
fn run(rate: f64, size: &str, seed: u64) -> (f64, f64, f64) {
    let text = format!(
        r#"
[[tiers]]
name = "server"
read_latency = "0ns"
read_bandwidth = "1GB/s"
channels = 1
[workload]
kind = "synthetic"
pattern = "uniform"
arrival = "poisson"
rate = {rate:.1}
objects = 1000000
requests = 2000000
size = {size}
"#
    );
    let s = common::run_toml(&text, seed);
    let w = &s["workload"];
    (
        s["latency"]["read"]["mean_ns"].as_f64().unwrap() / 1e3,
        w["throughput_requests_per_s"].as_f64().unwrap(),
        w["mean_in_system"].as_f64().unwrap(),
    )
}

fn check(rate: f64, size: &str, expected_us: f64) {
    let (w, x, l) = run(rate, size, 1);
    let err = (w / expected_us - 1.0).abs();
    assert!(
        err < 0.02,
        "rate {rate}: mean response {w:.4} us, closed form {expected_us:.4} us ({:.2}% off)",
        err * 100.0
    );
    // Little's law: L (integrated over time) = X (completions / time) x W (from the histogram).
    let little = (l / (x * w * 1e-6) - 1.0).abs();
    assert!(
        little < 0.02,
        "Little's law: L = {l:.4}, X W = {:.4}",
        x * w * 1e-6
    );
}

const S_US: f64 = 1.0;

#[test]
fn mm1_at_half_load() {
    check(
        500_000.0,
        r#"{ dist = "exponential", mean = "1000B" }"#,
        S_US / (1.0 - 0.5),
    );
}

#[test]
fn mm1_at_80_percent_load() {
    check(
        800_000.0,
        r#"{ dist = "exponential", mean = "1000B" }"#,
        S_US / (1.0 - 0.8),
    );
}

#[test]
fn md1_at_half_load() {
    check(
        500_000.0,
        r#""1000B""#,
        S_US * (1.0 + 0.5 / (2.0 * (1.0 - 0.5))),
    );
}

#[test]
fn md1_at_80_percent_load() {
    check(
        800_000.0,
        r#""1000B""#,
        S_US * (1.0 + 0.8 / (2.0 * (1.0 - 0.8))),
    );
}
