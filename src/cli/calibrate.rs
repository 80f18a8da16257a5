//! `tiersim calibrate`: fit a device preset to fio's JSON output and write it as a
//! `[[tiers]]` entry (see `crate::calibrate` and docs/calibration.md).

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim calibrate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// fio JSON outputs (`fio --output-format=json ... > drive.json`).
    #[arg(required = true)]
    pub fio_json: Vec<PathBuf>,
    /// The device's name in the written `[[tiers]]` entry.
    #[arg(long)]
    pub name: String,
    /// Where to write the preset (TOML).
    #[arg(long)]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let m = crate::calibrate::read_files(&args.fio_json).map_err(anyhow::Error::msg)?;
    let text = crate::calibrate::preset_toml(&args.name, &m);
    crate::calibrate::check_preset(&text).map_err(anyhow::Error::msg)?;
    crate::atomic::write_atomic(&args.out, text.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    if !args.quiet {
        eprintln!(
            "fitted `{}` to {} fio job(s) ({} skipped): {}",
            args.name,
            m.jobs.len(),
            m.skipped.len(),
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
