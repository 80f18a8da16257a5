//! Trace-replay workload: closed and open loop over small trace files written here,
//! path resolution against the config file's folder, errors, and (when the shared data
//! is present) the full cloudPhysicsIO trace.

use std::path::{Path, PathBuf};
use tiersim::config::Config;
use tiersim::model;

/// A 1 MiB cache (10 us, 1 GB/s) over a home tier (100 us, 1 GB/s = 1,000 ps per byte).
fn config(workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "cache"
read_latency = "10us"
read_bandwidth = "1GB/s"
channels = 4
capacity = "1MiB"
eviction = "lru"

[[tiers]]
name = "home"
read_latency = "100us"
read_bandwidth = "1GB/s"
channels = 4

[workload]
kind = "trace"
{workload}
"#
    )
}

fn run(
    cfg: &Config,
) -> (
    tiersim::sim::Simulation,
    tiersim::sim::Outcome,
    serde_json::Value,
) {
    let mut sim = model::build(cfg, 1).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    (sim, out, s)
}

/// One oracleGeneral record: u32 seconds, u64 id, u32 size, i64 next access.
fn og(ts: u32, id: u64, size: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(ts.to_le_bytes());
    v.extend(id.to_le_bytes());
    v.extend(size.to_le_bytes());
    v.extend((-1i64).to_le_bytes());
    v
}

#[test]
fn closed_loop_replays_a_txt_trace() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.txt");
    std::fs::write(&t, "1\n2\n1\n3\n2\n").unwrap();
    let w = format!("path = \"{}\"\nclients = 2\nsize = \"4KiB\"", t.display());
    let (sim, _, s) = run(&Config::parse(&config(&w)).unwrap());
    assert_eq!(s["requests_issued"], 5);
    assert_eq!(s["requests_completed"], 5);
    assert_eq!(s["trace_requests"], 5);
    // Objects 1, 2, 3 miss once each; the repeats hit the cache.
    assert_eq!(sim.hier().tiers[1].stats.hits, 3);
    assert_eq!(sim.hier().tiers[0].stats.hits, 2);
    assert_eq!(sim.hier().tiers[1].device.stats().bytes_read, 3 * 4096);
}

#[test]
fn open_loop_issues_at_the_trace_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.oracleGeneral.bin");
    // Timestamps 5, 5, 6, 8 s: relative to the first, issued at 0, 0, 1 s and 3 s.
    let bytes: Vec<u8> = [
        og(5, 10, 4096),
        og(5, 11, 4096),
        og(6, 12, 4096),
        og(8, 13, 4096),
    ]
    .concat();
    std::fs::write(&t, bytes).unwrap();
    let w = format!("path = \"{}\"\nmode = \"open\"", t.display());
    let (_, out, s) = run(&Config::parse(&config(&w)).unwrap());
    assert_eq!(s["requests_completed"], 4);
    // The last request (a miss, served by the idle home tier) starts at 3 s:
    // done at 3 s + 100 us + 4096 B x 1,000 ps/B.
    assert_eq!(out.end, 3_000_000_000_000 + 100_000_000 + 4_096_000);
    // time_scale 0.5 halves the gaps.
    let w = format!(
        "path = \"{}\"\nmode = \"open\"\ntime_scale = 0.5",
        t.display()
    );
    let (_, out, _) = run(&Config::parse(&config(&w)).unwrap());
    assert_eq!(out.end, 1_500_000_000_000 + 100_000_000 + 4_096_000);
}

#[test]
fn relative_paths_resolve_against_the_config_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    std::fs::create_dir(dir.path().join("configs")).unwrap();
    std::fs::write(dir.path().join("traces/t.txt"), "7\n8\n7\n").unwrap();
    let cfg_path = dir.path().join("configs/replay.toml");
    std::fs::write(&cfg_path, config("path = \"../traces/t.txt\"")).unwrap();
    let (cfg, _) = Config::load(&cfg_path).unwrap();
    let (_, _, s) = run(&cfg);
    assert_eq!(s["requests_completed"], 3);
    // A missing file is a clear error naming the key and the resolved path.
    std::fs::write(&cfg_path, config("path = \"../traces/missing.txt\"")).unwrap();
    let (cfg, _) = Config::load(&cfg_path).unwrap();
    let e = model::build(&cfg, 1).err().unwrap();
    assert_eq!(e.path, "workload.path");
    assert!(
        e.msg.contains("missing.txt") && e.msg.contains("not found"),
        "{e}"
    );
}

#[test]
fn a_bad_record_is_a_config_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.txt");
    std::fs::write(&t, "1\n2\nthree\n").unwrap();
    let w = format!("path = \"{}\"", t.display());
    let e = model::build(&Config::parse(&config(&w)).unwrap(), 1)
        .err()
        .unwrap();
    assert_eq!(e.path, "workload.path");
    assert!(e.msg.contains("line 3"), "{e}");
    // Without the validation pass the replay stops at the bad line and says so.
    let w = format!("path = \"{}\"\nvalidate = false", t.display());
    let (_, _, s) = run(&Config::parse(&config(&w)).unwrap());
    assert_eq!(s["requests_completed"], 2);
    assert!(s["trace_error"].as_str().unwrap().contains("line 3"));
}

#[test]
fn empty_trace_and_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.txt");
    std::fs::write(&t, "").unwrap();
    let p = t.display();
    let (_, _, s) = run(&Config::parse(&config(&format!("path = \"{p}\""))).unwrap());
    assert_eq!(s["requests_completed"], 0);
    for (w, key) in [
        (format!("path = \"{p}\"\nclients = 0"), "workload.clients"),
        (
            format!("path = \"{p}\"\nmode = \"open\"\nclients = 4"),
            "workload.clients",
        ),
        (
            format!("path = \"{p}\"\nmode = \"open\"\ntime_scale = 0"),
            "workload.time_scale",
        ),
        (
            format!("path = \"{p}\"\nformat = \"parquet\""),
            "workload.format",
        ),
        (
            format!("path = \"{p}\"\nmode = \"sideways\""),
            "workload.mode",
        ),
        (format!("path = \"{p}\"\nsize = 0"), "workload.size"),
    ] {
        // Declared parameters fail at parse time, the rest when the model is built.
        let e = Config::parse(&config(&w))
            .and_then(|c| model::build(&c, 1).map(|_| ()))
            .expect_err(&w);
        assert_eq!(e.path, key, "{w}: {e}");
    }
}

/// `$TIERSIM_SHARED_DATA`, else ../shared/data beside the crate.
fn shared_data() -> Option<PathBuf> {
    let p = std::env::var_os("TIERSIM_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    p.join("cloudPhysicsIO.txt").is_file().then_some(p)
}

#[test]
fn replaying_cloudphysics_issues_every_request() {
    let Some(data) = shared_data() else {
        println!("skipped: shared data not found");
        return;
    };
    // 113,872 requests (data/README.md), in both formats tiersim reads.
    for (file, extra) in [
        ("cloudPhysicsIO.txt", "clients = 16\nsize = \"4KiB\""),
        (
            "cloudPhysicsIO.oracleGeneral.bin",
            "mode = \"open\"\ntime_scale = 0.001",
        ),
    ] {
        let w = format!("path = \"{}\"\n{extra}", data.join(file).display());
        let (sim, _, s) = run(&Config::parse(&config(&w)).unwrap());
        assert_eq!(s["requests_issued"], 113_872, "{file}");
        assert_eq!(s["requests_completed"], 113_872, "{file}");
        let served: u64 = sim.hier().tiers.iter().map(|t| t.stats.hits).sum();
        assert_eq!(served, 113_872, "{file}");
    }
}
