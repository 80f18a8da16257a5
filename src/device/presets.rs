//! Device presets with their sources (../shared/REFERENCES.md section 1). Figures the
//! references mark "approx." or that come from outside them are flagged as such in
//! `source`: treat them as defaults to refine. Any field can be overridden in a config.

use super::DeviceSpec;
use crate::engine::{MS, NS, US};

const GB: f64 = 1e9;
const GIB: u64 = 1 << 30;
const TB: u64 = 1_000_000_000_000;

#[allow(clippy::too_many_arguments)]
fn spec(
    capacity: u64,
    (read_latency, read_latency_seq): (u64, u64),
    (write_latency, write_latency_seq): (u64, u64),
    (read_bandwidth, write_bandwidth): (f64, f64),
    granularity: u32,
    channels: u32,
    (read_pj, write_pj): (f64, f64),
    cost_per_gb: f64,
    source: &str,
) -> DeviceSpec {
    DeviceSpec {
        model: "basic".into(),
        capacity,
        read_latency,
        read_latency_seq,
        write_latency,
        write_latency_seq,
        read_bandwidth,
        write_bandwidth,
        granularity,
        channels,
        endurance_bytes: 0.0,
        read_energy_pj_per_byte: read_pj,
        write_energy_pj_per_byte: write_pj,
        cost_per_gb,
        source: source.into(),
    }
}

/// Bytes written over `years` at `dwpd` drive writes per day.
fn dwpd_bytes(capacity: u64, dwpd: f64, years: f64) -> f64 {
    capacity as f64 * dwpd * 365.0 * years
}

/// Every preset by name, in a stable order.
pub const NAMES: &[&str] = &[
    "ddr4-3200",
    "ddr4-2400",
    "ddr5-4800",
    "optane-pmm",
    "optane-pmm-dimm",
    "cxl-expander",
    "nvme-tlc-pcie3",
    "nvme-tlc-pcie4",
    "optane-ssd",
    "rdma-100g",
    "object-store",
    "lpddr5",
    "ufs-flash",
    "wan-link",
];

/// The preset named `name`, or an error listing the known ones.
pub fn preset(name: &str) -> Result<DeviceSpec, String> {
    // DRAM energy: ~20 pJ/bit for a DDR4 access incl. I/O (approx., secondary); DRAM and
    // flash $/GB are 2024 street prices (approx., secondary): sweep them, don't cite them.
    let dram_pj = (160.0, 160.0);
    let mut s = match name {
        // 8 B x 3200 MT/s = 25.6 GB/s per channel; idle load latency ~80 ns (Intel MLC;
        // Memtis uses 80 ns). 32 requests in flight: enough to reach peak bandwidth at
        // 80 ns per 64 B line (25.6 GB/s x 80 ns / 64 B = 32).
        "ddr4-3200" => spec(64 * GIB, (80 * NS, 80 * NS), (80 * NS, 80 * NS), (25.6 * GB, 25.6 * GB), 64, 32, dram_pj, 3.0,
            "REFERENCES.md s1: DDR4-3200 25.6 GB/s per channel (8 B x transfer rate); idle latency ~80 ns (Intel MLC, Memtis)"),
        "ddr4-2400" => spec(64 * GIB, (80 * NS, 80 * NS), (80 * NS, 80 * NS), (19.2 * GB, 19.2 * GB), 64, 24, dram_pj, 3.0,
            "REFERENCES.md s1: DDR4-2400 19.2 GB/s per channel; idle latency ~80 ns (Intel MLC)"),
        // DDR5 idle latency is not in the references: taken as DDR4's 80 ns (approx.).
        "ddr5-4800" => spec(64 * GIB, (80 * NS, 80 * NS), (80 * NS, 80 * NS), (38.4 * GB, 38.4 * GB), 64, 48, dram_pj, 3.5,
            "REFERENCES.md s1: DDR5-4800 38.4 GB/s per channel; latency taken as DDR4's ~80 ns (approx.)"),
        // Six interleaved DIMMs as measured by Izraelevitz et al. 2019: 39.4 / 13.9 GB/s,
        // random read ~305 ns, sequential ~170 ns; stores acknowledged at the memory
        // controller (ADR) in ~90-100 ns (Yang et al. FAST'20): 94 ns here; 256 B XPLine.
        "optane-pmm" => {
            let mut s = spec(6 * 128 * GIB, (305 * NS, 170 * NS), (94 * NS, 94 * NS), (39.4 * GB, 13.9 * GB), 256, 48, (500.0, 2000.0), 4.5,
                "REFERENCES.md s1: Optane DC PMM gen 1, 6 DIMMs interleaved: 39.4/13.9 GB/s, 305 ns random / ~170 ns sequential read (Izraelevitz et al. 2019); ~94 ns ADR write ack, 256 B XPLine (Yang et al. FAST'20); energy approx.");
            s.endurance_bytes = 292.0 * 1e15 * 6.0; // 292 PBW per 128 GB DIMM (Intel spec, secondary)
            s
        }
        "optane-pmm-dimm" => {
            let mut s = spec(128 * GIB, (305 * NS, 170 * NS), (94 * NS, 94 * NS), (6.6 * GB, 2.3 * GB), 256, 8, (500.0, 2000.0), 4.5,
                "REFERENCES.md s1: one Optane DC PMM DIMM: ~6.6/~2.3 GB/s (Izraelevitz et al. 2019), latencies as optane-pmm");
            s.endurance_bytes = 292.0 * 1e15;
            s
        }
        // Pond: +70-90 ns over local DRAM (80 ns + 80 ns); device A of Sun et al. MICRO'23
        // reaches 46% of DDR5-4800's 38.4 GB/s = 17.7 GB/s.
        "cxl-expander" => spec(256 * GIB, (160 * NS, 160 * NS), (160 * NS, 160 * NS), (0.46 * 38.4 * GB, 0.46 * 38.4 * GB), 64, 48, dram_pj, 3.5,
            "REFERENCES.md s1: CXL expander load latency DRAM + 70-90 ns (Pond ASPLOS'23); bandwidth 46% of 38.4 GB/s (Sun et al. MICRO'23 device A)"),
        // Micron 9200: QD1 4 KB read 92 us (92-150), write ~21 us (buffered); 3.5 GB/s
        // sequential; 840 K random-read IOPS: 78 in flight x 4 KB / 93.2 us = 840 K.
        // Writes: 285 K IOPS x 4 KB = 1.17 GB/s.
        "nvme-tlc-pcie3" => spec(3840 * 1_000_000_000, (92 * US, 92 * US), (21 * US, 21 * US), (3.5 * GB, 285e3 * 4096.0), 4096, 78, (2900.0, 5000.0), 0.1,
            "REFERENCES.md s1: Micron 9200 datasheet: QD1 4 KB read 92 us, write ~21 us, 840K/285K IOPS, 3.5 GB/s; energy approx."),
        // Samsung PM9A3: 6.5 GB/s sequential read, 900 K / 200 K IOPS, 1.3 DWPD over 5 years.
        // Its QD1 latency is not in the references: NAND page read 40-75 us plus
        // controller time, taken as 80 us (approx.); 900 K x 81.7 us = 74 in flight.
        "nvme-tlc-pcie4" => {
            let cap = 3840 * 1_000_000_000;
            let mut s = spec(cap, (80 * US, 80 * US), (20 * US, 20 * US), (6.5 * GB, 200e3 * 4096.0), 4096, 74, (1500.0, 3000.0), 0.1,
                "REFERENCES.md s1: Samsung PM9A3 datasheet: 6.5 GB/s, 900K/200K IOPS, 1.3 DWPD; QD1 latency 80 us (approx., from NAND page read 40-75 us)");
            s.endurance_bytes = dwpd_bytes(cap, 1.3, 5.0);
            s
        }
        // P4800X: QD1 4 KB random read 8.9 us; 585 K IOPS at QD16 (25.5 us):
        // 585 K x 4 KB = 2.4 GB/s of reads. Writes (not in the references): ~2.2 GB/s, 10 us.
        // The 8.9 us QD1 figure includes the transfer: 4 KiB at 2.4 GB/s = 1.709 us, so
        // the latency field is 8.9 - 1.709 = 7.191 us (tiersim validate, ssd-optane).
        "optane-ssd" => {
            let cap = 750 * 1_000_000_000;
            let mut s = spec(cap, (7_191 * NS, 7_191 * NS), (10 * US, 10 * US), (585e3 * 4096.0, 2.2 * GB), 4096, 8, (1500.0, 3000.0), 1.0,
                "REFERENCES.md s1: Optane SSD P4800X (AnandTech): QD1 4 KB read 8.9 us, 585K IOPS at QD16; writes approx.");
            s.endurance_bytes = dwpd_bytes(cap, 30.0, 5.0);
            s
        }
        // ib_send_lat: 2.26 us @ 4 KB and 4.56 us @ 32 KB fit 1.93 us + size / 12.5 GB/s
        // (small messages are faster: 0.83 us @ 32 B; the linear fit overstates them).
        "rdma-100g" => spec(0, (1_930 * NS, 1_930 * NS), (1_930 * NS, 1_930 * NS), (12.5 * GB, 12.5 * GB), 1, 64, (0.0, 0.0), 0.0,
            "REFERENCES.md s1: 100 Gb/s line rate; RDMA RC send latency fit 1.93 us + size/12.5 GB/s on the 4 KB and 32 KB ib_send_lat points"),
        // S3 Standard: first byte in tens of ms (median taken as 25 ms, approx.); ~5,000
        // requests/s per prefix: 125 in flight x 1 / 25 ms = 5,000/s. Behind a 100 Gb/s NIC.
        "object-store" => spec(1000 * TB, (25 * MS, 25 * MS), (25 * MS, 25 * MS), (12.5 * GB, 12.5 * GB), 1, 125, (0.0, 0.0), 0.023,
            "REFERENCES.md s1: S3 Standard first-byte latency tens of ms (25 ms taken, approx.), ~5,000 req/s per prefix; $0.023/GB-month"),
        // Edge presets (not in the references; approx., secondary): LPDDR5-6400 x64 bus.
        "lpddr5" => spec(16 * GIB, (110 * NS, 110 * NS), (110 * NS, 110 * NS), (51.2 * GB, 51.2 * GB), 64, 64, (50.0, 50.0), 5.0,
            "LPDDR5-6400 x64: 51.2 GB/s (JEDEC rate x width); ~110 ns load latency (approx., secondary)"),
        "ufs-flash" => spec(256 * 1_000_000_000, (100 * US, 100 * US), (150 * US, 150 * US), (2.1 * GB, 1.2 * GB), 4096, 32, (1000.0, 2000.0), 0.1,
            "UFS 3.1: 2.1/1.2 GB/s sequential, ~100 us random read (approx., vendor figures, secondary)"),
        "wan-link" => spec(0, (15 * MS, 15 * MS), (15 * MS, 15 * MS), (0.125 * GB, 0.125 * GB), 1, 64, (0.0, 0.0), 0.0,
            "1 Gb/s WAN link, 15 ms one-way (30 ms RTT) (approx., illustrative)"),
        _ => return Err(format!("unknown preset '{name}'; known presets: {}", NAMES.join(", "))),
    };
    s.model = model_for(name).into();
    Ok(s)
}

/// The device model each preset uses: DRAM gets the loaded-latency curve (fitted to
/// the MLC table, REFERENCES.md s1), Optane PMM its XPLine and write-contention model;
/// the rest are basic. Checked by `tiersim validate`.
fn model_for(name: &str) -> &'static str {
    match name {
        "ddr4-3200" | "ddr4-2400" | "ddr5-4800" | "lpddr5" => "loaded-latency",
        "optane-pmm" | "optane-pmm-dimm" => "optane",
        _ => "basic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_validates() {
        for name in NAMES {
            let s = preset(name).unwrap();
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!s.source.is_empty());
        }
        assert!(preset("floppy").unwrap_err().contains("ddr4-3200"));
    }
}
