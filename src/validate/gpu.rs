//! GPU link checks (REFERENCES.md s5): host-device copy bandwidth of the PCIe presets
//! against nvbandwidth's measurements, and full-duplex links (a swap-out and a swap-in
//! started together each finish in latency + size / one-direction bandwidth; on a
//! half-duplex link the pair takes twice as long). Known limit, stated in the rows:
//! measured PCIe copies are not fully duplex (an A100's H2D drops to ~11-16 GB/s while
//! a D2H copy runs, nvbandwidth#15, #53); the duplex model is the ideal link.

use super::{row, CheckOutput, Env};
use crate::config::Config;
use crate::engine::Time;
use crate::model;
use crate::sim::Simulation;
use crate::trace::Op;

const GIB: u64 = 1 << 30;

/// A GPU (HBM) over host DRAM fast enough (400 GB/s) that the `preset` link between
/// them is the bottleneck; `extra` lines go to the link.
fn gpu_host(env: &Env, preset: &str, extra: &str) -> anyhow::Result<Simulation> {
    let toml = format!(
        "{}\n[[tiers]]\nname = \"host\"\nread_latency = \"100ns\"\nread_bandwidth = \"400GB/s\"\n\
         channels = 64\nlink = \"pcie\"\n\n{}\n[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 1\n\
         requests = 1\nsize = \"4KiB\"\n",
        env.tier("hbm", "h100-sxm-hbm3", ""),
        env.device("links", "pcie", preset, extra),
    );
    let cfg = Config::parse(&toml).map_err(|e| anyhow::anyhow!("validation config: {e}"))?;
    Ok(model::build(&cfg, 1)?)
}

/// Copies of `bytes` one after another in direction `op` (a read of host memory is a
/// host-to-device copy); returns the bandwidth in GB/s over `n` copies.
fn copy_bandwidth(sim: &mut Simulation, op: Op, bytes: u64, n: u32) -> f64 {
    let mut t: Time = 0;
    for _ in 0..n {
        t = sim.data.pinned(t, 1, op, bytes, true);
    }
    n as f64 * bytes as f64 / (t as f64 * 1e-12) / 1e9
}

/// PCIe presets against nvbandwidth's measured host-device copies of 512 MiB-1 GiB
/// buffers: Gen4 (A100) H2D 25.1 GB/s (nvbandwidth#42); Gen5 (H100) H2D 35.0-35.4,
/// D2H 52.8 GB/s (nvbandwidth#24). 1 GiB copies, one at a time as nvbandwidth runs.
pub fn pcie_copies(env: &Env) -> anyhow::Result<CheckOutput> {
    let mut rows = Vec::new();
    for (preset, op, what, reference, src) in [
        ("pcie-gen4-x16", Op::Read, "A100 host-to-device", 25.1, "nvbandwidth#42: A100-SXM4 host_to_device_memcpy, 512 MiB-1 GiB buffers (REFERENCES s5)"),
        ("pcie-gen5-x16", Op::Read, "H100 host-to-device", 35.2, "nvbandwidth#24: H100 host_to_device 35.0-35.4 GB/s (REFERENCES s5)"),
        ("pcie-gen5-x16", Op::Write, "H100 device-to-host", 52.8, "nvbandwidth#24: H100 device_to_host 52.8 GB/s (REFERENCES s5)"),
    ] {
        let mut sim = gpu_host(env, preset, "")?;
        let bw = copy_bandwidth(&mut sim, op, GIB, 4);
        let quantity = format!("{preset} {what} copy bandwidth, 1 GiB");
        rows.push(row("pcie-copies", &quantity, bw, reference, "GB/s", 2.0, src));
    }
    Ok(CheckOutput {
        rows,
        ..Default::default()
    })
}

/// A swap-out (device-to-host) and a swap-in (host-to-device) of 1 GiB started
/// together: on the duplex Gen4 link each finishes in 2 us + 1 GiB / 25.1 GB/s; on
/// the same link made half duplex the pair takes twice as long.
pub fn duplex_link(env: &Env) -> anyhow::Result<CheckOutput> {
    let pair = |extra: &str| -> anyhow::Result<(Time, Time)> {
        let mut sim = gpu_host(env, "pcie-gen4-x16", extra)?;
        let out = sim.data.pinned(0, 1, Op::Write, GIB, true);
        let back = sim.data.pinned(0, 1, Op::Read, GIB, true);
        Ok((out, back))
    };
    let (out, back) = pair("")?;
    let (h_out, h_back) = pair("duplex = false")?;
    let closed_us = (2e-6 + GIB as f64 / 25.1e9) * 1e6;
    let us = |t: Time| t as f64 / 1e6;
    let limit = "ideal duplex; measured Gen4 H2D drops to ~11-16 GB/s during a D2H copy (nvbandwidth#15, #53): not modelled";
    Ok(CheckOutput {
        rows: vec![
            row(
                "duplex-link",
                "swap-out beside a swap-in, duplex Gen4",
                us(out),
                closed_us,
                "us",
                1.0,
                limit,
            ),
            row(
                "duplex-link",
                "swap-in beside a swap-out, duplex Gen4",
                us(back),
                closed_us,
                "us",
                1.0,
                limit,
            ),
            row(
                "duplex-link",
                "half-duplex pair / duplex pair completion",
                h_out.max(h_back) as f64 / out.max(back) as f64,
                2.0,
                "x",
                1.0,
                "closed form: one queue carries both copies (2 S / B + latency)",
            ),
        ],
        ..Default::default()
    })
}
