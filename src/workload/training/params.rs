//! The `[workload] kind = "training"` table: parsing, defaults and validation, with
//! errors naming the key (`workload.batch_size`, `workload.sync.link`, ...).

use super::checkpoint::CheckpointPlan;
use super::dataset::{Dataset, DatasetSpec};
use super::sampler::{Sampler, SamplerKind};
use super::sync::SyncPlan;
use crate::config::{parse_table, Bytes, ConfigError, Duration};
use crate::engine::Time;
use crate::registry::{self, to_map, ComponentParams, Entry, NoParams, Registry, ResolveCtx};
use crate::workload::BuildCtx;
use rand_distr::{Exp, LogNormal};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// How a loader worker issues the reads of a batch.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
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

/// Compute time of one iteration: `per_batch` + `per_sample` x batch size.
#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
struct ComputeSpec {
    #[serde(default)]
    per_batch: Duration,
    #[serde(default)]
    per_sample: Duration,
}

/// Straggler jitter added to every compute phase.
#[derive(Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
enum JitterSpec {
    None,
    Exponential { mean: Duration },
    Lognormal { mean: Duration, sd: Duration },
}

/// The `[workload] kind = "training"` table (docs/training.md lists every key).
/// Nested kinds (`sampler`, `sync`) and `checkpoint` are resolved by [`resolve_table`].
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Raw {
    /// A dataset preset name or `{ preset, samples, size }`.
    dataset: DatasetSpec,
    /// Data-parallel ranks (GPUs), >= 1; default: one per GPU of the job's nodes
    /// (`[[cluster.nodes]] gpus`; 1 without a cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ranks: Option<u32>,
    /// Passes over the dataset, >= 1; default 1.
    #[serde(default = "one_u64")]
    epochs: u64,
    /// Stop after this many iterations (absent: run every epoch).
    max_iterations: Option<u64>,
    /// Samples per batch per rank, >= 1.
    batch_size: u64,
    /// Drop each rank's last partial batch of an epoch; default false.
    #[serde(default)]
    drop_last: bool,
    /// Loader workers per rank, >= 1; default 1.
    #[serde(default = "one")]
    workers: u32,
    /// Batches each worker loads ahead, >= 1; default 2 (PyTorch's).
    #[serde(default = "two")]
    prefetch_factor: u32,
    /// `batch` or `sample`; default batch.
    #[serde(default)]
    worker_io: WorkerIo,
    /// Ranks wait for each other after every iteration (default true); false: each
    /// rank computes batch after batch on its own (DLIO, MLPerf Storage), no sync.
    #[serde(default = "yes")]
    barrier: bool,
    /// Sampler kind and parameters; default `distributed`.
    sampler: Option<toml::Value>,
    compute: ComputeSpec,
    /// Default `{ dist = "none" }`.
    jitter: Option<JitterSpec>,
    /// CPU time per sample in a loader worker; default 0.
    #[serde(default)]
    preprocess_per_sample: Duration,
    /// Model parameter count (sizes gradients and checkpoints).
    params: Option<u64>,
    /// Gradient synchronisation; default `none`.
    sync: Option<toml::Value>,
    /// Checkpoints (absent: none).
    checkpoint: Option<toml::Value>,
}

/// Samplers by name with their declared parameters.
const SAMPLERS: Registry<Entry<()>> = Registry {
    what: "sampler",
    plural: "samplers",
    entries: &[
        Entry::new::<NoParams>("distributed", ()),
        Entry::new::<NoParams>("sequential", ()),
        Entry::new::<BufferParams>("shuffle_buffer", ()),
        Entry::new::<PageParams>("quasi_random", ()),
        Entry::new::<ShardParams>("webdataset", ()),
        Entry::new::<FilesParams>("files", ()),
    ],
};

/// Resolves the training table: every default filled, the dataset preset expanded
/// into its samples and size, and `sampler`, `jitter`, `sync` and `checkpoint` written
/// as full tables (the registry's resolve step for `training`).
pub fn resolve_table(
    table: toml::Table,
    path: &str,
    ctx: &ResolveCtx,
) -> Result<Map<String, Value>, ConfigError> {
    let mut raw: Raw = parse_table(toml::Value::Table(table), path)?;
    let dataset_path = format!("{path}.dataset");
    raw.dataset = super::dataset::resolve_spec(&raw.dataset, &dataset_path)?;
    if let DatasetSpec::Table(t) = &mut raw.dataset {
        if let Some(f) = t
            .size
            .as_mut()
            .and_then(crate::workload::sizes::SizeSpec::file)
        {
            ctx.file(f);
        }
    }
    let sampler = SAMPLERS.resolve(
        raw.sampler.take().unwrap_or_else(|| "distributed".into()),
        &format!("{path}.sampler"),
        ctx,
    )?;
    let sync = super::sync::SYNCS.resolve(
        raw.sync.take().unwrap_or_else(|| "none".into()),
        &format!("{path}.sync"),
        ctx,
    )?;
    let checkpoint = match raw.checkpoint.take() {
        None => None,
        Some(toml::Value::Table(t)) => Some(registry::resolve_params::<super::checkpoint::Params>(
            t,
            &format!("{path}.checkpoint"),
            ctx,
        )?),
        Some(_) => {
            return Err(ConfigError::new(
                format!("{path}.checkpoint"),
                "expected a table",
            ))
        }
    };
    raw.jitter.get_or_insert(JitterSpec::None);
    // Placeholders keep the declared key order; the resolved tables replace them.
    raw.sampler = Some(toml::Value::Boolean(true));
    raw.sync = Some(toml::Value::Boolean(true));
    raw.checkpoint = checkpoint.as_ref().map(|_| toml::Value::Boolean(true));
    let mut m = to_map(&raw, path)?;
    m.insert("sampler".into(), Value::Object(sampler));
    m.insert("sync".into(), Value::Object(sync));
    if let Some(c) = checkpoint {
        m.insert("checkpoint".into(), Value::Object(c));
    }
    Ok(m)
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
fn yes() -> bool {
    true
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
    /// The node slot of each rank (ranks fill nodes in order, `gpus` a node).
    pub rank_slots: Vec<u16>,
    pub epochs: u64,
    pub max_iterations: Option<u64>,
    pub batch: usize,
    pub drop_last: bool,
    pub workers: usize,
    pub prefetch: usize,
    pub worker_io: WorkerIo,
    /// Whether ranks wait for each other after every iteration (false: independent
    /// ranks, no sync and no checkpoints).
    pub barrier: bool,
    pub per_batch: Time,
    pub per_sample: Time,
    pub jitter: Jitter,
    pub preprocess: Time,
    pub sync: SyncPlan,
    pub checkpoint: Option<CheckpointPlan>,
    /// Notes for the run's warnings (a DLIO YAML's ignored keys).
    pub notes: Vec<String>,
}

fn positive(v: u64, key: &str, what: &str) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::new(format!("workload.{key}"), what))
    } else {
        Ok(())
    }
}

/// `shuffle_buffer`: a DALI-like shuffle buffer over the sequential order.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BufferParams {
    /// Samples in the buffer, >= 1; default 1024.
    #[serde(default = "dali_buffer")]
    buffer: usize,
}

impl ComponentParams for BufferParams {
    fn check(&self) -> Result<(), ConfigError> {
        at_least_one(self.buffer as u64, "buffer")
    }
}

/// `quasi_random`: FFCV-like page-wise shuffling.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    /// Page size, > 0; default 8 MB.
    #[serde(default = "ffcv_page")]
    page: Bytes,
    /// Pages read from at once, >= 1; default 6.
    #[serde(default = "ffcv_live")]
    live_pages: usize,
}

impl ComponentParams for PageParams {
    fn check(&self) -> Result<(), ConfigError> {
        at_least_one(self.page.0, "page")?;
        at_least_one(self.live_pages as u64, "live_pages")
    }
}

/// `webdataset`: shards read in a random order through a shuffle buffer.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ShardParams {
    /// Shard size, > 0; default 1 GB.
    #[serde(default = "wds_shard")]
    shard: Bytes,
    /// Samples in the shuffle buffer, >= 1; default 1024.
    #[serde(default = "dali_buffer")]
    buffer: usize,
}

impl ComponentParams for ShardParams {
    fn check(&self) -> Result<(), ConfigError> {
        at_least_one(self.shard.0, "shard")?;
        at_least_one(self.buffer as u64, "buffer")
    }
}

/// `files`: whole files in a (shuffled) order, each rank reading its run of files
/// sequentially (the dataset's `samples_per_file` samples to a file).
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FilesParams {
    /// Shuffle the file order every epoch; default true.
    #[serde(default = "yes")]
    file_shuffle: bool,
    /// Samples in the shuffle buffer, >= 1 (1: none); default 1.
    #[serde(default = "one_usize")]
    buffer: usize,
}

impl ComponentParams for FilesParams {
    fn check(&self) -> Result<(), ConfigError> {
        at_least_one(self.buffer as u64, "buffer")
    }
}

fn one_usize() -> usize {
    1
}

fn at_least_one(v: u64, key: &str) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::new(key, "must be at least 1"))
    } else {
        Ok(())
    }
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

fn sampler_kind(
    value: Option<toml::Value>,
    mean_size: f64,
    per_file: usize,
) -> Result<SamplerKind, ConfigError> {
    let path = "workload.sampler";
    let value = value.unwrap_or_else(|| "distributed".into());
    let (entry, params) = SAMPLERS.find(value, path)?;
    let samples_of = |b: Bytes| ((b.0 as f64 / mean_size).round() as usize).max(1);
    Ok(match entry.name {
        "distributed" => {
            registry::parse::<NoParams>(params, path).map(|_| SamplerKind::Distributed)?
        }
        "sequential" => {
            registry::parse::<NoParams>(params, path).map(|_| SamplerKind::Sequential)?
        }
        "shuffle_buffer" => {
            let p: BufferParams = registry::parse(params, path)?;
            SamplerKind::ShuffleBuffer { buffer: p.buffer }
        }
        "quasi_random" => {
            let p: PageParams = registry::parse(params, path)?;
            SamplerKind::QuasiRandom {
                page_samples: samples_of(p.page),
                live_pages: p.live_pages,
            }
        }
        "webdataset" => {
            let p: ShardParams = registry::parse(params, path)?;
            SamplerKind::WebDataset {
                shard_samples: samples_of(p.shard),
                buffer: p.buffer,
            }
        }
        "files" => {
            let p: FilesParams = registry::parse(params, path)?;
            SamplerKind::Files {
                per_file,
                shuffle_files: p.file_shuffle,
                buffer: p.buffer,
            }
        }
        other => {
            return Err(ConfigError::new(
                path,
                format!("sampler '{other}' is registered but has no builder"),
            ))
        }
    })
}

/// Parses and validates the workload table.
pub fn resolve(params: toml::Table, ctx: &BuildCtx) -> Result<Resolved, ConfigError> {
    let mut raw: Raw = parse_table(toml::Value::Table(params), "workload")?;
    let gpus: u64 = ctx.nodes.iter().map(|n| n.gpus as u64).sum::<u64>().max(1);
    let ranks = match raw.ranks {
        Some(r) if ctx.nodes.len() > 1 && r as u64 != gpus => {
            return Err(ConfigError::new(
                "workload.ranks",
                format!(
                    "{r}, but the job's {} nodes have {gpus} GPUs (one rank each; leave \
                     ranks out)",
                    ctx.nodes.len()
                ),
            ))
        }
        Some(r) => r,
        None => u32::try_from(gpus)
            .map_err(|_| ConfigError::new("workload.ranks", "at most 2^32 - 1 ranks"))?,
    };
    positive(ranks as u64, "ranks", "must be at least 1")?;
    raw.ranks = Some(ranks);
    let ranks = raw.ranks.unwrap_or(1);
    let rank_slots: Vec<u16> = if ctx.nodes.len() > 1 {
        ctx.nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| std::iter::repeat_n(i as u16, n.gpus as usize))
            .collect()
    } else {
        vec![0; ranks as usize]
    };
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
    let dataset = Dataset::build(&raw.dataset, ctx.dataset_seed, "workload.dataset")?;
    let per_rank = dataset.samples.div_ceil(ranks as u64);
    if raw.drop_last && raw.batch_size > per_rank {
        return Err(ConfigError::new(
            "workload.batch_size",
            format!(
                "{} is larger than the {per_rank} samples each of the {} ranks reads per epoch: \
                 with drop_last = true no batch would ever be formed",
                raw.batch_size, ranks
            ),
        ));
    }
    let per_file = dataset.files.as_ref().map_or(1, |f| f.per_file as usize);
    let kind = sampler_kind(raw.sampler, dataset.mean_size, per_file)?;
    let sampler = Sampler::new(kind, dataset.samples as usize, ranks as usize, ctx.seed);
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
    let sync = SyncPlan::build_on(raw.sync, ranks, raw.params, ctx.links, ctx.nodes)?;
    if !raw.barrier && sync.kind != "none" {
        return Err(ConfigError::new(
            "workload.sync",
            format!(
                "kind = \"{}\", but independent ranks (barrier = false) exchange no \
                 gradients: leave sync out or set kind = \"none\"",
                sync.kind
            ),
        ));
    }
    let checkpoint = match raw.checkpoint {
        Some(v) => Some(CheckpointPlan::build(v, raw.params, ctx.tiers)?),
        None => None,
    };
    if !raw.barrier && checkpoint.is_some() {
        return Err(ConfigError::new(
            "workload.checkpoint",
            "checkpoints need the ranks in step (barrier = true); with independent ranks \
             they are not modelled",
        ));
    }
    Ok(Resolved {
        dataset,
        sampler,
        ranks: ranks as usize,
        rank_slots,
        epochs: raw.epochs,
        max_iterations: raw.max_iterations,
        batch: raw.batch_size as usize,
        drop_last: raw.drop_last,
        workers: raw.workers as usize,
        prefetch: raw.prefetch_factor as usize,
        worker_io: raw.worker_io,
        barrier: raw.barrier,
        per_batch: raw.compute.per_batch.0,
        per_sample: raw.compute.per_sample.0,
        jitter,
        preprocess: raw.preprocess_per_sample.0,
        sync,
        checkpoint,
        notes: Vec::new(),
    })
}
