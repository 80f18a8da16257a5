//! Job-level data stall as DS-Analyzer and MLPerf Storage define it, against closed
//! forms: the data stall on the critical path (per iteration, the wait for data of the
//! rank that held the iteration back), `stall_fraction` = that over the run time, and
//! `au` (accelerator utilisation: compute time over run time, mean over ranks).

use tiersim::config::Config;

fn run(text: &str) -> serde_json::Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    tiersim::report::summary(&sim, &out)["workload"].clone()
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

/// `ranks` ranks with one worker each on one device of 1 GB/s and 64 channels
/// (bandwidth-bound): a batch of 8 x 1 MB samples per rank and iteration, compute
/// `compute_ms` per batch, no sync, no checkpoints, no jitter.
fn shared_device(ranks: usize, compute_ms: u32) -> String {
    format!(
        r#"
        seed = 5
        [[tiers]]
        name = "disk"
        read_latency = "10us"
        read_bandwidth = "1GB/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = {{ samples = 4096, size = "1MB" }}
        ranks = {ranks}
        epochs = 2
        batch_size = 8
        workers = 1
        prefetch_factor = 2
        compute = {{ per_batch = "{compute_ms}ms" }}
        "#
    )
}

#[test]
fn with_a_barrier_on_a_saturated_device_stall_fraction_is_one_minus_au() {
    // 8 ranks x 8 MB per iteration = 64 MB at 1 GB/s: 64 ms of I/O per iteration
    // against 4 ms of compute. Every iteration is compute plus the critical rank's
    // wait for data, so stall_fraction = 1 - au (MLPerf Storage's AU); and au is
    // about C / (C + T_io) = 4 / 64 (the device never idles while ranks compute).
    let w = run(&shared_device(8, 4));
    let (stall, au) = (f(&w, "stall_fraction"), f(&w, "au"));
    eprintln!(
        "stall_fraction {stall:.5}, au {au:.5}, mean rank stall {}",
        f(&w, "mean_rank_stall_fraction")
    );
    assert!((stall - (1.0 - au)).abs() < 0.01, "{stall} vs 1 - {au}");
    assert!((au / (4.0 / 64.0) - 1.0).abs() < 0.02, "au {au} vs 4/64");
    // The job is I/O-bound, and says so: no I/O time is hidden as barrier time.
    assert!(stall > 0.9, "{w}");
}

#[test]
fn with_compute_to_spare_nothing_stalls_after_the_first_batches() {
    // 1 rank: 8 MB in 8 ms of I/O per iteration against 20 ms of compute.
    let w = run(&shared_device(1, 20));
    let (stall, au) = (f(&w, "stall_fraction"), f(&w, "au"));
    assert!(stall < 0.01, "{stall}");
    assert!((stall - (1.0 - au)).abs() < 0.01, "{stall} vs 1 - {au}");
}
