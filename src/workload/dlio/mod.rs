//! `[workload] kind = "dlio"`: a DLIO (and MLPerf Storage) training workload read from
//! DLIO's own workload YAML, run as independent ranks of the training workload (one
//! emulated accelerator each, no barrier, as DLIO runs them). docs/dlio.md maps every
//! YAML key; [`yaml`] reads the file.
//!
//! Mapping: `dataset.num_files_train` x `num_samples_per_file` samples of
//! `record_length` bytes (normal with `record_length_stdev`, clamped at 1 byte, as DLIO
//! draws them), in files of `num_samples_per_file` read as their `format` says
//! (`npz`/`npy`/`jpeg`/`png` whole, `tfrecord` in `transfer_size` chunks, `hdf5` in
//! `chunk_size` or `transfer_size` chunks); `reader.batch_size`, `read_threads` loader
//! workers (at least 1), `prefetch_size` batches each (at least 1), the last partial
//! batch dropped; `train.computation_time` per batch, `reader.preprocess_time` per
//! sample; sample order: a streamed format (`tfrecord`) reads each rank's run of files
//! in (shuffled, with `file_shuffle`) file order through a shuffle buffer of
//! `shuffle_size` (with `sample_shuffle`); the others read a fresh permutation of the
//! samples with `sample_shuffle`, else the (shuffled) files in order.

pub mod yaml;

use crate::config::ConfigError;
use crate::registry::ComponentParams;
use crate::sim::Workload;
use crate::workload::training::{params, Training};
use crate::workload::BuildCtx;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use yaml::{DlioSpec, Format};

/// The `[workload] kind = "dlio"` table.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The DLIO workload YAML (relative to the config file).
    pub yaml: PathBuf,
    /// Emulated accelerators (DLIO's MPI ranks), >= 1; default: one per GPU of the
    /// job's nodes (1 without a cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerators: Option<u32>,
    /// Overrides `train.epochs`, >= 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<u64>,
    /// Stop each accelerator after this many iterations, >= 1 (with
    /// `train.total_training_steps`, the smaller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u64>,
    /// Overrides `dataset.num_files_train`, >= 1 (MLPerf Storage sizes the dataset to
    /// the host's memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_files_train: Option<u64>,
    /// Chunks each loader worker reads ahead in a streamed file (`tfrecord`); default 0
    /// (not a DLIO key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ahead: Option<u32>,
}

impl ComponentParams for Params {
    fn check(&self) -> Result<(), ConfigError> {
        for (key, v) in [
            ("accelerators", self.accelerators.map(u64::from)),
            ("epochs", self.epochs),
            ("max_iterations", self.max_iterations),
            ("num_files_train", self.num_files_train),
        ] {
            if v == Some(0) {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        Ok(())
    }

    fn files(&mut self) -> Vec<&mut PathBuf> {
        vec![&mut self.yaml]
    }
}

/// Reads and checks the YAML `p` names; errors name `workload.yaml` and the YAML key.
pub fn load(p: &Params, ctx: &BuildCtx) -> Result<DlioSpec, ConfigError> {
    let path = ctx.resolve(&p.yaml);
    let text = crate::trace::lines::read_text(&path, crate::config::MAX_CONFIG_BYTES)
        .map_err(|e| ConfigError::new("workload.yaml", format!("cannot read {e}")))?;
    yaml::parse(&text)
        .map_err(|e| ConfigError::new("workload.yaml", format!("{}: {e}", path.display())))
}

/// The training table the DLIO workload runs as (see the module doc).
pub fn training_table(p: &Params, d: &DlioSpec) -> toml::Table {
    let bytes = |x: f64| toml::Value::String(format!("{}B", x.round() as u64));
    let ps = |s: f64| toml::Value::String(format!("{}ps", (s * 1e12).round() as u64));
    let mut dataset = toml::Table::new();
    let files = p.num_files_train.unwrap_or(d.num_files_train);
    dataset.insert(
        "samples".into(),
        ((files * d.samples_per_file) as i64).into(),
    );
    let size = if d.record_length_stdev > 0.0 {
        let mut t = toml::Table::new();
        t.insert("dist".into(), "normal".into());
        t.insert("mean".into(), bytes(d.record_length));
        t.insert("sd".into(), bytes(d.record_length_stdev));
        toml::Value::Table(t)
    } else {
        bytes(d.record_length)
    };
    dataset.insert("size".into(), size);
    if d.samples_per_file > 1 || d.format != Format::WholeFile {
        dataset.insert(
            "samples_per_file".into(),
            (d.samples_per_file as i64).into(),
        );
        let (name, transfer) = match d.format {
            Format::WholeFile => ("npz", None),
            Format::Tfrecord => ("tfrecord", Some(d.transfer_size)),
            Format::Hdf5 if d.chunk_size > 0 => ("hdf5", Some(d.chunk_size)),
            Format::Hdf5 => ("hdf5", Some(d.transfer_size)),
        };
        dataset.insert("format".into(), name.into());
        if let Some(t) = transfer {
            dataset.insert("transfer_size".into(), bytes(t as f64));
        }
        if let (Some(k), Format::Tfrecord) = (p.read_ahead, d.format) {
            dataset.insert("read_ahead".into(), (k as i64).into());
        }
    }
    let mut sampler = toml::Table::new();
    let streamed = d.format == Format::Tfrecord;
    if !streamed && d.sample_shuffle {
        sampler.insert("kind".into(), "distributed".into());
    } else {
        sampler.insert("kind".into(), "files".into());
        sampler.insert("file_shuffle".into(), d.file_shuffle.into());
        let buffer = if streamed && d.sample_shuffle {
            d.shuffle_size
        } else {
            1
        };
        sampler.insert("buffer".into(), (buffer as i64).into());
    }
    let mut compute = toml::Table::new();
    compute.insert("per_batch".into(), ps(d.computation_time));
    let mut t = toml::Table::new();
    t.insert("dataset".into(), toml::Value::Table(dataset));
    if let Some(a) = p.accelerators {
        t.insert("ranks".into(), (a as i64).into());
    }
    t.insert(
        "epochs".into(),
        (p.epochs.unwrap_or(d.epochs) as i64).into(),
    );
    let steps = match (p.max_iterations, d.total_training_steps) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(m) = steps {
        t.insert("max_iterations".into(), (m as i64).into());
    }
    t.insert("batch_size".into(), (d.batch_size as i64).into());
    t.insert("drop_last".into(), true.into());
    t.insert("workers".into(), (d.read_threads.max(1) as i64).into());
    t.insert(
        "prefetch_factor".into(),
        (d.prefetch_size.max(1) as i64).into(),
    );
    t.insert("barrier".into(), false.into());
    t.insert("sampler".into(), toml::Value::Table(sampler));
    t.insert("compute".into(), toml::Value::Table(compute));
    t.insert("preprocess_per_sample".into(), ps(d.preprocess_time));
    t
}

pub fn build(table: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = crate::registry::parse(table, "workload")?;
    let d = load(&p, ctx)?;
    let ranks = match p.accelerators {
        Some(a) => a as u64,
        None => ctx.nodes.iter().map(|n| n.gpus as u64).sum::<u64>().max(1),
    };
    let samples = p
        .num_files_train
        .unwrap_or(d.num_files_train)
        .checked_mul(d.samples_per_file)
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or_else(|| {
            ConfigError::new(
                "workload.num_files_train",
                "files x dataset.num_samples_per_file exceeds 2^63 samples",
            )
        })?;
    let per_rank = samples.div_ceil(ranks);
    if d.batch_size > per_rank {
        return Err(ConfigError::new(
            "workload.accelerators",
            format!(
                "{ranks} accelerators each read {per_rank} of the {samples} samples per epoch, \
                 fewer than reader.batch_size = {} (DLIO drops the last partial batch, so none \
                 would train): use fewer accelerators or more files (workload.num_files_train \
                 overrides dataset.num_files_train)",
                d.batch_size
            ),
        ));
    }
    let mut resolved = params::resolve(training_table(&p, &d), ctx)?;
    resolved.notes = d.notes;
    Ok(Box::new(Training::new(resolved, ctx.seed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            yaml: "x.yaml".into(),
            accelerators: Some(4),
            epochs: None,
            max_iterations: None,
            num_files_train: None,
            read_ahead: None,
        }
    }

    #[test]
    fn maps_a_tfrecord_workload_to_streamed_files() {
        let d = yaml::parse(
            "dataset:\n  num_files_train: 1024\n  num_samples_per_file: 1251\n  \
             record_length: 114660.07\n  format: tfrecord\nreader:\n  batch_size: 400\n  \
             read_threads: 8\ntrain:\n  epochs: 5\n  computation_time: 0.224\n",
        )
        .unwrap();
        let t = training_table(&params(), &d);
        let ds = t["dataset"].as_table().unwrap();
        assert_eq!(ds["samples"].as_integer(), Some(1024 * 1251));
        assert_eq!(ds["size"].as_str(), Some("114660B"));
        assert_eq!(ds["format"].as_str(), Some("tfrecord"));
        assert_eq!(ds["transfer_size"].as_str(), Some("262144B"));
        assert_eq!(t["sampler"]["kind"].as_str(), Some("files"));
        assert_eq!(t["sampler"]["file_shuffle"].as_bool(), Some(false));
        assert_eq!(t["sampler"]["buffer"].as_integer(), Some(1));
        assert_eq!(t["compute"]["per_batch"].as_str(), Some("224000000000ps"));
        assert_eq!(t["workers"].as_integer(), Some(8));
        assert_eq!(t["barrier"].as_bool(), Some(false));
    }

    #[test]
    fn a_shuffled_npz_workload_reads_a_permutation_of_whole_files() {
        let d = yaml::parse(
            "dataset:\n  num_files_train: 168\n  record_length_bytes: 146600628\n  \
             record_length_bytes_stdev: 68341808\n  format: npz\nreader:\n  batch_size: 7\n  \
             file_shuffle: seed\n  sample_shuffle: seed\ntrain:\n  computation_time: 0.323\n",
        )
        .unwrap();
        let t = training_table(&params(), &d);
        let ds = t["dataset"].as_table().unwrap();
        // One sample per whole-read file: plain per-sample reads, no layout keys.
        assert!(ds.get("format").is_none() && ds.get("samples_per_file").is_none());
        assert_eq!(ds["size"]["dist"].as_str(), Some("normal"));
        assert_eq!(t["sampler"]["kind"].as_str(), Some("distributed"));
    }
}
