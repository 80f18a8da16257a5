//! The `tiersim` command line: parse, dispatch, print errors without a backtrace.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = tiersim::cli::Cli::parse();
    match tiersim::cli::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
