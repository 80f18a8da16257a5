//! Several jobs in one model (`[[jobs]]`), against what must hold by construction or
//! by a closed form: a shared dataset is read from storage once however many jobs
//! read it, and a read of a sample already in flight waits for it (coalescing); a job
//! with a cache quota q has exactly the hits it has alone with a cache of q; two
//! I/O-bound jobs on one device each run at half speed (slowdown 2, Jain's index 1).

use serde_json::Value;
use tiersim::config::Config;

fn run(text: &str) -> Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the jobs did not finish");
    tiersim::report::summary(&sim, &out)
}

fn f(v: &Value, k: &str) -> f64 {
    v.pointer(k)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {k} in {v}"))
}

/// A training job of one rank over `samples` samples of 1 MB.
fn training(samples: u64, epochs: u64, sampler: &str, compute: &str) -> String {
    format!(
        r#"kind = "training"
        dataset = {{ samples = {samples}, size = "1MB" }}
        epochs = {epochs}
        batch_size = 8
        workers = 2
        sampler = "{sampler}"
        compute = {{ per_batch = "{compute}" }}"#
    )
}

const TIERS: &str = r#"
    seed = 9
    [[tiers]]
    name = "dram"
    preset = "ddr4-3200"
    capacity = "4GiB"
    eviction = "lru"
    [[tiers]]
    name = "disk"
    read_latency = "100us"
    read_bandwidth = "1GB/s"
    channels = 64
"#;

fn jobs(entries: &[(&str, &str, &str)]) -> String {
    let mut s = TIERS.to_string();
    for (name, extra, workload) in entries {
        s += &format!("[[jobs]]\nname = \"{name}\"\n{extra}\n[jobs.workload]\n{workload}\n");
    }
    s
}

#[test]
fn a_shared_dataset_is_read_from_storage_once_and_in_flight_reads_coalesce() {
    // Two identical jobs, started together, reading 2,000 samples (2 GB, in a 4 GiB
    // cache) in the same order: storage serves the dataset once, not twice.
    let w = training(2000, 2, "sequential", "1ms");
    let shared = "shared_dataset = \"d\"";
    let s = run(&jobs(&[("a", shared, &w), ("b", shared, &w)]));
    assert_eq!(f(&s, "/tiers/1/served"), 2000.0, "storage reads");
    assert_eq!(f(&s, "/tiers/1/bytes_read"), 2e9);
    // Each job read every sample twice; the jobs' counters add up to the tiers'.
    for j in 0..2 {
        let served = f(&s, &format!("/jobs/{j}/tiers/0/served"))
            + f(&s, &format!("/jobs/{j}/tiers/1/served"));
        assert_eq!(served, 4000.0);
    }
    // Own datasets: read twice.
    let s = run(&jobs(&[("a", "", &w), ("b", "", &w)]));
    assert_eq!(f(&s, "/tiers/1/served"), 4000.0);
}

#[test]
fn a_read_of_a_sample_in_flight_waits_for_its_fill() {
    // Job a reads a batch of 8 samples of 1 MB at time 0 from a disk of 1 GB/s and 64
    // channels: the last arrives after 100 us + 8 MB / 1 GB/s = 8.1 ms. Job b starts at
    // 1 ms and reads the same batch: DRAM holds the samples already (their fills are
    // under way), but the data is not there before 8.1 ms, so b's data stall is
    // 8.1 - 1 = 7.1 ms (not a DRAM hit's microseconds), and the disk serves 8 reads.
    let w = training(8, 1, "sequential", "1ms").replace("workers = 2", "workers = 1");
    let s = run(&jobs(&[
        ("a", "shared_dataset = \"d\"", &w),
        ("b", "shared_dataset = \"d\"\nstart = \"1ms\"", &w),
    ]));
    assert_eq!(f(&s, "/tiers/1/served"), 8.0);
    let stall = |j: usize| f(&s, &format!("/jobs/{j}/workload/data_stall_s"));
    assert!(
        (stall(0) / 8.1e-3 - 1.0).abs() < 0.01,
        "job a stalled {} s",
        stall(0)
    );
    assert!(
        (stall(1) / 7.1e-3 - 1.0).abs() < 0.01,
        "job b stalled {} s",
        stall(1)
    );
    assert_eq!(
        f(&s, "/jobs/1/tiers/0/served"),
        8.0,
        "job b's reads are DRAM hits"
    );
}

#[test]
fn a_quota_gives_exactly_the_hits_of_a_cache_of_that_size_alone() {
    // Job a (one rank: its reads come in the same order whatever the timing) has a
    // quota of 600 MB in the 4 GiB DRAM cache; job b reads its own 3 GB dataset
    // beside it. Alone with a 600 MB cache, job a has the same hits.
    let wa = training(1500, 3, "distributed", "2ms");
    let wb = training(3000, 2, "distributed", "1ms");
    for policy in ["lru", "fifo", "s3fifo", "arc", "minio"] {
        let with_policy =
            |text: String| text.replace("eviction = \"lru\"", &format!("eviction = \"{policy}\""));
        let both = with_policy(jobs(&[
            ("a", "quota = { dram = \"600MB\" }", &wa),
            ("b", "", &wb),
        ]));
        let alone = with_policy(
            jobs(&[("a", "", &wa)]).replace("capacity = \"4GiB\"", "capacity = \"600MB\""),
        );
        let (s2, s1) = (run(&both), run(&alone));
        let hits = |s: &Value| f(s, "/jobs/0/tiers/0/served");
        assert!(hits(&s1) > 0.0, "{policy}: no hits at all");
        assert_eq!(
            hits(&s2),
            hits(&s1),
            "{policy}: job a's DRAM hits beside b vs alone"
        );
        // Job b got the rest (4 GiB - 600 MB): more than job a's partition could hold.
        assert!(
            f(&s2, "/jobs/1/tiers/0/served") > 0.0,
            "{policy}: job b had no hits"
        );
    }
}

#[test]
fn two_io_bound_jobs_on_one_device_each_run_at_half_speed() {
    // Each job alone is bound by the disk's 1 GB/s (8 MB a batch against 0.1 ms of
    // compute); together they share it: each takes twice as long. Slowdowns 2 (within
    // 3%: the ends of the run, where one job runs alone), Jain's index ~1.
    let w = training(2000, 1, "distributed", "100us");
    let mut text = jobs(&[("a", "", &w), ("b", "", &w)]);
    text = text.replace("seed = 9", "seed = 9\n[sim]\nrun_jobs_alone = true");
    let s = run_with_alone(&text);
    for j in 0..2 {
        let alone = f(&s, &format!("/jobs/{j}/alone_run_time_s"));
        // 2 GB at 1 GB/s: 2 s alone (plus a batch's latency and compute).
        assert!((alone / 2.0 - 1.0).abs() < 0.02, "alone {alone} s");
        let slowdown = f(&s, &format!("/jobs/{j}/slowdown"));
        assert!((slowdown - 2.0).abs() < 0.06, "job {j} slowdown {slowdown}");
    }
    assert!(f(&s, "/workload/jain_index") > 0.999);
}

/// A run as `tiersim run` makes it: with `sim.run_jobs_alone`, each job alone first.
fn run_with_alone(text: &str) -> Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let dir = std::env::temp_dir().join(format!("tiersim-jobs-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s =
        tiersim::runner::run_config(&cfg, cfg.seed, &dir, &[]).unwrap_or_else(|e| panic!("{e}"));
    let csv = std::fs::read_to_string(dir.join("jobs.csv")).unwrap();
    assert_eq!(
        csv.lines().count(),
        3,
        "jobs.csv: a header and a row per job"
    );
    std::fs::remove_dir_all(&dir).ok();
    serde_json::to_value(s).unwrap()
}

#[test]
fn bad_jobs_get_one_clear_error_naming_the_key() {
    let w = training(100, 1, "distributed", "1ms");
    let cases: Vec<(String, &str)> = vec![
        (
            jobs(&[("a", "quota = { ssd = \"1GB\" }", &w)]),
            "jobs[0].quota.ssd",
        ),
        (
            jobs(&[("a", "quota = { disk = \"1GB\" }", &w)]),
            "jobs[0].quota.disk",
        ),
        (jobs(&[("a", "nodes = [1]", &w)]), "jobs[0].nodes[0]"),
        (jobs(&[("a", "", &w), ("a", "", &w)]), "jobs[1].name"),
        (jobs(&[("a b", "", &w)]), "jobs[0].name"),
        (
            jobs(&[
                ("a", "quota = { dram = \"3GiB\" }", &w),
                ("b", "quota = { dram = \"2GiB\" }", &w),
            ]),
            "tiers[0].capacity",
        ),
        (
            format!("{}[workload]\n{w}\n", jobs(&[("a", "", &w)])),
            "workload",
        ),
        (TIERS.to_string(), "workload"),
        (
            jobs(&[("a", "", &w.replace("batch_size = 8", "batch_size = 0"))]),
            "jobs[0].workload.batch_size",
        ),
    ];
    for (text, key) in cases {
        let err = match Config::parse(&text) {
            Err(e) => e,
            Ok(cfg) => match tiersim::model::build(&cfg, 1) {
                Err(e) => e,
                Ok(_) => panic!("accepted:\n{text}"),
            },
        };
        assert_eq!(err.path, key, "{err}");
    }
    // A shared dataset must be the same dataset.
    let other = training(200, 1, "distributed", "1ms");
    let text = jobs(&[
        ("a", "shared_dataset = \"d\"", &w),
        ("b", "shared_dataset = \"d\"", &other),
    ]);
    let cfg = Config::parse(&text).unwrap();
    let err = tiersim::model::build(&cfg, 1)
        .err()
        .expect("mismatched shared dataset");
    assert_eq!(err.path, "jobs[1].shared_dataset", "{err}");
}
