//! `tiersim sweep`: expand a sweep spec and run it in parallel, resumably, or one
//! shard of it (a Slurm array task).

use crate::sweep::{self, Options, Spec};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tiersim sweep`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sweep spec (TOML; see docs/sweeps.md and configs/sweeps/).
    pub spec: PathBuf,
    /// Parallel runs [default: the number of CPUs].
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Output folder [default: results/<spec file stem>/].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only the runs with index % N == K (K is 0-based, as SLURM_ARRAY_TASK_ID).
    #[arg(long, value_name = "K/N", value_parser = sweep::parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Continue a sweep in --out: skip runs whose summary.json exists.
    #[arg(long)]
    pub resume: bool,
    /// Wall-clock limit per run ("10min", "90s"): a run past it is recorded as failed
    /// ("timed out after ...") and the sweep goes on.
    #[arg(long, value_name = "TIME", value_parser = crate::watch::parse_wall)]
    pub run_timeout: Option<std::time::Duration>,
    /// Run even when a run's (or the plan's) estimated memory exceeds what is available.
    #[arg(long)]
    pub no_memory_check: bool,
    /// List the runs (index, id, swept values) and exit without running.
    #[arg(long)]
    pub list: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write the HTML report page (OUT/report.html; see `tiersim report`).
    #[arg(long, conflicts_with = "shard")]
    pub report: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spec = Spec::load(&args.spec)?;
    if !args.no_memory_check {
        let base_bytes = toml::to_string(&spec.base).map_or(0, |t| t.len() as u64);
        crate::memory::for_plan(spec.len(), base_bytes)
            .check()
            .map_err(|e| anyhow::anyhow!("{}: {} runs: {e}", args.spec.display(), spec.len()))?;
    }
    if spec.search.is_some() {
        return run_search(&spec, args);
    }
    let plan =
        sweep::expand(&spec).map_err(|e| anyhow::anyhow!("{}: {e:#}", args.spec.display()))?;
    if args.list {
        for r in &plan.runs {
            println!(
                "{:>5} {} {}{}",
                r.index,
                r.id,
                sweep::plan::describe(&plan.params, &r.params),
                r.config
                    .as_ref()
                    .err()
                    .map(|e| format!("  (invalid: {e})"))
                    .unwrap_or_default()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (out, opts) = options(&spec, &args)?;
    let report = sweep::run_plan(&plan, &opts)?;
    if args.shard.is_none() {
        super::report::after(&out, args.report, args.quiet)?;
    }
    Ok(if report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The output folder and run options of `args`.
fn options(spec: &Spec, args: &Args) -> anyhow::Result<(PathBuf, Options)> {
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .spec
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("sweep");
        PathBuf::from("results").join(stem)
    });
    let mut inputs = vec![(args.spec.display().to_string(), std::fs::read(&args.spec)?)];
    if !spec.base_origin.starts_with("inline") {
        inputs.push((spec.base_origin.clone(), std::fs::read(&spec.base_origin)?));
    }
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = Options {
        jobs,
        out: out.clone(),
        shard: args.shard,
        resume: args.resume,
        rerun_failed: true,
        quiet: args.quiet,
        inputs,
        run_timeout: args.run_timeout,
        memory_check: !args.no_memory_check,
    };
    Ok((out, opts))
}

/// A spec with `[search]`: bisection rounds, then search.csv and one line per grid
/// point on stdout.
fn run_search(spec: &Spec, args: Args) -> anyhow::Result<ExitCode> {
    let s = spec.search.as_ref().expect("a search");
    if args.list {
        anyhow::bail!(
            "--list: the probes of a [search] depend on the results of earlier probes, so \
             they cannot be listed before running"
        );
    }
    let (out, opts) = options(spec, &args)?;
    let (report, found) = sweep::search::run_search(spec, &opts)
        .map_err(|e| anyhow::anyhow!("{}: {e:#}", args.spec.display()))?;
    let params: Vec<String> = spec.params().iter().map(|p| p.text.clone()).collect();
    let cmp = if s.at_least { ">=" } else { "<=" };
    for f in &found {
        let at = sweep::plan::describe(&params, &f.cells);
        let value = f.found.map_or_else(
            || format!("none in {}..={}", s.low, s.high),
            |x| x.to_string(),
        );
        println!(
            "{}{} = {value} (largest with {} {cmp} {}; {} probes)",
            if at.is_empty() {
                String::new()
            } else {
                format!("{at}: ")
            },
            s.key,
            s.metric,
            s.threshold,
            f.probes
        );
    }
    if report.failed > 0 && !args.quiet {
        // Failed probes are misses (the value cannot run), part of the answer.
        eprintln!(
            "note: {} probe(s) failed and counted as missing the threshold (errors in runs.csv)",
            report.failed
        );
    }
    super::report::after(&out, args.report, args.quiet)?;
    Ok(ExitCode::SUCCESS)
}
