//! Distributed-training closed forms, run as `kind = "training"` jobs (the workload of
//! `src/workload/training/`, docs/training.md) from TOML text through `Config::parse`,
//! `model::build` and `Simulation::run`, read back from the run's summary.json values:
//!
//! - a ring all-reduce as the job's gradient sync over a `[[links]]` device
//!   (REFERENCES.md s3 and s4.4): the summary's `mean_sync_ms`;
//! - a barrier over ranks whose compute is exponential straggler jitter (s4.5): the
//!   summary's `mean_iteration_s`.
//!
//! The dataset is a few 64 B samples in one DRAM tier, so loading a batch takes ~0.1 us
//! and is done long before the rank asks for it: neither figure carries data stall
//! beyond the ~0.1 us of each epoch's first batch.

use super::{num, row, run_toml, CheckOutput, Env};

/// T = 2 (N - 1) alpha + 2 (N - 1) / N x S / B with N = 8, S = 100 MB, B = 100 Gb/s,
/// alpha = 5 us: 14.07 ms (REFERENCES s3, s4.4).
///
/// The link is the `rdma-100g` preset (100 Gb/s line rate, 1.93 us latency, REFERENCES
/// s1) and the sync's software `overhead` is 3.07 us, so alpha = 1.93 + 3.07 = 5 us.
/// Eight ranks, one 64 B sample per batch, 4 iterations on an otherwise idle link (the
/// samples live in DRAM, not behind the link): every iteration's sync is the closed
/// form. A perturbed `rdma-100g` preset (`Env::overrides`) changes alpha or B.
pub fn ring_allreduce(env: &Env) -> anyhow::Result<CheckOutput> {
    let (n, s_bytes, alpha, b) = (8u32, 100e6, 5e-6, 100e9 / 8.0);
    let toml = format!(
        "{}{}\n[workload]\nkind = \"training\"\ndataset = {{ samples = {}, size = \"64B\" }}\n\
         ranks = {n}\nbatch_size = 1\ncompute = {{ per_batch = \"1ms\" }}\n\n\
         [workload.sync]\nkind = \"ring\"\nlink = \"net\"\nbytes = \"100MB\"\noverhead = \"3.07us\"\n",
        env.tier("mem", "ddr4-3200", ""),
        env.device("links", "net", "rdma-100g", ""),
        4 * n,
    );
    let s = run_toml(&toml, 1)?;
    anyhow::ensure!(
        num(&s, "/workload/iterations")? == 4.0,
        "the training job did not run its 4 iterations"
    );
    let steps = 2.0 * (n - 1) as f64;
    let closed = steps * alpha + steps / n as f64 * s_bytes / b;
    Ok(CheckOutput {
        rows: vec![row(
            "ring-allreduce",
            "all-reduce time, N = 8, 100 MB, 100 Gb/s, 5 us",
            num(&s, "/workload/mean_sync_ms")?,
            closed * 1e3,
            "ms",
            1.0,
            "alpha-beta model 2(N-1)alpha + 2(N-1)/N S/B = 14.07 ms, REFERENCES s4.4",
        )],
        ..Default::default()
    })
}

/// The expected barrier time over N = 8 ranks with exponential iteration times of mean
/// m = 1 ms is m H_N (REFERENCES s4.5).
///
/// A training job of N ranks whose compute is only `jitter = { dist = "exponential",
/// mean = "1ms" }` and with no gradient exchange (sync `none`): an iteration runs from
/// one barrier release to the next, i.e. the slowest rank's compute. 50,000 iterations
/// (one epoch of 400,000 64 B samples, batch 1, sequential sampler), run seed 1: rank
/// r's jitter comes from the workload's stream ("workload.training.jitter", r). The
/// standard deviation of one iteration is m sqrt(sum 1/k^2) = 1.24 m, so the mean's
/// relative standard error is 0.2% and the 2% tolerance is 10 sigma.
pub fn straggler_barrier(env: &Env) -> anyhow::Result<CheckOutput> {
    let (n, iterations) = (8u32, 50_000u64);
    let toml = format!(
        "{}\n[workload]\nkind = \"training\"\ndataset = {{ samples = {}, size = \"64B\" }}\n\
         ranks = {n}\nbatch_size = 1\nsampler = \"sequential\"\ncompute = {{}}\n\
         jitter = {{ dist = \"exponential\", mean = \"1ms\" }}\n",
        env.tier("mem", "ddr4-3200", ""),
        n as u64 * iterations,
    );
    let s = run_toml(&toml, 1)?;
    anyhow::ensure!(
        num(&s, "/workload/iterations")? == iterations as f64,
        "the training job did not run its {iterations} iterations"
    );
    let h_n: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
    Ok(CheckOutput {
        rows: vec![row(
            "straggler-barrier",
            "mean barrier time, N = 8, m = 1 ms",
            num(&s, "/workload/mean_iteration_s")? * 1e3,
            h_n,
            "ms",
            2.0,
            "closed form m H_N, REFERENCES s4.5",
        )],
        ..Default::default()
    })
}
