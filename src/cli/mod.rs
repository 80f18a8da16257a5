//! Subcommands, one file each: each has an `Args` (clap derive) and a `run`.

pub mod calibrate;
pub mod check;
pub mod merge;
pub mod plot;
pub mod replay;
pub mod report;
pub mod run;
pub mod sweep;
pub mod trace;
pub mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// tiersim: simulate tiered memory and storage under ML workloads.
#[derive(Parser, Debug)]
#[command(name = "tiersim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one timed simulation from a TOML config.
    Run(run::Args),
    /// Validate a config without running it; print it fully resolved (every default).
    Check(check::Args),
    /// Functional replay of a trace through eviction policies (miss ratios, MRCs).
    Replay(replay::Args),
    /// Generate, inspect and convert traces.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Compare the models with published measurements and closed forms; exit 1 on failure.
    Validate(validate::Args),

    /// Run a sweep of configs in parallel, resumably, or one shard of it.
    Sweep(sweep::Args),
    /// Join sweep shard outputs into one runs.csv.
    Merge(merge::Args),
    /// Draw a figure (PNG or SVG) from result files.
    Plot(plot::Args),
    /// Write one self-contained HTML page for a run or sweep folder.
    Report(report::Args),
    /// Fit a device preset to fio JSON output (`fio --output-format=json`).
    Calibrate(calibrate::Args),
}

/// Runs the chosen subcommand; the exit code says success or which failure.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Trace(a) => trace::run(a),
        Command::Validate(a) => validate::run(a),

        Command::Sweep(a) => sweep::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Plot(a) => plot::run(a),
        Command::Report(a) => report::run(a),
        Command::Calibrate(a) => calibrate::run(a),
    }
}
