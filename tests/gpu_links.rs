//! GPU devices and links: full-duplex links (a swap-out and a swap-in at once each run
//! at the one-direction speed; half duplex they share one queue), the GPUDirect path
//! against the bounce through host DRAM, and the config keys' errors. Expected values
//! are closed forms from the preset figures (REFERENCES.md s5).

use tiersim::config::Config;
use tiersim::engine::{Time, US};
use tiersim::model;
use tiersim::sim::Simulation;
use tiersim::trace::Op;

/// HBM over host DRAM (behind link `pcie`) over NVMe; DRAM is fast enough (400 GB/s)
/// that the link is the bottleneck. `link` is the `[[links]]` body, `nvme` extra keys
/// of the NVMe tier.
fn gpu_config(link: &str, nvme: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
preset = "h100-sxm-hbm3"

[[tiers]]
name = "dram"
read_latency = "100ns"
read_bandwidth = "400GB/s"
channels = 64
capacity = "512GiB"
link = "pcie"

[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie4"
{nvme}

[[links]]
name = "pcie"
{link}

[workload]
kind = "synthetic"
pattern = "uniform"
objects = 10
requests = 10
size = "4KiB"
"#
    )
}

fn build(text: &str) -> Simulation {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    model::build(&cfg, 1).unwrap()
}

fn within(got: Time, want: f64, tol: f64) -> bool {
    (got as f64 - want).abs() <= tol * want
}

const GIB: u64 = 1 << 30;

/// Starts a swap-out (HBM -> DRAM: a write to the DRAM tier) and a swap-in (DRAM ->
/// HBM: a read of it) of `bytes` together at t = 0; returns their completion times.
fn swap_pair(sim: &mut Simulation, bytes: u64) -> (Time, Time) {
    let out = sim.data.pinned(0, 1, Op::Write, bytes, true);
    let back = sim.data.pinned(0, 1, Op::Read, bytes, true);
    (out, back)
}

#[test]
fn duplex_pcie_serves_a_swap_out_and_a_swap_in_at_full_speed_each() {
    // PCIe Gen4 x16 preset: 25.1 GB/s each way (measured A100 H2D), 2 us per copy.
    let latency = 2e-6;
    let one_way = |bytes: u64, bw: f64| (latency + bytes as f64 / bw) * 1e12;
    let mut sim = build(&gpu_config("preset = \"pcie-gen4-x16\"", ""));
    let (out, back) = swap_pair(&mut sim, GIB);
    let want = one_way(GIB, 25.1e9);
    assert!(within(out, want, 0.01), "swap-out {out} ps, want {want}");
    assert!(within(back, want, 0.01), "swap-in {back} ps, want {want}");

    // Gen5: each direction at its own measured speed (H2D 35.2, D2H 52.8 GB/s).
    let mut sim = build(&gpu_config("preset = \"pcie-gen5-x16\"", ""));
    let (out, back) = swap_pair(&mut sim, GIB);
    assert!(within(out, one_way(GIB, 52.8e9), 0.01), "D2H {out}");
    assert!(within(back, one_way(GIB, 35.2e9), 0.01), "H2D {back}");
    let link = &sim.hier().links[0].device;
    assert_eq!(link.stats().bytes_read, GIB, "toward the GPU");
    assert_eq!(link.stats().bytes_written, GIB, "away from the GPU");
}

#[test]
fn half_duplex_pcie_takes_twice_as_long() {
    let mut sim = build(&gpu_config(
        "preset = \"pcie-gen4-x16\"\nduplex = false",
        "",
    ));
    let (out, back) = swap_pair(&mut sim, GIB);
    // One queue: the swap-in's data waits for the swap-out's.
    let xfer = GIB as f64 / 25.1e9 * 1e12;
    let latency = 2.0 * US as f64;
    assert!(within(out, latency + xfer, 0.01), "first {out}");
    assert!(within(back, latency + 2.0 * xfer, 0.01), "second {back}");
    // Against the duplex pair: twice as long for both to finish.
    let mut duplex = build(&gpu_config("preset = \"pcie-gen4-x16\"", ""));
    let (d_out, d_back) = swap_pair(&mut duplex, GIB);
    let ratio = out.max(back) as f64 / d_out.max(d_back) as f64;
    assert!((ratio - 2.0).abs() < 0.01 * 2.0, "ratio {ratio}");
}

/// Reads `n` objects of `bytes` from the NVMe tier to the GPU and writes `n` back;
/// returns the DRAM tier's (bytes written, bytes read) and the link's bytes.
fn nvme_traffic(nvme: &str, n: u64, bytes: u64) -> (u64, u64, u64) {
    let link = "preset = \"pcie-gen4-x16\"";
    let mut sim = build(&gpu_config(link, nvme));
    let mut t = 0;
    for _ in 0..n {
        t = sim.data.pinned(t, 2, Op::Read, bytes, true);
    }
    for _ in 0..n {
        t = sim.data.pinned(t, 2, Op::Write, bytes, true);
    }
    let dram = sim.hier().tiers[1].device.stats();
    let pcie = sim.hier().links[0].device.stats();
    (
        dram.bytes_written,
        dram.bytes_read,
        pcie.bytes_read + pcie.bytes_written,
    )
}

#[test]
fn gpudirect_moves_no_bytes_through_host_dram_and_the_bounce_moves_each_once_each_way() {
    let (n, bytes) = (8, 4 << 20);
    let total = 2 * n * bytes;
    // GPUDirect Storage: NVMe straight into GPU memory over the GPU's PCIe link.
    let (w, r, link) = nvme_traffic("link = \"pcie\"", n, bytes);
    assert_eq!((w, r), (0, 0), "GPUDirect touches no host DRAM");
    assert_eq!(link, total);
    // The bounce path: every byte written to host DRAM once and read from it once,
    // crossing the GPU's link (host DRAM's) once.
    let (w, r, link) = nvme_traffic("bounce_through = \"dram\"", n, bytes);
    assert_eq!((w, r), (total, total));
    assert_eq!(link, total);
}

#[test]
fn only_the_bounce_pays_the_host_cpu_cost_of_dram() {
    // Host DRAM accesses cost 10 us of CPU each (a host copy): a bounced NVMe access
    // pays it, a GPUDirect one does not.
    let cpu_time = |nvme: &str| {
        let text = gpu_config("preset = \"pcie-gen4-x16\"", nvme).replace(
            "link = \"pcie\"\n\n[[tiers]]\nname = \"nvme\"",
            "link = \"pcie\"\ncpu = { per_request = \"10us\" }\n\n[[tiers]]\nname = \"nvme\"",
        );
        assert!(text.contains("per_request"));
        let mut sim = build(&text);
        for k in 0..4 {
            sim.data
                .pinned(k * 1_000_000_000, 2, Op::Read, 1 << 20, true);
        }
        sim.data.cpu().map_or(0, |c| c.nodes[0].busy_total())
    };
    assert_eq!(cpu_time("link = \"pcie\""), 0);
    assert_eq!(cpu_time("bounce_through = \"dram\""), 4 * 10 * US as u128);
}

#[test]
fn gpu_keys_reject_misplaced_values() {
    let err = |text: &str| match Config::parse(text) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let e = err(&gpu_config(
        "preset = \"pcie-gen4-x16\"",
        "bounce_through = \"ssd\"",
    ));
    assert!(
        e.contains("tiers[2].bounce_through") && e.contains("faster tier"),
        "{e}"
    );
    let text = gpu_config("preset = \"pcie-gen4-x16\"", "").replace(
        "preset = \"h100-sxm-hbm3\"",
        "preset = \"h100-sxm-hbm3\"\nduplex = true",
    );
    assert!(err(&text).contains("tiers[0].duplex"), "{}", err(&text));
    let text = gpu_config("preset = \"pcie-gen4-x16\"\nbounce_through = \"dram\"", "");
    assert!(err(&text).contains("links[0].bounce_through"));
    let text = gpu_config("preset = \"pcie-gen4-x16\"\nduplex = 3", "");
    assert!(err(&text).contains("duplex"), "{}", err(&text));
}
