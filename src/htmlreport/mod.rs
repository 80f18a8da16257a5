//! `tiersim report`: one self-contained HTML page for a run folder ([`run`]) or a
//! sweep folder ([`sweep`]). Everything is inline (CSS, the figures as SVG drawn by
//! [`crate::plot`]); the page loads nothing, needs no JavaScript to be read (a few
//! lines of it make the sweep's table sortable), and is written atomically. The
//! figures use the same colours as `tiersim plot` (a tier, histogram or policy keeps
//! its colour on every figure of the page).

mod cluster;
mod page;
pub mod run;
pub mod sweep;

pub use page::{escape, Page};

use std::path::{Path, PathBuf};

/// What to put in a report beyond the folder itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `tiersim replay` CSV files whose miss-ratio curves go into a run's report.
    pub mrc: Vec<PathBuf>,
}

/// What kind of result folder `dir` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// A `tiersim run` folder (summary.json).
    Run,
    /// A `tiersim sweep` folder (plan.json and runs.csv).
    Sweep,
}

/// Tells a run folder from a sweep folder, or says what `dir` lacks.
pub fn folder_kind(dir: &Path) -> anyhow::Result<Folder> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{}: not a folder (expected a run or sweep folder)",
            dir.display()
        );
    }
    if dir.join("summary.json").is_file() {
        Ok(Folder::Run)
    } else if dir.join("runs.csv").is_file() {
        Ok(Folder::Sweep)
    } else if dir.join("plan.json").is_file() {
        anyhow::bail!(
            "{}: a sweep without runs.csv yet (finish it with `tiersim sweep --resume`)",
            dir.display()
        )
    } else {
        anyhow::bail!(
            "{}: neither a run folder (summary.json) nor a sweep folder (runs.csv)",
            dir.display()
        )
    }
}

/// The page for `dir` as HTML text; `links`: the page sits in `dir`, so the files it
/// lists can be linked.
pub fn render(dir: &Path, opts: &Options, links: bool) -> anyhow::Result<String> {
    match folder_kind(dir)? {
        Folder::Run => run::page(dir, opts, links),
        Folder::Sweep => {
            anyhow::ensure!(
                opts.mrc.is_empty(),
                "--mrc: miss-ratio curves go into a run's report, and {} is a sweep",
                dir.display()
            );
            sweep::page(dir)
        }
    }
}

/// Writes the page for `dir` to `out` (default `dir/report.html`) and returns its path.
pub fn write(dir: &Path, out: Option<&Path>, opts: &Options) -> anyhow::Result<PathBuf> {
    let out = out.map_or_else(|| dir.join("report.html"), Path::to_path_buf);
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let links = match (parent.canonicalize(), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let html = render(dir, opts, links)?;
    crate::atomic::write_atomic(&out, html.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {e}"))?;
    Ok(out)
}

/// The shell command that writes the report of `dir` (printed by `run` and `sweep`).
pub fn command(dir: &Path) -> String {
    let d = dir.display().to_string();
    let quoted = if d
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        d
    } else {
        format!("'{}'", d.replace('\'', "'\\''"))
    };
    format!("tiersim report {quoted}")
}
