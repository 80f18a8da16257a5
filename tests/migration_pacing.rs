//! The migration mover (`hierarchy/mover.rs`): the copies a daemon tick decides run one
//! at a time, each starting when the previous one's data and OS cost are done and no
//! sooner than `[migration] rate` allows. Expected delays are closed forms from the
//! presets' figures and the OS-cost defaults, not printed values.

mod common;

use common::run_toml;

const PAGE: f64 = 2.0 * 1024.0 * 1024.0;
const PAGES: f64 = 64.0;

/// 64 huge pages first touched at t = 0 by 64 clients, back 300 ms later; `age`
/// demotes all 64 at its tick at 100 ms (older than 50 ms), with no demand traffic
/// until the mover is done.
fn config(rate: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1GiB"

[[tiers]]
name = "pmem"
preset = "optane-pmm"

[workload]
kind = "synthetic"
pattern = "sequential"
objects = 64
requests = 128
clients = 64
think_time = "300ms"
size = "2MiB"

[migration]
kind = "age"
max_age = "50ms"
period = "100ms"
{rate}
"#
    )
}

/// One copy's data time: the 2 MiB write on the Optane preset (94 ns acknowledgement
/// + 2 MiB at 13.9 GB/s) outlasts the DRAM read (80 ns + 2 MiB at 25.6 GB/s).
fn copy_ns() -> f64 {
    94.0 + PAGE / 13.9e9 * 1e9
}

fn pacing(s: &serde_json::Value) -> (f64, f64, f64, f64) {
    let p = &s["migration"]["pacing"];
    (
        p["copies"].as_f64().unwrap(),
        p["max_backlog"].as_f64().unwrap(),
        p["max_delay_ns"].as_f64().unwrap(),
        p["mean_delay_ns"].as_f64().unwrap(),
    )
}

fn close(model: f64, expected: f64, what: &str) {
    assert!(
        (model - expected).abs() <= 1e-3 * expected,
        "{what}: {model} vs {expected}"
    );
}

#[test]
fn uncapped_copies_are_spaced_by_their_os_cost() {
    let s = run_toml(&config(""), 1);
    assert_eq!(s["migration"]["demotions"], 64);
    let (copies, backlog, max, mean) = pacing(&s);
    assert_eq!((copies, backlog), (PAGES, PAGES));
    // OS cost per 2 MiB page: 4 x 200 ns walk + 4 us shootdown + 512 x 1.5 us copy.
    let cost = 4.0 * 200.0 + 4_000.0 + 512.0 * 1_500.0;
    close(max, (PAGES - 1.0) * cost + copy_ns(), "last copy's delay");
    close(
        mean,
        (PAGES - 1.0) / 2.0 * cost + copy_ns(),
        "mean copy delay",
    );
}

#[test]
fn a_rate_cap_spaces_copies_by_page_over_rate() {
    let s = run_toml(&config("rate = \"1GB/s\""), 1);
    let (copies, _, max, mean) = pacing(&s);
    assert_eq!(copies, PAGES);
    // 2 MiB / 1 GB/s = 2.097 ms, more than the 0.77 ms OS cost.
    let gap = PAGE / 1e9 * 1e9;
    close(max, (PAGES - 1.0) * gap + copy_ns(), "last copy's delay");
    close(
        mean,
        (PAGES - 1.0) / 2.0 * gap + copy_ns(),
        "mean copy delay",
    );
    assert_eq!(s["migration"]["pacing"]["rate_bytes_per_s"], 1e9);
}
