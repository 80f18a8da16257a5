//! `tiersim run`: one timed simulation from a TOML config. The results are staged in
//! a folder beside `--out` and put in its place when complete, so `--out` holds the
//! previous complete result or the new one (see `atomic::StagedDir`).

use crate::atomic::StagedDir;
use crate::config::Config;
use crate::progress::{Mode, RunDisplay};
use crate::watch::{Progress, Watch};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The TOML config (see configs/ and the README).
    pub config: PathBuf,
    /// Output folder [default: results/<config file stem>/]; replaced as a whole.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run seed, overriding the config's `seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop and fail once the run has taken this long (wall clock): "90s", "10min".
    #[arg(long, value_name = "TIME", value_parser = crate::watch::parse_wall)]
    pub time_limit: Option<std::time::Duration>,
    /// Run even when the estimated memory exceeds what is available.
    #[arg(long)]
    pub no_memory_check: bool,
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
    if !args.no_memory_check {
        crate::memory::for_config(&cfg)
            .check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    }
    let out = args.out.unwrap_or_else(|| {
        let stem = args
            .config
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("run");
        PathBuf::from("results").join(stem)
    });
    // Before simulating: --out must be writable (the staging folder is created beside it).
    let staged = StagedDir::create(&out).map_err(|e| anyhow::anyhow!("--out: {e}"))?;
    let progress = Progress::new();
    let watch = Watch::new(args.time_limit, Some(progress.clone()));
    let display = RunDisplay::start(progress, Mode::for_stderr(args.quiet), "progress".into());
    let summary = crate::runner::run_config_watched(
        &cfg,
        seed,
        staged.path(),
        &[(args.config.display().to_string(), bytes)],
        &watch,
    );
    drop(display);
    let summary = summary?;
    staged
        .commit()
        .map_err(|e| anyhow::anyhow!("cannot put the results in place: {e}"))?;
    if !args.quiet {
        print!("{}", crate::report::describe(&summary));
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
        println!("results in {}/", out.display());
    }
    super::report::after(&out, args.report, args.quiet)?;
    Ok(ExitCode::SUCCESS)
}
