//! Independent ranks (`barrier = false`, as DLIO's and MLPerf Storage's emulated
//! accelerators) and fair service of several ranks on one device, against closed
//! forms: on a saturated device of bandwidth B, N ranks each demanding d bytes/s at
//! full speed reach AU = B / (N d) each; on an idle device AU ~ 1; with a barrier
//! on a saturated device every rank stalls the same (the loaders' order rotates).

use tiersim::config::Config;

struct Run {
    workload: serde_json::Value,
    /// training_ranks.csv: one map of column -> value per rank.
    ranks: Vec<std::collections::BTreeMap<String, f64>>,
    /// The disk's summary entry.
    disk: serde_json::Value,
}

fn run(text: &str) -> Run {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    let full = tiersim::report::summary(&sim, &out);
    let tables = sim.workload.tables(out.end);
    let csv = &tables
        .iter()
        .find(|(name, _)| name == "training_ranks.csv")
        .expect("training_ranks.csv")
        .1;
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let ranks = lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
                .collect()
        })
        .collect();
    Run {
        workload: full["workload"].clone(),
        ranks,
        disk: full["tiers"][0].clone(),
    }
}

fn build_err(text: &str) -> tiersim::config::ConfigError {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    match tiersim::model::build(&cfg, cfg.seed) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

/// `ranks` ranks with one worker each on one disk of `bandwidth` and 64 channels
/// (bandwidth-bound): batches of 8 x 1 MB samples, compute `compute_ms` per batch,
/// no sync, no checkpoints, no jitter; `extra` lines go into `[workload]`.
fn shared_disk(ranks: usize, bandwidth: &str, compute_ms: u32, epochs: u64, extra: &str) -> String {
    format!(
        r#"
        seed = 5
        [[tiers]]
        name = "disk"
        read_latency = "10us"
        read_bandwidth = "{bandwidth}"
        channels = 64
        [workload]
        kind = "training"
        dataset = {{ samples = 4096, size = "1MB" }}
        ranks = {ranks}
        epochs = {epochs}
        batch_size = 8
        workers = 1
        prefetch_factor = 2
        compute = {{ per_batch = "{compute_ms}ms" }}
        {extra}
        "#
    )
}

fn column(r: &Run, key: &str) -> Vec<f64> {
    r.ranks.iter().map(|x| x[key]).collect()
}

fn spread(v: &[f64]) -> f64 {
    let (lo, hi) = v
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    (hi - lo) / lo
}

#[test]
fn independent_ranks_on_a_saturated_device_each_reach_b_over_n_d() {
    // N ranks, each demanding d = 8 MB per C of compute at full speed, on one disk of
    // B = 1 GB/s with N d > B: the disk is the bottleneck and, shared fairly, gives
    // each rank B / N, so each rank computes a fraction B / (N d) of its time.
    for (n, c_ms) in [(8, 32), (8, 12), (4, 12)] {
        let d = 8e6 / (c_ms as f64 * 1e-3);
        let want = 1e9 / (n as f64 * d);
        let r = run(&shared_disk(n, "1GB/s", c_ms, 2, "barrier = false"));
        let au = column(&r, "au");
        eprintln!("N {n}, C {c_ms} ms: AU {au:?} vs B/(N d) = {want}");
        for (i, a) in au.iter().enumerate() {
            assert!((a / want - 1.0).abs() < 0.02, "rank {i}: AU {a} vs {want}");
        }
        assert!(spread(&au) < 0.02, "AU spread {au:?}");
        // The job's AU is the mean over ranks; without barrier or sync every rank's
        // time is compute plus data stall, so stall_fraction = 1 - au exactly.
        let w = &r.workload;
        let mean = au.iter().sum::<f64>() / n as f64;
        assert!((f(w, "au") - mean).abs() < 1e-5, "{w}");
        assert!((f(w, "stall_fraction") - (1.0 - f(w, "au"))).abs() < 1e-9);
        for x in &r.ranks {
            assert!((x["compute_s"] + x["stall_s"] - x["total_s"]).abs() < 1e-8);
            assert_eq!(
                (x["barrier_s"], x["sync_s"], x["checkpoint_s"]),
                (0.0, 0.0, 0.0)
            );
        }
        // The run ends with the last rank; its stall is the job's critical stall.
        let last = r
            .ranks
            .iter()
            .max_by(|a, b| a["total_s"].total_cmp(&b["total_s"]))
            .unwrap();
        assert!((f(w, "critical_data_stall_s") - last["stall_s"]).abs() < 1e-8);
        // Every rank reads its 4096 / N samples per epoch, each once.
        assert_eq!(r.disk["reads"].as_u64(), Some(2 * 4096), "{}", r.disk);
        assert_eq!(w["iterations"].as_u64(), Some(2 * 4096 / n as u64 / 8));
    }
}

#[test]
fn independent_ranks_on_an_idle_device_compute_nearly_all_the_time() {
    // B = 10 GB/s against N d = 4 x 8 MB / 60 ms = 0.53 GB/s. A rank only waits for
    // the first batch of each epoch (its pipeline starts afresh): at most the N first
    // batches queued together, N b / B = 3.2 ms plus the latency, against I C =
    // 64 x 60 ms of compute per epoch: AU >= 1 / (1 + (N b / B + 10 us) / (I C)).
    let r = run(&shared_disk(4, "10GB/s", 60, 2, "barrier = false"));
    let bound = 1.0 / (1.0 + (4.0 * 8e6 / 10e9 + 10e-6) / (64.0 * 0.060));
    for (i, a) in column(&r, "au").iter().enumerate() {
        assert!(
            *a >= bound - 1e-9 && *a <= 1.0,
            "rank {i}: AU {a}, bound {bound}"
        );
    }
    assert!(f(&r.workload, "au") > 0.99, "{}", r.workload);
}

#[test]
fn max_iterations_counts_each_independent_rank_s_own_iterations() {
    // 4 ranks: 128 iterations per epoch; 200 stops every rank 72 iterations into
    // epoch 2 (of 3).
    let r = run(&shared_disk(
        4,
        "1GB/s",
        12,
        3,
        "barrier = false\nmax_iterations = 200",
    ));
    assert_eq!(r.workload["iterations"].as_u64(), Some(200));
    assert_eq!(r.workload["epochs_completed"].as_u64(), Some(1));
    assert_eq!(r.workload["samples"].as_u64(), Some(4 * 200 * 8));
    for x in &r.ranks {
        assert!((x["compute_s"] - 200.0 * 0.012).abs() < 1e-9, "{x:?}");
    }
}

#[test]
fn with_a_barrier_on_a_saturated_device_every_rank_stalls_the_same() {
    // R ranks, batch time T = 8 MB / 1 GB/s = 8 ms, compute C = 4 ms < T. The disk
    // serves the ranks' batches back to back, one per rank per iteration, so an
    // iteration takes R T, and the rank in place p of the disk's order gets its batch
    // (p + 1) T after the last one of the iteration before, which was C before the
    // barrier released: it stalls (p + 1) T - C. Each rank's loader issues its next
    // batch when its previous one arrives, so the order holds for a whole epoch; the
    // order rotates by one rank per epoch, so over R epochs every rank has every
    // place once and stalls on average ((R + 1) / 2 T - C) / (R T) of the run. (With
    // the ranks always in the same order, rank p would stall ((p + 1) T - C) / (R T):
    // 0.125 to 0.875 for R = 4.)
    for ranks in [4, 8] {
        let r = run(&shared_disk(ranks, "1GB/s", 4, ranks as u64, ""));
        let (t, c, n) = (8.0, 4.0, ranks as f64);
        let want = ((n + 1.0) / 2.0 * t - c) / (n * t);
        let stall = column(&r, "stall_fraction");
        eprintln!("R {ranks}: stall fractions {stall:?} vs {want}");
        for (i, s) in stall.iter().enumerate() {
            assert!((s / want - 1.0).abs() < 0.01, "rank {i}: {s} vs {want}");
        }
        // The job lost 1 - C / T_iteration to I/O, and says so.
        let w = &r.workload;
        assert!(
            (f(w, "stall_fraction") - (1.0 - c / (n * t))).abs() < 0.01,
            "{w}"
        );
    }
}

#[test]
fn independent_ranks_reject_a_gradient_sync_and_checkpoints() {
    let links = r#"
        [[links]]
        name = "net"
        preset = "rdma-100g"
    "#;
    let e = build_err(&format!(
        "{}{links}",
        shared_disk(
            2,
            "1GB/s",
            4,
            1,
            "barrier = false\nparams = 1000\nsync = { kind = \"ring\", link = \"net\" }"
        )
    ));
    assert_eq!(e.path, "workload.sync", "{e}");
    assert!(e.to_string().contains("barrier = false"), "{e}");
    let e = build_err(&shared_disk(
        2,
        "1GB/s",
        4,
        1,
        "barrier = false\ncheckpoint = { every = 10, tier = \"disk\", bytes = \"1MB\" }",
    ));
    assert_eq!(e.path, "workload.checkpoint", "{e}");
    // sync = "none" is what independent ranks do anyway.
    let r = run(&shared_disk(
        2,
        "1GB/s",
        4,
        1,
        "barrier = false\nsync = \"none\"",
    ));
    assert_eq!(f(&r.workload, "sync_s"), 0.0);
}
