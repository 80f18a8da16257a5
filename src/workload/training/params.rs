//! The `[workload] kind = "training"` table: parsing, defaults and validation, with
//! errors naming the key (`workload.batch_size`, `workload.sync.link`, ...).

use super::checkpoint::CheckpointPlan;
use super::dataset::{Dataset, DatasetSpec};
use super::sampler::{Sampler, SamplerKind};
use super::sync::SyncPlan;
use crate::config::{parse_table, Bytes, ConfigError, Duration, KindTable};
use crate::engine::Time;
use crate::workload::BuildCtx;
use rand_distr::{Exp, LogNormal};
use serde::Deserialize;

/// How a loader worker issues the reads of a batch.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum WorkerIo {
    /// All of a batch's samples are issued back to back and the worker wakes once,
    /// when the last completes (one event per batch; each sample is still one
    /// hierarchy access). Like a worker with many reads in flight.
    #[default]
    Batch,
    /// One sample at a time, the next issued when the previous completes (PyTorch's
    /// synchronous `__getitem__`; one event per sample).
    Sample,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ComputeSpec {
    #[serde(default)]
    per_batch: Duration,
    #[serde(default)]
    per_sample: Duration,
}

#[derive(Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum JitterSpec {
    None,
    Exponential { mean: Duration },
    Lognormal { mean: Duration, sd: Duration },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    dataset: DatasetSpec,
    #[serde(default = "one")]
    ranks: u32,
    #[serde(default = "one_u64")]
    epochs: u64,
    max_iterations: Option<u64>,
    batch_size: u64,
    #[serde(default)]
    drop_last: bool,
    #[serde(default = "one")]
    workers: u32,
    #[serde(default = "two")]
    prefetch_factor: u32,
    #[serde(default)]
    worker_io: WorkerIo,
    sampler: Option<toml::Value>,
    compute: ComputeSpec,
    jitter: Option<JitterSpec>,
    #[serde(default)]
    preprocess_per_sample: Duration,
    params: Option<u64>,
    sync: Option<toml::Value>,
    checkpoint: Option<toml::Value>,
}

fn one() -> u32 {
    1
}
fn one_u64() -> u64 {
    1
}
fn two() -> u32 {
    2
}

/// Straggler jitter added to every compute phase, in picoseconds.
#[derive(Clone, Debug)]
pub enum Jitter {
    None,
    Exponential(Exp<f64>),
    Lognormal(LogNormal<f64>),
}

/// Everything the training job needs, validated.
pub struct Resolved {
    pub dataset: Dataset,
    pub sampler: Sampler,
    pub ranks: usize,
    pub epochs: u64,
    pub max_iterations: Option<u64>,
    pub batch: usize,
    pub drop_last: bool,
    pub workers: usize,
    pub prefetch: usize,
    pub worker_io: WorkerIo,
    pub per_batch: Time,
    pub per_sample: Time,
    pub jitter: Jitter,
    pub preprocess: Time,
    pub sync: SyncPlan,
    pub checkpoint: Option<CheckpointPlan>,
}

fn positive(v: u64, key: &str, what: &str) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::new(format!("workload.{key}"), what))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BufferParams {
    #[serde(default = "dali_buffer")]
    buffer: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    #[serde(default = "ffcv_page")]
    page: Bytes,
    #[serde(default = "ffcv_live")]
    live_pages: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardParams {
    #[serde(default = "wds_shard")]
    shard: Bytes,
    #[serde(default = "dali_buffer")]
    buffer: usize,
}

/// DALI's default shuffle buffer (REFERENCES.md s3).
fn dali_buffer() -> usize {
    1024
}
/// FFCV's 8 MB pages (REFERENCES.md s3).
fn ffcv_page() -> Bytes {
    Bytes(8_000_000)
}
/// FFCV's `generate_order_inner` keeps 6 pages live by default.
fn ffcv_live() -> usize {
    6
}
/// WebDataset shards of ~1 GB (REFERENCES.md s3).
fn wds_shard() -> Bytes {
    Bytes(1_000_000_000)
}

fn sampler_kind(value: Option<toml::Value>, mean_size: f64) -> Result<SamplerKind, ConfigError> {
    let Some(value) = value else {
        return Ok(SamplerKind::Distributed);
    };
    let kt = KindTable::from_value(value, "workload.sampler")?;
    let params = toml::Value::Table(kt.params.clone());
    let samples_of = |b: Bytes| ((b.0 as f64 / mean_size).round() as usize).max(1);
    let no_params = || match kt.params.keys().next() {
        Some(k) => Err(ConfigError::new(
            format!("workload.sampler.{k}"),
            format!("sampler '{}' takes no parameters", kt.kind),
        )),
        None => Ok(()),
    };
    Ok(match kt.kind.as_str() {
        "distributed" => no_params().map(|_| SamplerKind::Distributed)?,
        "sequential" => no_params().map(|_| SamplerKind::Sequential)?,
        "shuffle_buffer" => {
            let p: BufferParams = parse_table(params, "workload.sampler")?;
            positive(p.buffer as u64, "sampler.buffer", "must be at least 1")?;
            SamplerKind::ShuffleBuffer { buffer: p.buffer }
        }
        "quasi_random" => {
            let p: PageParams = parse_table(params, "workload.sampler")?;
            positive(p.page.0, "sampler.page", "must be greater than zero")?;
            positive(
                p.live_pages as u64,
                "sampler.live_pages",
                "must be at least 1",
            )?;
            SamplerKind::QuasiRandom {
                page_samples: samples_of(p.page),
                live_pages: p.live_pages,
            }
        }
        "webdataset" => {
            let p: ShardParams = parse_table(params, "workload.sampler")?;
            positive(p.shard.0, "sampler.shard", "must be greater than zero")?;
            positive(p.buffer as u64, "sampler.buffer", "must be at least 1")?;
            SamplerKind::WebDataset {
                shard_samples: samples_of(p.shard),
                buffer: p.buffer,
            }
        }
        other => {
            return Err(ConfigError::new(
                "workload.sampler.kind",
                format!(
                    "unknown sampler '{other}'; known: distributed, sequential, shuffle_buffer, \
                     quasi_random, webdataset"
                ),
            ))
        }
    })
}

/// Parses and validates the workload table.
pub fn resolve(params: toml::Table, ctx: &BuildCtx) -> Result<Resolved, ConfigError> {
    let raw: Raw = parse_table(toml::Value::Table(params), "workload")?;
    positive(raw.ranks as u64, "ranks", "must be at least 1")?;
    positive(
        raw.workers as u64,
        "workers",
        "must be at least 1 loader worker per rank",
    )?;
    positive(
        raw.prefetch_factor as u64,
        "prefetch_factor",
        "must be at least 1",
    )?;
    positive(raw.batch_size, "batch_size", "must be at least 1")?;
    positive(raw.epochs, "epochs", "must be at least 1")?;
    if raw.max_iterations == Some(0) {
        return Err(ConfigError::new(
            "workload.max_iterations",
            "must be at least 1",
        ));
    }
    let dataset = Dataset::build(&raw.dataset, ctx.seed, "workload.dataset")?;
    let per_rank = dataset.samples.div_ceil(raw.ranks as u64);
    if raw.drop_last && raw.batch_size > per_rank {
        return Err(ConfigError::new(
            "workload.batch_size",
            format!(
                "{} is larger than the {per_rank} samples each of the {} ranks reads per epoch: \
                 with drop_last = true no batch would ever be formed",
                raw.batch_size, raw.ranks
            ),
        ));
    }
    let kind = sampler_kind(raw.sampler, dataset.mean_size)?;
    let sampler = Sampler::new(kind, dataset.samples as usize, raw.ranks as usize, ctx.seed);
    let jitter = match raw.jitter {
        None | Some(JitterSpec::None) => Jitter::None,
        Some(JitterSpec::Exponential { mean }) => {
            positive(mean.0, "jitter.mean", "must be greater than zero")?;
            Jitter::Exponential(Exp::new(1.0 / mean.0 as f64).expect("positive mean"))
        }
        Some(JitterSpec::Lognormal { mean, sd }) => {
            positive(mean.0, "jitter.mean", "must be greater than zero")?;
            let (m, s) = (mean.0 as f64, sd.0 as f64);
            // Moments of a lognormal: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2.
            let sigma2 = (1.0 + s * s / (m * m)).ln();
            Jitter::Lognormal(
                LogNormal::new(m.ln() - sigma2 / 2.0, sigma2.sqrt())
                    .map_err(|e| ConfigError::new("workload.jitter", e.to_string()))?,
            )
        }
    };
    let sync = SyncPlan::build(raw.sync, raw.ranks, raw.params, ctx.links)?;
    let checkpoint = match raw.checkpoint {
        Some(v) => Some(CheckpointPlan::build(v, raw.params, ctx.tiers)?),
        None => None,
    };
    Ok(Resolved {
        dataset,
        sampler,
        ranks: raw.ranks as usize,
        epochs: raw.epochs,
        max_iterations: raw.max_iterations,
        batch: raw.batch_size as usize,
        drop_last: raw.drop_last,
        workers: raw.workers as usize,
        prefetch: raw.prefetch_factor as usize,
        worker_io: raw.worker_io,
        per_batch: raw.compute.per_batch.0,
        per_sample: raw.compute.per_sample.0,
        jitter,
        preprocess: raw.preprocess_per_sample.0,
        sync,
        checkpoint,
    })
}
