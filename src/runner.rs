//! One timed run end to end: config -> model -> engine -> result files. Shared by
//! `tiersim run`, sweeps and validation.

use crate::config::Config;
use crate::model;
use crate::report::{self, manifest, Manifest};
use serde_json::Value;
use std::path::Path;

pub use crate::report::manifest::InputDigest;

/// Runs `cfg` with `seed` and writes its results into `out_dir`; returns summary.json's
/// value. `inputs` are digested into the manifest (the config file, traces).
pub fn run_config(
    cfg: &Config,
    seed: u64,
    out_dir: &Path,
    inputs: &[(String, Vec<u8>)],
) -> anyhow::Result<Value> {
    let start_wall = std::time::Instant::now();
    let wall_clock_start = manifest::now_rfc3339();
    let mut sim = model::build(cfg, seed)?;
    let outcome = sim.run();
    let manifest = Manifest {
        tiersim_version: env!("CARGO_PKG_VERSION"),
        git_commit: manifest::git_commit(),
        seed,
        resolved_config: resolved_config(cfg, seed)?,
        inputs: inputs
            .iter()
            .map(|(p, b)| InputDigest {
                path: p.clone(),
                sha256: report::digest(b),
            })
            .collect(),
        wall_clock_start,
        wall_clock_end: manifest::now_rfc3339(),
        wall_clock_seconds: start_wall.elapsed().as_secs_f64(),
    };
    report::write_run(out_dir, &sim, &outcome, &manifest)
}

/// The resolved config ([`Config::resolved`], what `tiersim check` prints) with the
/// run's seed, as JSON.
pub fn resolved_config(cfg: &Config, seed: u64) -> anyhow::Result<Value> {
    let mut v = cfg.resolved()?;
    v["seed"] = seed.into();
    // TODO(devices merge): once tiers and links carry every device field filled from
    // the preset, this `device` copy of the resolved spec can go.
    let (tiers, links) = model::resolve_devices(cfg)?;
    for (key, specs) in [("tiers", tiers), ("links", links)] {
        if let Some(arr) = v[key].as_array_mut() {
            for (entry, spec) in arr.iter_mut().zip(specs) {
                if let Some(obj) = entry.as_object_mut() {
                    obj.insert("device".into(), serde_json::to_value(spec)?);
                }
            }
        }
    }
    Ok(v)
}

/// A short human summary of summary.json for the terminal.
pub fn describe(summary: &Value) -> String {
    use crate::config::units::fmt_bytes;
    let mut s = format!(
        "simulated time {:.6} s, {} events{}\n",
        summary["simulated_time_s"].as_f64().unwrap_or(0.0),
        summary["events"],
        if summary["finished"].as_bool() == Some(false) {
            " (stopped at sim.duration)"
        } else {
            ""
        }
    );
    s += &format!(
        "{:<14} {:>10} {:>9} {:>12} {:>12} {:>7}\n",
        "tier", "hits", "hit%", "read", "written", "util%"
    );
    for t in summary["tiers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(summary["links"].as_array().into_iter().flatten())
    {
        let hits = t["hits"]
            .as_u64()
            .map(|h| h.to_string())
            .unwrap_or_else(|| "-".into());
        let ratio = t["hit_ratio"]
            .as_f64()
            .map(|r| format!("{:.1}", r * 100.0))
            .unwrap_or_else(|| "-".into());
        s += &format!(
            "{:<14} {:>10} {:>9} {:>12} {:>12} {:>7.1}\n",
            t["name"].as_str().unwrap_or("?"),
            hits,
            ratio,
            fmt_bytes(t["bytes_read"].as_f64().unwrap_or(0.0)),
            fmt_bytes(t["bytes_written"].as_f64().unwrap_or(0.0)),
            t["utilisation"].as_f64().unwrap_or(0.0) * 100.0
        );
    }
    if let Some(lat) = summary["latency"].as_object() {
        s += &format!(
            "{:<14} {:>10} {:>12} {:>12} {:>12} {:>12}\n",
            "latency", "count", "mean", "p50", "p99", "max"
        );
        for (name, l) in lat {
            let ns = |k: &str| {
                crate::config::units::fmt_time((l[k].as_f64().unwrap_or(0.0) * 1e3) as u64)
            };
            s += &format!(
                "{:<14} {:>10} {:>12} {:>12} {:>12} {:>12}\n",
                name,
                l["count"],
                ns("mean_ns"),
                ns("p50_ns"),
                ns("p99_ns"),
                ns("max_ns")
            );
        }
    }
    if let Some(w) = summary["workload"].as_object() {
        let parts: Vec<String> = w.iter().map(|(k, v)| format!("{k}={v}")).collect();
        s += &format!("workload: {}\n", parts.join(", "));
    }
    s
}
