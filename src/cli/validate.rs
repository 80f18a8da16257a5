//! `tiersim validate`: runs the validation checks (model against published measurements
//! and closed forms), writes report.md, report.csv and figures, prints the table, and
//! exits 1 if any check fails.

use crate::validate::{self, report, Env};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim validate`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output folder for report.md, report.csv and the figures.
    #[arg(long, default_value = "results/validate")]
    pub out: PathBuf,
    /// Run only this check or group (e.g. `queueing`, `optane`, `mm1`).
    #[arg(long)]
    pub only: Option<String>,
    /// List the checks and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        for c in validate::REGISTRY {
            println!("{:<28} {:<12} {}", c.name, c.group, c.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let checks = validate::select(args.only.as_deref());
    if checks.is_empty() {
        // Groups only: the checks are many (`--list` names each).
        let mut groups: Vec<&str> = validate::REGISTRY.iter().map(|c| c.group).collect();
        groups.sort();
        groups.dedup();
        anyhow::bail!(
            "--only: no check or group named '{}'; groups: {} (`tiersim validate --list` \
             lists every check)",
            args.only.unwrap_or_default(),
            groups.join(", ")
        );
    }
    let results = validate::run_checks(&checks, &Env::default());
    report::write(&args.out, &results)?;
    print!("{}", report::table(&results));
    println!("report in {}/report.md", args.out.display());
    let (_, fail, _) = report::counts(&results);
    Ok(if fail == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
