//! Optane DC PMM checks on the `optane-pmm` preset (6 interleaved gen-1 DIMMs), against
//! Izraelevitz et al. 2019 and Yang et al. FAST'20 (REFERENCES.md s1, s4.6).
//!
//! A CPU thread is modelled as one closed-loop client keeping 768 B of random accesses
//! in flight: the 12 L1 line-fill buffers of a Cascade Lake core x 64 B (an assumption,
//! not a reference figure). Unloaded, one thread then reads 768 B per 305 ns + 768 B /
//! 39.4 GB/s, ~2.4 GB/s, so reads need ~17 threads to reach the 39.4 GB/s peak; writes
//! are acknowledged in ~94 ns and need only ~3 threads to reach 13.9 GB/s.

use super::{num, row, run_toml, Bound, CheckOutput, Env, Figure, Row};
use crate::plot::Series;
use crate::trace::Op;
use rayon::prelude::*;

/// Bytes one thread keeps in flight (12 line-fill buffers x 64 B).
pub const THREAD_BYTES: u64 = 768;
const THREADS: std::ops::RangeInclusive<u32> = 1..=24;
const TOL: f64 = 10.0;

/// Sustained bandwidth (GB/s of useful bytes) of `threads` closed-loop clients doing
/// random `op`s of `size` bytes on the optane-pmm preset; plus the summary.
fn bandwidth(
    env: &Env,
    threads: u32,
    op: Op,
    size: u64,
) -> anyhow::Result<(f64, serde_json::Value)> {
    queued_bandwidth(env, threads, 1, op, size)
}

/// [`bandwidth`] with each thread keeping `depth` requests in flight (queued
/// asynchronous stores: one stream each).
fn queued_bandwidth(
    env: &Env,
    threads: u32,
    depth: u32,
    op: Op,
    size: u64,
) -> anyhow::Result<(f64, serde_json::Value)> {
    let read_fraction = if op == Op::Read { 1.0 } else { 0.0 };
    let requests = 3000 * (threads * depth) as u64;
    let toml = format!(
        "{}\n[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 1_000_000\n\
         requests = {requests}\nclients = {threads}\ndepth = {depth}\nread_fraction = {read_fraction}\nsize = \"{size}B\"\n",
        env.tier("pmem", "optane-pmm", "")
    );
    let s = run_toml(&toml, 1)?;
    let done = num(&s, "/workload/requests_completed")?;
    let secs = num(&s, "/simulated_time_s")?;
    Ok((done * size as f64 / secs / 1e9, s))
}

/// Bandwidth for 1..=24 threads.
fn curve(env: &Env, op: Op) -> anyhow::Result<Vec<(f64, f64)>> {
    THREADS
        .into_par_iter()
        .map(|n| Ok((n as f64, bandwidth(env, n, op, THREAD_BYTES)?.0)))
        .collect()
}

/// The fewest threads reaching `frac` of the curve's peak.
fn threads_to(curve: &[(f64, f64)], frac: f64) -> f64 {
    let peak = curve.iter().map(|p| p.1).fold(0.0, f64::max);
    curve
        .iter()
        .find(|p| p.1 >= frac * peak)
        .map(|p| p.0)
        .unwrap_or(f64::NAN)
}

fn peak(curve: &[(f64, f64)]) -> f64 {
    curve.iter().map(|p| p.1).fold(0.0, f64::max)
}

fn figure(
    file: &str,
    title: &str,
    model: Vec<(f64, f64)>,
    reference: (f64, f64),
    label: &str,
) -> Figure {
    Figure::model_vs_reference(
        file,
        title,
        (
            "threads (closed-loop clients, 768 B in flight each)",
            "bandwidth (GB/s)",
        ),
        Series::line("tiersim (optane-pmm)", model),
        Series::points(label, vec![reference]),
    )
}

/// Reads rise to ~39.4 GB/s near 17 threads (Izraelevitz et al. 2019, REFERENCES s1).
pub fn read_bandwidth(env: &Env) -> anyhow::Result<CheckOutput> {
    let c = curve(env, Op::Read)?;
    let src = "Izraelevitz et al. 2019 (REFERENCES s1): 39.4 GB/s, rising to ~17 threads";
    let rows = vec![
        row(
            "optane-read-bandwidth",
            "peak read bandwidth, 1-24 threads",
            peak(&c),
            39.4,
            "GB/s",
            TOL,
            src,
        ),
        row(
            "optane-read-bandwidth",
            "threads to reach 95% of the peak",
            threads_to(&c, 0.95),
            17.0,
            "threads",
            TOL,
            src,
        ),
    ];
    Ok(CheckOutput {
        rows,
        skipped: None,
        figures: vec![figure(
            "optane_read_bandwidth",
            "Optane PMM x6: read bandwidth vs threads",
            c,
            (17.0, 39.4),
            "Izraelevitz 2019: 39.4 GB/s near 17 threads",
        )],
    })
}

/// Writes reach ~13.9 GB/s by ~4 threads and then fall slightly (Izraelevitz et al.
/// 2019; Yang et al. FAST'20; REFERENCES s1).
pub fn write_bandwidth(env: &Env) -> anyhow::Result<CheckOutput> {
    let c = curve(env, Op::Write)?;
    let src = "Izraelevitz et al. 2019; Yang et al. FAST'20 (REFERENCES s1): 13.9 GB/s, saturating by ~4 threads, then falling slightly";
    let at = |n: f64| c.iter().find(|p| p.0 == n).map(|p| p.1).unwrap_or(f64::NAN);
    let p = peak(&c);
    let rows = vec![
        row(
            "optane-write-bandwidth",
            "write bandwidth at 4 threads",
            at(4.0),
            13.9,
            "GB/s",
            TOL,
            src,
        ),
        row(
            "optane-write-bandwidth",
            "peak write bandwidth, 1-24 threads",
            p,
            13.9,
            "GB/s",
            TOL,
            src,
        ),
        Row {
            bound: Bound::AtMost,
            ..row(
                "optane-write-bandwidth",
                "threads to reach 95% of the peak (at most)",
                threads_to(&c, 0.95),
                4.0,
                "threads",
                TOL,
                src,
            )
        },
        Row {
            bound: Bound::Below,
            ..row(
                "optane-write-bandwidth",
                "bandwidth at 24 threads / peak (not above, slightly below)",
                at(24.0) / p,
                1.0,
                "ratio",
                15.0,
                src,
            )
        },
    ];
    Ok(CheckOutput {
        rows,
        skipped: None,
        figures: vec![figure(
            "optane_write_bandwidth",
            "Optane PMM x6: write bandwidth vs threads",
            c,
            (4.0, 13.9),
            "Izraelevitz 2019: 13.9 GB/s by ~4 threads",
        )],
    })
}

/// 1,024 writes queued by 4 writers (256 each in flight) run at the 4-writer
/// bandwidth: contention comes from concurrent writers, not queued writes (Yang et al.
/// FAST'20 attribute the decline to interleaved streams thrashing the DIMMs' write
/// combining; REFERENCES s1: 13.9 GB/s by ~4 threads).
pub fn queued_writes(env: &Env) -> anyhow::Result<CheckOutput> {
    let (queued, _) = queued_bandwidth(env, 4, 256, Op::Write, THREAD_BYTES)?;
    let (four, _) = bandwidth(env, 4, Op::Write, THREAD_BYTES)?;
    let src = "Izraelevitz et al. 2019; Yang et al. FAST'20 (REFERENCES s1): 13.9 GB/s by ~4 writer threads";
    Ok(CheckOutput {
        rows: vec![
            row(
                "optane-queued-writes",
                "bandwidth of 1,024 queued writes from 4 writers",
                queued,
                13.9,
                "GB/s",
                TOL,
                src,
            ),
            row(
                "optane-queued-writes",
                "queued / one-in-flight bandwidth, 4 writers",
                queued / four,
                1.0,
                "ratio",
                TOL,
                "the same 4 writers with one write in flight each",
            ),
        ],
        ..Default::default()
    })
}

/// A 64 B random write costs a 256 B XPLine: 64 B writes get 1/4 of the bandwidth of
/// 256 B writes in useful bytes (Yang et al. FAST'20, REFERENCES s1).
pub fn write_amplification(env: &Env) -> anyhow::Result<CheckOutput> {
    let (small, s) = bandwidth(env, 16, Op::Write, 64)?;
    let (line, _) = bandwidth(env, 16, Op::Write, 256)?;
    let src = "Yang et al. FAST'20 (REFERENCES s1): 64 B random write = 256 B media read-modify-write, up to 4x";
    Ok(CheckOutput {
        rows: vec![
            row(
                "optane-write-amplification",
                "useful bandwidth 64 B / 256 B random writes, 16 threads",
                small / line,
                0.25,
                "ratio",
                TOL,
                src,
            ),
            row(
                "optane-write-amplification",
                "media write amplification of 64 B random writes",
                num(&s, "/tiers/0/write_amplification")?,
                4.0,
                "x",
                TOL,
                src,
            ),
        ],
        ..Default::default()
    })
}

/// Random ~305 ns against sequential ~170 ns read latency, one thread, 64 B loads
/// (Izraelevitz et al. 2019, REFERENCES s1).
pub fn read_latency(env: &Env) -> anyhow::Result<CheckOutput> {
    let lat = |pattern: &str| -> anyhow::Result<f64> {
        let toml = format!(
            "{}\n[workload]\nkind = \"synthetic\"\npattern = \"{pattern}\"\nobjects = 1_000_000\nrequests = 20_000\nsize = \"64B\"\n",
            env.tier("pmem", "optane-pmm", "")
        );
        num(&run_toml(&toml, 1)?, "/latency/read/mean_ns")
    };
    let (random, seq) = (lat("uniform")?, lat("sequential")?);
    let src = "Izraelevitz et al. 2019 (REFERENCES s1): random ~305 ns, sequential ~170 ns";
    Ok(CheckOutput {
        rows: vec![
            row(
                "optane-read-latency",
                "random read latency, QD1",
                random,
                305.0,
                "ns",
                TOL,
                src,
            ),
            row(
                "optane-read-latency",
                "sequential read latency, QD1",
                seq,
                170.0,
                "ns",
                TOL,
                src,
            ),
            row(
                "optane-read-latency",
                "sequential / random read latency",
                seq / random,
                170.0 / 305.0,
                "ratio",
                TOL,
                src,
            ),
        ],
        ..Default::default()
    })
}
