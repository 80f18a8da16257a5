//! GPU-side presets: GPU memory (HBM) and the links around a GPU (PCIe host-device
//! copies, NVLink, NVLink-C2C), with their sources (../shared/REFERENCES.md s5 unless
//! marked), and which link presets are full duplex ([`DUPLEX`]).
//!
//! Link presets are written from the GPU's side: `read_*` is the direction toward the
//! GPU (host-to-device, H2D: a fetch by a GPU requester), `write_*` the direction away
//! from it (device-to-host, D2H: a swap-out or write-back). Bandwidths are the measured
//! effective copy bandwidths where REFERENCES.md has them; the theoretical figure is in
//! the comment. Latencies are not in the references: each is marked "assumption".

use super::DeviceSpec;
use crate::engine::{NS, US};

const GB: f64 = 1e9;

/// Every GPU-side preset by name, in a stable order.
pub const NAMES: &[&str] = &[
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

/// Link presets that are full duplex: each direction has its own bandwidth and queue
/// (a `[[links]]` entry's `duplex` key overrides it). PCIe, NVLink, Ethernet and
/// InfiniBand all carry both directions at once on separate lanes or wires.
pub const DUPLEX: &[&str] = &[
    "pcie-gen4-x16",
    "pcie-gen5-x16",
    "nvlink3",
    "nvlink4",
    "nvlink-c2c",
    "rdma-100g",
    "wan-link",
];

/// Whether preset `name` is a full-duplex link.
pub fn duplex(name: &str) -> bool {
    DUPLEX.contains(&name)
}

/// HBM load latency from an SM: not in the references; ~500 ns taken (assumption,
/// microbenchmarks put it at 400-600 ns).
const HBM_LATENCY: u64 = 500 * NS;

/// HBM energy ~3.9 pJ/bit (HBM2, approx., secondary) = ~31 pJ/byte.
const HBM_PJ: f64 = 31.0;

/// A GPU memory with `capacity_gb` decimal GB (the datasheet's figure) at `bw` bytes/s.
fn hbm(capacity_gb: u64, bw: f64, source: &str) -> DeviceSpec {
    DeviceSpec {
        model: "basic".into(),
        capacity: capacity_gb * 1_000_000_000,
        read_latency: HBM_LATENCY,
        read_latency_seq: HBM_LATENCY,
        write_latency: HBM_LATENCY,
        write_latency_seq: HBM_LATENCY,
        read_bandwidth: bw,
        write_bandwidth: bw,
        // 32 B sectors; enough requests in flight to reach the bandwidth at the
        // latency with 64 KiB requests (3.35 TB/s x 500 ns / 64 KiB = 26): 64.
        granularity: 32,
        channels: 64,
        read_iops: 0.0,
        write_iops: 0.0,
        max_transfer: 0,
        table: Vec::new(),
        endurance_bytes: 0.0,
        read_energy_pj_per_byte: HBM_PJ,
        write_energy_pj_per_byte: HBM_PJ,
        // Not in the references (approx., illustrative): sweep it, don't cite it.
        cost_per_gb: 15.0,
        source: source.into(),
    }
}

/// A link with `h2d` bytes/s toward the GPU, `d2h` away from it, `latency` per copy.
fn link(h2d: f64, d2h: f64, latency: u64, source: &str) -> DeviceSpec {
    DeviceSpec {
        read_latency: latency,
        read_latency_seq: latency,
        write_latency: latency,
        write_latency_seq: latency,
        read_bandwidth: h2d,
        write_bandwidth: d2h,
        granularity: 1,
        // Copies in flight at once (DMA copy engines x outstanding copies): 16
        // (assumption); one large copy already runs at the full bandwidth.
        channels: 16,
        read_energy_pj_per_byte: 0.0,
        write_energy_pj_per_byte: 0.0,
        cost_per_gb: 0.0,
        capacity: 0,
        ..hbm(0, h2d, source)
    }
}

/// The preset named `name`, if it is a GPU-side one.
pub fn preset(name: &str) -> Option<DeviceSpec> {
    Some(match name {
        "a100-40gb-hbm2" => hbm(40, 1555.0 * GB, "REFERENCES.md s5: A100 40GB SXM4 datasheet: 40 GB HBM2, 1,555 GB/s; latency ~500 ns (assumption); energy, cost approx."),
        "a100-80gb-hbm2e" => hbm(80, 2039.0 * GB, "REFERENCES.md s5: A100 80GB SXM4 datasheet: 80 GB HBM2e, 2,039 GB/s; latency ~500 ns (assumption); energy, cost approx."),
        "h100-sxm-hbm3" => hbm(80, 3350.0 * GB, "REFERENCES.md s5: H100 SXM5 datasheet: 80 GB HBM3, 3.35 TB/s; latency ~500 ns (assumption); energy, cost approx."),
        "h200-hbm3e" => hbm(141, 4800.0 * GB, "REFERENCES.md s5: H200 SXM datasheet: 141 GB HBM3e, 4.8 TB/s; latency ~500 ns (assumption); energy, cost approx."),
        // Gen4 x16: 16 GT/s x 16 lanes x 128/130 = 31.5 GB/s per direction in theory
        // ("spec 32"); measured A100 H2D 25.1 GB/s (nvbandwidth, 512 MiB-1 GiB buffers,
        // NVIDIA/nvbandwidth#42). D2H is not in the references: taken as H2D (approx.).
        // A copy's fixed cost (launch + DMA setup + PCIe round trip): 2 us (assumption).
        "pcie-gen4-x16" => link(25.1 * GB, 25.1 * GB, 2 * US, "REFERENCES.md s5: PCIe Gen4 x16 (spec 32 GB/s per direction): measured A100 H2D 25.1 GB/s (nvbandwidth#42); D2H taken as H2D (approx.); 2 us per copy (assumption); copies are not fully duplex in practice (H2D ~11-16 GB/s with simultaneous D2H, nvbandwidth#15/#53)"),
        // Gen5 x16: 32 GT/s x 16 x 128/130 = 63 GB/s per direction in theory; measured
        // on H100: H2D 35.0-35.4 GB/s (35.2 taken), D2H 52.8 GB/s (nvbandwidth#24).
        "pcie-gen5-x16" => link(35.2 * GB, 52.8 * GB, 2 * US, "REFERENCES.md s5: PCIe Gen5 x16 (spec 63 GB/s per direction): measured H100 H2D 35.0-35.4 GB/s, D2H 52.8 GB/s (nvbandwidth#24); 2 us per copy (assumption)"),
        // NVLink 3 (A100): 600 GB/s bidirectional = 300 GB/s per direction (datasheet);
        // no measured figure in the references. Latency 1 us (assumption).
        "nvlink3" => link(300.0 * GB, 300.0 * GB, US, "REFERENCES.md s5: NVLink 3 (A100) 600 GB/s bidirectional, 300 GB/s per direction (datasheet, not measured); 1 us (assumption)"),
        // NVLink 4 (H100): 900 GB/s bidirectional, 450 per direction; measured peer to
        // peer ~376-380 GB/s one way, 740-773 both ways (NVIDIA/nccl#1264): 378 taken.
        "nvlink4" => link(378.0 * GB, 378.0 * GB, US, "REFERENCES.md s5: NVLink 4 (H100) spec 900 GB/s bidirectional / 450 per direction; measured ~376-380 GB/s one way (nccl#1264), 378 taken; 1 us (assumption)"),
        // NVLink-C2C (Grace Hopper): 900 GB/s bidirectional (NVIDIA, quoted in
        // nvbandwidth#41); GH200 measured H2D 346 GB/s with copy engines, D2H about 15%
        // lower (nvbandwidth#23): 294 GB/s. Not in REFERENCES.md (approx.).
        "nvlink-c2c" => link(346.0 * GB, 294.0 * GB, US, "NVLink-C2C (GH200), not in REFERENCES.md (approx.): 900 GB/s bidirectional spec; measured H2D 346 GB/s, D2H ~15% lower (nvbandwidth#23); 1 us (assumption)"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_presets_carry_the_datasheet_figures() {
        let h100 = preset("h100-sxm-hbm3").unwrap();
        assert_eq!(h100.capacity, 80_000_000_000);
        assert_eq!(h100.read_bandwidth, 3.35e12);
        assert_eq!(preset("h200-hbm3e").unwrap().read_bandwidth, 4.8e12);
        let gen5 = preset("pcie-gen5-x16").unwrap();
        assert_eq!(
            (gen5.read_bandwidth, gen5.write_bandwidth),
            (35.2e9, 52.8e9)
        );
        for name in NAMES {
            let s = preset(name).unwrap();
            s.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(duplex("pcie-gen4-x16") && !duplex("ddr4-3200"));
    }
}
