//! DLIO workloads end to end (`kind = "dlio"` from a YAML beside the config) and
//! samples in files, against closed forms: each chunk of a streamed file read once,
//! AU = B / (N d) on a saturated drive, errors naming the YAML key; and the sweep's
//! `[search]` (bisection, probes in runs.csv, resume and --jobs give the same bytes).

use std::path::Path;
use std::process::Command;
use tiersim::config::Config;
use tiersim::model;

const BIN: &str = env!("CARGO_BIN_EXE_tiersim");

/// A drive of `bw` bytes/s with 1 us latency and plenty of channels.
fn drive(bw: &str) -> String {
    format!(
        "seed = 1\n[[tiers]]\nname = \"disk\"\npreset = \"nvme-tlc-pcie4\"\nread_bandwidth = \"{bw}\"\n\
         read_latency = \"1us\"\nchannels = 1024\n"
    )
}

/// Writes `yaml` and a config running it into `dir`; returns the config's path.
fn write(dir: &Path, yaml: &str, workload_extra: &str, bw: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("w.yaml"), yaml).unwrap();
    let cfg = format!(
        "{}\n[workload]\nkind = \"dlio\"\nyaml = \"w.yaml\"\n{workload_extra}\n",
        drive(bw)
    );
    let path = dir.join("c.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn run(path: &Path) -> serde_json::Value {
    let (cfg, _) = Config::load(path).unwrap();
    let mut sim = model::build(&cfg, cfg.seed).unwrap();
    let outcome = sim.try_run(&tiersim::watch::Watch::default()).unwrap();
    tiersim::report::summary(&sim, &outcome)
}

#[test]
fn a_streamed_tfrecord_dataset_reads_each_transfer_chunk_once() {
    let tmp = tempfile::tempdir().unwrap();
    // 8 files x 10 records of 100,000 B = 1,000,000 B per file; 262,144 B transfers:
    // ceil(1e6 / 262144) = 4 reads per file, 32 per epoch; every byte once per epoch.
    let yaml = |threads: u32| {
        format!(
            "dataset:\n  num_files_train: 8\n  num_samples_per_file: 10\n  \
             record_length: 100000\n  format: tfrecord\nreader:\n  batch_size: 5\n  \
             read_threads: {threads}\ntrain:\n  epochs: 3\n  computation_time: 0.001\n"
        )
    };
    let s = run(&write(tmp.path(), &yaml(1), "accelerators = 2", "1GB/s"));
    assert_eq!(s["tiers"][0]["reads"].as_u64(), Some(3 * 32));
    assert_eq!(s["tiers"][0]["bytes_read"].as_u64(), Some(3 * 8_000_000));
    assert_eq!(s["workload"]["iterations"].as_u64(), Some(3 * 8));
    // With a 2-chunk read-ahead every byte is still read once.
    let s = run(&write(
        tmp.path(),
        &yaml(1),
        "accelerators = 2\nread_ahead = 2",
        "1GB/s",
    ));
    assert_eq!(s["tiers"][0]["bytes_read"].as_u64(), Some(3 * 8_000_000));
    // Two loader workers take a file's two batches (records 0-4 and 5-9); the chunk
    // holding bytes 262,144..524,288 has records 4 and 5, so both workers read it
    // (docs/dlio.md): 5 reads and 1,262,144 B per file.
    let s = run(&write(tmp.path(), &yaml(2), "accelerators = 2", "1GB/s"));
    assert_eq!(s["tiers"][0]["reads"].as_u64(), Some(3 * 8 * 5));
    assert_eq!(
        s["tiers"][0]["bytes_read"].as_u64(),
        Some(3 * 8 * 1_262_144)
    );
}

#[test]
fn independent_accelerators_on_a_saturated_drive_get_b_over_n_d() {
    let tmp = tempfile::tempdir().unwrap();
    // Each accelerator wants 8 MB per 4 ms = 2 GB/s; 4 of them on a 1 GB/s drive:
    // AU = 1 / (4 x 2) = 0.125 (docs/training.md's closed form for independent ranks).
    let yaml = "dataset:\n  num_files_train: 400\n  record_length: 8000000\n  format: npz\n\
                reader:\n  batch_size: 1\n  read_threads: 2\n  sample_shuffle: seed\n\
                train:\n  epochs: 1\n  computation_time: 0.004\n";
    let s = run(&write(tmp.path(), yaml, "accelerators = 4", "1GB/s"));
    let au = s["workload"]["au"].as_f64().unwrap();
    assert!((au / 0.125 - 1.0).abs() < 0.02, "AU {au}");
    // The keys that do not change read timing are noted, not errors.
    let yaml2 = format!(
        "framework: pytorch\ndataset:\n  data_folder: x\n{}",
        &yaml[9..]
    );
    let s = run(&write(tmp.path(), &yaml2, "accelerators = 4", "1GB/s"));
    let w = s["warnings"].to_string();
    assert!(
        w.contains("'framework'") && w.contains("'dataset.data_folder'"),
        "{w}"
    );
}

#[test]
fn bad_yaml_values_are_errors_naming_the_yaml_key() {
    let tmp = tempfile::tempdir().unwrap();
    for (yaml, key) in [
        ("reader:\n  batch_size: 0\n", "reader.batch_size"),
        (
            "train:\n  computation_time: fast\n",
            "train.computation_time",
        ),
        ("dataset:\n  num_file_train: 3\n", "dataset.num_file_train"),
    ] {
        let path = write(tmp.path(), yaml, "", "1GB/s");
        let (cfg, _) = Config::load(&path).unwrap();
        let e = model::build(&cfg, 1).err().expect("an error");
        assert_eq!(e.path, "workload.yaml", "{e}");
        assert!(e.msg.contains(key), "{e}");
    }
    let path = write(
        tmp.path(),
        "dataset:\n  num_files_train: 10\nreader:\n  batch_size: 4\n",
        "accelerators = 4",
        "1GB/s",
    );
    let (cfg, _) = Config::load(&path).unwrap();
    let e = model::build(&cfg, 1).err().expect("an error");
    assert_eq!(e.path, "workload.accelerators", "{e}"); // A sample count past 2^63 is named, not wrapped.
    let path = write(
        tmp.path(),
        "dataset:\n  num_files_train: 10\n  num_samples_per_file: 4\n",
        "num_files_train = 4611686018427387904",
        "1GB/s",
    );
    let (cfg, _) = Config::load(&path).unwrap();
    let e = model::build(&cfg, 1).err().expect("an error");
    assert_eq!(e.path, "workload.num_files_train", "{e}");
}

/// A search spec over a base config in `dir` (see the test below).
fn search_spec(dir: &Path) -> std::path::PathBuf {
    // 50 MB per 50 ms = 1 GB/s per accelerator on a 10 GB/s drive: AU >= 0.9 holds up
    // to floor(10 / 0.9) = 11 accelerators by the closed form; the simulation's AU
    // also loses each epoch's first batch, so the answer is at most 11.
    let yaml = "dataset:\n  num_files_train: 2400\n  record_length: 50000000\n  format: npz\n\
                reader:\n  batch_size: 1\n  read_threads: 2\n  sample_shuffle: seed\n\
                train:\n  epochs: 1\n  computation_time: 0.05\n";
    write(dir, yaml, "accelerators = 1", "10GB/s");
    let spec = dir.join("s.toml");
    std::fs::write(
        &spec,
        "base = \"c.toml\"\n[search]\nkey = \"workload.accelerators\"\nlow = 1\nhigh = 40\n\
         metric = \"au\"\nat_least = 0.9\n",
    )
    .unwrap();
    spec
}

fn sweep(args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("sweep").args(args).output().unwrap()
}

/// A probe the config refuses (so many accelerators that each reads fewer of the
/// 2,400 samples than a batch of 2) misses the threshold, its error in runs.csv, and
/// the search goes on to the answer.
#[test]
fn a_probe_that_cannot_run_counts_as_a_miss() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = search_spec(tmp.path());
    let edit = |p: &Path, from: &str, to: &str| {
        let text = std::fs::read_to_string(p).unwrap().replace(from, to);
        std::fs::write(p, text).unwrap();
    };
    edit(&spec, "high = 40", "high = 5000");
    // Batches of 2: 100 MB per 50 ms = 2 GB/s per accelerator on the 10 GB/s drive,
    // floor(10 / (0.9 x 2)) = 5 by the closed form, at most that in the simulation.
    edit(&tmp.path().join("w.yaml"), "batch_size: 1", "batch_size: 2");
    let a = tmp.path().join("a");
    let o = sweep(&[spec.to_str().unwrap(), "--out", a.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let runs = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    // The first probe is (0 + 5001) / 2 = 2500 accelerators: one sample each.
    let first = runs.lines().nth(1).unwrap();
    assert!(
        first.contains(",failed,") && first.contains("2500 accelerators each read 1"),
        "{runs}"
    );
    let found = std::fs::read_to_string(a.join("search.csv")).unwrap();
    let answer: i64 = found
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((4..=5).contains(&answer), "{found}");
}

#[test]
fn a_search_bisects_records_every_probe_and_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = search_spec(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let o = sweep(&[
        spec.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "-q",
        "-j",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let found = std::fs::read_to_string(a.join("search.csv")).unwrap();
    let answer: i64 = found
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((10..=11).contains(&answer), "{found}");
    // Every probe is a row of runs.csv; 41 answers (1..=40 or none) take at most
    // ceil(log2 41) = 6 probes; the probes bracket the answer.
    let runs = std::fs::read_to_string(a.join("runs.csv")).unwrap();
    let rows: Vec<&str> = runs.lines().skip(1).collect();
    assert!(!rows.is_empty() && rows.len() <= 6, "{runs}");
    assert!(
        found.trim_end().ends_with(&format!(",{}", rows.len())),
        "{found}"
    );
    // One job or two, resumed or not: the same bytes.
    let o = sweep(&[
        spec.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
        "-q",
        "-j",
        "1",
    ]);
    assert!(o.status.success());
    assert_eq!(runs, std::fs::read_to_string(b.join("runs.csv")).unwrap());
    let o = sweep(&[
        spec.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "-q",
        "--resume",
    ]);
    assert!(o.status.success());
    assert_eq!(runs, std::fs::read_to_string(a.join("runs.csv")).unwrap());
    assert_eq!(
        found,
        std::fs::read_to_string(a.join("search.csv")).unwrap()
    );
    // A search cannot be sharded.
    let o = sweep(&[
        spec.to_str().unwrap(),
        "--shard",
        "0/2",
        "--out",
        tmp.path().join("c").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be sharded"));
}
