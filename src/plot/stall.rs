//! Training time breakdown per rank from a run's training_ranks.csv (`rank,compute_s,
//! stall_s,barrier_s,sync_s,checkpoint_s`, any of them optional): stacked bars, one per
//! rank (per job and rank, `job/rank`, when the table has a `job` column). Other `*_s`
//! columns are stacked after the known ones, except `total_s`. Each phase has its
//! own colour whichever phases a table has. The folder of a `[[jobs]]` run has no
//! training_ranks.csv but one per training job (`job-<name>.training_ranks.csv`):
//! then every job's ranks are drawn, as `job/rank`.

use super::run_files::read_jobs;
use super::{column, in_run_dir, number, read_csv, Figure, StackedBars};
use std::path::{Path, PathBuf};

const KNOWN: [(&str, &str); 5] = [
    ("compute_s", "compute"),
    ("stall_s", "data stall"),
    ("barrier_s", "barrier wait"),
    ("sync_s", "gradient sync"),
    ("checkpoint_s", "checkpoint"),
];

/// The rank tables to draw, each with the job it is of (None: the table says, if
/// it has a `job` column).
fn rank_tables(input: &Path) -> anyhow::Result<Vec<(Option<String>, PathBuf)>> {
    let path = in_run_dir(input, "training_ranks.csv");
    if !(input.is_dir() && !path.exists() && input.join("jobs.csv").is_file()) {
        return Ok(vec![(None, path)]);
    }
    let jobs = read_jobs(input)?;
    let tables: Vec<(Option<String>, PathBuf)> = jobs
        .iter()
        .filter(|j| j.kind == "training")
        .map(|j| {
            let file = input.join(format!("job-{}.training_ranks.csv", j.job));
            (Some(j.job.clone()), file)
        })
        .collect();
    anyhow::ensure!(
        !tables.is_empty(),
        "{}: no training_ranks.csv and no training job in jobs.csv",
        input.display()
    );
    Ok(tables)
}

/// Builds the figure from a run folder or a training_ranks.csv.
pub fn figure(input: &Path) -> anyhow::Result<Figure> {
    let tables = rank_tables(input)?;
    let mut parts: Vec<(String, usize, Vec<f64>)> = Vec::new();
    let mut categories = Vec::new();
    let mut by_job = false;
    for (job_name, path) in &tables {
        let (header, rows) = read_csv(path)?;
        let rank = column(path, &header, "rank")?;
        let job = header.iter().position(|h| h == "job");
        by_job |= job.is_some() || job_name.is_some();
        // (column, name, palette index): the known phases keep their colours.
        let mut cols: Vec<(usize, String, usize)> = KNOWN
            .iter()
            .enumerate()
            .filter_map(|(k, (c, name))| {
                header
                    .iter()
                    .position(|h| h == c)
                    .map(|i| (i, name.to_string(), k))
            })
            .collect();
        for (i, h) in header.iter().enumerate() {
            if h.ends_with("_s") && h != "total_s" && !KNOWN.iter().any(|(c, _)| c == h) {
                let k = KNOWN.len() + cols.len();
                cols.push((i, h.trim_end_matches("_s").replace('_', " "), k));
            }
        }
        if cols.is_empty() {
            anyhow::bail!(
                "{}: no time columns (compute_s, stall_s, sync_s, checkpoint_s)",
                path.display()
            );
        }
        if parts.is_empty() {
            parts = cols
                .iter()
                .map(|(_, n, k)| (n.clone(), *k, Vec::new()))
                .collect();
        }
        let names: Vec<&String> = cols.iter().map(|c| &c.1).collect();
        let first: Vec<&String> = parts.iter().map(|p| &p.0).collect();
        anyhow::ensure!(
            names == first,
            "{}: its time columns differ from {}'s",
            path.display(),
            tables[0].1.display()
        );
        for (i, row) in rows.iter().enumerate() {
            categories.push(match (job, job_name) {
                (Some(j), _) => format!("{}/{}", row[j], row[rank]),
                (None, Some(name)) => format!("{name}/{}", row[rank]),
                (None, None) => row[rank].clone(),
            });
            for (k, (c, _, _)) in cols.iter().enumerate() {
                parts[k].2.push(number(path, i + 2, &header, row, *c)?);
            }
        }
    }
    if categories.is_empty() {
        let files: Vec<String> = tables.iter().map(|t| t.1.display().to_string()).collect();
        anyhow::bail!("{}: no ranks to plot", files.join(", "));
    }
    Ok(Figure::Bars(StackedBars {
        title: Some(if by_job {
            "Training time per job and rank".into()
        } else {
            "Training time per rank".into()
        }),
        x_label: if by_job {
            "Job/rank".into()
        } else {
            "Rank".into()
        },
        y_label: "Time (s)".into(),
        categories,
        parts,
    }))
}
