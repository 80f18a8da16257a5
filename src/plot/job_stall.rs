//! Data stall per job over the run's time, from a run folder of a `[[jobs]]` config:
//! jobs.csv lists the jobs (their start on the run's clock and, with
//! `sim.run_jobs_alone`, their slowdown), and each training job's
//! `job-<name>.training_epochs.csv` its epochs (`end_s`, `duration_s`,
//! `mean_stall_s`, counted from the job's start). One line per training job, a point
//! per epoch: x the epoch's end on the run's clock (the job's start_s + end_s), y the
//! mean data stall per rank as a share of the epoch (mean_stall_s / duration_s, the
//! table's stall_fraction at full precision). A job's colour is its place in
//! jobs.csv; the legend gives its slowdown when known. Jobs of other kinds have no
//! epochs and are left out (the title says how many were drawn).

use super::run_files::{read_jobs, run_folder, JOBS_RUN};
use super::{read_rows, Figure, LineChart, Series};
use serde::Deserialize;
use std::path::Path;

/// The columns of training_epochs.csv drawn here.
#[derive(Debug, Deserialize)]
struct EpochRow {
    end_s: f64,
    duration_s: f64,
    mean_stall_s: f64,
}

/// Up to this many points per job get a marker each.
const MARKED: usize = 40;

/// Builds the figure from a run folder or its jobs.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let dir = run_folder(input, "jobs.csv", "job-stall", JOBS_RUN)?;
    let jobs = read_jobs(&dir)?;
    let mut series = Vec::new();
    for (k, j) in jobs.iter().enumerate() {
        if j.kind != "training" {
            continue;
        }
        let path = dir.join(format!("job-{}.training_epochs.csv", j.job));
        anyhow::ensure!(
            path.is_file(),
            "{}: not found: job '{}' is a training job, so its epochs table was expected",
            path.display(),
            j.job
        );
        let points: Vec<(f64, f64)> = read_rows::<EpochRow>(&path)?
            .iter()
            .map(|e| {
                let share = if e.duration_s > 0.0 {
                    e.mean_stall_s / e.duration_s
                } else {
                    0.0
                };
                (j.start_s + e.end_s, share * 100.0)
            })
            .collect();
        let name = match j.slowdown {
            Some(s) => format!("{} (slowdown {s:.3})", j.job),
            None => j.job.clone(),
        };
        series.push(Series::line(name, points).coloured(k));
    }
    let kinds: Vec<&str> = jobs.iter().map(|j| j.kind.as_str()).collect();
    anyhow::ensure!(
        !series.is_empty(),
        "{}: no training job (job-stall draws training jobs' epochs; the jobs here are: {})",
        dir.join("jobs.csv").display(),
        kinds.join(", ")
    );
    anyhow::ensure!(
        series.iter().any(|s| !s.points.is_empty()),
        "{}: no training job finished an epoch (their job-<name>.training_epochs.csv are empty)",
        dir.display()
    );
    let most = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
    let title = if series.len() == jobs.len() {
        "Data stall per job and epoch".to_string()
    } else {
        format!(
            "Data stall per epoch ({} training jobs of {})",
            series.len(),
            jobs.len()
        )
    };
    Ok(Figure::Lines(LineChart {
        title: Some(title),
        x_label: "Simulated time (s), at each epoch's end".into(),
        y_label: "Data stall (% of epoch)".into(),
        series,
        markers: most <= MARKED,
        bin_dense: true,
        x_unit: "s".into(),
        ..Default::default()
    }))
}
