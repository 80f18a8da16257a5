//! `tiersim run`: one timed simulation from a TOML config.

/// Arguments of `tiersim run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The TOML config.
    pub config: std::path::PathBuf,
}

pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("tiersim run is not implemented yet")
}
