//! Guard rails of long and interrupted runs: a re-run into a finished result folder
//! killed at any point (or out of disk space) leaves the old complete result or the
//! new one, never a mix; a sweep with a combination that would run for days records
//! it as timed out and finishes; progress shows on a terminal and not with --quiet.

use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

fn tiersim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tiersim"))
}

/// A synthetic run of `requests` requests (a few tenths of a second at 2 M).
fn config(requests: u64) -> String {
    format!(
        r#"seed = 1
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "4MiB"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 10000
requests = {requests}
clients = 4
size = "4KiB"
"#
    )
}

/// The files of a result folder, manifest.json (wall-clock times) reduced to its seed.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        let mut bytes = std::fs::read(e.path()).unwrap();
        if name == "manifest.json" {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            bytes = v["seed"].to_string().into_bytes();
        }
        out.insert(name, bytes);
    }
    out
}

/// A complete run of `cfg` with `seed` into `out`.
fn run(cfg: &Path, out: &Path, seed: u64) {
    let o = tiersim()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--quiet",
            "--seed",
            &seed.to_string(),
        ])
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Staging folders of `out` (`.<name>.partial-*`) in its parent.
fn staging_folders(out: &Path) -> Vec<PathBuf> {
    let prefix = format!(".{}.partial-", out.file_name().unwrap().to_string_lossy());
    std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

/// Polls `child` until `done()` holds or it exits; true if it is still running.
fn poll_until(child: &mut Child, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if done() {
            return true;
        }
        std::thread::yield_now();
    }
}

#[test]
fn a_rerun_killed_at_any_point_leaves_the_old_or_the_new_result() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config(2_000_000)).unwrap();
    // The two results a folder may hold: seed 1's and seed 2's.
    let t0 = Instant::now();
    run(&cfg, &dir.path().join("ref1"), 1);
    let run_time = t0.elapsed();
    run(&cfg, &dir.path().join("ref2"), 2);
    let refs = [
        contents(&dir.path().join("ref1")),
        contents(&dir.path().join("ref2")),
    ];
    assert_ne!(refs[0]["summary.json"], refs[1]["summary.json"]);

    let out = dir.path().join("res");
    run(&cfg, &out, 1);
    let mut holds = 0; // index into refs of what `out` holds
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(14);
    let (mut killed, mut finished) = (0, 0);
    for round in 0..16 {
        let target = 1 - holds;
        let mut child = tiersim()
            .args(["run", cfg.to_str().unwrap(), "--quiet", "--seed"])
            .arg((target + 1).to_string())
            .arg("--out")
            .arg(&out)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill points: once staging has begun, after a seeded share of a run's time;
        // every fourth round, the moment summary.json (the last file) is staged.
        let running = poll_until(&mut child, || !staging_folders(&out).is_empty());
        let running = running
            && if round % 4 == 3 {
                poll_until(&mut child, || {
                    staging_folders(&out)
                        .iter()
                        .any(|s| s.join("summary.json").exists())
                })
            } else {
                let delay = run_time.mul_f64(rng.gen_range(0.0..1.2));
                let start = Instant::now();
                poll_until(&mut child, || start.elapsed() >= delay)
            };
        if running {
            let _ = child.kill();
            killed += 1;
        }
        let status = child.wait().unwrap();
        let now = contents(&out);
        if now == refs[target] {
            holds = target;
            finished += usize::from(status.success());
        } else {
            assert_eq!(
                now, refs[holds],
                "round {round}: the folder holds neither the old nor the new run"
            );
        }
    }
    assert!(killed >= 8, "only {killed} of 16 re-runs were killed");
    // The next complete run cleans up what the killed ones left beside the folder.
    run(&cfg, &out, 1);
    assert_eq!(contents(&out), refs[0]);
    assert!(staging_folders(&out).is_empty(), "staging folders left");
    println!("{killed} killed, {finished} finished");
}

/// A tmpfs of `size` mounted at `dir` for the test's lifetime.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills `dir`'s file system until `free` bytes remain (a file of zeros).
fn fill_leaving(dir: &Path, free: u64) {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    let full = std::fs::metadata(&filler).unwrap().len();
    drop(f);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(full.saturating_sub(free))
        .unwrap();
}

#[test]
fn a_rerun_that_runs_out_of_disk_leaves_the_old_result() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("disk");
    std::fs::create_dir(&mnt).unwrap();
    let Some(_disk) = Tmpfs::mount(&mnt, "8m") else {
        println!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config(300_000)).unwrap();
    let out = mnt.join("res");
    run(&cfg, &out, 1);
    let old = contents(&out);
    let size: u64 = old.values().map(|b| b.len() as u64).sum();
    // Room for about half of a new run's files.
    fill_leaving(&mnt, size / 2);
    let o = tiersim()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--quiet",
            "--seed",
            "2",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
    assert_eq!(contents(&out), old, "the old result changed");
    assert!(staging_folders(&out).is_empty(), "staging folder left");
}

#[test]
fn a_sweep_with_a_hanging_combination_records_it_as_timed_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), config(1000)).unwrap();
    // 10^12 requests would run for days; 10^3 in milliseconds.
    std::fs::write(
        dir.path().join("s.toml"),
        "base = \"c.toml\"\n[grid]\n\"workload.requests\" = [1000, 1000000000000, 2000]\n",
    )
    .unwrap();
    let o = tiersim()
        .args([
            "sweep",
            "s.toml",
            "--out",
            "sw",
            "--jobs",
            "2",
            "--run-timeout",
            "2s",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "one run failed: {stderr}");
    let csv = std::fs::read_to_string(dir.path().join("sw/runs.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[0].contains(",ok,") && rows[2].contains(",ok,"),
        "{csv}"
    );
    assert!(
        rows[1].contains(",failed,\"timed out after 2s (wall clock)"),
        "{csv}"
    );
}

/// `tiersim args` on a pseudo-terminal (util-linux `script`): what the terminal shows.
fn on_a_terminal(dir: &Path, args: &str) -> Option<String> {
    let has_script = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        println!("skipped: no `script` (util-linux) for a pseudo-terminal");
        return None;
    }
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_tiersim"));
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    Some(String::from_utf8_lossy(&o.stdout).to_string())
}

#[test]
fn progress_shows_on_a_terminal_and_not_with_quiet() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), config(2_000_000)).unwrap();
    let Some(shown) = on_a_terminal(dir.path(), "run c.toml --out a") else {
        return;
    };
    // The bar: percent of the requests, simulated time, event rate, ETA.
    assert!(shown.contains("% ("), "{shown}");
    assert!(shown.contains("/2000000)"), "{shown}");
    assert!(shown.contains("events/s"), "{shown}");
    assert!(shown.contains("ETA"), "{shown}");
    assert!(shown.contains("results in a/"), "{shown}");
    let quiet = on_a_terminal(dir.path(), "run c.toml --out b --quiet").unwrap();
    assert_eq!(quiet.trim(), "", "--quiet printed: {quiet}");
    // Not a terminal and a short run: no bar, no progress line (one per 10 s).
    let o = tiersim()
        .args(["run", "c.toml", "--out", "c"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("ETA") && !stderr.contains('\u{1b}'),
        "{stderr}"
    );
}
