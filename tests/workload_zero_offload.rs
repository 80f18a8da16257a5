//! ZeRO-Offload / ZeRO-Infinity training offload: iteration time against closed forms
//! computed here (without overlap: compute + bytes / bandwidth per phase; with overlap:
//! the larger of load and compute per layer), the bytes each tier and link carries per
//! iteration in the ZeRO papers' accounting (parameters 3 x 2 B, gradients 2 B,
//! optimizer states 2 x 16 B per parameter), and bad keys named.

use tiersim::config::Config;
use tiersim::model;
use tiersim::sim::Simulation;

const GB: f64 = 1e9;
/// 1e9 parameters in 8 layers, batch 1 x 1024 tokens, 70 Tflop/s (ZeRO-Infinity's
/// V100 figure): 2 x 1024 x 1.25e8 / 70e12 = 3.657 ms of forward per layer.
const P: f64 = 1e9;
const LAYERS: f64 = 8.0;
const PEAK: f64 = 70e12;

/// HBM, host DRAM behind a `bw` GB/s half-duplex link (DRAM itself much faster), NVMe
/// with its own host-side link of `nvme_bw` GB/s.
fn config(bw: f64, nvme_bw: f64, workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "100ns"
read_bandwidth = "100000GB/s"
channels = 64
capacity = "80GB"

[[tiers]]
name = "dram"
read_latency = "100ns"
read_bandwidth = "100000GB/s"
channels = 64
capacity = "1000GB"
link = "pcie"

[[tiers]]
name = "nvme"
read_latency = "100ns"
read_bandwidth = "100000GB/s"
channels = 64
link = "nvme-link"

[[links]]
name = "pcie"
read_latency = "100ns"
read_bandwidth = "{bw}GB/s"
channels = 64

[[links]]
name = "nvme-link"
read_latency = "100ns"
read_bandwidth = "{nvme_bw}GB/s"
channels = 64

[workload]
kind = "zero-offload"
params = 1e9
layers = 8
batch = 1
seq = 1024
peak_flops = 70e12
iterations = 2
{workload}
"#
    )
}

fn run(text: &str) -> (Simulation, serde_json::Value) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 3).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    (sim, s)
}

fn num(s: &serde_json::Value, pointer: &str) -> f64 {
    s.pointer(pointer)
        .and_then(|v| v.as_f64())
        .unwrap_or_else(|| panic!("no {pointer} in {s}"))
}

fn within(got: f64, want: f64, tol: f64) -> bool {
    (got / want - 1.0).abs() < tol
}

/// Forward compute of the whole model: 2 x bsz x seq x params / peak.
fn forward_compute() -> f64 {
    2.0 * 1024.0 * P / PEAK
}

#[test]
fn without_overlap_each_phase_is_compute_plus_bytes_over_bandwidth() {
    // ZeRO-Infinity with everything in host DRAM: parameters cross the 20 GB/s link
    // three times (2 B each), gradients once; the CPU step at 1e9 params/s.
    let (_, s) = run(&config(
        20.0,
        10.0,
        "params_tier = \"dram\"\ngrads_tier = \"dram\"\noptimizer_tier = \"dram\"\n\
         optimizer_rate = 1e9\noverlap = false",
    ));
    let f = forward_compute();
    let link = 20.0 * GB;
    let forward = f + 2.0 * P / link;
    let backward = 3.0 * f + (2.0 * 2.0 + 2.0) * P / link;
    let step = P / 1e9;
    for (key, want) in [
        ("/phase_seconds/forward", forward),
        ("/phase_seconds/backward", backward),
        ("/phase_seconds/optimizer_step", step),
        ("/seconds_per_iteration", forward + backward + step),
    ] {
        let got = num(&s, key);
        assert!(within(got, want, 0.01), "{key}: {got} want {want}");
    }
    let eff = num(&s, "/gpu_efficiency");
    let want = 4.0 * f / (forward + backward + step);
    assert!(within(eff, want, 0.01), "efficiency {eff} want {want}");
    let tflops = num(&s, "/achieved_tflops");
    assert!(within(
        tflops,
        8.0 * 1024.0 * P / (forward + backward + step) / 1e12,
        0.01
    ));
}

#[test]
fn with_overlap_each_layer_takes_the_larger_of_load_and_compute() {
    // Parameters in DRAM, everything else on the GPU (the step on the GPU, its compute
    // not charged: it only writes the updated fp16 parameters back, 2 B/param).
    // Link-bound at 2 GB/s: a layer's load (2.5e8 B: 125 ms) dwarfs its compute
    // (3.7-7.3 ms): 3 x 8 loads back to back, the last unit's backward compute, then
    // the step's 8 parameter writes back to back.
    let (_, s) = run(&config(2.0, 10.0, "params_tier = \"dram\"\noverlap = true"));
    let load = 2.0 * P / LAYERS / (2.0 * GB);
    let f = forward_compute() / LAYERS;
    let want = 3.0 * LAYERS * load + 2.0 * f + LAYERS * load;
    let got = num(&s, "/seconds_per_iteration");
    assert!(within(got, want, 0.02), "link-bound {got} want {want}");
    // Without overlap the same run adds the compute: 24 loads + 4 x 8 forward units.
    let (_, s) = run(&config(
        2.0,
        10.0,
        "params_tier = \"dram\"\noverlap = false",
    ));
    let got = num(&s, "/seconds_per_iteration");
    let want = 3.0 * LAYERS * load + 4.0 * LAYERS * f + LAYERS * load;
    assert!(within(got, want, 0.01), "serial {got} want {want}");
    // Compute-bound at 2000 GB/s (a load: 0.125 ms): the first load, then the compute,
    // then the step's writes (1 ms in all).
    let (_, s) = run(&config(
        2000.0,
        10.0,
        "params_tier = \"dram\"\noverlap = true",
    ));
    let got = num(&s, "/seconds_per_iteration");
    let load = 2.0 * P / LAYERS / (2000.0 * GB);
    let want = load + 4.0 * LAYERS * f + LAYERS * load;
    assert!(within(got, want, 0.02), "compute-bound {got} want {want}");
    let eff = num(&s, "/gpu_efficiency");
    assert!(eff > 0.97 && eff <= 1.0, "efficiency {eff}");
}

#[test]
fn bytes_per_iteration_follow_the_zero_accounting() {
    // ZeRO-Infinity: fp16 parameters and gradients in DRAM, optimizer states on NVMe,
    // the CPU step. The GPU link carries 3 x 2 B/param toward the GPU and 2 B away;
    // NVMe 16 B/param read and 16 written by the step; the rest is CPU-local.
    let (sim, s) = run(&config(
        32.0,
        10.0,
        "params_tier = \"dram\"\ngrads_tier = \"dram\"\noptimizer_tier = \"nvme\"",
    ));
    let iters = 2.0;
    let pcie = sim.hier().links[0].device.stats();
    let nvme = sim.hier().links[1].device.stats();
    let near = |got: u64, want: f64| (got as f64 - want).abs() <= LAYERS * iters;
    assert!(
        near(pcie.bytes_read, iters * 6.0 * P),
        "{}",
        pcie.bytes_read
    );
    assert!(
        near(pcie.bytes_written, iters * 2.0 * P),
        "{}",
        pcie.bytes_written
    );
    assert!(
        near(nvme.bytes_read, iters * 16.0 * P),
        "{}",
        nvme.bytes_read
    );
    assert!(
        near(nvme.bytes_written, iters * 16.0 * P),
        "{}",
        nvme.bytes_written
    );
    assert!(within(
        num(&s, "/bytes_moved_per_iteration/params"),
        6.0 * P,
        1e-6
    ));
    assert!(within(
        num(&s, "/bytes_moved_per_iteration/grads"),
        2.0 * P,
        1e-6
    ));
    assert!(within(
        num(&s, "/bytes_moved_per_iteration/optimizer"),
        32.0 * P,
        1e-6
    ));

    // ZeRO-Offload: fp16 parameters stay on the GPU, gradients and optimizer states in
    // DRAM with the CPU step: 2 B/param of gradients out, 2 B/param of parameters back
    // (the paper's 4M minimum), nothing on NVMe.
    let (sim, s) = run(&config(
        32.0,
        10.0,
        "grads_tier = \"dram\"\noptimizer_tier = \"dram\"",
    ));
    let pcie = sim.hier().links[0].device.stats();
    assert!(
        near(pcie.bytes_read, iters * 2.0 * P),
        "{}",
        pcie.bytes_read
    );
    assert!(
        near(pcie.bytes_written, iters * 2.0 * P),
        "{}",
        pcie.bytes_written
    );
    assert_eq!(sim.hier().links[1].device.stats().bytes_read, 0);
    assert_eq!(num(&s, "/bytes_moved_per_iteration/optimizer"), 0.0);
}

#[test]
fn activation_checkpoints_cross_once_each_way() {
    // hidden 2048, a checkpoint every 2 of 8 layers: 4 x 2 x 1 x 1024 x 2048 B written
    // in the forward and read back in the backward.
    let (sim, s) = run(&config(
        32.0,
        10.0,
        "checkpoints_tier = \"dram\"\nhidden = 2048\ncheckpoint_interval = 2",
    ));
    let want = 4.0 * 2.0 * 1024.0 * 2048.0;
    let pcie = sim.hier().links[0].device.stats();
    assert_eq!(pcie.bytes_written as f64, 2.0 * want);
    assert_eq!(pcie.bytes_read as f64, 2.0 * want);
    assert_eq!(
        num(&s, "/bytes_moved_per_iteration/checkpoints"),
        2.0 * want
    );
}

/// The error of parsing (unknown keys) or building (values) the config.
fn build_err(text: &str) -> String {
    match Config::parse(text) {
        Err(e) => e.to_string(),
        Ok(cfg) => model::build(&cfg, 3)
            .err()
            .expect("should fail")
            .to_string(),
    }
}

#[test]
fn bad_keys_are_named() {
    for (workload, key) in [
        ("params_tier = \"ram\"", "workload.params_tier"),
        ("optimizer_tier = \"disk\"", "workload.optimizer_tier"),
        ("optimizer_step = \"tpu\"", "workload.optimizer_step"),
        ("checkpoints_tier = \"dram\"", "workload.hidden"),
        ("optimizer_rate = -1.0", "workload.optimizer_rate"),
        ("checkpoint_interval = 0", "workload.checkpoint_interval"),
        (
            "gpu_tier = \"dram\"\nhost_tier = \"dram\"",
            "workload.host_tier",
        ),
        ("prefetch_depth = 2", "prefetch_depth"),
    ] {
        let e = build_err(&config(32.0, 10.0, workload));
        assert!(e.contains(key), "{workload}: {e}");
    }
    let e = build_err(&config(32.0, 10.0, "").replace("peak_flops = 70e12", "peak_flops = 0.0"));
    assert!(e.contains("workload.peak_flops"), "{e}");
}

#[test]
fn the_example_config_runs_and_its_nvme_carries_the_optimizer_states() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs/training-zero-infinity.toml");
    let cfg = Config::load(&path).unwrap().0;
    let mut sim = model::build(&cfg, cfg.seed).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    // Llama-3-70B: 70.6e9 x 16 B read and written per iteration on NVMe (ZeRO-Infinity).
    let opt = num(&s, "/bytes_moved_per_iteration/optimizer");
    assert!(within(opt, 2.0 * 16.0 * 70.6e9, 1e-6), "{opt}");
    let eff = num(&s, "/gpu_efficiency");
    assert!(eff > 0.0 && eff < 1.0, "{eff}");
}
