//! Offload checks: weight streaming for decoding (FlexGen, Sheng et al. ICML'23;
//! DeepSpeed ZeRO-Inference): with the next layer's load overlapping the current
//! layer's compute, a decoding step takes layers x max(layer compute, layer bytes /
//! link bandwidth). Device figures: H100 SXM HBM3 3.35 TB/s and PCIe Gen5 measured
//! host-to-device 35 GB/s (REFERENCES.md s5, NVIDIA datasheet and nvbandwidth#24).

use super::{num, row, run_toml, CheckOutput, Env};

const TOL: f64 = 2.0;

/// Seconds per decoding step of Llama-3-70B (bf16) streamed from host DRAM over
/// PCIe Gen5 at batch `batch` with `compute` seconds per sequence-token.
fn step(batch: u64, compute: &str) -> anyhow::Result<f64> {
    let toml = format!(
        r#"
[[tiers]]
name = "hbm"                # H100 SXM: 80 GB HBM3, 3.35 TB/s (REFERENCES s5)
read_latency = "1us"
read_bandwidth = "3350GB/s"
channels = 64
capacity = "80GB"

[[tiers]]
name = "dram"
read_latency = "100ns"
read_bandwidth = "1000GB/s"
channels = 64
link = "pcie"

[[links]]
name = "pcie"               # PCIe Gen5 x16, measured host-to-device 35 GB/s (REFERENCES s5)
read_latency = "1us"
read_bandwidth = "35GB/s"
channels = 64

[workload]
kind = "weight-offload"
model = "llama3-70b"
weights_tier = "dram"
tokens = 8
batch = {batch}
compute_per_token = "{compute}"
"#
    );
    let s = run_toml(&toml, 1)?;
    num(&s, "/workload/seconds_per_step")
}

/// Weight streaming per token = max(compute, model bytes / link bandwidth).
pub fn weight_streaming(_env: &Env) -> anyhow::Result<CheckOutput> {
    let link = 70.6e9 * 2.0 / 35e9;
    let src = "FlexGen (ICML'23) / ZeRO-Inference layer prefetch: max(compute, bytes / bandwidth); H100 + PCIe Gen5 figures REFERENCES s5";
    let mut rows = Vec::new();
    for (batch, compute, want, what) in [
        (1, "50ms", link, "batch 1, link-bound: 141.2 GB / 35 GB/s"),
        (
            64,
            "100ms",
            (64.0 * 0.1f64).max(link),
            "batch 64, compute-bound: 64 x 100 ms",
        ),
    ] {
        rows.push(row(
            "weight-streaming",
            &format!("seconds per decoding step, {what}"),
            step(batch, compute)?,
            want,
            "s",
            TOL,
            src,
        ));
    }
    Ok(CheckOutput {
        rows,
        ..Default::default()
    })
}
