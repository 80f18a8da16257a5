//! `tiersim replay`: functional replay of a trace through eviction policies (miss
//! ratios), or an LRU miss-ratio curve with `--mrc`.

use crate::policy::eviction;
use crate::replay::{self, CacheSize, ReplayOptions};
use crate::trace::Format;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Output: CSV on stdout (and in --out, written to a temporary file then renamed), columns
trace,policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio,cache_frac,
bytes_requested,bytes_missed. With --mrc: trace,cache_size,miss_ratio,byte_miss_ratio,
requests,misses,bytes_requested,bytes_missed.

Semantics follow libCacheSim (docs/replay.md): zero-size requests are skipped; every
miss inserts the object, evicting until it fits. An object larger than the whole cache
is counted as a miss and not admitted; like libCacheSim, S3-FIFO refuses objects not
smaller than its small queue (10% of the cache), 2Q objects larger than A1in (25%) and
LIRS new objects larger than its HIR share (1%). Paper variants: lirs:variant=paper,
twoq:variant=paper; libCacheSim's older S3-FIFO (the shared reference counts):
s3fifo:variant=v0. A fraction means floor(distinct objects x fraction) (distinct bytes
unless --ignore-size), which costs one extra counting pass. Belady needs next-access
times: oracleGeneral traces carry them; for other formats they are computed in one
backward pass that keeps 8 bytes per request in memory.";

/// Arguments of `tiersim replay`.
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// Trace file.
    #[arg(long)]
    pub trace: PathBuf,
    /// Trace format (guessed from the file name when omitted).
    #[arg(long)]
    pub format: Option<String>,
    /// Eviction policies, comma-separated (lru, fifo, clock, lfu, arc, s3fifo, belady, ...),
    /// each optionally with parameters: NAME:KEY=VALUE[:KEY=VALUE...], e.g.
    /// lirs:variant=paper, twoq:variant=paper, s3fifo:variant=v0 (libCacheSim's
    /// S3FIFOv0), clock-n:bits=3.
    #[arg(long, value_delimiter = ',', required_unless_present = "mrc")]
    pub policy: Vec<String>,
    /// Cache sizes in bytes (objects with --ignore-size), comma-separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "cache_frac")]
    pub cache_size: Vec<u64>,
    /// Cache sizes as fractions in (0, 1] of the distinct objects (of their bytes
    /// without --ignore-size), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub cache_frac: Vec<f64>,
    /// Count every object as size 1; cache sizes then count objects.
    #[arg(long)]
    pub ignore_size: bool,
    /// Also write the CSV to this file (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Compute an LRU miss-ratio curve over many sizes in one pass instead (the sizes
    /// given, or a geometric grid of ~8 points per doubling up to the working set).
    #[arg(long, conflicts_with = "policy")]
    pub mrc: bool,
    /// Seed for randomised policies.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let format = args.format.as_deref().map(Format::from_name).transpose()?;
    let mut sizes: Vec<CacheSize> = args
        .cache_size
        .iter()
        .map(|&n| CacheSize::Absolute(n))
        .collect();
    sizes.extend(args.cache_frac.iter().map(|&f| CacheSize::Fraction(f)));
    for s in &sizes {
        s.validate().context(match s {
            CacheSize::Absolute(_) => "--cache-size",
            CacheSize::Fraction(_) => "--cache-frac",
        })?;
    }
    let name = replay::trace_name(&args.trace);
    let csv = if args.mrc {
        let grid = if sizes.is_empty() {
            replay::default_grid()
        } else {
            let summary = if args.cache_frac.is_empty() {
                None
            } else {
                Some(replay::summarize(&args.trace, format, args.ignore_size, false)?.0)
            };
            replay::resolve_sizes(&sizes, summary.as_ref(), args.ignore_size)?
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        let points = replay::lru_mrc(&args.trace, format, args.ignore_size, &grid)?;
        replay::mrc_to_csv(&name, &points)
    } else {
        if sizes.is_empty() {
            bail!("give --cache-size or --cache-frac");
        }
        for (i, p) in args.policy.iter().enumerate() {
            if args.policy[..i].contains(p) {
                bail!("--policy: '{p}' is given twice (each policy runs once per cache size)");
            }
            let (name, _) = replay::parse_policy(p)?;
            if !eviction::names().contains(&name) {
                bail!(
                    "unknown policy '{name}'; known policies: {}",
                    eviction::names().join(", ")
                );
            }
        }
        let opts = ReplayOptions {
            policies: args.policy.clone(),
            sizes,
            ignore_size: args.ignore_size,
            seed: args.seed,
        };
        let results = replay::replay(&args.trace, format, &opts)?;
        replay::to_csv(&name, &results)
    };
    std::io::stdout().write_all(csv.as_bytes())?;
    if let Some(out) = &args.out {
        crate::atomic::write_atomic(out, csv.as_bytes())
            .map_err(|e| anyhow::anyhow!("--out: cannot write {e}"))?;
    }
    Ok(ExitCode::SUCCESS)
}
