//! Merging shard outputs: every input must hold the same plan.json (the same sweep);
//! each run's folder is copied from the input that has it (a finished run preferred
//! to a failed one), and runs.csv is rebuilt from the plan and the copied folders, so
//! it is byte-identical to the one an unsharded sweep writes.

use super::plan::PlanFile;
use super::table::{self, run_dir};
use crate::atomic::{is_temp, write_atomic};
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeReport {
    pub runs: usize,
    pub ok: usize,
    pub failed: usize,
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if is_temp(&name.to_string_lossy()) {
            continue;
        }
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(&name))?;
        } else {
            std::fs::copy(e.path(), to.join(&name))?;
        }
    }
    Ok(())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Copies the run folder `from` to `out/runs/<id>` through a staging folder.
fn copy_run(from: &Path, out: &Path, id: &str) -> anyhow::Result<()> {
    let to = run_dir(out, id);
    if same_dir(from, &to) {
        return Ok(());
    }
    let staging = out.join("runs").join(format!(".partial-{id}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    copy_dir(from, &staging).map_err(|err| anyhow::anyhow!("copying {}: {err}", from.display()))?;
    if to.exists() {
        std::fs::remove_dir_all(&to)?;
    }
    std::fs::rename(&staging, &to)?;
    Ok(())
}

/// An error unless `out` is absent, empty, or holds this same sweep (its plan.json
/// equal to the inputs'): a merge never replaces another sweep's plan and runs.
fn check_output(out: &Path, plan_bytes: &[u8]) -> anyhow::Result<()> {
    if out.exists() && !out.is_dir() {
        anyhow::bail!("--out {}: exists and is not a folder", out.display());
    }
    match std::fs::read(out.join("plan.json")) {
        Ok(bytes) if bytes == plan_bytes => Ok(()),
        Ok(_) => anyhow::bail!(
            "--out {} already holds another sweep (its plan.json differs from the inputs'): \
             choose another --out",
            out.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let non_empty = std::fs::read_dir(out).is_ok_and(|mut rd| rd.next().is_some());
            if non_empty {
                anyhow::bail!(
                    "--out {} holds files but no sweep (no plan.json): choose a new or empty \
                     folder",
                    out.display()
                );
            }
            Ok(())
        }
        Err(e) => anyhow::bail!("{}: cannot read: {e}", out.join("plan.json").display()),
    }
}

/// Joins the sweep outputs `inputs` into `out`.
pub fn merge(inputs: &[PathBuf], out: &Path) -> anyhow::Result<MergeReport> {
    anyhow::ensure!(
        !inputs.is_empty(),
        "merge: give at least one sweep output folder"
    );
    let (plan, first_bytes) = PlanFile::load(&inputs[0])?;
    for dir in &inputs[1..] {
        let (_, bytes) = PlanFile::load(dir)?;
        if bytes != first_bytes {
            anyhow::bail!(
                "{} and {} hold different sweeps (their plan.json differ)",
                inputs[0].display(),
                dir.display()
            );
        }
    }
    check_output(out, &first_bytes)?;
    std::fs::create_dir_all(out.join("runs"))
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", out.display()))?;
    super::exec::clean_leftovers(out)?;
    let mut report = MergeReport {
        runs: plan.runs.len(),
        ..MergeReport::default()
    };
    for e in &plan.runs {
        let finished = inputs.iter().find(|d| table::is_finished(d, &e.id));
        let failed = || {
            inputs
                .iter()
                .find(|d| run_dir(d, &e.id).join("error.txt").is_file())
        };
        if e.error.is_some() {
            // An invalid combination: its error.txt (if a shard wrote one) is copied too.
            report.failed += 1;
            let Some(d) = failed() else { continue };
            copy_run(&run_dir(d, &e.id), out, &e.id)?;
            continue;
        }
        let src = match finished {
            Some(d) => {
                report.ok += 1;
                d
            }
            None => match failed() {
                Some(d) => {
                    report.failed += 1;
                    d
                }
                None => anyhow::bail!(
                    "run {} ({}) has no result in any input folder: is a shard missing or unfinished?",
                    e.index,
                    e.id
                ),
            },
        };
        copy_run(&run_dir(src, &e.id), out, &e.id)?;
    }
    write_atomic(&out.join("plan.json"), &first_bytes)?;
    let csv = table::runs_csv(&plan, out, |_| true)?;
    write_atomic(&out.join("runs.csv"), csv.as_bytes())?;
    Ok(report)
}
