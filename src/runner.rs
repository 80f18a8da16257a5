//! One timed run end to end: config -> model -> engine -> result files. Shared by
//! `tiersim run`, sweeps and validation.

use crate::config::Config;
use crate::model;
use crate::report::{self, manifest, Manifest};
use crate::watch::Watch;
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
) -> anyhow::Result<report::RunSummary> {
    run_config_watched(cfg, seed, out_dir, inputs, &Watch::default())
}

/// [`run_config`] under `watch`: a wall-clock limit (the run fails with "timed out
/// after ...") and progress figures.
pub fn run_config_watched(
    cfg: &Config,
    seed: u64,
    out_dir: &Path,
    inputs: &[(String, Vec<u8>)],
    watch: &Watch,
) -> anyhow::Result<report::RunSummary> {
    let start_wall = std::time::Instant::now();
    let wall_clock_start = manifest::now_rfc3339();
    let mut sim = model::build(cfg, seed)?;
    if cfg.sim.run_jobs_alone && !cfg.jobs.is_empty() {
        let alone = run_jobs_alone(cfg, seed, watch)?;
        if let Some(jobs) = sim.workload.jobs_mut() {
            jobs.set_alone(alone);
        }
    }
    let outcome = sim.try_run(watch)?;
    let manifest = Manifest {
        tiersim_version: env!("CARGO_PKG_VERSION"),
        git_commit: manifest::git_commit(),
        seed,
        resolved_config: resolved_config(cfg, seed)?,
        inputs: input_digests(cfg, inputs)?,
        wall_clock_start,
        wall_clock_end: manifest::now_rfc3339(),
        wall_clock_seconds: start_wall.elapsed().as_secs_f64(),
    };
    report::write_run(out_dir, &sim, &outcome, &manifest)
}

/// Digests of `inputs` (the config file as read) and of every file the config's
/// components read.
fn input_digests(cfg: &Config, inputs: &[(String, Vec<u8>)]) -> anyhow::Result<Vec<InputDigest>> {
    let mut out: Vec<InputDigest> = inputs
        .iter()
        .map(|(p, b)| InputDigest {
            path: p.clone(),
            sha256: report::digest(b),
        })
        .collect();
    for f in cfg.input_files() {
        let sha256 = manifest::digest_file(&f)
            .map_err(|e| anyhow::anyhow!("cannot digest input {}: {e}", f.display()))?;
        out.push(InputDigest {
            path: f.display().to_string(),
            sha256,
        });
    }
    Ok(out)
}

/// Each job's run time alone: the same model and seed with only that job started
/// (its namespace, seeds and any quota partition exactly as beside the others); run
/// one after another.
fn run_jobs_alone(
    cfg: &Config,
    seed: u64,
    watch: &Watch,
) -> anyhow::Result<Vec<crate::engine::Time>> {
    (0..cfg.jobs.len())
        .map(|j| {
            let mut sim = model::build(cfg, seed)?;
            if let Some(jobs) = sim.workload.jobs_mut() {
                jobs.run_only(j);
            }
            let out = sim.try_run(watch)?;
            let jobs = sim.workload.jobs().expect("a jobs config");
            let job = &jobs.jobs()[j];
            Ok(job.end.unwrap_or(out.end.max(job.start)) - job.start)
        })
        .collect()
}

/// The resolved config ([`Config::resolved`], what `tiersim check` prints) with the
/// run's seed, as JSON.
pub fn resolved_config(cfg: &Config, seed: u64) -> anyhow::Result<Value> {
    let mut v = cfg.resolved()?;
    v["seed"] = seed.into();
    // Tiers and links carry every device field already; the manifest adds where each
    // device's figures come from (not a config key, so `check` leaves it out).
    let (tiers, links) = model::resolve_devices(cfg)?;
    for (key, specs) in [("tiers", tiers), ("links", links)] {
        if let Some(arr) = v[key].as_array_mut() {
            for (entry, spec) in arr.iter_mut().zip(specs) {
                if let Some(obj) = entry.as_object_mut() {
                    obj.insert("source".into(), spec.source.into());
                }
            }
        }
    }
    Ok(v)
}
