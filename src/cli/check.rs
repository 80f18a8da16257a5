//! `tiersim check`: validates a config without running it (parsing, every component's
//! declared parameters, and building the model: devices, policies, the workload,
//! trace files) and prints it fully resolved as TOML: every default filled in, each
//! component `kind` first, file paths absolute. The output is itself a valid config
//! that runs identically (the same summary.json), and is what manifest.json records.

use crate::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim check`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The TOML config to check.
    pub config: PathBuf,
    /// Build the model even when its estimated memory exceeds what is available.
    #[arg(long)]
    pub no_memory_check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (cfg, _) = Config::load(&args.config)?;
    if !args.no_memory_check {
        // Checking builds the model: refuse what would not fit, as `run` does.
        crate::memory::for_config(&cfg)
            .check()
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.config.display()))?;
    }
    crate::model::build(&cfg, cfg.seed)?;
    let text = cfg.resolved_toml()?;
    print!(
        "# {} resolved by tiersim {}: every default filled in\n\n{text}",
        args.config.display(),
        env!("CARGO_PKG_VERSION")
    );
    Ok(ExitCode::SUCCESS)
}
