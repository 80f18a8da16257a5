//! The training dataset: N samples with a size distribution, either a named preset
//! (REFERENCES.md section 3) or given explicitly. Each sample gets one size for the
//! whole run, drawn from the named stream `workload.training.sizes`; fixed-size
//! datasets keep no table. Optionally the samples live in files (`samples_per_file`,
//! `format`, `transfer_size`, `read_ahead`: [`super::files`]).

use super::files::{FileFormat, FileLayout, DEFAULT_TRANSFER};
use crate::config::{Bytes, ConfigError};
use crate::trace::{Op, Request, NO_NEXT_ACCESS};
use crate::workload::sizes::{SizeDist, SizeSampler, SizeSpec};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// `dataset = "imagenet-1k"` or `dataset = { preset = "...", samples = N, size = ... }`
/// (`samples` and `size` override the preset's; without a preset both are required).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum DatasetSpec {
    Preset(String),
    Table(DatasetTable),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetTable {
    pub preset: Option<String>,
    pub samples: Option<u64>,
    pub size: Option<SizeSpec>,
    /// Samples stored in one file (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_per_file: Option<u32>,
    /// How files are read: `npz` (default: whole files), `tfrecord`, `hdf5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<FileFormat>,
    /// Bytes per read of `tfrecord` and `hdf5` files (default 256 KiB, DLIO's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_size: Option<Bytes>,
    /// `tfrecord`: chunks a worker reads ahead of what its batch needs (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ahead: Option<u32>,
}

/// Every dataset preset by name.
pub const PRESETS: &[&str] = &["imagenet-1k", "imagenet-22k", "openimages", "cosmoflow"];

/// (samples, size distribution, source) of a preset.
pub fn preset(name: &str) -> Option<(u64, SizeSpec, &'static str)> {
    let lognormal = |mean: u64, sd: u64| {
        SizeSpec::Dist(SizeDist::Lognormal {
            mean: Bytes(mean),
            sd: Bytes(sd),
        })
    };
    Some(match name {
        // 1,281,167 training images, mean 107.7 KB, sd ~100 KB.
        "imagenet-1k" => (
            1_281_167,
            lognormal(107_700, 100_000),
            "REFERENCES.md s3: ImageNet-1k 1,281,167 images, mean 107.7 KB (sd ~100 KB)",
        ),
        // 14.2 M images, ~1.3-1.5 TB: mean 1.4 TB / 14.2 M = 98.6 KB; the sd is not in
        // the references and is taken as ImageNet-1k's 100 KB (approx.).
        "imagenet-22k" => (
            14_200_000,
            lognormal(98_600, 100_000),
            "REFERENCES.md s3: ImageNet-22k 14.2 M images, ~1.4 TB (mean 98.6 KB); sd 100 KB assumed",
        ),
        // 1.74 M images, ~500 GB: mean 287 KB; sd taken equal to the mean (approx.).
        "openimages" => (
            1_740_000,
            lognormal(287_000, 287_000),
            "REFERENCES.md s3: OpenImages 1.74 M images, ~500 GB (mean 287 KB); sd = mean assumed",
        ),
        // MLPerf HPC CosmoFlow: 262,144 samples of 16 MB.
        "cosmoflow" => (
            262_144,
            SizeSpec::Fixed(Bytes(16_000_000)),
            "REFERENCES.md s3: CosmoFlow 262,144 samples of 16 MB (MLPerf HPC)",
        ),
        _ => return None,
    })
}

/// `spec` with its preset (if any) expanded: `{ preset, samples, size }` with the
/// preset's values where the config gives none, so every value is explicit. Building
/// from it gives the same dataset (and the same `source`). Errors name `path`.
pub fn resolve_spec(spec: &DatasetSpec, path: &str) -> Result<DatasetSpec, ConfigError> {
    let (table, key) = as_table(spec, path);
    let base = preset_of(&table, &key)?;
    Ok(DatasetSpec::Table(DatasetTable {
        samples: table.samples.or(base.as_ref().map(|b| b.0)),
        size: table.size.clone().or(base.map(|b| b.1)),
        preset: table.preset.clone(),
        ..table
    }))
}

/// The spec as a table, and the key path that names its preset.
fn as_table(spec: &DatasetSpec, path: &str) -> (DatasetTable, String) {
    match spec {
        DatasetSpec::Preset(p) => (
            DatasetTable {
                preset: Some(p.clone()),
                ..Default::default()
            },
            path.to_string(),
        ),
        DatasetSpec::Table(t) => (t.clone(), format!("{path}.preset")),
    }
}

/// The table's preset, if it names one; an unknown name is an error at `key`.
fn preset_of(
    table: &DatasetTable,
    key: &str,
) -> Result<Option<(u64, SizeSpec, &'static str)>, ConfigError> {
    match table.preset.as_deref() {
        Some(name) => preset(name).map(Some).ok_or_else(|| {
            ConfigError::new(
                key,
                format!(
                    "unknown dataset preset '{name}'; known presets: {}",
                    PRESETS.join(", ")
                ),
            )
        }),
        None => Ok(None),
    }
}

/// A resolved dataset: sample count and per-sample sizes. Cloning shares the size
/// table (the future-access iterator holds a clone).
#[derive(Clone)]
pub struct Dataset {
    pub samples: u64,
    /// Sizes of samples 0..N (empty when every sample has the same size).
    sizes: Arc<[u32]>,
    fixed: u32,
    /// Mean sample size in bytes.
    pub mean_size: f64,
    pub source: String,
    /// The files the samples live in, when not one sample per whole-read file.
    pub files: Option<Arc<FileLayout>>,
    /// A warning when sizes were clamped to 4 GiB - 1 (a distribution's tail).
    pub clamp_warning: Option<String>,
}

impl Dataset {
    /// Resolves `spec`; errors name `path` (`workload.dataset`).
    pub fn build(spec: &DatasetSpec, seed: u64, path: &str) -> Result<Dataset, ConfigError> {
        let (table, key) = as_table(spec, path);
        let base = preset_of(&table, &key)?;
        let samples = table
            .samples
            .or(base.as_ref().map(|b| b.0))
            .ok_or_else(|| {
                ConfigError::new(
                    format!("{path}.samples"),
                    "required when no dataset preset is given",
                )
            })?;
        if samples == 0 {
            return Err(ConfigError::new(
                format!("{path}.samples"),
                "must be greater than zero",
            ));
        }
        if samples > u32::MAX as u64 {
            return Err(ConfigError::new(
                format!("{path}.samples"),
                "at most 4,294,967,295 samples",
            ));
        }
        let size = table
            .size
            .clone()
            .or(base.as_ref().map(|b| b.1.clone()))
            .ok_or_else(|| {
                ConfigError::new(
                    format!("{path}.size"),
                    "required when no dataset preset is given",
                )
            })?;
        let sampler = size.sampler(&format!("{path}.size"))?;
        let mut rng = crate::engine::stream(seed, "workload.training.sizes");
        let sizes = sampler.table(samples, &mut rng);
        let fixed = sampler.fixed().unwrap_or(0);
        let clamp_warning = sampler.clamp_warning(&sizes, "sample");
        let mean_size = match &sampler {
            SizeSampler::Fixed(v) => *v as f64,
            _ => sizes.iter().map(|&s| s as f64).sum::<f64>() / samples as f64,
        };
        // Overridden: a value given that differs from the preset's (a value equal to
        // the preset's, as a resolved config writes it, overrides nothing).
        let source = match &base {
            Some(b) if samples == b.0 && size == b.1 => b.2.to_string(),
            Some(b) => format!("{} (overridden in the config)", b.2),
            None => "user-defined in the config".to_string(),
        };
        let mut d = Dataset {
            samples,
            sizes: sizes.into(),
            fixed,
            mean_size,
            source,
            files: None,
            clamp_warning,
        };
        let per_file = table.samples_per_file.unwrap_or(1);
        let format = table.format.unwrap_or_default();
        if table.transfer_size.is_some() && format == FileFormat::Npz {
            return Err(ConfigError::new(
                format!("{path}.transfer_size"),
                "npz files are read whole: transfer_size applies to tfrecord and hdf5",
            ));
        }
        if per_file != 1 || format != FileFormat::Npz {
            d.files = Some(Arc::new(FileLayout::build(
                samples,
                |id| d.size(id),
                per_file,
                format,
                table.transfer_size.map_or(DEFAULT_TRANSFER, |b| b.0),
                table.read_ahead.unwrap_or(0),
                path,
            )?));
        }
        Ok(d)
    }

    /// The size of sample `id` in bytes.
    #[inline]
    pub fn size(&self, id: u32) -> u32 {
        if self.sizes.is_empty() {
            self.fixed
        } else {
            self.sizes[id as usize]
        }
    }

    /// Starts loading the size of sample `id` into the CPU cache (a hint).
    #[inline]
    pub fn prefetch_size(&self, id: u32) {
        if let Some(s) = self.sizes.get(id as usize) {
            crate::policy::eviction::prefetch_ptr(s);
        }
    }

    /// Fills `batch` with a read request at `now` for each sample of `ids`, in order;
    /// returns their bytes. Ids first (loading their sizes into the CPU cache), then
    /// sizes, so the size lookups of a large dataset overlap.
    pub fn read_requests(
        &self,
        ids: impl Iterator<Item = u32>,
        now: crate::engine::Time,
        batch: &mut Vec<Request>,
    ) -> u64 {
        batch.clear();
        for id in ids {
            self.prefetch_size(id);
            batch.push(Request {
                time: now,
                id: id as u64,
                size: 0,
                op: Op::Read,
                next_access: NO_NEXT_ACCESS,
            });
        }
        let mut bytes = 0;
        for req in batch.iter_mut() {
            req.size = self.size(req.id as u32);
            bytes += req.size as u64;
        }
        bytes
    }

    /// Total bytes of the dataset.
    pub fn total_bytes(&self) -> u64 {
        if self.sizes.is_empty() {
            self.fixed as u64 * self.samples
        } else {
            self.sizes.iter().map(|&s| s as u64).sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_resolve_with_their_published_counts() {
        let d = Dataset::build(
            &DatasetSpec::Preset("cosmoflow".into()),
            1,
            "workload.dataset",
        )
        .unwrap();
        assert_eq!(d.samples, 262_144);
        assert_eq!(d.size(7), 16_000_000);
        assert_eq!(d.total_bytes(), 262_144 * 16_000_000);
        for p in PRESETS {
            assert!(preset(p).is_some(), "{p}");
        }
    }

    #[test]
    fn overrides_and_errors_name_the_key() {
        let spec = DatasetSpec::Table(DatasetTable {
            preset: Some("imagenet-1k".into()),
            samples: Some(1000),
            size: None,
            ..Default::default()
        });
        let d = Dataset::build(&spec, 1, "workload.dataset").unwrap();
        assert_eq!(d.samples, 1000);
        // Lognormal mean 107.7 KB: the sample mean of 1,000 is within ~10%.
        assert!(
            (d.mean_size / 107_700.0 - 1.0).abs() < 0.1,
            "{}",
            d.mean_size
        );
        let e = Dataset::build(&DatasetSpec::Preset("mnist".into()), 1, "workload.dataset")
            .err()
            .unwrap();
        assert_eq!(e.path, "workload.dataset");
        assert!(e.msg.contains("imagenet-1k"));
        let e = Dataset::build(
            &DatasetSpec::Table(DatasetTable {
                preset: None,
                samples: None,
                size: Some(SizeSpec::Fixed(Bytes(10))),
                ..Default::default()
            }),
            1,
            "workload.dataset",
        )
        .err()
        .unwrap();
        assert_eq!(e.path, "workload.dataset.samples");
    }
}
