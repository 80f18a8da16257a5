//! `tiersim run` as a user runs it: result files, byte-identical summaries for the same
//! seed, and one clear error (never a panic) for each kind of bad config.

use std::path::Path;
use std::process::Command;

fn tiersim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(args)
        .output()
        .expect("run tiersim")
}

const SMALL: &str = r#"
seed = 5
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "4MiB"
eviction = "lru"
[[tiers]]
name = "pmem"
preset = "optane-pmm"
capacity = "16MiB"
eviction = "fifo"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 20000
requests = 50000
clients = 8
read_fraction = 0.8
size = { dist = "uniform", min = "1KiB", max = "8KiB" }
"#;

fn run_into(dir: &Path, seed: Option<&str>) -> Vec<u8> {
    let cfg = dir.join("small.toml");
    std::fs::write(&cfg, SMALL).unwrap();
    let out = dir.join(format!("out-{}", seed.unwrap_or("default")));
    let mut args = vec![
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    if let Some(s) = seed {
        args.extend(["--seed", s]);
    }
    let o = tiersim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "summary.json",
        "tiers.csv",
        "latency.csv",
        "latency_cdf.csv",
        "timeseries.csv",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::read(out.join("summary.json")).unwrap()
}

#[test]
fn same_seed_gives_identical_summary_and_another_seed_does_not() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let first = run_into(a.path(), None);
    let second = run_into(b.path(), None);
    assert_eq!(
        first, second,
        "two runs with the same config and seed differ"
    );
    let other = run_into(a.path(), Some("6"));
    assert_ne!(first, other, "another seed gave the same summary");

    let s: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let tiers = s["tiers"].as_array().unwrap();
    // Every access is served by exactly one tier.
    let served: u64 = tiers.iter().map(|t| t["served"].as_u64().unwrap()).sum();
    assert_eq!(served, 50_000);
    // Lookups: every access looks in the top tier; hits + misses there = all accesses.
    assert_eq!(
        tiers[0]["hits"].as_u64().unwrap() + tiers[0]["misses"].as_u64().unwrap(),
        50_000
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.path().join("out-default/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["seed"], 5);
    assert_eq!(
        manifest["resolved_config"]["tiers"][1]["read_latency"],
        "305ns"
    );
    let source = manifest["resolved_config"]["tiers"][1]["source"]
        .as_str()
        .unwrap();
    assert!(source.contains("REFERENCES.md"), "{source}");
    assert_eq!(manifest["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
}

/// Runs a bad config and returns stderr; asserts exit code 2 and no panic.
fn bad(text: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    if let Some(t) = text {
        std::fs::write(&cfg, t).unwrap();
    }
    let o = tiersim(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "panic: {err}"
    );
    assert_eq!(
        err.trim().lines().count(),
        1,
        "one clear message expected: {err}"
    );
    err
}

fn with(replace: &str, by: &str) -> String {
    assert!(SMALL.contains(replace));
    SMALL.replacen(replace, by, 1)
}

#[test]
fn bad_configs_get_one_clear_error_naming_the_key() {
    assert!(bad(None).contains("cannot read the config"));
    assert!(bad(Some("")).contains("empty"));
    assert!(bad(Some("this is [not toml")).contains("not valid TOML"));
    let e = bad(Some(&with("seed = 5", "seed = 5\ncolour = \"blue\"")));
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = bad(Some(&with("capacity = \"16MiB\"", "capacity = \"16GB/s\"")));
    assert!(
        e.contains("tiers[1].capacity") && e.contains("expected a size"),
        "{e}"
    );
    let e = bad(Some(&with("capacity = \"16MiB\"", "capacity = 0")));
    assert!(
        e.contains("tiers[1].capacity") && e.contains("greater than zero"),
        "{e}"
    );
    let e = bad(Some(&with("capacity = \"16MiB\"", "capacity = -5")));
    assert!(e.contains("tiers[1].capacity"), "{e}");
    let e = bad(Some("[workload]\nkind = \"synthetic\"\n"));
    assert!(e.contains("tiers") && e.contains("empty"), "{e}");
    let e = bad(Some(&with(
        "preset = \"optane-pmm\"",
        "preset = \"optane-9000\"",
    )));
    assert!(
        e.contains("tiers[1].preset") && e.contains("ddr4-3200"),
        "{e}"
    );
    let e = bad(Some(&with(
        "eviction = \"fifo\"",
        "eviction = \"clairvoyance\"",
    )));
    assert!(e.contains("tiers[1].eviction") && e.contains("lru"), "{e}");
    let e = bad(Some(&with("alpha = 0.9", "alpha = \"high\"")));
    assert!(e.contains("workload.alpha"), "{e}");
    let e = bad(Some(&with("kind = \"synthetic\"", "kind = \"telepathy\"")));
    assert!(
        e.contains("workload.kind") && e.contains("synthetic"),
        "{e}"
    );
}
