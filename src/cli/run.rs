//! `tiersim run`: one timed simulation from a TOML config.

use crate::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The TOML config (see configs/ and the README).
    pub config: PathBuf,
    /// Output folder [default: results/<config file stem>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run seed, overriding the config's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write the HTML report page (OUT/report.html; see `tiersim report`).
    #[arg(long)]
    pub report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (cfg, bytes) = Config::load(&args.config)?;
    let seed = args.seed.unwrap_or(cfg.seed);
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("run");
        PathBuf::from("results").join(stem)
    });
    let summary = crate::runner::run_config(
        &cfg,
        seed,
        &out,
        &[(args.config.display().to_string(), bytes)],
    )?;
    if !args.quiet {
        print!("{}", crate::report::describe(&summary));
        println!("results in {}/", out.display());
    }
    super::report::after(&out, args.report, args.quiet)?;
    Ok(ExitCode::SUCCESS)
}
