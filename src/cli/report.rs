//! `tiersim report DIR`: one self-contained HTML page for a run or sweep folder
//! (see [`crate::htmlreport`]); also what `run --report` and `sweep --report` call.

use crate::htmlreport::{self, Options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `tiersim report`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A run folder (summary.json) or a sweep folder (runs.csv, plan.json).
    pub dir: PathBuf,
    /// The page to write [default: DIR/report.html].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A `tiersim replay` CSV whose miss-ratio curves go into a run's page (repeatable).
    #[arg(long, value_name = "CSV")]
    pub mrc: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let out = htmlreport::write(&args.dir, args.out.as_deref(), &Options { mrc: args.mrc })?;
    eprintln!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// After a run or sweep into `dir`: writes the page when `write` (saying where unless
/// `quiet`), else prints the command that would.
pub fn after(dir: &Path, write: bool, quiet: bool) -> anyhow::Result<()> {
    if write {
        let out = htmlreport::write(dir, None, &Options::default())?;
        if !quiet {
            println!("report in {}", out.display());
        }
    } else if !quiet {
        println!("report: {}", htmlreport::command(dir));
    }
    Ok(())
}
