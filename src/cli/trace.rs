//! `tiersim trace`: generate, inspect and convert traces.

/// Subcommands of `tiersim trace`.
#[derive(clap::Subcommand, Debug)]
pub enum TraceCommand {
    /// Summarise a trace.
    Stats { file: std::path::PathBuf },
}

pub fn run(_cmd: TraceCommand) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("tiersim trace is not implemented yet")
}
