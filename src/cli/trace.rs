//! `tiersim trace`: generate (`gen`), summarise (`stats`) and convert (`convert`)
//! traces. Formats and examples: docs/traces.md.

use crate::trace::gen::{self, GenSpec};
use crate::trace::stats::{self, TraceStats};
use crate::trace::{self, Format, WriteOptions};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `tiersim trace`.
#[derive(clap::Subcommand, Debug)]
pub enum TraceCommand {
    /// Generate a synthetic trace (epoch-shuffle, sequential, uniform, zipf).
    Gen(GenArgs),
    /// Summarise a trace: counts, bytes, read/write mix, time span, reuse.
    Stats(StatsArgs),
    /// Convert a trace between formats (next-access times computed for oracleGeneral).
    Convert(ConvertArgs),
}

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// Generator: epoch-shuffle, sequential, uniform or zipf.
    #[arg(long)]
    pub kind: String,
    /// Distinct objects (dataset samples).
    #[arg(long, visible_alias = "samples")]
    pub objects: u64,
    /// Requests to emit (uniform, zipf).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Passes over all objects (epoch-shuffle, sequential).
    #[arg(long, default_value_t = 1)]
    pub epochs: u64,
    /// Zipf exponent.
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Size of every object in bytes.
    #[arg(long, default_value_t = gen::DEFAULT_SIZE)]
    pub size: u32,
    /// Fraction of requests that are writes.
    #[arg(long, default_value_t = 0.0)]
    pub write_frac: f64,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Time between requests in nanoseconds.
    #[arg(long, default_value_t = 1000)]
    pub interarrival_ns: u64,
    /// Output file; its extension picks the format unless --format is given.
    #[arg(long)]
    pub out: PathBuf,
    /// Output format: tsb, oracleGeneral, csv or txt.
    #[arg(long)]
    pub format: Option<String>,
    /// Store next-access times (tsb, csv), computed in a backward pass.
    #[arg(long)]
    pub next_access: bool,
    /// Generate even when the estimated memory exceeds what is available.
    #[arg(long)]
    pub no_memory_check: bool,
}

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    pub file: PathBuf,
    /// Input format (default: from the file name).
    #[arg(long)]
    pub format: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    pub input: PathBuf,
    pub output: PathBuf,
    #[arg(long)]
    pub in_format: Option<String>,
    #[arg(long)]
    pub out_format: Option<String>,
    /// Compute and store next-access times in a tsb output (oracleGeneral always has
    /// them; inputs that carry them keep them in tsb and csv outputs).
    #[arg(long)]
    pub next_access: bool,
}

pub fn run(cmd: TraceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TraceCommand::Gen(a) => run_gen(a),
        TraceCommand::Stats(a) => run_stats(a),
        TraceCommand::Convert(a) => run_convert(a),
    }
}

fn parse_format(name: &Option<String>) -> anyhow::Result<Option<Format>> {
    Ok(name.as_deref().map(Format::from_name).transpose()?)
}

fn run_gen(a: GenArgs) -> anyhow::Result<ExitCode> {
    let needs_requests = matches!(a.kind.as_str(), "uniform" | "zipf");
    if needs_requests && a.requests.is_none() {
        anyhow::bail!("--kind {} needs --requests", a.kind);
    }
    let spec = GenSpec {
        kind: a.kind.clone(),
        objects: a.objects,
        requests: a.requests.unwrap_or(0),
        epochs: a.epochs,
        alpha: a.alpha,
        size: a.size,
        write_frac: a.write_frac,
        seed: a.seed,
        interarrival_ps: a
            .interarrival_ns
            .checked_mul(crate::engine::NS)
            .with_context(|| {
                format!(
                    "--interarrival-ns {} is too large: at most {} (2^64 - 1 ps)",
                    a.interarrival_ns,
                    u64::MAX / crate::engine::NS
                )
            })?,
    };
    let format = match parse_format(&a.format)? {
        Some(f) => f,
        None => Format::for_output(&a.out)?,
    };
    if !a.no_memory_check {
        // epoch-shuffle holds its permutation; a next-access pass one map entry per
        // distinct object (oracleGeneral always stores next-access times).
        let mut est = crate::memory::Estimate::default();
        if a.kind == "epoch-shuffle" {
            est.add("--objects", a.objects, 8, "the epoch permutation");
        }
        if a.next_access || format == Format::OracleGeneral {
            let distinct = match a.kind.as_str() {
                "uniform" | "zipf" => a.objects.min(spec.requests),
                _ => a.objects,
            };
            est.add("--objects", distinct, 32, "the next-access pass");
        }
        est.check().map_err(anyhow::Error::msg)?;
    }
    let requests = gen::generate(&spec).map_err(anyhow::Error::msg)?;
    let opts = WriteOptions {
        keep_next_access: false,
        compute_next_access: a.next_access,
    };
    let mut out = trace::create(&a.out, parse_format(&a.format)?, opts)?;
    if a.next_access && !matches!(parse_format(&a.format)?, None | Some(Format::Tsb)) {
        eprintln!("note: --next-access is stored only in tsb (and always in oracleGeneral)");
    }
    for r in requests {
        out.write(&r)?;
    }
    let n = out.finish()?;
    eprintln!("wrote {n} requests to {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

fn run_stats(a: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut reader = trace::open(&a.file, parse_format(&a.format)?)?;
    let s = stats::compute(reader.as_mut())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        print!("{}", table(&a.file.display().to_string(), &s));
    }
    Ok(ExitCode::SUCCESS)
}

/// The human-readable stats table.
pub fn table(name: &str, s: &TraceStats) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(t, "trace            {name}");
    if s.requests == 0 {
        let _ = writeln!(t, "empty trace: 0 requests");
        return t;
    }
    let pct = |x: u64| 100.0 * x as f64 / s.requests as f64;
    let rows: Vec<(&str, String)> = vec![
        ("requests", s.requests.to_string()),
        ("distinct objects", s.distinct_objects.to_string()),
        ("total bytes", s.total_bytes.to_string()),
        ("distinct bytes", s.distinct_bytes.to_string()),
        ("reads", format!("{} ({:.2}%)", s.reads, pct(s.reads))),
        ("writes", format!("{} ({:.2}%)", s.writes, pct(s.writes))),
        (
            "time span",
            format!("{:.6} s", crate::engine::secs(s.time_span_ps)),
        ),
        (
            "one-hit objects",
            format!(
                "{} ({:.2}% of objects)",
                s.one_hit_objects,
                100.0 * s.one_hit_fraction
            ),
        ),
        ("reuses", s.reuses.to_string()),
        (
            "reuse interval",
            format!(
                "(requests) mean {:.1}, p10 {}, p50 {}, p90 {}, p99 {}, max {}",
                s.reuse_interval.mean,
                s.reuse_interval.p10,
                s.reuse_interval.p50,
                s.reuse_interval.p90,
                s.reuse_interval.p99,
                s.reuse_interval.max
            ),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(t, "{k:<17}{v}");
    }
    t
}

fn run_convert(a: ConvertArgs) -> anyhow::Result<ExitCode> {
    let mut reader = trace::open(&a.input, parse_format(&a.in_format)?)?;
    let opts = WriteOptions {
        keep_next_access: reader.has_next_access(),
        compute_next_access: a.next_access,
    };
    let mut out = trace::create(&a.output, parse_format(&a.out_format)?, opts)?;
    let n = trace::copy(reader.as_mut(), out.as_mut())?;
    out.finish()?;
    eprintln!(
        "converted {n} requests: {} -> {}",
        a.input.display(),
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}
