//! Running a plan: a rayon pool of `jobs` threads, each run written into a staging
//! folder `runs/.partial-<id>/` and renamed to `runs/<id>/` when complete, so a run
//! folder is either whole or absent. A failed run's folder holds only `error.txt`.
//!
//! Resume: a run whose `runs/<id>/summary.json` exists is skipped; failed runs are run
//! again (a failure may have been transient, and an invalid combination fails fast).
//! Leftovers of a killed sweep are cleaned first: staging folders (promoted when their
//! summary.json was already written, deleted otherwise) and temporary files.

use super::plan::{describe, Plan};
use super::table::{self, is_finished, run_dir};
use crate::atomic::{is_temp, write_atomic};
use crate::watch::{Progress as RunProgress, Watch};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Instant;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    pub out: PathBuf,
    /// `(k, n)`: run only the runs with `index % n == k` (0-based, as Slurm's
    /// SLURM_ARRAY_TASK_ID).
    pub shard: Option<(usize, usize)>,
    pub resume: bool,
    /// With `resume`: run failed runs again (a user's `--resume`), or keep their
    /// recorded error (a search's later rounds: a failed probe is a known miss).
    pub rerun_failed: bool,
    pub quiet: bool,
    /// Input files digested into each run's manifest (the spec, the base config).
    pub inputs: Vec<(String, Vec<u8>)>,
    /// Wall-clock limit per run: a run past it is recorded as failed ("timed out
    /// after ...") and the sweep goes on.
    pub run_timeout: Option<std::time::Duration>,
    /// Refuse a run whose estimated memory exceeds what is available (recorded as
    /// failed): see `crate::memory`.
    pub memory_check: bool,
}

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub selected: usize,
    pub ran_ok: usize,
    pub failed: usize,
    pub skipped: usize,
}

const STAGING: &str = ".partial-";

/// Removes what a killed sweep may have left in `out`: staging folders (promoted when
/// complete) and temporary files ([`is_temp`]) at the top and in `runs/`.
pub fn clean_leftovers(out: &Path) -> anyhow::Result<()> {
    let remove_tmp = |dir: &Path| -> anyhow::Result<()> {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if is_temp(&name) && e.path().is_file() {
                    std::fs::remove_file(e.path())?;
                }
            }
        }
        Ok(())
    };
    remove_tmp(out)?;
    let runs = out.join("runs");
    remove_tmp(&runs)?;
    let Ok(rd) = std::fs::read_dir(&runs) else {
        return Ok(());
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if let Some(id) = name.strip_prefix(STAGING) {
            let dest = runs.join(id);
            if path.join("summary.json").is_file() && !dest.join("summary.json").exists() {
                // Complete but not yet renamed when the sweep stopped.
                remove_tmp(&path)?;
                if dest.exists() {
                    std::fs::remove_dir_all(&dest)?;
                }
                std::fs::rename(&path, &dest)?;
            } else {
                std::fs::remove_dir_all(&path)?;
            }
        } else if path.is_dir()
            && !path.join("summary.json").exists()
            && !path.join("error.txt").exists()
        {
            std::fs::remove_dir_all(&path)?;
        }
    }
    Ok(())
}

/// Runs one planned run into its staging folder and renames it into place. Returns
/// `Ok(None)` for a finished run, `Ok(Some(message))` for a failed run (recorded in
/// its error.txt), and `Err` when the result could not be written at all.
fn run_one(
    out: &Path,
    plan: &Plan,
    i: usize,
    opts: &Options,
    progress: Arc<RunProgress>,
) -> Result<Option<String>, String> {
    let r = &plan.runs[i];
    let runs = out.join("runs");
    let staging = runs.join(format!("{STAGING}{}", r.id));
    let dest = run_dir(out, &r.id);
    let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io("clearing staging folder", e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| io("creating staging folder", e))?;
    let result = match &r.config {
        Err(e) => Err(e.clone()),
        Ok(cfg) => {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let watch = Watch::new(opts.run_timeout, Some(progress));
                if opts.memory_check {
                    crate::memory::for_config(cfg)
                        .check()
                        .map_err(anyhow::Error::msg)?;
                }
                crate::runner::run_config_watched(cfg, cfg.seed, &staging, &opts.inputs, &watch)
            }));
            match run {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("{e:#}")),
                Err(p) => Err(format!(
                    "the run panicked: {}",
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default()
                )),
            }
        }
    };
    if let Err(msg) = &result {
        // Only the error marker survives of a failed run.
        std::fs::remove_dir_all(&staging).map_err(|e| io("clearing staging folder", e))?;
        std::fs::create_dir_all(&staging).map_err(|e| io("creating staging folder", e))?;
        write_atomic(&staging.join("error.txt"), format!("{msg}\n").as_bytes())
            .map_err(|e| io("writing error.txt", e))?;
    }
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| io("replacing the old run folder", e))?;
    }
    std::fs::rename(&staging, &dest).map_err(|e| io("renaming the run folder", e))?;
    Ok(result.err())
}

/// Progress on a terminal (a bar) or in a log (a line per run).
enum Progress {
    Bar(indicatif::ProgressBar),
    Lines,
    Quiet,
}

/// "; running: run 3 45%, run 5 at 1.2 s" for the runs in progress ("" when none).
fn running_runs(running: &[(usize, Arc<RunProgress>)]) -> String {
    let parts: Vec<String> = running
        .iter()
        .map(|(i, p)| {
            let s = p.snapshot();
            match s.fraction() {
                Some(f) => format!("run {i} {:.0}%", f * 100.0),
                None => format!("run {i} at {}", crate::config::units::fmt_time(s.sim_ps)),
            }
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("; running: {}", parts.join(", "))
    }
}

/// Runs the selected share of `plan` into `opts.out` and writes plan.json and
/// runs.csv (rows of the selected share only).
pub fn run_plan(plan: &Plan, opts: &Options) -> anyhow::Result<Report> {
    let out = &opts.out;
    let runs_dir = out.join("runs");
    if !opts.resume && out.join("plan.json").exists() {
        anyhow::bail!(
            "{} already holds a sweep: pass --resume to continue it, or choose another --out",
            out.display()
        );
    }
    std::fs::create_dir_all(&runs_dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", runs_dir.display()))?;
    clean_leftovers(out)?;
    let file = plan.to_file();
    write_atomic(&out.join("plan.json"), file.to_json().as_bytes())?;

    let keep = |i: usize| opts.shard.is_none_or(|(k, n)| i % n == k);
    let selected: Vec<usize> = (0..plan.runs.len()).filter(|&i| keep(i)).collect();
    let (done, pending): (Vec<usize>, Vec<usize>) = selected.iter().partition(|&&i| {
        let id = &plan.runs[i].id;
        is_finished(out, id) || (!opts.rerun_failed && run_dir(out, id).join("error.txt").is_file())
    });
    let mut report = Report {
        selected: selected.len(),
        skipped: done.len(),
        ..Report::default()
    };
    let progress = if opts.quiet {
        Progress::Quiet
    } else if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(pending.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} runs, {msg}, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message("0 failed");
        Progress::Bar(bar)
    } else {
        Progress::Lines
    };
    if !opts.quiet {
        eprintln!(
            "sweep: {} runs{}, {} already finished, {} to run on {} thread(s)",
            selected.len(),
            opts.shard
                .map(|(k, n)| format!(" in shard {k}/{n} of {}", plan.runs.len()))
                .unwrap_or_default(),
            done.len(),
            pending.len(),
            opts.jobs
        );
    }
    let n_done = AtomicUsize::new(0);
    let n_failed = AtomicUsize::new(0);
    let fatal: Mutex<Option<String>> = Mutex::new(None);
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()?;
    // Each of the pool's threads takes the next pending run in index order (a shared
    // counter), so runs of unequal length balance to within one run at the end.
    let next = AtomicUsize::new(0);
    // The runs in progress, for the display.
    let running: Mutex<Vec<(usize, Arc<RunProgress>)>> = Mutex::new(Vec::new());
    let work = |i: usize| {
        let t0 = Instant::now();
        let r = &plan.runs[i];
        let p = RunProgress::new();
        running.lock().expect("lock").push((i, p.clone()));
        let res = run_one(out, plan, i, opts, p);
        running.lock().expect("lock").retain(|(j, _)| *j != i);
        let res = match res {
            Ok(None) => Ok(()),
            Ok(Some(msg)) => Err(msg),
            Err(io) => {
                *fatal.lock().expect("lock") = Some(format!("run {i} ({}): {io}", r.id));
                Err(io)
            }
        };
        let failed = res.is_err();
        if failed {
            n_failed.fetch_add(1, Ordering::Relaxed);
        }
        let k = n_done.fetch_add(1, Ordering::Relaxed) + 1;
        match &progress {
            Progress::Bar(b) => {
                b.inc(1);
                b.set_message(format!("{} failed", n_failed.load(Ordering::Relaxed)));
                if let Err(e) = &res {
                    b.println(format!("run {i} ({}) failed: {e}", r.id));
                }
            }
            Progress::Lines => eprintln!(
                "[{k}/{}] run {i} {} {} ({:.1} s; {}){}",
                pending.len(),
                r.id,
                if failed { "failed" } else { "ok" },
                t0.elapsed().as_secs_f64(),
                describe(&plan.params, &r.params),
                res.err().map(|e| format!(": {e}")).unwrap_or_default()
            ),
            Progress::Quiet => {}
        }
    };
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|outer| {
        // The display: the running runs' progress in the bar's message (a terminal),
        // or a line every ~10 s (a log).
        let tick = match &progress {
            Progress::Bar(_) => Some(std::time::Duration::from_millis(250)),
            Progress::Lines => Some(crate::progress::LINE_INTERVAL),
            Progress::Quiet => None,
        };
        if let Some(tick) = tick {
            let (progress, running, n_done, n_failed) = (&progress, &running, &n_done, &n_failed);
            let total = pending.len();
            outer.spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(tick)
                {
                    let failed = n_failed.load(Ordering::Relaxed);
                    let running = running_runs(&running.lock().expect("lock"));
                    match progress {
                        Progress::Bar(b) => b.set_message(format!("{failed} failed{running}")),
                        _ => eprintln!(
                            "sweep: {}/{total} done, {failed} failed{running}",
                            n_done.load(Ordering::Relaxed)
                        ),
                    }
                }
            });
        }
        pool.scope(|s| {
            for _ in 0..opts.jobs.max(1) {
                s.spawn(|_| loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    match pending.get(k) {
                        Some(&i) => work(i),
                        None => break,
                    }
                });
            }
        });
        drop(stop);
    });
    if let Progress::Bar(b) = &progress {
        b.finish_and_clear();
    }
    if let Some(e) = fatal.into_inner().expect("lock") {
        anyhow::bail!("could not record a run's result in {}: {e}", out.display());
    }
    report.failed = n_failed.into_inner();
    report.ran_ok = pending.len() - report.failed;
    let csv = table::runs_csv(&file, out, keep)?;
    write_atomic(&out.join("runs.csv"), csv.as_bytes())?;
    if !opts.quiet {
        eprintln!(
            "sweep: {} ok, {} failed, {} skipped (finished before) in {:.1} s; {}",
            report.ran_ok,
            report.failed,
            report.skipped,
            started.elapsed().as_secs_f64(),
            out.join("runs.csv").display()
        );
    }
    Ok(report)
}
