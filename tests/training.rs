//! The training workload against closed forms: DistributedSampler padding and
//! striding, epoch permutations, the Binomial access skew of one rank (NoPFS),
//! ring all-reduce alpha-beta time through the engine (idle and shared link),
//! steady-state data-stall fraction, the straggler barrier's m x H_N, LRU under
//! per-epoch shuffling, checkpoint cost, and bad-input errors naming the key.

use tiersim::config::Config;
use tiersim::workload::training::sampler::{Sampler, SamplerKind};

/// Runs a config; returns (workload summary, full summary).
fn run(text: &str) -> (serde_json::Value, serde_json::Value) {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    let full = tiersim::report::summary(&sim, &out);
    (full["workload"].clone(), full)
}

/// The error of parsing (declared parameters) or else building (cross references).
fn build_err(text: &str) -> tiersim::config::ConfigError {
    let cfg = match Config::parse(text) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match tiersim::model::build(&cfg, cfg.seed) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

#[test]
fn distributed_sampler_pads_by_wrapping_and_strides_like_pytorch() {
    // N = 10, R = 4: ceil(10/4) x 4 = 12 indices: perm[0..10] then perm[0], perm[1];
    // rank r takes idx[r], idx[r+4], idx[r+8].
    let s = Sampler::new(SamplerKind::Distributed, 10, 4, 11);
    let ranks: Vec<Vec<u32>> = (0..4)
        .map(|r| {
            let mut v = Vec::new();
            s.rank_indices(r, &mut v);
            v
        })
        .collect();
    assert!(ranks.iter().all(|v| v.len() == 3));
    // Rebuild idx from the strides: idx[4 j + r] = ranks[r][j].
    let idx: Vec<u32> = (0..12).map(|i| ranks[i % 4][i / 4]).collect();
    let mut perm = idx[..10].to_vec();
    perm.sort_unstable();
    assert_eq!(
        perm,
        (0..10).collect::<Vec<u32>>(),
        "first N are a permutation"
    );
    assert_eq!(idx[10], idx[0], "padding wraps from the start");
    assert_eq!(idx[11], idx[1]);
    // Without shuffle, the hand-derived lists.
    let s = Sampler::new(SamplerKind::Sequential, 10, 4, 11);
    let mut v = Vec::new();
    s.rank_indices(2, &mut v);
    assert_eq!(v, vec![2, 6, 0]);
    s.rank_indices(3, &mut v);
    assert_eq!(v, vec![3, 7, 1]);
}

#[test]
fn every_epoch_of_the_shuffle_is_a_permutation_of_all_samples() {
    let n = 10_007;
    let mut s = Sampler::new(SamplerKind::Distributed, n, 1, 3);
    let mut v = Vec::new();
    let mut first_positions = std::collections::BTreeSet::new();
    for epoch in 0..20 {
        s.set_epoch(epoch);
        s.rank_indices(0, &mut v);
        let mut seen = vec![false; n];
        for &x in &v {
            assert!(
                !std::mem::replace(&mut seen[x as usize], true),
                "epoch {epoch}: {x} twice"
            );
        }
        assert!(seen.iter().all(|&b| b), "epoch {epoch} misses a sample");
        first_positions.insert(v[0]);
    }
    // A new order each epoch (20 epochs, 10,007 samples: collisions are unlikely).
    assert!(first_positions.len() >= 18);
}

/// P(X > k) for X ~ Binomial(n, p), by the pmf recurrence.
fn binomial_tail(n: u32, p: f64, k: u32) -> f64 {
    let mut pmf = (1.0 - p).powi(n as i32); // P(X = 0)
    let mut cdf = pmf;
    for i in 1..=k {
        pmf *= (n - i + 1) as f64 / i as f64 * p / (1.0 - p);
        cdf += pmf;
    }
    1.0 - cdf
}

#[test]
fn one_rank_of_16_reads_31635_samples_more_than_10_times_in_90_epochs() {
    // NoPFS (REFERENCES.md s4.2): each rank's count of a sample is Binomial(90, 1/16).
    let (n, ranks, epochs) = (1_281_167usize, 16, 90);
    let expected = n as f64 * binomial_tail(90, 1.0 / 16.0, 10);
    assert!(
        (expected / 31_635.0 - 1.0).abs() < 0.001,
        "closed form {expected}"
    );
    let mut s = Sampler::new(SamplerKind::Distributed, n, ranks, 2024);
    let mut counts = vec![0u8; n];
    let mut v = Vec::new();
    for epoch in 0..epochs {
        s.set_epoch(epoch);
        s.rank_indices(0, &mut v);
        assert_eq!(v.len(), n.div_ceil(ranks));
        for &x in &v {
            counts[x as usize] += 1;
        }
    }
    let more_than_10 = counts.iter().filter(|&&c| c > 10).count() as f64;
    eprintln!("read more than 10 times: {more_than_10}, closed form {expected:.1}");
    assert!(
        (more_than_10 / expected - 1.0).abs() < 0.01,
        "{more_than_10} samples read more than 10 times, expected {expected:.0}"
    );
}

/// A job whose only cost is the ring all-reduce: 8 ranks, 1 ms compute, tiny DRAM
/// reads; `data_link` puts the data tier behind the same link.
fn ring_config(data_link: bool, sample: &str, batch: u32) -> String {
    format!(
        r#"
        seed = 5
        [[tiers]]
        name = "data"
        read_latency = "100ns"
        read_bandwidth = "100GB/s"
        channels = 64
        {link}
        [[links]]
        name = "net"
        read_latency = "5us"
        read_bandwidth = "100Gb/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = {{ samples = 8000, size = "{sample}" }}
        ranks = 8
        epochs = 1
        batch_size = {batch}
        workers = 2
        compute = {{ per_batch = "1ms" }}
        [workload.sync]
        kind = "ring"
        link = "net"
        bytes = "100MB"
        "#,
        link = if data_link { "link = \"net\"" } else { "" }
    )
}

#[test]
fn ring_allreduce_of_100mb_over_8_ranks_at_100gbps_takes_14_07_ms() {
    // T = 2(N-1) alpha + 2 (N-1)/N S / B = 14 x 5 us + 1.75 x 1e8 B / 12.5e9 B/s.
    let expected_ms: f64 = (2.0 * 7.0 * 5e-6 + 2.0 * 7.0 / 8.0 * 1e8 / 12.5e9) * 1e3;
    assert!((expected_ms - 14.07).abs() < 1e-9);
    let (w, _) = run(&ring_config(false, "1KB", 10));
    let idle = f(&w, "mean_sync_ms");
    assert!(
        (idle / expected_ms - 1.0).abs() < 0.01,
        "idle link: {idle} ms"
    );
    // Each rank's sync time is the iterations times the collective.
    assert!((f(&w, "sync_s") / (f(&w, "iterations") * expected_ms * 1e-3) - 1.0).abs() < 0.01);

    // Data reads cross the same link: 8 ranks x 10 x 1 MB = 80 MB per iteration
    // (6.4 ms at 12.5 GB/s) are in flight when the collective starts.
    let (w, full) = run(&ring_config(true, "1MB", 10));
    let shared = f(&w, "mean_sync_ms");
    eprintln!("ring all-reduce: idle {idle:.4} ms, shared {shared:.4} ms, formula {expected_ms}");
    assert!(
        shared > 1.2 * expected_ms,
        "shared link: {shared} ms vs idle {expected_ms}"
    );
    assert!(f(&full["links"][0], "bytes_read") > 8e9 * 0.99);
}

/// One rank, one worker, a one-channel home device with 1 ms per sample: loading a
/// batch of 16 takes T_io = 16 ms; compute C per batch.
fn stall_config(compute_ms: u32) -> String {
    format!(
        r#"
        [[tiers]]
        name = "disk"
        read_latency = "1ms"
        read_bandwidth = "1TB/s"
        channels = 1
        [workload]
        kind = "training"
        dataset = {{ samples = 8000, size = "4KB" }}
        batch_size = 16
        workers = 1
        prefetch_factor = 2
        compute = {{ per_batch = "{compute_ms}ms" }}
        "#
    )
}

#[test]
fn stall_fraction_approaches_one_minus_c_over_tio_when_io_bound_and_zero_otherwise() {
    // T_io = 16 x (1 ms + 4 KB / 1 TB/s) = 16.000064 ms.
    let t_io = 16.0 * (1e-3 + 4000.0 / 1e12);
    for c_ms in [4u32, 8, 12] {
        let (w, _) = run(&stall_config(c_ms));
        let want = 1.0 - c_ms as f64 * 1e-3 / t_io;
        let got = f(&w, "stall_fraction");
        eprintln!("C = {c_ms} ms, T_io = {t_io}: stall fraction {got:.5}, 1 - C/T_io = {want:.5}");
        assert!((got - want).abs() < 0.005, "C = {c_ms} ms: {got} vs {want}");
        assert!((f(&w, "mean_iteration_s") / t_io - 1.0).abs() < 0.005);
    }
    for c_ms in [20u32, 32] {
        let (w, _) = run(&stall_config(c_ms));
        // Only the very first batch stalls: 16 ms out of 500 x C.
        eprintln!("C = {c_ms} ms: stall fraction {}", f(&w, "stall_fraction"));
        assert!(f(&w, "stall_fraction") < 0.002, "C = {c_ms} ms: {w}");
    }
}

#[test]
fn barrier_over_exponential_iteration_times_costs_m_times_h_n() {
    // E[max of N independent Exp(mean m)] = m H_N (REFERENCES.md s4.5).
    let (n, m_ms) = (8u32, 10.0);
    let h_n: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
    let text = format!(
        r#"
        seed = 77
        [[tiers]]
        name = "dram"
        preset = "ddr4-3200"
        [workload]
        kind = "training"
        dataset = {{ samples = 160000, size = "1KB" }}
        ranks = {n}
        batch_size = 1
        workers = 2
        compute = {{ per_batch = "0s" }}
        jitter = {{ dist = "exponential", mean = "{m_ms}ms" }}
        "#
    );
    let (w, _) = run(&text);
    assert_eq!(w["iterations"], 20_000);
    let mean_ms = f(&w, "mean_iteration_s") * 1e3;
    assert!(
        (mean_ms / (m_ms * h_n) - 1.0).abs() < 0.02,
        "mean iteration {mean_ms} ms, m H_N = {}",
        m_ms * h_n
    );
    // The barrier wait is the gap between the slowest rank and the mean one:
    // m H_N - m per rank and iteration on average.
    let barrier_ms = f(&w, "barrier_s") * 1e3 / 20_000.0;
    eprintln!(
        "barrier: mean iteration {mean_ms:.4} ms, m H_N {:.4} ms; barrier {barrier_ms:.4} ms",
        m_ms * h_n
    );
    assert!(
        (barrier_ms / (m_ms * (h_n - 1.0)) - 1.0).abs() < 0.03,
        "{barrier_ms}"
    );
}

#[test]
fn lru_dram_cache_under_per_epoch_shuffle_hits_f_plus_one_minus_f_ln_one_minus_f() {
    // REFERENCES.md s4.1: cache fraction f of N equal items, steady state hit ratio
    // f + (1 - f) ln(1 - f); f = 0.5: 0.153.
    let (n, epochs) = (20_000u64, 11u64);
    let text = format!(
        r#"
        [[tiers]]
        name = "dram"
        preset = "ddr4-3200"
        capacity = "{}"
        eviction = "lru"
        [[tiers]]
        name = "nvme"
        preset = "nvme-tlc-pcie4"
        [workload]
        kind = "training"
        dataset = {{ samples = {n}, size = "4KiB" }}
        epochs = {epochs}
        batch_size = 100
        workers = 4
        compute = {{ per_batch = "1ms" }}
        "#,
        n / 2 * 4096
    );
    let (_, full) = run(&text);
    let fr: f64 = 0.5;
    let want = fr + (1.0 - fr) * (1.0 - fr).ln();
    // The first epoch only misses; the other ten run at the steady-state ratio.
    let hits = f(&full["tiers"][0], "hits");
    let got = hits / ((epochs - 1) * n) as f64;
    eprintln!("LRU hit ratio {got:.5}, closed form {want:.5}");
    assert!(
        (got / want - 1.0).abs() < 0.03,
        "LRU hit ratio {got}, closed form {want}"
    );
}

#[test]
fn blocking_checkpoints_cost_latency_plus_size_over_bandwidth_and_background_ones_hide() {
    let cfg = |mode: &str| {
        format!(
            r#"
            [[tiers]]
            name = "dram"
            preset = "ddr4-3200"
            [[tiers]]
            name = "ckpt"
            read_latency = "1ms"
            read_bandwidth = "1GB/s"
            [workload]
            kind = "training"
            dataset = {{ samples = 500, size = "1KB" }}
            batch_size = 10
            compute = {{ per_batch = "200ms" }}
            params = 10_000_000
            [workload.checkpoint]
            every = 10
            tier = "ckpt"
            mode = "{mode}"
            "#
        )
    };
    // 50 iterations, a checkpoint every 10: 5 writes of 10 M x 14 B = 140 MB, each
    // 1 ms + 140 MB / 1 GB/s = 141 ms on the idle device.
    let (w, _) = run(&cfg("blocking"));
    assert_eq!(w["checkpoints"], 5);
    assert!(
        (f(&w, "checkpoint_s") / (5.0 * 0.141) - 1.0).abs() < 1e-6,
        "{w}"
    );
    let (w, _) = run(&cfg("background"));
    assert_eq!(w["checkpoints"], 5);
    assert_eq!(
        f(&w, "checkpoint_s"),
        0.0,
        "2 s between checkpoints hide a 141 ms write"
    );
    assert!((f(&w, "checkpoint_write_s") / (5.0 * 0.141) - 1.0).abs() < 1e-6);
}

#[test]
fn per_rank_times_add_up_and_runs_are_deterministic() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/training-small.toml"),
    )
    .unwrap();
    let (a, full) = run(&text);
    let (b, _) = run(&text);
    assert_eq!(a, b);
    let end = f(&full, "simulated_time_s");
    let parts = [
        "compute_s",
        "data_stall_s",
        "barrier_s",
        "sync_s",
        "checkpoint_s",
    ];
    let sum: f64 = parts.iter().map(|k| f(&a, k)).sum();
    assert!((sum / end - 1.0).abs() < 1e-9, "{sum} vs {end}");
    // Every sample of every epoch was read: 3 epochs x ceil(50,000 / 4) x 4 ranks.
    assert_eq!(a["samples"], 150_000);
    assert_eq!(f(&full["latency"]["read"], "count"), 150_000.0);
}

#[test]
fn sample_at_a_time_workers_read_the_same_samples() {
    let base = stall_config(4);
    let (a, fa) = run(&base);
    let (b, fb) = run(&base.replace("workers = 1", "workers = 1\nworker_io = \"sample\""));
    assert_eq!(a["samples"], b["samples"]);
    assert_eq!(fa["tiers"][0]["hits"], fb["tiers"][0]["hits"]);
    // One sample at a time on a one-channel device: the same T_io.
    assert!((f(&a, "stall_fraction") - f(&b, "stall_fraction")).abs() < 0.005);
}

#[test]
fn bad_input_names_the_key() {
    let base = r#"
        [[tiers]]
        name = "dram"
        preset = "ddr4-3200"
        [[links]]
        name = "net"
        preset = "rdma-100g"
        [workload]
        kind = "training"
        dataset = { samples = 100, size = "1KB" }
        compute = { per_batch = "1ms" }
        "#;
    let cases = [
        ("batch_size = 101\ndrop_last = true", "workload.batch_size"),
        ("batch_size = 10\nranks = 0", "workload.ranks"),
        ("batch_size = 10\nworkers = 0", "workload.workers"),
        ("batch_size = 0", "workload.batch_size"),
        (
            "batch_size = 10\nprefetch_factor = 0",
            "workload.prefetch_factor",
        ),
        (
            "batch_size = 10\nsync = { kind = \"ring\", link = \"eth\", bytes = \"1MB\" }",
            "workload.sync.link",
        ),
        (
            "batch_size = 10\ncheckpoint = { every = 5, tier = \"ssd\", bytes = \"1MB\" }",
            "workload.checkpoint.tier",
        ),
        // A bare kind name: the error names the key as written.
        ("batch_size = 10\nsampler = \"random\"", "workload.sampler"),
        (
            "batch_size = 10\nsampler = { kind = \"random\" }",
            "workload.sampler.kind",
        ),
        (
            "batch_size = 10\nsampler = { kind = \"shuffle_buffer\", buffer = 0 }",
            "workload.sampler.buffer",
        ),
        ("batch_size = 10\nepochs = 0", "workload.epochs"),
    ];
    for (extra, key) in cases {
        let e = build_err(&format!("{base}{extra}\n"));
        assert_eq!(e.path, key, "{extra}: {e}");
    }
    let e = build_err(
        &base
            .replace("{ samples = 100, size = \"1KB\" }", "\"mnist\"")
            .replace("compute", "batch_size = 1\ncompute"),
    );
    assert_eq!(e.path, "workload.dataset");
    // Batch larger than the dataset is fine without drop_last: one short batch.
    let ok = format!("{base}batch_size = 101\n");
    let (w, _) = run(&ok);
    assert_eq!(w["iterations"], 1);
    assert_eq!(w["samples"], 100);
}

#[test]
fn parameter_server_push_and_pull_cost_two_alpha_plus_two_s_max_n_k_over_k_b() {
    // N = 8 ranks, k = 2 servers, S = 100 MB: each server NIC moves N S / k = 400 MB
    // per phase: T = 2 x 5 us + 2 x 4e8 B / 12.5e9 B/s = 64.01 ms.
    let text = ring_config(false, "1KB", 10).replace(
        "kind = \"ring\"",
        "kind = \"parameter_server\"\n        servers = 2",
    );
    let (w, _) = run(&text);
    let want = (2.0 * 5e-6 + 2.0 * 4e8 / 12.5e9) * 1e3;
    let got = f(&w, "mean_sync_ms");
    assert!((got / want - 1.0).abs() < 0.01, "{got} ms vs {want} ms");
}

#[test]
fn every_sampler_reads_each_ranks_share_once_per_epoch_through_the_engine() {
    let samplers = [
        "\"distributed\"",
        "\"sequential\"",
        "{ kind = \"shuffle_buffer\", buffer = 50 }",
        "{ kind = \"quasi_random\", page = \"8KB\", live_pages = 3 }",
        "{ kind = \"webdataset\", shard = \"40KB\", buffer = 20 }",
    ];
    for s in samplers {
        let text = format!(
            r#"
            [[tiers]]
            name = "dram"
            preset = "ddr4-3200"
            [workload]
            kind = "training"
            dataset = {{ samples = 1001, size = "1KB" }}
            ranks = 3
            epochs = 2
            batch_size = 16
            workers = 2
            sampler = {s}
            compute = {{ per_batch = "1ms" }}
            "#
        );
        let (w, full) = run(&text);
        // ceil(1001 / 3) = 334 per rank and epoch: 2 x 3 x 334 reads and samples.
        assert_eq!(w["samples"], 2004, "{s}");
        assert_eq!(full["latency"]["read"]["count"], 2004, "{s}");
        assert_eq!(w["iterations"], 2 * 21, "{s}"); // ceil(334 / 16) = 21
    }
}

#[test]
fn a_software_overhead_per_message_adds_to_alpha() {
    // alpha = 2 us link latency + 3 us overhead = 5 us: the same 14.07 ms.
    let text = ring_config(false, "1KB", 10)
        .replace("read_latency = \"5us\"", "read_latency = \"2us\"")
        .replace(
            "bytes = \"100MB\"",
            "bytes = \"100MB\"\n        overhead = \"3us\"",
        );
    let (w, _) = run(&text);
    let got = f(&w, "mean_sync_ms");
    assert!((got / 14.07 - 1.0).abs() < 0.001, "{got} ms");
}

#[test]
fn a_shuffle_buffer_delays_the_first_batch_by_the_buffer_fill() {
    // One rank, one worker, a one-channel disk at 1 ms per sample, 1,000 samples,
    // batches of 10, 1 ms compute. With a buffer of B = 100, batch 0 needs B + 10 - 1
    // = 109 reads (109 ms); the disk then stays busy until all 1,000 reads are done at
    // 1,000 ms, batch 90 is the last that waits for a read, and batches 90..99 compute
    // after it: the run ends at 1,010 ms. Without a buffer the first batch takes 10 ms
    // and the run ends at 1,001 ms.
    let cfg = |sampler: &str| {
        format!(
            r#"
            [[tiers]]
            name = "disk"
            read_latency = "1ms"
            read_bandwidth = "1TB/s"
            channels = 1
            [workload]
            kind = "training"
            dataset = {{ samples = 1000, size = "4KB" }}
            batch_size = 10
            sampler = {sampler}
            compute = {{ per_batch = "1ms" }}
            "#
        )
    };
    let per_read = 1e-3 + 4000.0 / 1e12;
    for (sampler, first_ms, end_s) in [
        (
            "{ kind = \"shuffle_buffer\", buffer = 100 }",
            110.0,
            1000.0 * per_read + 0.010,
        ),
        ("\"sequential\"", 11.0, 1000.0 * per_read + 0.001),
    ] {
        let (_, full) = run(&cfg(sampler));
        let end = f(&full, "simulated_time_s");
        assert!(
            (end / end_s - 1.0).abs() < 1e-6,
            "{sampler}: end {end} s vs {end_s}"
        );
        // The first iteration is the longest: fill + compute (histogram: 3 digits).
        let max_ms = f(&full["latency"]["training.iteration"], "max_ns") / 1e6;
        assert!(
            (max_ms / first_ms - 1.0).abs() < 0.002,
            "{sampler}: {max_ms} ms"
        );
    }
}
