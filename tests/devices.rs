//! Device presets against their cited figures (REFERENCES.md s1).

mod common;

use tiersim::device::{self, presets};
use tiersim::trace::Op;

#[test]
fn nvme_pcie3_unloaded_4k_random_read_is_latency_plus_transfer() {
    // Micron 9200: QD1 4 KB read 92 us; on the data path 4096 B at 3.5 GB/s = 1.170 us,
    // but at least 1 / 840 K IOPS = 1.190 us: the IOPS limit wins.
    let expected_ps = 92_000_000 + (1e12 / 840e3_f64).round() as u64;
    let mut dev = device::build(&presets::preset("nvme-tlc-pcie3").unwrap()).unwrap();
    assert_eq!(dev.submit(0, Op::Read, 4096, false), expected_ps);

    // The same through a whole run: one client, one request at a time, nothing cached.
    let s = common::run_toml(
        r#"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "uniform"
objects = 1000
requests = 100
size = "4KB"
"#,
        1,
    );
    let mean_ns = s["latency"]["read"]["mean_ns"].as_f64().unwrap();
    assert!(
        (mean_ns * 1e3 / expected_ps as f64 - 1.0).abs() < 0.001,
        "mean {mean_ns} ns"
    );
}

#[test]
fn pmm_64b_random_write_moves_256b_on_the_media() {
    // Optane's XPLine is 256 B (Yang et al. FAST'20): a 64 B write costs 256 B.
    let mut dev = device::build(&presets::preset("optane-pmm").unwrap()).unwrap();
    dev.submit(0, Op::Write, 64, false);
    assert_eq!(dev.stats().bytes_written, 64);
    assert_eq!(dev.stats().media_bytes_written, 256);

    let s = common::run_toml(
        r#"
[[tiers]]
name = "pmem"
preset = "optane-pmm"
[workload]
kind = "synthetic"
pattern = "uniform"
objects = 1000
requests = 500
read_fraction = 0.0
size = "64B"
"#,
        1,
    );
    let t = &s["tiers"][0];
    assert_eq!(t["bytes_written"], 500 * 64);
    assert_eq!(t["media_bytes_written"], 500 * 256);
    assert_eq!(t["write_amplification"], 4.0);
}

#[test]
fn a_dram_cache_hit_costs_dram_latency_only() {
    // Two tiers, a cache big enough for everything: after the first touch every read is
    // served by DRAM at 80 ns + 64 B / 25.6 GB/s = 82.5 ns. The DRAM presets use the
    // loaded-latency model, latency x (1 + 1.5 u^1.5) at data-path utilisation u; one
    // client keeps u at 2.5 / 82.5 = 3%, which adds 0.8%: 80 x 1.0079 + 2.5 = 83.1 ns.
    let s = common::run_toml(
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
pattern = "sequential"
objects = 100
requests = 10100
size = "64B"
"#,
        1,
    );
    assert_eq!(s["tiers"][0]["hits"], 10_000);
    assert_eq!(s["tiers"][1]["hits"], 100);
    let p50 = s["latency"]["read"]["p50_ns"].as_f64().unwrap();
    let expected = 80.0 * (1.0 + 1.5 * (2.5f64 / 82.5).powf(1.5)) + 2.5;
    assert!(
        (p50 / expected - 1.0).abs() < 0.005,
        "p50 {p50}, expected {expected:.2}"
    );
}

#[test]
fn presets_put_read_and_write_figures_where_the_references_do() {
    // REFERENCES.md s1, copied from the table (not from presets.rs): read and write
    // bandwidth, random and sequential read latency, write latency. `None`: the
    // references give no figure (the preset's is approx.).
    const GB: f64 = 1e9;
    const NS: u64 = 1_000;
    const US: u64 = 1_000_000;
    type Case = (
        &'static str,
        f64,
        Option<f64>,
        Option<(u64, u64)>,
        Option<u64>,
    );
    #[rustfmt::skip]
    let cases: &[Case] = &[
        // Izraelevitz et al. 2019: 39.4 / 13.9 GB/s, ~305 ns random, ~170 ns sequential;
        // stores acknowledged at the controller (ADR) in ~90-100 ns (Yang et al.).
        ("optane-pmm", 39.4 * GB, Some(13.9 * GB), Some((305 * NS, 170 * NS)), Some(94 * NS)),
        ("optane-pmm-dimm", 6.6 * GB, Some(2.3 * GB), Some((305 * NS, 170 * NS)), Some(94 * NS)),
        // Micron 9200: QD1 4 KB read 92 us, write ~21 us; 3.5 GB/s; 285 K write IOPS x 4 KB.
        ("nvme-tlc-pcie3", 3.5 * GB, Some(285e3 * 4096.0), Some((92 * US, 92 * US)), Some(21 * US)),
        // PM9A3: 6.5 GB/s sequential read; 200 K write IOPS x 4 KB.
        ("nvme-tlc-pcie4", 6.5 * GB, Some(200e3 * 4096.0), None, None),
        // P4800X: 585 K read IOPS x 4 KB (writes not in the references).
        ("optane-ssd", 585e3 * 4096.0, None, None, None),
    ];
    let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-12;
    for &(name, read_bw, write_bw, read_lat, write_lat) in cases {
        let s = presets::preset(name).unwrap();
        assert!(close(s.read_bandwidth, read_bw), "{name} read bandwidth");
        if let Some(w) = write_bw {
            assert!(close(s.write_bandwidth, w), "{name} write bandwidth");
        }
        if let Some(r) = read_lat {
            assert_eq!(
                (s.read_latency, s.read_latency_seq),
                r,
                "{name} read latency"
            );
        }
        if let Some(w) = write_lat {
            assert_eq!(s.write_latency, w, "{name} write latency");
        }
    }
    // IOPS limits: REFERENCES.md s1 (Micron 9200 840 K / 285 K, PM9A3 900 K / 200 K,
    // P4800X 585 K reads), the Micron 9400 datasheet (1,600 K reads, 7,000 MB/s).
    for (name, read_iops, write_iops) in [
        ("nvme-tlc-pcie3", 840e3, 285e3),
        ("nvme-tlc-pcie4", 900e3, 200e3),
        ("optane-ssd", 585e3, 0.0),
        ("micron-9400", 1.6e6, 940e3),
    ] {
        let s = presets::preset(name).unwrap();
        assert_eq!(
            (s.read_iops, s.write_iops),
            (read_iops, write_iops),
            "{name}"
        );
    }
    assert_eq!(
        presets::preset("micron-9400").unwrap().read_bandwidth,
        7.0 * GB
    );
    // No preset reads slower than it writes or runs sequential access slower than
    // random: a swapped pair would break one of these.
    for name in presets::NAMES {
        let s = presets::preset(name).unwrap();
        assert!(s.read_bandwidth >= s.write_bandwidth, "{name}");
        assert!(s.read_latency_seq <= s.read_latency, "{name}");
        assert!(s.write_latency_seq <= s.write_latency, "{name}");
        assert!(
            s.read_energy_pj_per_byte <= s.write_energy_pj_per_byte,
            "{name}"
        );
    }
}
