//! Faults against closed forms: a storage outage during a storage-bound epoch with
//! `wait` (run time grows by the outage) and `skip` (it does not; the samples lost are
//! the reads that fell in the window, counted here from the pipeline's timing); read
//! errors with retries (truncated-geometric attempts and loss rate); a fail-slow
//! device (k x latency + transfer, exactly); replicas (nothing lost, served by the
//! other copy); reads in flight when the target goes out; determinism; bad entries.

use tiersim::config::faults::OnLoss;
use tiersim::config::Config;
use tiersim::trace::Request;

const US: u64 = 1_000_000;
const MS: u64 = 1_000_000_000;
const S: u64 = 1_000_000_000_000;

/// Sample size 100 KiB (a whole number of 4 KiB media units), read latency 100 us,
/// 1 GB/s, one channel: one unloaded read costs 100 us + 102,400 B / 1 GB/s.
const SIZE: u64 = 102_400;
const LATENCY: u64 = 100 * US;
fn read_cost() -> u64 {
    LATENCY + SIZE * 1_000 // 1 GB/s = 1,000 ps per byte
}

fn storage_tier() -> &'static str {
    r#"
    [[tiers]]
    name = "storage"
    read_latency = "100us"
    read_latency_seq = "100us"
    read_bandwidth = "1GB/s"
    granularity = "4KiB"
    channels = 1
    "#
}

/// A storage-bound job: 1 rank, 1 worker reading one sample at a time, batches of
/// one sample, prefetch 1, 80 us of compute per batch (less than half a read).
fn job(samples: u64, faults: &str) -> String {
    job_with(samples, 1, faults)
}

/// [`job`] with `workers` loader workers (so as many reads outstanding).
fn job_with(samples: u64, workers: u64, faults: &str) -> String {
    format!(
        r#"
        seed = 3
        {}
        [workload]
        kind = "training"
        dataset = {{ samples = {samples}, size = "100KiB" }}
        batch_size = 1
        workers = {workers}
        prefetch_factor = 1
        worker_io = "sample"
        sampler = "sequential"
        compute = {{ per_batch = "80us" }}
        {faults}
        "#,
        storage_tier()
    )
}

fn run(text: &str) -> serde_json::Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    tiersim::report::summary(&sim, &out)
}

fn outage(start: u64, len: u64, on_loss: &str) -> String {
    format!(
        "[reader]\non_loss = \"{on_loss}\"\n[[faults]]\nkind = \"outage\"\ntier = \"storage\"\n\
         start = \"{}ps\"\nduration = \"{}ps\"\n",
        start, len
    )
}

#[test]
fn an_outage_with_wait_adds_its_length_and_with_skip_loses_the_reads_in_the_window() {
    let n = 20_000u64;
    let c = read_cost();
    let p = 80 * US;
    // The reads are back to back (read k from k c); the outage starts halfway
    // through read m, so that read is in flight, and lasts T.
    let m = 5_000u64;
    let s = m * c + c / 2;
    let t = 500 * MS;
    let base = run(&job(n, ""))["simulated_time_ps"].as_u64().unwrap();
    assert_eq!(base, n * c + p, "the fault-free job is storage-bound");

    let wait = run(&job(n, &outage(s, t, "wait")));
    let grown = wait["simulated_time_ps"].as_u64().unwrap() as f64 - base as f64;
    assert!(
        (grown / t as f64 - 1.0).abs() < 0.01,
        "wait: grew {grown} ps for an outage of {t} ps"
    );
    assert_eq!(wait["faults"]["reads_lost"], 0);

    let skip = run(&job(n, &outage(s, t, "skip")));
    let grown = skip["simulated_time_ps"].as_u64().unwrap() as f64 - base as f64;
    assert!(grown < 0.01 * t as f64, "skip: grew {grown} ps");
    // Independently: read m fails at s; then the job computes an empty batch (p)
    // per iteration and each iteration's read, issued at s + (j - 1) p, fails while
    // it falls before s + T: ceil(T / p) of them.
    let in_window = t.div_ceil(p);
    let lost = 1 + in_window;
    assert_eq!(skip["faults"]["reads_lost"].as_u64().unwrap(), lost);
    assert_eq!(
        skip["workload"]["samples"].as_u64().unwrap(),
        n - lost,
        "the batches went on without the lost samples"
    );
}

#[test]
fn the_stall_an_outage_causes_is_its_length_on_the_critical_path_not_the_sum_over_reads() {
    // The outage test's wait case with 8 loader workers: 8 reads are outstanding
    // when storage goes out, and each waits about T for it; the job waits T once.
    let (n, workers) = (20_000u64, 8u64);
    let c = read_cost();
    let s = 5_000 * c + c / 2;
    let t = 500 * MS;
    let base = run(&job_with(n, workers, ""));
    assert_eq!(base.get("faults"), None);
    assert_eq!(
        base["workload"].get("stall_time_s"),
        None,
        "no faults, no key"
    );
    let base = base["simulated_time_ps"].as_u64().unwrap();
    let wait = run(&job_with(n, workers, &outage(s, t, "wait")));
    let grown = wait["simulated_time_ps"].as_u64().unwrap() as f64 - base as f64;
    assert!((grown / t as f64 - 1.0).abs() < 0.01, "grew {grown} ps");
    let t_s = t as f64 / S as f64;
    let stall = wait["faults"]["stall_time_s"].as_f64().unwrap();
    assert!(
        (stall / t_s - 1.0).abs() < 0.01,
        "stall {stall} s vs T {t_s} s"
    );
    assert_eq!(
        wait["workload"]["stall_time_s"],
        wait["faults"]["stall_time_s"]
    );
    // Every outstanding read waited about T: the per-read sum is ~ workers x T.
    let per_read = wait["faults"]["read_time_lost_s"].as_f64().unwrap();
    assert!(per_read > (workers - 1) as f64 * t_s, "{per_read} s");
    // With one worker both measures are the outage (one read waits, the job waits).
    let one = run(&job(n, &outage(s, t, "wait")));
    let stall = one["faults"]["stall_time_s"].as_f64().unwrap();
    assert!((stall / t_s - 1.0).abs() < 0.01, "{stall}");
    // With skip nothing waits: no stall caused by the outage.
    let skip = run(&job_with(n, workers, &outage(s, t, "skip")));
    assert!(skip["faults"]["stall_time_s"].as_f64().unwrap() < 0.01 * t_s);
}

/// [`job`] over samples in TFRecord files: 25,600 B samples, 40 to a file, read in
/// 102,400 B chunks (4 samples each, aligned), batches of 4 read whole: each batch
/// is one chunk read of [`SIZE`] bytes, so the pipeline's timing is [`job`]'s.
fn files_job(batches: u64, faults: &str) -> String {
    format!(
        r#"
        seed = 3
        {}
        [workload]
        kind = "training"
        dataset = {{ samples = {}, size = "25600B", samples_per_file = 40, format = "tfrecord", transfer_size = "102400B" }}
        batch_size = 4
        workers = 1
        prefetch_factor = 1
        worker_io = "batch"
        sampler = "sequential"
        compute = {{ per_batch = "80us" }}
        {faults}
        "#,
        storage_tier(),
        4 * batches
    )
}

#[test]
fn a_lost_chunk_read_of_a_file_dataset_drops_the_samples_in_the_chunk() {
    let n = 20_000u64;
    let c = read_cost();
    let p = 80 * US;
    let base = run(&files_job(n, ""))["simulated_time_ps"]
        .as_u64()
        .unwrap();
    assert_eq!(base, n * c + p, "one chunk read per batch, storage-bound");
    let (s, t) = (5_000 * c + c / 2, 500 * MS);
    let skip = run(&files_job(n, &outage(s, t, "skip")));
    // As for per-sample reads: chunk read 5,000 fails in flight, then one chunk
    // read per empty iteration p while the outage lasts; each took its batch's 4
    // samples with it.
    let chunks_lost = 1 + t.div_ceil(p);
    assert_eq!(skip["faults"]["reads_lost"].as_u64().unwrap(), chunks_lost);
    assert_eq!(
        skip["workload"]["samples_lost"].as_u64().unwrap(),
        4 * chunks_lost
    );
    assert_eq!(
        skip["workload"]["samples"].as_u64().unwrap(),
        4 * (n - chunks_lost)
    );
    let grown = skip["simulated_time_ps"].as_u64().unwrap() as f64 - base as f64;
    assert!(grown < 0.01 * t as f64, "skip: grew {grown} ps");
    // With wait nothing is lost.
    let wait = run(&files_job(n, &outage(s, t, "wait")));
    assert_eq!(wait["workload"]["samples_lost"], 0);
    assert_eq!(wait["workload"]["samples"].as_u64().unwrap(), 4 * n);
}

#[test]
fn read_errors_with_retries_follow_the_truncated_geometric_law() {
    for (p, r) in [(0.5f64, 2u32), (0.2, 1)] {
        let faults = format!(
            "[[faults]]\nkind = \"errors\"\ntier = \"storage\"\nprobability = {p}\nretries = {r}\n\
             backoff = \"1us\"\n"
        );
        let cfg = Config::parse(&job(10, &faults)).unwrap();
        let mut sim = tiersim::model::build(&cfg, 9).unwrap();
        // Unloaded reads, 10 ms apart (retries, backoffs and all fit in between).
        let reads = 100_000u64;
        for k in 0..reads {
            sim.data
                .access(k * 10 * MS, &Request::read(k % 10, SIZE as u32), true);
        }
        let st = &sim.hier().faults().unwrap().stats;
        assert_eq!(st.error_reads, reads);
        let mean = st.error_attempts as f64 / reads as f64;
        let want = (1.0 - p.powi(r as i32 + 1)) / (1.0 - p);
        assert!(
            (mean / want - 1.0).abs() < 0.03,
            "p {p} r {r}: {mean} vs {want}"
        );
        let loss = st.reads_lost as f64 / reads as f64;
        let want = p.powi(r as i32 + 1);
        assert!(
            (loss / want - 1.0).abs() < 0.03,
            "p {p} r {r}: {loss} vs {want}"
        );
    }
}

#[test]
fn a_fail_slow_device_costs_k_times_the_latency_plus_the_transfer() {
    let k = 7u64;
    let faults = format!(
        "[[faults]]\nkind = \"slow\"\ntier = \"storage\"\nstart = \"1s\"\nduration = \"1s\"\n\
         latency_factor = {k}\n"
    );
    let cfg = Config::parse(&job(10, &faults)).unwrap();
    let mut sim = tiersim::model::build(&cfg, 1).unwrap();
    let xfer = SIZE * 1_000;
    for (at, lat) in [
        (S / 2, LATENCY),
        (S, k * LATENCY),
        (3 * S / 2, k * LATENCY),
        (2 * S - 1, k * LATENCY),
        (2 * S + 10 * MS, LATENCY),
    ] {
        let a = sim.data.access(at, &Request::read(1, SIZE as u32), true);
        assert_eq!(a.done - at, lat + xfer, "a read at {at} ps");
    }
}

#[test]
fn with_replicas_one_copy_out_loses_nothing_and_the_other_copy_serves() {
    let faults = "[reader]\non_loss = \"replica\"\n[replicas]\nstorage = 2\n\
                  [[faults]]\nkind = \"outage\"\ntier = \"storage\"\nreplica = 0\n\
                  start = \"1s\"\nduration = \"1s\"\n";
    let cfg = Config::parse(&job(10, faults)).unwrap();
    let mut sim = tiersim::model::build(&cfg, 1).unwrap();
    let c = read_cost();
    let mut in_window = 0;
    for k in 0..300u64 {
        let at = k * 10 * MS;
        let a = sim
            .data
            .access(at, &Request::read(k % 10, SIZE as u32), true);
        assert_eq!(a.done - at, c, "read {k} waited");
        if (S..2 * S).contains(&at) {
            in_window += 1;
        }
    }
    // A read in flight when copy 0 goes out fails then and is read from copy 1 (the
    // copies share the tier's device model, which the failed read holds until it
    // would have finished: the second read starts then).
    let at = 4 * S - c / 2;
    let mut sim2 = tiersim::model::build(
        &Config::parse(&job(
            10,
            &faults.replace("start = \"1s\"", "start = \"4s\""),
        ))
        .unwrap(),
        1,
    )
    .unwrap();
    let a = sim2.data.access(at, &Request::read(1, SIZE as u32), true);
    assert_eq!(a.done, at + 2 * c);
    assert_eq!(
        sim2.hier().faults().unwrap().stats.served_by_copy,
        vec![0, 1]
    );
    let st = &sim.hier().faults().unwrap().stats;
    assert_eq!(st.reads_lost, 0);
    assert_eq!(st.served_by_copy, vec![300 - in_window, in_window]);
    assert_eq!(in_window, 100);
    // A whole training run with one copy out: nothing lost, same samples.
    let w = run(&job(
        2_000,
        &faults.replace(
            "start = \"1s\"\nduration = \"1s\"",
            "start = \"0.1s\"\nduration = \"0.1s\"",
        ),
    ));
    assert_eq!(w["faults"]["reads_lost"], 0);
    assert_eq!(w["workload"]["samples"], 2_000);
}

#[test]
fn a_read_in_flight_when_its_target_goes_out_fails_at_that_moment() {
    let c = read_cost();
    let s = S;
    let t = 100 * MS;
    for (mode, want) in [(OnLoss::Skip, s), (OnLoss::Wait, s + t + c)] {
        let cfg = Config::parse(&job(10, &outage(s, t, "skip"))).unwrap();
        let mut sim = tiersim::model::build(&cfg, 1).unwrap();
        sim.data.hierarchy_mut().faults_mut().unwrap().mode = mode;
        let a = sim
            .data
            .access(s - c / 3, &Request::read(1, SIZE as u32), true);
        assert_eq!(a.done, want, "{mode:?}");
        // A read arriving during the window: skipped at once, or served on return.
        let a = sim
            .data
            .access(s + t / 2, &Request::read(2, SIZE as u32), true);
        let want = if mode == OnLoss::Skip {
            s + t / 2
        } else {
            s + t + 2 * c
        };
        assert_eq!(a.done, want, "{mode:?}");
    }
}

#[test]
fn recurring_outages_are_deterministic_and_written_to_faults_csv() {
    let faults =
        "[[faults]]\nkind = \"outage\"\ntier = \"storage\"\nmtbf = \"50ms\"\nmttr = \"5ms\"\n";
    let a = run(&job(3_000, faults));
    let b = run(&job(3_000, faults));
    assert_eq!(a, b);
    let w = a["faults"]["faults"][0]["windows"].as_u64().unwrap();
    assert!(w > 5, "{w} windows");
    // faults.csv: a header and one line per window, each an outage of the storage.
    let cfg = Config::parse(&job(3_000, faults)).unwrap();
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap();
    let out = sim.run();
    let tables = tiersim::report::sim_tables(&sim, &out);
    let csv = &tables
        .iter()
        .find(|(n, _)| n == "faults.csv")
        .expect("faults.csv")
        .1;
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len() as u64, w, "{csv}");
    assert!(
        lines.iter().all(|l| l.contains("tier storage,outage")),
        "{csv}"
    );
    // Outages of ~9% of the time on a storage-bound job: it runs longer.
    let base = run(&job(3_000, ""))["simulated_time_s"].as_f64().unwrap();
    assert!(a["simulated_time_s"].as_f64().unwrap() > base * 1.03);
}

#[test]
fn bad_fault_entries_name_their_key() {
    let err = |f: &str| -> String {
        match Config::parse(&job(10, f)) {
            Err(e) => e.to_string(),
            Ok(cfg) => match tiersim::model::build(&cfg, 1) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("accepted {f}"),
            },
        }
    };
    let e =
        err("[[faults]]\nkind = \"outage\"\ntier = \"nvme\"\nstart = \"1s\"\nduration = \"1s\"\n");
    assert!(e.starts_with("faults[0].tier: no tier named 'nvme'"), "{e}");
    let e = err("[[faults]]\nkind = \"melt\"\ntier = \"storage\"\n");
    assert!(e.starts_with("faults[0].kind"), "{e}");
    let e = err("[reader]\non_loss = \"replica\"\n");
    assert!(e.starts_with("reader.on_loss"), "{e}");
    let e = err("[replicas]\nstorage = 2\n[[faults]]\nkind = \"outage\"\ntier = \"storage\"\nreplica = 2\nstart = \"1s\"\nduration = \"1s\"\n");
    assert!(e.starts_with("faults[0].replica"), "{e}");
    let e = err("[[faults]]\nkind = \"node_failure\"\nnode = 4\nstart = \"1s\"\n");
    assert!(e.starts_with("faults[0].node"), "{e}");
}

#[test]
fn a_run_with_faults_writes_faults_csv_and_plots_throughput_with_the_windows() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config::parse(&job(3_000, &outage(100 * MS, 50 * MS, "wait"))).unwrap();
    tiersim::runner::run_config(&cfg, cfg.seed, tmp.path(), &[]).unwrap();
    let csv = std::fs::read_to_string(tmp.path().join("faults.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "fault,target,kind,start_s,end_s,effect");
    assert!(
        lines[1].starts_with("0,tier storage,outage,0.100000,0.150000,1 reads failed"),
        "{csv}"
    );
    let fig = tiersim::plot::fault_throughput::figure(tmp.path()).unwrap();
    let out = tmp.path().join("ft.svg");
    tiersim::plot::save(&fig, &out).unwrap();
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("outage (tier storage)"));
}
