//! `tiersim sweep` and `tiersim merge` end to end, through the built binary: kill -9
//! and resume, shards and merge, --jobs independence, failed runs, unknown key paths.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tiersim");

/// A small two-tier base config (inline), runs of a few tens of milliseconds.
const BASE: &str = r#"
[base]
seed = 7
[[base.tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "4MiB"
eviction = "lru"
[[base.tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[base.workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 4000
requests = 20000
clients = 4
read_fraction = 0.9
size = "4KiB"
"#;

fn spec(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{body}\n{BASE}")).unwrap();
    p
}

fn sweep(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("sweep")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "tiersim failed: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file and folder under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        out.push(p.clone());
        if p.is_dir() {
            walk(&p, out);
        }
    }
}

/// summary.json of every finished run: path -> (inode, mtime in ns).
fn finished(out: &Path) -> BTreeMap<PathBuf, (u64, i128)> {
    let mut m = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(out.join("runs")) else {
        return m;
    };
    for e in rd.flatten() {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let s = e.path().join("summary.json");
        if let Ok(md) = std::fs::metadata(&s) {
            let mtime = md.mtime() as i128 * 1_000_000_000 + md.mtime_nsec() as i128;
            m.insert(s, (md.ino(), mtime));
        }
    }
    m
}

const MANY: &str = r#"
[grid]
"tiers[0].capacity" = ["1MiB", "2MiB", "3MiB", "4MiB", "5MiB", "6MiB", "7MiB", "8MiB", "9MiB", "10MiB"]
"workload.alpha" = [0.7, 0.8, 0.9, 1.1]
"#;

#[test]
fn kill_during_a_sweep_then_resume_redoes_nothing_and_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(tmp.path(), "many.toml", MANY);
    let reference = tmp.path().join("reference");
    ok(&sweep(&s, &reference, &["--jobs", "2", "--quiet"]));

    let out = tmp.path().join("killed");
    let mut child = Command::new(BIN)
        .arg("sweep")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until a few runs have finished, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(300);
    while finished(&out).len() < 3 {
        assert!(Instant::now() < deadline, "no run finished in time");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be killed"
        );
        // Poll the folder; a short pause keeps the poll from taking a core from the sweep.
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !out.join("runs.csv").exists(),
        "the sweep had already finished when killed"
    );
    let before = finished(&out);
    assert!(before.len() >= 3 && before.len() < 40, "{}", before.len());

    ok(&sweep(&s, &out, &["--jobs", "1", "--resume", "--quiet"]));
    let after = finished(&out);
    assert_eq!(after.len(), 40);
    for (path, id) in &before {
        assert_eq!(after.get(path), Some(id), "{} was redone", path.display());
    }
    let mut all = Vec::new();
    walk(&out, &mut all);
    for p in &all {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(
            !name.ends_with(".tmp") && !name.starts_with(".partial-"),
            "leftover {}",
            p.display()
        );
    }
    // Every run folder is whole.
    for e in std::fs::read_dir(out.join("runs")).unwrap().flatten() {
        for f in ["summary.json", "manifest.json", "tiers.csv", "latency.csv"] {
            assert!(
                e.path().join(f).is_file(),
                "{} lacks {f}",
                e.path().display()
            );
        }
    }
    // jobs 2 uninterrupted vs jobs 1 killed and resumed: the same bytes.
    assert_eq!(
        read(&out.join("runs.csv")),
        read(&reference.join("runs.csv"))
    );
    assert_eq!(
        read(&out.join("plan.json")),
        read(&reference.join("plan.json"))
    );
}

const SMALL: &str = r#"
[grid]
"tiers[0].capacity" = ["1MiB", "8MiB"]
"tiers[0].eviction" = ["lru", "fifo", "nosuch"]
"#;

#[test]
fn jobs_do_not_change_runs_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(tmp.path(), "small.toml", "[grid]\n\"workload.alpha\" = [0.6, 0.8, 1.0, 1.2]\n\"tiers[0].eviction\" = [\"lru\", \"fifo\"]");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    ok(&sweep(&s, &a, &["--jobs", "1", "--quiet"]));
    ok(&sweep(&s, &b, &["--jobs", "2", "--quiet"]));
    let csv = read(&a.join("runs.csv"));
    assert_eq!(csv, read(&b.join("runs.csv")));
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 1 + 8);
}

#[test]
fn shards_merge_to_the_unsharded_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(tmp.path(), "small.toml", SMALL);
    let whole = tmp.path().join("whole");
    let o = sweep(&s, &whole, &["--jobs", "2", "--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a failed run makes the exit code 1"
    );
    let mut shards = Vec::new();
    for k in 0..4 {
        let d = tmp.path().join(format!("shard-{k}"));
        let o = sweep(
            &s,
            &d,
            &["--jobs", "1", "--quiet", "--shard", &format!("{k}/4")],
        );
        assert!(o.status.code() == Some(0) || o.status.code() == Some(1));
        // The shard's runs.csv holds exactly its share (index % 4 == k).
        let text = String::from_utf8(read(&d.join("runs.csv"))).unwrap();
        let idx: Vec<usize> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        let want: Vec<usize> = (0..6).filter(|i| i % 4 == k).collect();
        assert_eq!(idx, want);
        shards.push(d);
    }
    let merged = tmp.path().join("merged");
    let o = Command::new(BIN)
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(
        read(&merged.join("runs.csv")),
        read(&whole.join("runs.csv"))
    );
    for e in std::fs::read_dir(whole.join("runs")).unwrap().flatten() {
        let copy = merged.join("runs").join(e.file_name());
        assert!(copy.is_dir(), "{} not copied", copy.display());
        for f in ["summary.json", "error.txt", "tiers.csv"] {
            if e.path().join(f).exists() {
                assert_eq!(read(&e.path().join(f)), read(&copy.join(f)));
            }
        }
    }
    // A missing shard is an error, not a silent gap.
    let o = Command::new(BIN)
        .arg("merge")
        .args(&shards[..3])
        .arg("--out")
        .arg(tmp.path().join("partial"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no result"));
}

#[test]
fn a_failing_run_is_recorded_and_the_sweep_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let s = spec(
        tmp.path(),
        "fail.toml",
        "[grid]\n\"tiers[0].eviction\" = [\"lru\", \"nosuch\"]\n\"tiers[0].capacity\" = [\"0B\", \"2MiB\"]",
    );
    let out = tmp.path().join("out");
    let o = sweep(&s, &out, &["--jobs", "2", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(read(&out.join("runs.csv"))).unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    // (lru, 0B): capacity 0 is rejected when the config is parsed.
    assert_eq!(&rows[0][2], "failed");
    assert!(rows[0][3].contains("tiers[0].capacity"), "{}", &rows[0][3]);
    // (lru, 2MiB) runs.
    assert_eq!(&rows[1][2], "ok");
    assert_eq!(&rows[1][3], "");
    // (nosuch, 2MiB): the model rejects the policy; the message lists known ones.
    assert_eq!(&rows[3][2], "failed");
    assert!(
        rows[3][3].contains("unknown eviction policy 'nosuch'"),
        "{}",
        &rows[3][3]
    );
    assert!(read(&out.join("runs").join(&rows[3][1]).join("error.txt")).len() > 10);
}

#[test]
fn an_unknown_key_path_is_named_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    for (path, hint) in [
        ("workload.alpah", "workload.alpah"),
        ("tiers[5].capacity", "tiers[5].capacity"),
        ("sim.nonsense", "sim.nonsense"),
        ("tiers[0].capacty", "tiers[0].capacty"),
    ] {
        let s = spec(
            tmp.path(),
            "bad.toml",
            &format!("[grid]\n\"tiers[0].capacity\" = [\"1MiB\", \"2MiB\"]\n\"{path}\" = [1, 2]"),
        );
        let out = tmp.path().join("bad-out");
        let o = sweep(&s, &out, &["--quiet"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("unknown key path") && err.contains(hint),
            "{err}"
        );
        assert!(!out.exists(), "a run started for {path}");
    }
}

/// A run's id covers the contents of the files its config reads (here an empirical
/// size file): an edited file gives new ids, so `--resume` runs them again instead of
/// keeping stale results; the original contents give the original ids back. Each
/// run's manifest.json records the file's SHA-256.
#[test]
fn run_ids_cover_the_files_a_config_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let sizes = tmp.path().join("sizes.txt");
    let body = format!(
        "[grid]\n\"workload.alpha\" = [0.8, 0.9]\n{}",
        BASE.replace(
            "size = \"4KiB\"",
            "size = { dist = \"empirical\", file = \"sizes.txt\" }"
        )
    );
    let s = tmp.path().join("files.toml");
    std::fs::write(&s, body).unwrap();
    let ids = |out: &Path| -> Vec<String> {
        let csv = String::from_utf8(read(&out.join("runs.csv"))).unwrap();
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_string())
            .collect()
    };
    let out = tmp.path().join("out");
    std::fs::write(&sizes, "4096\n8192\n").unwrap();
    ok(&sweep(&s, &out, &["--jobs", "1", "--quiet"]));
    let first = ids(&out);
    assert_eq!(first.len(), 2);

    // manifest.json digests the size file (SHA-256 computed here, independently).
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(read(&sizes))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let m: serde_json::Value = serde_json::from_slice(&read(
        &out.join("runs").join(&first[0]).join("manifest.json"),
    ))
    .unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert!(
        inputs
            .iter()
            .any(|i| i["path"].as_str().unwrap().ends_with("sizes.txt")
                && i["sha256"] == want.as_str()),
        "manifest inputs: {inputs:?}"
    );

    // Edited: new ids, and --resume runs them.
    std::fs::write(&sizes, "4096\n16384\n").unwrap();
    ok(&sweep(&s, &out, &["--jobs", "1", "--quiet", "--resume"]));
    let second = ids(&out);
    assert_eq!(second.len(), 2);
    for id in &second {
        assert!(
            !first.contains(id),
            "run {id} kept its id after its input changed"
        );
        assert!(out.join("runs").join(id).join("summary.json").exists());
    }

    // Restored: the original ids.
    std::fs::write(&sizes, "4096\n8192\n").unwrap();
    let listed = sweep(&s, &out, &["--list"]);
    ok(&listed);
    let text = String::from_utf8_lossy(&listed.stdout);
    for id in &first {
        assert!(text.contains(id.as_str()), "--list: {text}");
    }
}
