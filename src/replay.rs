//! Functional replay: a trace through eviction policies without timing, at cache-
//! simulator speed.
//!
//! One streaming read of the trace feeds every (policy, cache size) pair: requests are
//! read in batches into reused buffers, and each batch is handed to all simulators in
//! parallel (rayon; the next batch is read meanwhile), each simulator running its batch
//! on one thread with no allocation per access. A single policy runs entirely on the
//! calling thread. Cache sizes are absolute (bytes, or objects with
//! `ignore_size`) or fractions of the trace's distinct objects (bytes of distinct
//! objects when sizes count), floor(distinct x fraction) as libCacheSim does; fractions
//! need one extra counting pass. Belady needs next-access times: formats that lack them
//! get them from a backward pass over the ids, which holds one u64 per request in
//! memory (8 bytes x requests).
//!
//! Semantics (libCacheSim's): zero-size requests are skipped (libCacheSim's readers drop
//! them: they are neither counted nor looked up); every miss inserts the object,
//! evicting until it fits; an object larger than the whole cache is counted as a miss
//! and not admitted.
//! [`mrc`] computes LRU miss-ratio curves in one pass from stack distances.

mod mrc;

pub use mrc::{default_grid, lru_mrc, mrc_to_csv, MrcPoint, MRC_HEADER};

use crate::policy::eviction::{self, EvictionPolicy, Params, Victim};
use crate::policy::hash::{IdMap, IdSet};
use crate::trace::{self, Format, Request, NO_NEXT_ACCESS};
use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use std::path::Path;

/// Requests read per batch: large enough to amortise the parallel hand-off, small
/// enough (64 Ki x 40 B = 2.5 MB) to stay in cache.
pub const BATCH: usize = 1 << 16;

/// A cache size as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CacheSize {
    /// Bytes, or objects in unit-size mode.
    Absolute(u64),
    /// A fraction in (0, 1] of the distinct objects (or their bytes).
    Fraction(f64),
}

impl CacheSize {
    /// Rejects a zero size or a fraction outside (0, 1].
    pub fn validate(self) -> Result<Self> {
        match self {
            CacheSize::Absolute(0) => bail!("cache size must be greater than 0"),
            CacheSize::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                bail!("cache fraction must be in (0, 1], found {f}")
            }
            s => Ok(s),
        }
    }
}

/// What to replay.
#[derive(Clone, Debug)]
pub struct ReplayOptions {
    /// The eviction policies: registry names, each optionally with parameters
    /// (`lirs:variant=paper`, see [`parse_policy`]).
    pub policies: Vec<String>,
    pub sizes: Vec<CacheSize>,
    /// Every request counts as size 1 and capacity counts objects.
    pub ignore_size: bool,
    /// Seed for randomised policies.
    pub seed: u64,
}

/// The outcome of one (policy, cache size) pair.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayResult {
    pub policy: String,
    /// Resolved capacity: bytes, or objects in unit-size mode.
    pub cache_size: u64,
    /// The fraction it came from, if any.
    pub fraction: Option<f64>,
    pub requests: u64,
    pub misses: u64,
    pub bytes_requested: u64,
    pub bytes_missed: u64,
}

impl ReplayResult {
    pub fn miss_ratio(&self) -> f64 {
        ratio(self.misses, self.requests)
    }
    pub fn byte_miss_ratio(&self) -> f64 {
        ratio(self.bytes_missed, self.bytes_requested)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// What a counting pass over the trace learns.
#[derive(Clone, Debug, Default)]
pub struct TraceSummary {
    pub requests: u64,
    pub distinct_objects: u64,
    /// Sum over distinct objects of the size of their first request (objects in
    /// unit-size mode).
    pub distinct_bytes: u64,
}

/// One policy at one size, with its counters and a reused victim buffer.
struct Simulator {
    policy: Box<dyn EvictionPolicy>,
    result: ReplayResult,
    victims: Vec<Victim>,
}

impl Simulator {
    fn run(&mut self, batch: &[Request]) {
        let (misses, bytes_missed) = self.policy.access_batch(batch, &mut self.victims);
        let r = &mut self.result;
        r.requests += batch.len() as u64;
        r.bytes_requested += batch.iter().map(|q| q.size as u64).sum::<u64>();
        r.misses += misses;
        r.bytes_missed += bytes_missed;
    }
}

/// Splits a policy as given to replay, `NAME` or `NAME:KEY=VALUE[:KEY=VALUE...]`
/// (`lirs:variant=paper`, `s3fifo:small_frac=0.2:variant=v0`), into the registry name
/// and its parameter table. A value is read as TOML (`0.2`, `true`, `"paper"`), else
/// as a bare string. Unknown keys and bad values are reported when the policy is built.
pub fn parse_policy(spec: &str) -> Result<(&str, Params)> {
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or_default();
    let mut params = Params::new();
    for kv in parts {
        let Some((key, value)) = kv.split_once('=') else {
            bail!("policy '{spec}': expected KEY=VALUE after ':', found '{kv}'");
        };
        let key = key.trim();
        let value = value.trim();
        if key.is_empty() {
            bail!("policy '{spec}': empty parameter name before '={value}'");
        }
        let v = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_string()));
        if params.insert(key.to_string(), v).is_some() {
            bail!("policy '{spec}': parameter '{key}' given twice");
        }
    }
    Ok((name, params))
}

/// Builds the policy `spec` names (see [`parse_policy`]); errors name the spec.
fn build_policy(spec: &str, capacity: u64, seed: u64) -> Result<Box<dyn EvictionPolicy>> {
    let (name, params) = parse_policy(spec)?;
    eviction::build(name, &params, capacity, seed).map_err(|e| {
        if params.is_empty() {
            anyhow::anyhow!(e)
        } else {
            anyhow::anyhow!("policy '{spec}': {e}")
        }
    })
}

/// Checks every policy name (an unknown one lists the known ones) and size.
pub fn validate(opts: &ReplayOptions) -> Result<()> {
    if opts.policies.is_empty() {
        bail!(
            "no policy given; known policies: {}",
            eviction::names().join(", ")
        );
    }
    if opts.sizes.is_empty() {
        bail!("no cache size given (use --cache-size or --cache-frac)");
    }
    for p in &opts.policies {
        build_policy(p, 1, opts.seed)?;
    }
    for s in &opts.sizes {
        s.validate()?;
    }
    Ok(())
}

/// Resolves sizes against a summary: floor(distinct x fraction), as libCacheSim does.
pub fn resolve_sizes(
    sizes: &[CacheSize],
    summary: Option<&TraceSummary>,
    ignore_size: bool,
) -> Result<Vec<(u64, Option<f64>)>> {
    sizes
        .iter()
        .map(|&s| match s.validate()? {
            CacheSize::Absolute(n) => Ok((n, None)),
            CacheSize::Fraction(f) => {
                let s = summary.context("internal: a fraction needs the counting pass")?;
                let base = if ignore_size {
                    s.distinct_objects
                } else {
                    s.distinct_bytes
                };
                let n = (base as f64 * f) as u64;
                if n == 0 {
                    bail!(
                        "cache fraction {f} of {base} distinct {} gives a cache of size 0",
                        if ignore_size { "objects" } else { "bytes" }
                    );
                }
                Ok((n, Some(f)))
            }
        })
        .collect()
}

/// Reads the next batch of at most `max` requests into `buf`, dropping zero-size
/// requests as libCacheSim's readers do (they are not requests there: not counted,
/// not looked up). Returns 0 only at the end of the trace. Allocates nothing once
/// `buf` has its capacity.
pub fn read_batch(
    reader: &mut dyn trace::TraceReader,
    buf: &mut Vec<Request>,
    max: usize,
) -> Result<usize> {
    loop {
        if reader.read_batch(buf, max)? == 0 {
            return Ok(0);
        }
        buf.retain(|r| r.size > 0);
        if !buf.is_empty() {
            return Ok(buf.len());
        }
    }
}

/// Reads the whole trace once: request count, distinct objects and bytes, and, when
/// `next_access` is asked for, every request's next-access time (one backward pass
/// over the ids kept in memory).
pub fn summarize(
    path: &Path,
    format: Option<Format>,
    ignore_size: bool,
    next_access: bool,
) -> Result<(TraceSummary, Option<Vec<u64>>)> {
    let mut reader = trace::open(path, format)?;
    let mut buf = Vec::with_capacity(BATCH);
    let mut summary = TraceSummary::default();
    let mut ids: Vec<u64> = Vec::new();
    let mut seen = IdSet::default();
    while read_batch(&mut *reader, &mut buf, BATCH)? > 0 {
        summary.requests += buf.len() as u64;
        for r in &buf {
            if seen.insert(r.id) {
                summary.distinct_bytes += if ignore_size { 1 } else { r.size as u64 };
            }
        }
        if next_access {
            ids.extend(buf.iter().map(|r| r.id));
        }
    }
    summary.distinct_objects = seen.len() as u64;
    drop(seen);
    if !next_access {
        return Ok((summary, None));
    }
    // Backward pass, in place: ids[i] becomes the index of the next request to the
    // same id (NO_NEXT_ACCESS if none).
    let mut last: IdMap<u64> = IdMap::default();
    last.reserve(summary.distinct_objects as usize);
    for i in (0..ids.len()).rev() {
        let id = ids[i];
        ids[i] = last.insert(id, i as u64).unwrap_or(NO_NEXT_ACCESS);
    }
    Ok((summary, Some(ids)))
}

/// Replays the trace at `path` through every (policy, size) pair of `opts`; results
/// come in policy-major order, sizes in the order given.
pub fn replay(
    path: &Path,
    format: Option<Format>,
    opts: &ReplayOptions,
) -> Result<Vec<ReplayResult>> {
    validate(opts)?;
    let has_next = trace::open(path, format)?.has_next_access();
    let wants_next = opts
        .policies
        .iter()
        .any(|p| parse_policy(p).is_ok_and(|(name, _)| name == "belady"))
        && !has_next;
    let wants_summary = opts
        .sizes
        .iter()
        .any(|s| matches!(s, CacheSize::Fraction(_)));
    let (summary, next) = if wants_next || wants_summary {
        let (s, n) = summarize(path, format, opts.ignore_size, wants_next)?;
        (Some(s), n)
    } else {
        (None, None)
    };
    let sizes = resolve_sizes(&opts.sizes, summary.as_ref(), opts.ignore_size)?;

    let mut sims = Vec::with_capacity(opts.policies.len() * sizes.len());
    for p in &opts.policies {
        for &(cap, fraction) in &sizes {
            let policy = build_policy(p, cap, opts.seed)?;
            sims.push(Simulator {
                policy,
                result: ReplayResult {
                    policy: p.clone(),
                    cache_size: cap,
                    fraction,
                    requests: 0,
                    misses: 0,
                    bytes_requested: 0,
                    bytes_missed: 0,
                },
                victims: Vec::new(),
            });
        }
    }

    let mut reader = trace::open(path, format)?;
    let mut buf = Vec::with_capacity(BATCH);
    let mut ahead = Vec::with_capacity(BATCH);
    let mut index = 0usize;
    read_batch(&mut *reader, &mut buf, BATCH)?;
    while !buf.is_empty() {
        if opts.ignore_size {
            buf.iter_mut().for_each(|r| r.size = 1);
        }
        if let Some(next) = &next {
            let n = buf.len();
            let Some(slice) = next.get(index..index + n) else {
                bail!("{}: the trace changed between passes", path.display());
            };
            for (r, &t) in buf.iter_mut().zip(slice) {
                r.next_access = t;
            }
        }
        index += buf.len();
        if sims.len() == 1 {
            // One policy: everything on this thread.
            sims[0].run(&buf);
            read_batch(&mut *reader, &mut ahead, BATCH)?;
        } else {
            // Several: read the next batch while the simulators run this one.
            let (read, ()) = rayon::join(
                || read_batch(&mut *reader, &mut ahead, BATCH),
                || sims.par_iter_mut().for_each(|s| s.run(&buf)),
            );
            read?;
        }
        std::mem::swap(&mut buf, &mut ahead);
    }
    Ok(sims.into_iter().map(|s| s.result).collect())
}

/// The name of a trace for the `trace` column: its file name.
pub fn trace_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The CSV header of replay results.
pub const CSV_HEADER: &str =
    "trace,policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio,cache_frac,bytes_requested,bytes_missed";

/// Renders results as CSV, header first.
pub fn to_csv(trace: &str, results: &[ReplayResult]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in results {
        out.push_str(&format!(
            "{},{},{},{},{},{:.8},{:.8},{},{},{}\n",
            csv_field(trace),
            r.policy,
            r.cache_size,
            r.requests,
            r.misses,
            r.miss_ratio(),
            r.byte_miss_ratio(),
            r.fraction.map(|f| f.to_string()).unwrap_or_default(),
            r.bytes_requested,
            r.bytes_missed
        ));
    }
    out
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
