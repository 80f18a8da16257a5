//! Node failures against hand-derived timelines: a job of compute-bound iterations
//! with blocking checkpoints fails once, waits the restart delay and resumes from its
//! last completed checkpoint, so its run time grows by the delay plus the time since
//! that checkpoint; with an MTBF the failures are deterministic per seed and the
//! restart figures add up.

use tiersim::config::Config;

/// 1 s of compute per iteration, reads that cost nanoseconds, a blocking checkpoint
/// of 2 GB at 1 GB/s (2 s) every 10 iterations, `iterations` in all.
fn job(iterations: u64, faults: &str) -> String {
    format!(
        r#"
        seed = 4
        [[tiers]]
        name = "disk"
        read_latency = "1ns"
        read_latency_seq = "1ns"
        read_bandwidth = "1000GB/s"
        write_latency = "0ns"
        write_latency_seq = "0ns"
        write_bandwidth = "1GB/s"
        [workload]
        kind = "training"
        dataset = {{ samples = 1000, size = "1B" }}
        batch_size = 1
        max_iterations = {iterations}
        epochs = 100
        compute = {{ per_batch = "1s" }}
        checkpoint = {{ every = 10, tier = "disk", bytes = "2GB" }}
        {faults}
        "#
    )
}

fn run(text: &str) -> serde_json::Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    tiersim::report::summary(&sim, &out)
}

#[test]
fn a_node_failure_costs_the_restart_delay_plus_the_work_since_the_checkpoint() {
    let base = run(&job(40, ""))["simulated_time_s"].as_f64().unwrap();
    // 40 iterations of 1 s and 4 checkpoints of 2 s.
    assert!((base - 48.0).abs() < 1e-6, "{base}");
    // Checkpoints complete at 12 s (10 iterations) and 24 s (20); iteration 21 ends
    // at 25 s; the node fails at 25.5 s: 20 iterations are safe, 1 is lost, and
    // 1.5 s of work since the checkpoint is done again after the 3 s delay.
    let f = "[[faults]]\nkind = \"node_failure\"\nnode = 0\nstart = \"25.5s\"\n\
             restart_delay = \"3s\"\n";
    let s = run(&job(40, f));
    let t = s["simulated_time_s"].as_f64().unwrap();
    assert!((t - (48.0 + 3.0 + 1.5)).abs() < 1e-6, "{t}");
    let r = &s["workload"]["restarts"];
    assert_eq!(r["restarts"], 1);
    assert_eq!(r["iterations_lost"], 1);
    assert_eq!(r["iterations_done"], 40);
    assert!((r["down_s"].as_f64().unwrap() - 3.0).abs() < 1e-9);
    // Back at iteration 21, where it failed: restarted at 28.5 s from iteration 20,
    // it ends iteration 21 at 29.5 s, 4 s after the failure.
    let recover = r["mean_time_to_recover_s"].as_f64().unwrap();
    assert!((recover - 4.0).abs() < 1e-6, "{recover}");
    // Goodput: 40 useful iterations over the run.
    let g = r["goodput_iterations_per_s"].as_f64().unwrap();
    assert!((g - 40.0 / t).abs() < 1e-9);
    // faults.csv-style figures: one window, one restart on it.
    assert_eq!(s["faults"]["faults"][0]["windows"], 1);
}

#[test]
fn recurring_node_failures_are_deterministic_and_lose_work() {
    let f = "[[faults]]\nkind = \"node_failure\"\nnode = 0\nmtbf = \"60s\"\n\
             restart_delay = \"5s\"\n";
    let a = run(&job(500, f));
    let b = run(&job(500, f));
    assert_eq!(a, b);
    let r = &a["workload"]["restarts"];
    let n = r["restarts"].as_u64().unwrap();
    assert!(n >= 5, "{n} restarts");
    assert_eq!(r["iterations_done"], 500);
    // Each failure is down for exactly the restart delay.
    let down = r["down_s"].as_f64().unwrap();
    assert!(
        (down - 5.0 * n as f64).abs() < 1e-9,
        "down {down} for {n} restarts"
    );
    let lost = r["iterations_lost"].as_u64().unwrap();
    assert!(lost > 0, "{r}");
    let t = a["simulated_time_s"].as_f64().unwrap();
    // 500 s of compute + 50 checkpoints x 2 s, plus the delays and at least 1 s of
    // compute per iteration lost.
    assert!(t >= 600.0 + down + lost as f64, "{t}");
}

/// Two jobs of [`job`]'s kind on a two-node cluster, `a` on node 0 and `b` on node 1,
/// each node with its own checkpoint disk (scope node) and a shared storage of 64
/// channels whose reads take nanoseconds: no device either job waits on for the
/// other, so a job's timeline depends on nothing the other does.
fn two_jobs(faults: &str) -> String {
    let w = |name: &str, node: u32| {
        format!(
            r#"
        [[jobs]]
        name = "{name}"
        nodes = [{node}]
        [jobs.workload]
        kind = "training"
        dataset = {{ samples = 1000, size = "1B" }}
        batch_size = 1
        max_iterations = 40
        epochs = 100
        compute = {{ per_batch = "1s" }}
        checkpoint = {{ every = 10, tier = "disk", bytes = "2GB" }}
        "#
        )
    };
    format!(
        r#"
        seed = 4
        [cluster]
        [[cluster.nodes]]
        name = "n"
        count = 2
        gpus = 1
        [[tiers]]
        name = "disk"
        scope = "node"
        capacity = "1KB"
        read_latency = "1ns"
        read_latency_seq = "1ns"
        read_bandwidth = "1000GB/s"
        write_latency = "0ns"
        write_latency_seq = "0ns"
        write_bandwidth = "1GB/s"
        [[tiers]]
        name = "storage"
        read_latency = "1ns"
        read_latency_seq = "1ns"
        read_bandwidth = "1000GB/s"
        channels = 64
        {faults}
        {}
        {}
        "#,
        w("a", 0),
        w("b", 1)
    )
}

fn run_tables(text: &str) -> (serde_json::Value, Vec<(String, String)>) {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the jobs did not finish");
    let tables = tiersim::report::sim_tables(&sim, &out);
    (tiersim::report::summary(&sim, &out), tables)
}

#[test]
fn with_jobs_a_node_failure_restarts_only_the_job_on_that_node() {
    let secs = |s: &serde_json::Value, j: usize| s["jobs"][j]["run_time_s"].as_f64().unwrap();
    let (base, _) = run_tables(&two_jobs(""));
    // Each job alone: 40 iterations of 1 s and 4 blocking checkpoints of 2 s.
    for j in 0..2 {
        assert!((secs(&base, j) - 48.0).abs() < 1e-6, "{}", secs(&base, j));
    }
    // Node 1 fails at 25.5 s: job b (checkpoints done at 12 s and 24 s, iteration 21
    // ended at 25 s) loses 1.5 s of work since its checkpoint and waits 3 s; job a,
    // on node 0, runs as before.
    let f = "[[faults]]\nkind = \"node_failure\"\nnode = 1\nstart = \"25.5s\"\n\
             restart_delay = \"3s\"\n";
    let (s, tables) = run_tables(&two_jobs(f));
    assert!((secs(&s, 0) - 48.0).abs() < 1e-6, "a: {}", secs(&s, 0));
    assert!(
        (secs(&s, 1) - (48.0 + 3.0 + 1.5)).abs() < 1e-6,
        "b: {}",
        secs(&s, 1)
    );
    let (ra, rb) = (
        &s["jobs"][0]["workload"]["restarts"],
        &s["jobs"][1]["workload"]["restarts"],
    );
    assert_eq!(ra["restarts"], 0);
    assert_eq!(ra["iterations_lost"], 0);
    assert_eq!(rb["restarts"], 1);
    assert_eq!(rb["iterations_lost"], 1);
    assert_eq!(rb["iterations_done"], 40);
    assert!((rb["down_s"].as_f64().unwrap() - 3.0).abs() < 1e-9);
    let g = rb["goodput_iterations_per_s"].as_f64().unwrap();
    assert!((g - 40.0 / 52.5).abs() < 1e-9, "{g}");
    let g = ra["goodput_iterations_per_s"].as_f64().unwrap();
    assert!((g - 40.0 / 48.0).abs() < 1e-9, "{g}");
    // faults.csv names the job it restarted.
    let csv = &tables.iter().find(|t| t.0 == "faults.csv").unwrap().1;
    let line = csv.lines().nth(1).unwrap();
    assert!(line.ends_with("1 job restarts (b)"), "{line}");
}

/// 2 ranks, 1 s of compute per iteration, reads that cost nanoseconds, a ring
/// all-reduce of 2 MiB over link `net` (10 us, 1 GB/s): 2 messages of 1 MiB, so
/// an idle sync takes 2 (10 us + 1,048,576 B / 1 GB/s).
fn synced(iterations: u64, faults: &str) -> String {
    format!(
        r#"
        seed = 4
        [[tiers]]
        name = "disk"
        read_latency = "1ns"
        read_latency_seq = "1ns"
        read_bandwidth = "1000GB/s"
        channels = 64
        [[links]]
        name = "net"
        read_latency = "10us"
        read_latency_seq = "10us"
        read_bandwidth = "1GB/s"
        write_latency = "10us"
        write_latency_seq = "10us"
        write_bandwidth = "1GB/s"
        [workload]
        kind = "training"
        ranks = 2
        dataset = {{ samples = 1000, size = "1B" }}
        batch_size = 1
        max_iterations = {iterations}
        compute = {{ per_batch = "1s" }}
        sync = {{ kind = "ring", link = "net", bytes = "2MiB" }}
        {faults}
        "#
    )
}

#[test]
fn a_link_outage_during_a_gradient_sync_delays_the_iteration_by_what_is_left_of_it() {
    const S: i128 = 1_000_000_000_000;
    let n = 10i128;
    let ps = |v: &serde_json::Value| v["simulated_time_ps"].as_u64().unwrap() as i128;
    let alpha = 10_000_000i128; // 10 us
    let step = 1_048_576i128 * 1_000; // 1 MiB at 1 GB/s, in ps
    let sync = 2 * (alpha + step);
    let base = ps(&run(&synced(n as u64, "")));
    // The first batch's read r0 (nanoseconds) is the only time not hidden behind
    // compute or sync: base = r0 + n (1 s + sync).
    let r0 = base - n * (S + sync);
    assert!((0..10_000).contains(&r0), "r0 = {r0} ps");
    // The link is out in [0.5 s, 2.5 s): the first sync, due at r0 + 1 s, waits
    // until 2.5 s; nothing else crosses the link then.
    let f = "[[faults]]\nkind = \"outage\"\nlink = \"net\"\nstart = \"0.5s\"\nduration = \"2s\"\n";
    let s = run(&synced(n as u64, f));
    let left = 5 * S / 2 - (r0 + S);
    assert_eq!(ps(&s) - base, left, "delayed by the rest of the outage");
    let lost = s["faults"]["transfer_time_lost_s"].as_f64().unwrap();
    assert!((lost - left as f64 / S as f64).abs() < 1e-9, "{lost}");
    // An outage that starts in the middle of the first message: it fails then and
    // is sent again when the link is back (at 2.5 s), so the iteration ends one sync
    // after 2.5 s.
    let mid = r0 + S + alpha + step / 2;
    let f = format!(
        "[[faults]]\nkind = \"outage\"\nlink = \"net\"\nstart = \"{mid}ps\"\nduration = \"{}ps\"\n",
        5 * S / 2 - mid
    );
    let s = run(&synced(n as u64, &f));
    assert_eq!(ps(&s) - base, 5 * S / 2 - (r0 + S), "{}", ps(&s) - base);
    // Fail-slow for the whole run, latency x3 and bandwidth / 2: each message costs
    // 3 alpha + 2 x its transfer.
    let f = "[[faults]]\nkind = \"slow\"\nlink = \"net\"\nstart = \"0s\"\nlatency_factor = 3\n\
             bandwidth_factor = 2\n";
    let s = run(&synced(n as u64, f));
    let slow_sync = 2 * (3 * alpha + 2 * step);
    assert_eq!(ps(&s) - base, n * (slow_sync - sync));
}

/// A node failure restarts jobs from checkpoints, which a synthetic workload has not:
/// the config is refused up front, naming the fault, instead of failing mid-run.
#[test]
fn a_node_failure_under_a_workload_without_checkpoints_is_a_config_error() {
    let text = r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1MiB"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "zipf"
objects = 1000
requests = 10000
size = "4KiB"
[[faults]]
kind = "node_failure"
start = "1ms"
"#;
    let cfg = Config::parse(text).unwrap();
    let e = tiersim::model::build(&cfg, cfg.seed)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("faults[0].kind") && e.contains("synthetic"),
        "{e}"
    );
}

/// `[reader] on_loss = "skip"` is the training job's own: a synthetic job beside it
/// on another node waits out the outage (its reads are not skipped), so its run time
/// is the same with skip as with wait: 1,000 closed-loop reads of 10 ms (10 s) plus
/// the 1 s outage they meet.
#[test]
fn skipping_is_the_training_jobs_own_other_jobs_wait() {
    let text = |on_loss: &str| {
        format!(
            r#"
        seed = 4
        [cluster]
        [[cluster.nodes]]
        name = "n"
        count = 2
        gpus = 1
        [[tiers]]
        name = "storage"
        read_latency = "10ms"
        read_latency_seq = "10ms"
        read_bandwidth = "1000GB/s"
        channels = 64
        [[faults]]
        kind = "outage"
        tier = "storage"
        start = "5s"
        duration = "1s"
        [reader]
        on_loss = "{on_loss}"
        [[jobs]]
        name = "t"
        nodes = [0]
        [jobs.workload]
        kind = "training"
        dataset = {{ samples = 1000, size = "1B" }}
        batch_size = 1
        max_iterations = 20
        compute = {{ per_batch = "1s" }}
        [[jobs]]
        name = "s"
        nodes = [1]
        [jobs.workload]
        kind = "synthetic"
        pattern = "uniform"
        objects = 100
        requests = 1000
        clients = 1
        size = "1B"
        "#
        )
    };
    let secs = |s: &serde_json::Value| s["jobs"][1]["run_time_s"].as_f64().unwrap();
    let (wait, _) = run_tables(&text("wait"));
    let (skip, _) = run_tables(&text("skip"));
    assert!((secs(&wait) - 11.0).abs() < 0.11, "wait: {}", secs(&wait));
    assert_eq!(secs(&skip), secs(&wait));
    // The training job did skip: it lost samples.
    let lost = skip["jobs"][0]["workload"]["samples_lost"]
        .as_u64()
        .unwrap();
    assert!(lost > 0, "{skip}");
}
