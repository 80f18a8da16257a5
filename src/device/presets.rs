//! Device presets with their sources (../shared/REFERENCES.md section 1). Figures the
//! references mark "approx." or that come from outside them are flagged as such in
//! `source`: treat them as defaults to refine. Any field can be overridden in a config.
//!
//! Each preset is a [`DeviceSpec`] literal with every field named, so a read figure
//! cannot land in a write field by position. The model: DRAM gets the loaded-latency
//! curve (fitted to the MLC table, REFERENCES.md s1), Optane PMM its XPLine and
//! write-contention model, the rest are basic (checked by `tiersim validate`).

use super::DeviceSpec;
use crate::engine::{MS, NS, US};

const GB: f64 = 1e9;
const GIB: u64 = 1 << 30;
const TB: u64 = 1_000_000_000_000;

/// DRAM energy: ~20 pJ/bit for a DDR4 access incl. I/O (approx., secondary). DRAM and
/// flash $/GB are 2024 street prices (approx., secondary): sweep them, don't cite them.
const DRAM_PJ: f64 = 160.0;

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
    "micron-9400",
    "optane-ssd",
    "rdma-100g",
    "object-store",
    "lpddr5",
    "ufs-flash",
    "wan-link",
    // GPU memory and GPU links (gpu_presets.rs, REFERENCES.md s5).
    "a100-40gb-hbm2",
    "a100-80gb-hbm2e",
    "h100-sxm-hbm3",
    "h200-hbm3e",
    "pcie-gen4-x16",
    "pcie-gen5-x16",
    "nvlink3",
    "nvlink4",
    "nvlink-c2c",
];

/// Whether preset `name` is a full-duplex link (see `gpu_presets::DUPLEX`).
pub fn duplex(name: &str) -> bool {
    super::gpu_presets::duplex(name)
}

/// The preset named `name`, or an error listing the known ones.
pub fn preset(name: &str) -> Result<DeviceSpec, String> {
    Ok(match name {
        // 8 B x 3200 MT/s = 25.6 GB/s per channel; idle load latency ~80 ns (Intel MLC;
        // Memtis uses 80 ns). 32 requests in flight: enough to reach peak bandwidth at
        // 80 ns per 64 B line (25.6 GB/s x 80 ns / 64 B = 32).
        "ddr4-3200" => DeviceSpec {
            model: "loaded-latency".into(),
            capacity: 64 * GIB,
            read_latency: 80 * NS,
            read_latency_seq: 80 * NS,
            write_latency: 80 * NS,
            write_latency_seq: 80 * NS,
            read_bandwidth: 25.6 * GB,
            write_bandwidth: 25.6 * GB,
            granularity: 64,
            channels: 32,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: DRAM_PJ,
            write_energy_pj_per_byte: DRAM_PJ,
            cost_per_gb: 3.0,
            source: "REFERENCES.md s1: DDR4-3200 25.6 GB/s per channel (8 B x transfer rate); idle latency ~80 ns (Intel MLC, Memtis)".into(),
        },
        "ddr4-2400" => DeviceSpec {
            model: "loaded-latency".into(),
            capacity: 64 * GIB,
            read_latency: 80 * NS,
            read_latency_seq: 80 * NS,
            write_latency: 80 * NS,
            write_latency_seq: 80 * NS,
            read_bandwidth: 19.2 * GB,
            write_bandwidth: 19.2 * GB,
            granularity: 64,
            channels: 24,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: DRAM_PJ,
            write_energy_pj_per_byte: DRAM_PJ,
            cost_per_gb: 3.0,
            source: "REFERENCES.md s1: DDR4-2400 19.2 GB/s per channel; idle latency ~80 ns (Intel MLC)".into(),
        },
        // DDR5 idle latency is not in the references: taken as DDR4's 80 ns (approx.).
        "ddr5-4800" => DeviceSpec {
            model: "loaded-latency".into(),
            capacity: 64 * GIB,
            read_latency: 80 * NS,
            read_latency_seq: 80 * NS,
            write_latency: 80 * NS,
            write_latency_seq: 80 * NS,
            read_bandwidth: 38.4 * GB,
            write_bandwidth: 38.4 * GB,
            granularity: 64,
            channels: 48,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: DRAM_PJ,
            write_energy_pj_per_byte: DRAM_PJ,
            cost_per_gb: 3.5,
            source: "REFERENCES.md s1: DDR5-4800 38.4 GB/s per channel; latency taken as DDR4's ~80 ns (approx.)".into(),
        },
        // Six interleaved DIMMs as measured by Izraelevitz et al. 2019: 39.4 / 13.9 GB/s,
        // random read ~305 ns, sequential ~170 ns; stores acknowledged at the memory
        // controller (ADR) in ~90-100 ns (Yang et al. FAST'20): 94 ns here; 256 B XPLine.
        // Endurance: 292 PBW per 128 GB DIMM (Intel spec, secondary).
        "optane-pmm" => DeviceSpec {
            model: "optane".into(),
            capacity: 6 * 128 * GIB,
            read_latency: 305 * NS,
            read_latency_seq: 170 * NS,
            write_latency: 94 * NS,
            write_latency_seq: 94 * NS,
            read_bandwidth: 39.4 * GB,
            write_bandwidth: 13.9 * GB,
            granularity: 256,
            channels: 48,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 292.0 * 1e15 * 6.0,
            read_energy_pj_per_byte: 500.0,
            write_energy_pj_per_byte: 2000.0,
            cost_per_gb: 4.5,
            source: "REFERENCES.md s1: Optane DC PMM gen 1, 6 DIMMs interleaved: 39.4/13.9 GB/s, 305 ns random / ~170 ns sequential read (Izraelevitz et al. 2019); ~94 ns ADR write ack, 256 B XPLine (Yang et al. FAST'20); energy approx.".into(),
        },
        "optane-pmm-dimm" => DeviceSpec {
            model: "optane".into(),
            capacity: 128 * GIB,
            read_latency: 305 * NS,
            read_latency_seq: 170 * NS,
            write_latency: 94 * NS,
            write_latency_seq: 94 * NS,
            read_bandwidth: 6.6 * GB,
            write_bandwidth: 2.3 * GB,
            granularity: 256,
            channels: 8,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 292.0 * 1e15,
            read_energy_pj_per_byte: 500.0,
            write_energy_pj_per_byte: 2000.0,
            cost_per_gb: 4.5,
            source: "REFERENCES.md s1: one Optane DC PMM DIMM: ~6.6/~2.3 GB/s (Izraelevitz et al. 2019), latencies as optane-pmm".into(),
        },
        // Pond: +70-90 ns over local DRAM (80 ns + 80 ns); device A of Sun et al. MICRO'23
        // reaches 46% of DDR5-4800's 38.4 GB/s = 17.7 GB/s.
        "cxl-expander" => DeviceSpec {
            model: "basic".into(),
            capacity: 256 * GIB,
            read_latency: 160 * NS,
            read_latency_seq: 160 * NS,
            write_latency: 160 * NS,
            write_latency_seq: 160 * NS,
            read_bandwidth: 0.46 * 38.4 * GB,
            write_bandwidth: 0.46 * 38.4 * GB,
            granularity: 64,
            channels: 48,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: DRAM_PJ,
            write_energy_pj_per_byte: DRAM_PJ,
            cost_per_gb: 3.5,
            source: "REFERENCES.md s1: CXL expander load latency DRAM + 70-90 ns (Pond ASPLOS'23); bandwidth 46% of 38.4 GB/s (Sun et al. MICRO'23 device A)".into(),
        },
        // Micron 9200: QD1 4 KB read 92 us (92-150), write ~21 us (buffered); 3.5 GB/s
        // sequential; 840 K random-read IOPS (the IOPS limit, and 78 in flight x 4 KB /
        // 93.2 us = 840 K). Writes: 285 K IOPS x 4 KB = 1.17 GB/s.
        "nvme-tlc-pcie3" => DeviceSpec {
            model: "basic".into(),
            capacity: 3840 * 1_000_000_000,
            read_latency: 92 * US,
            read_latency_seq: 92 * US,
            write_latency: 21 * US,
            write_latency_seq: 21 * US,
            read_bandwidth: 3.5 * GB,
            write_bandwidth: 285e3 * 4096.0,
            granularity: 4096,
            channels: 78,
            read_iops: 840e3,
            write_iops: 285e3,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 2900.0,
            write_energy_pj_per_byte: 5000.0,
            cost_per_gb: 0.1,
            source: "REFERENCES.md s1: Micron 9200 datasheet: QD1 4 KB read 92 us, write ~21 us, 840K/285K IOPS, 3.5 GB/s; energy approx.".into(),
        },
        // Samsung PM9A3: 6.5 GB/s sequential read, 900 K / 200 K IOPS (the IOPS limits),
        // 1.3 DWPD over 5 years.
        // Its QD1 latency is not in the references: NAND page read 40-75 us plus
        // controller time, taken as 80 us (approx.); 900 K x 81.7 us = 74 in flight.
        "nvme-tlc-pcie4" => DeviceSpec {
            model: "basic".into(),
            capacity: 3840 * 1_000_000_000,
            read_latency: 80 * US,
            read_latency_seq: 80 * US,
            write_latency: 20 * US,
            write_latency_seq: 20 * US,
            read_bandwidth: 6.5 * GB,
            write_bandwidth: 200e3 * 4096.0,
            granularity: 4096,
            channels: 74,
            read_iops: 900e3,
            write_iops: 200e3,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: dwpd_bytes(3840 * 1_000_000_000, 1.3, 5.0),
            read_energy_pj_per_byte: 1500.0,
            write_energy_pj_per_byte: 3000.0,
            cost_per_gb: 0.1,
            source: "REFERENCES.md s1: Samsung PM9A3 datasheet: 6.5 GB/s, 900K/200K IOPS, 1.3 DWPD; QD1 latency 80 us (approx., from NAND page read 40-75 us)".into(),
        },
        // Micron 9400 PRO 7.68 TB (PCIe 4 x4; MLPerf Storage v1.0's drive): 7,000 MB/s
        // sequential read and write, 1,600 K 4 KB random-read IOPS (Micron 9400 datasheet;
        // computerbase.de 2023-01 reports the same figures and up to 940 K random-write
        // IOPS, taken here as approx.). QD1 latency is not in the references: taken as
        // the PM9A3's 80 us read, 20 us write (approx.). 256 requests in flight (approx.):
        // enough for the IOPS limit (1.6 M x 80.6 us = 129), so it, not the channels,
        // bounds 4 KiB reads. 1 DWPD over 5 years (approx.).
        "micron-9400" => DeviceSpec {
            model: "basic".into(),
            capacity: 7680 * 1_000_000_000,
            read_latency: 80 * US,
            read_latency_seq: 80 * US,
            write_latency: 20 * US,
            write_latency_seq: 20 * US,
            read_bandwidth: 7.0 * GB,
            write_bandwidth: 7.0 * GB,
            granularity: 4096,
            channels: 256,
            read_iops: 1.6e6,
            // The series' "up to" random-write figure as the secondary page gives it
            // (likely the MAX model's, not the 7.68 TB PRO's); writes only, so the
            // MLPerf read checks do not depend on it.
            write_iops: 940e3,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: dwpd_bytes(7680 * 1_000_000_000, 1.0, 5.0),
            read_energy_pj_per_byte: 1500.0,
            write_energy_pj_per_byte: 3000.0,
            cost_per_gb: 0.1,
            source: "Micron 9400 datasheet: 7,000 MB/s sequential read and write, 1,600K 4 KB random-read IOPS; 940K write IOPS, 80/20 us QD1 latency, channels, 1 DWPD approx.".into(),
        },
        // P4800X: QD1 4 KB random read 8.9 us; 585 K IOPS at QD16 (25.5 us), the IOPS
        // limit: 585 K x 4 KB = 2.4 GB/s of reads (the same cost per 4 KB request). Writes (not in the references): ~2.2 GB/s, 10 us.
        // The 8.9 us QD1 figure includes the transfer: 4 KiB at 2.4 GB/s = 1.709 us, so
        // the latency field is 8.9 - 1.709 = 7.191 us (tiersim validate, ssd-optane).
        "optane-ssd" => DeviceSpec {
            model: "basic".into(),
            capacity: 750 * 1_000_000_000,
            read_latency: 7_191 * NS,
            read_latency_seq: 7_191 * NS,
            write_latency: 10 * US,
            write_latency_seq: 10 * US,
            read_bandwidth: 585e3 * 4096.0,
            write_bandwidth: 2.2 * GB,
            granularity: 4096,
            channels: 8,
            read_iops: 585e3,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: dwpd_bytes(750 * 1_000_000_000, 30.0, 5.0),
            read_energy_pj_per_byte: 1500.0,
            write_energy_pj_per_byte: 3000.0,
            cost_per_gb: 1.0,
            source: "REFERENCES.md s1: Optane SSD P4800X (AnandTech): QD1 4 KB read 8.9 us, 585K IOPS at QD16; writes approx.".into(),
        },
        // ib_send_lat: 2.26 us @ 4 KB and 4.56 us @ 32 KB fit 1.93 us + size / 12.5 GB/s
        // (small messages are faster: 0.83 us @ 32 B; the linear fit overstates them).
        "rdma-100g" => DeviceSpec {
            model: "basic".into(),
            capacity: 0,
            read_latency: 1_930 * NS,
            read_latency_seq: 1_930 * NS,
            write_latency: 1_930 * NS,
            write_latency_seq: 1_930 * NS,
            read_bandwidth: 12.5 * GB,
            write_bandwidth: 12.5 * GB,
            granularity: 1,
            channels: 64,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 0.0,
            write_energy_pj_per_byte: 0.0,
            cost_per_gb: 0.0,
            source: "REFERENCES.md s1: 100 Gb/s line rate; RDMA RC send latency fit 1.93 us + size/12.5 GB/s on the 4 KB and 32 KB ib_send_lat points".into(),
        },
        // S3 Standard: first byte in tens of ms (median taken as 25 ms, approx.); ~5,000
        // requests/s per prefix: 125 in flight x 1 / 25 ms = 5,000/s. Behind a 100 Gb/s NIC.
        "object-store" => DeviceSpec {
            model: "basic".into(),
            capacity: 1000 * TB,
            read_latency: 25 * MS,
            read_latency_seq: 25 * MS,
            write_latency: 25 * MS,
            write_latency_seq: 25 * MS,
            read_bandwidth: 12.5 * GB,
            write_bandwidth: 12.5 * GB,
            granularity: 1,
            channels: 125,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 0.0,
            write_energy_pj_per_byte: 0.0,
            cost_per_gb: 0.023,
            source: "REFERENCES.md s1: S3 Standard first-byte latency tens of ms (25 ms taken, approx.), ~5,000 req/s per prefix; $0.023/GB-month".into(),
        },
        // Edge presets (not in the references; approx., secondary): LPDDR5-6400 x64 bus.
        "lpddr5" => DeviceSpec {
            model: "loaded-latency".into(),
            capacity: 16 * GIB,
            read_latency: 110 * NS,
            read_latency_seq: 110 * NS,
            write_latency: 110 * NS,
            write_latency_seq: 110 * NS,
            read_bandwidth: 51.2 * GB,
            write_bandwidth: 51.2 * GB,
            granularity: 64,
            channels: 64,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 50.0,
            write_energy_pj_per_byte: 50.0,
            cost_per_gb: 5.0,
            source: "LPDDR5-6400 x64: 51.2 GB/s (JEDEC rate x width); ~110 ns load latency (approx., secondary)".into(),
        },
        "ufs-flash" => DeviceSpec {
            model: "basic".into(),
            capacity: 256 * 1_000_000_000,
            read_latency: 100 * US,
            read_latency_seq: 100 * US,
            write_latency: 150 * US,
            write_latency_seq: 150 * US,
            read_bandwidth: 2.1 * GB,
            write_bandwidth: 1.2 * GB,
            granularity: 4096,
            channels: 32,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 1000.0,
            write_energy_pj_per_byte: 2000.0,
            cost_per_gb: 0.1,
            source: "UFS 3.1: 2.1/1.2 GB/s sequential, ~100 us random read (approx., vendor figures, secondary)".into(),
        },
        "wan-link" => DeviceSpec {
            model: "basic".into(),
            capacity: 0,
            read_latency: 15 * MS,
            read_latency_seq: 15 * MS,
            write_latency: 15 * MS,
            write_latency_seq: 15 * MS,
            read_bandwidth: 0.125 * GB,
            write_bandwidth: 0.125 * GB,
            granularity: 1,
            channels: 64,
            read_iops: 0.0,
            write_iops: 0.0,
            max_transfer: 0,
            table: Vec::new(),
            endurance_bytes: 0.0,
            read_energy_pj_per_byte: 0.0,
            write_energy_pj_per_byte: 0.0,
            cost_per_gb: 0.0,
            source: "1 Gb/s WAN link, 15 ms one-way (30 ms RTT) (approx., illustrative)".into(),
        },
        other => {
            return super::gpu_presets::preset(other).ok_or_else(|| {
                format!(
                    "unknown preset '{name}'; known presets: {}",
                    NAMES.join(", ")
                )
            })
        }
    })
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
        for name in super::super::gpu_presets::NAMES {
            assert!(NAMES.contains(name), "{name} listed in NAMES");
        }
    }
}
