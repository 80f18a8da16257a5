//! `tiersim merge`: join the output folders of sweep shards into one, with the
//! runs.csv an unsharded sweep would have written.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim merge`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Sweep output folders (one per shard) of the same spec.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let r = crate::sweep::merge(&args.dirs, &args.out)?;
    if !args.quiet {
        eprintln!(
            "merged {} runs ({} ok, {} failed) from {} folder(s) into {}",
            r.runs,
            r.ok,
            r.failed,
            args.dirs.len(),
            args.out.join("runs.csv").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
