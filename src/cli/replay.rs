//! `tiersim replay`: functional replay of a trace through eviction policies.

/// Arguments of `tiersim replay`.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("tiersim replay is not implemented yet")
}
