//! Memory checks: DRAM loaded latency against bandwidth (the Intel MLC table of
//! REFERENCES.md s1) and CXL load latency relative to DRAM (Pond, REFERENCES.md s1).

use super::{num, row, run_toml, CheckOutput, Env, Figure};
use crate::plot::Series;
use rayon::prelude::*;

const TOL: f64 = 10.0;

/// MLC 3.5 all-reads loaded latency on 12 x DDR4-2666 (Xeon Silver 4110), REFERENCES.md
/// s1: (bandwidth GB/s, latency ns).
pub const MLC: [(f64, f64); 4] = [(1.2, 82.0), (68.0, 99.0), (131.0, 124.0), (135.6, 130.0)];

/// Mean read latency (ns) of 64 B random reads arriving as a Poisson stream of `gbps`
/// on 12 channels of DDR4-2666: the ddr4 preset (idle ~80 ns, its device model) with the
/// 12-channel bandwidth 12 x 8 B x 2666 MT/s = 255.97 GB/s and 12 x 32 requests in
/// flight (32 per channel, as the preset).
fn loaded_latency(env: &Env, gbps: f64) -> anyhow::Result<f64> {
    let toml = format!(
        "{}\n[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\narrival = \"poisson\"\nrate = {}\n\
         objects = 1_000_000\nrequests = 200_000\nsize = \"64B\"\n",
        env.tier("dram", "ddr4-3200", "read_bandwidth = \"255.97GB/s\"\nchannels = 384"),
        gbps * 1e9 / 64.0
    );
    num(&run_toml(&toml, 1)?, "/latency/read/mean_ns")
}

/// Latency at the four MLC bandwidths, and a curve for the plot.
pub fn dram_loaded_latency(env: &Env) -> anyhow::Result<CheckOutput> {
    let mut loads: Vec<f64> = MLC.iter().map(|p| p.0).collect();
    loads.extend([10.0, 25.0, 40.0, 55.0, 85.0, 100.0, 115.0, 145.0, 155.0]);
    let measured: Vec<(f64, f64)> = loads
        .par_iter()
        .map(|&g| Ok((g, loaded_latency(env, g)?)))
        .collect::<anyhow::Result<_>>()?;
    let src = "Intel MLC on 12 x DDR4-2666 (REFERENCES s1)";
    let rows = MLC
        .iter()
        .zip(&measured)
        .map(|(&(g, l), &(_, m))| {
            row(
                "dram-loaded-latency",
                &format!("latency at {g} GB/s"),
                m,
                l,
                "ns",
                TOL,
                src,
            )
        })
        .collect();
    let mut curve = measured.clone();
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(CheckOutput {
        rows,
        skipped: None,
        figures: vec![Figure::model_vs_reference(
            "dram_loaded_latency",
            "DRAM loaded latency, 12 x DDR4-2666",
            (
                "bandwidth (GB/s, Poisson 64 B reads)",
                "mean read latency (ns)",
            ),
            Series::line("tiersim (ddr4 preset, loaded-latency)", curve),
            Series::points("Intel MLC (REFERENCES s1)", MLC.to_vec()),
        )],
    })
}

/// Mean QD1 latency (ns) of 64 B random reads on a preset.
fn qd1_latency(env: &Env, preset: &str) -> anyhow::Result<f64> {
    let toml = format!(
        "{}\n[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 1_000_000\nrequests = 20_000\nsize = \"64B\"\n",
        env.tier("mem", preset, "")
    );
    num(&run_toml(&toml, 1)?, "/latency/read/mean_ns")
}

/// CXL expander load latency = local DRAM + 70-90 ns (Pond ASPLOS'23, REFERENCES s1):
/// with DRAM's ~80 ns idle latency (Intel MLC, REFERENCES s1) the ratio is
/// (80 + 80) / 80 = 2.0, and the difference 80 ns +- 10 ns (12.5%).
pub fn cxl_latency(env: &Env) -> anyhow::Result<CheckOutput> {
    let dram = qd1_latency(env, "ddr4-3200")?;
    let cxl = qd1_latency(env, "cxl-expander")?;
    let src = "Pond ASPLOS'23: DRAM + 70-90 ns; DRAM idle ~80 ns (REFERENCES s1)";
    Ok(CheckOutput {
        rows: vec![
            row(
                "cxl-latency",
                "CXL / DRAM load latency, QD1 64 B",
                cxl / dram,
                2.0,
                "ratio",
                TOL,
                src,
            ),
            row(
                "cxl-latency",
                "CXL - DRAM load latency, QD1 64 B",
                cxl - dram,
                80.0,
                "ns",
                12.5,
                src,
            ),
        ],
        ..Default::default()
    })
}
