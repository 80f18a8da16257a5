//! Reading a DLIO workload YAML (the `dataset`, `reader`, `train` and `workflow`
//! sections, as DLIO's `ConfigArguments` and MLPerf Storage's `storage-conf/workload`
//! files spell them) into the parameters that time its reads. Keys that do not change
//! I/O timing are accepted and listed as notes; a key DLIO does not have, or one whose
//! effect is not modelled, is an error naming it (`reader.batch_size`, ...), as is a
//! value of the wrong type or range.

use yaml_rust2::{Yaml, YamlLoader};

/// How files are read (DLIO `dataset.format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Whole-file reads: npz, npy, jpeg, png.
    WholeFile,
    Tfrecord,
    Hdf5,
}

/// The I/O-relevant content of a DLIO workload YAML, DLIO's defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct DlioSpec {
    pub num_files_train: u64,
    pub samples_per_file: u64,
    /// Record length in bytes (mean) and its standard deviation.
    pub record_length: f64,
    pub record_length_stdev: f64,
    pub format: Format,
    /// The format as written.
    pub format_name: String,
    /// hdf5 chunk bytes (`dataset.chunk_size`), 0: none given.
    pub chunk_size: u64,
    pub batch_size: u64,
    pub read_threads: u64,
    pub prefetch_size: u64,
    pub file_shuffle: bool,
    pub sample_shuffle: bool,
    pub shuffle_size: u64,
    pub transfer_size: u64,
    /// Seconds per sample of CPU preprocessing (`reader.preprocess_time`).
    pub preprocess_time: f64,
    pub epochs: u64,
    /// Seconds per batch (`train.computation_time`).
    pub computation_time: f64,
    /// `train.total_training_steps` when > 0.
    pub total_training_steps: Option<u64>,
    /// Keys read but without effect on the timed reads, one note each.
    pub notes: Vec<String>,
}

/// Keys that do not change the timing of training reads (ignored, with a note).
const IGNORED: &[&str] = &[
    "model",
    "framework",
    "metric",
    "checkpoint",
    "evaluation",
    "output",
    "profiling",
    "hydra",
    "storage",
    "dataset.data_folder",
    "dataset.num_files_eval",
    "dataset.num_samples_per_file_eval",
    "dataset.num_subfolders_train",
    "dataset.num_subfolders_eval",
    "dataset.file_prefix",
    "dataset.keep_files",
    "dataset.record_length_resize",
    "dataset.record_length_bytes_resize",
    "dataset.enable_chunking",
    "reader.data_loader",
    "reader.computation_threads",
    "reader.batch_size_eval",
    "reader.dont_use_mmap",
    "reader.read_type",
    "reader.multiprocessing_context",
    "reader.pin_memory",
    "reader.data_loader_classname",
    "reader.data_loader_sampler",
    "train.seed",
    "train.seed_change_epoch",
    "workflow.generate_data",
    "workflow.checkpoint",
    "workflow.evaluation",
    "workflow.profiling",
    "workflow.debug",
];

/// Reads the YAML text; errors are one line naming the key (or the YAML position).
pub fn parse(text: &str) -> Result<DlioSpec, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let root = match docs.as_slice() {
        [Yaml::Hash(_)] => &docs[0],
        [] => return Err("the file holds no YAML document".into()),
        [_] => return Err("expected a mapping of sections (dataset, reader, train)".into()),
        _ => return Err("expected one YAML document, found several".into()),
    };
    let mut r = Reader {
        notes: Vec::new(),
        values: Vec::new(),
    };
    r.walk(root, "")?;
    r.spec()
}

struct Reader {
    notes: Vec<String>,
    /// The timing keys found: (key path, value).
    values: Vec<(String, Yaml)>,
}

/// Timing keys: what DLIO calls them, sections first.
const TIMING: &[&str] = &[
    "dataset.num_files_train",
    "dataset.num_samples_per_file",
    "dataset.record_length",
    "dataset.record_length_bytes",
    "dataset.record_length_stdev",
    "dataset.record_length_bytes_stdev",
    "dataset.format",
    "dataset.chunk_size",
    "reader.batch_size",
    "reader.read_threads",
    "reader.prefetch_size",
    "reader.file_shuffle",
    "reader.sample_shuffle",
    "reader.shuffle_size",
    "reader.transfer_size",
    "reader.preprocess_time",
    "reader.preprocess_time_stdev",
    "train.epochs",
    "train.computation_time",
    "train.computation_time_stdev",
    "train.total_training_steps",
    "workflow.train",
];

impl Reader {
    fn walk(&mut self, node: &Yaml, prefix: &str) -> Result<(), String> {
        let Yaml::Hash(map) = node else {
            return Err(format!("{prefix}: expected a mapping"));
        };
        for (k, v) in map {
            let key = match k {
                Yaml::String(s) => s.clone(),
                other => return Err(format!("{prefix}: a key that is not a name ({other:?})")),
            };
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            if IGNORED.contains(&path.as_str()) {
                self.notes.push(format!(
                    "DLIO key '{path}' does not change read timing: ignored"
                ));
            } else if TIMING.contains(&path.as_str()) {
                self.values.push((path, v.clone()));
            } else if prefix.is_empty()
                && matches!(key.as_str(), "dataset" | "reader" | "train" | "workflow")
            {
                if !matches!(v, Yaml::Null) {
                    self.walk(v, &path)?;
                }
            } else {
                return Err(format!(
                    "{path}: not a DLIO key tiersim knows (timing keys: {}; ignored keys: {})",
                    TIMING.join(", "),
                    IGNORED.join(", ")
                ));
            }
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&Yaml> {
        self.values.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A number (integer or real) at `key`, or `default`.
    fn number(&self, key: &str, default: f64) -> Result<f64, String> {
        match self.get(key) {
            None => Ok(default),
            Some(Yaml::Integer(i)) => Ok(*i as f64),
            Some(Yaml::Real(s)) => s
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("{key}: expected a number, found {s}")),
            Some(v) => Err(format!("{key}: expected a number, found {}", show(v))),
        }
    }

    fn non_negative(&self, key: &str, default: f64) -> Result<f64, String> {
        let x = self.number(key, default)?;
        if x < 0.0 {
            return Err(format!("{key}: must be at least 0, found {x}"));
        }
        Ok(x)
    }

    /// A whole number >= `min` at `key`, or `default`.
    fn count(&self, key: &str, default: u64, min: u64) -> Result<u64, String> {
        let x = match self.get(key) {
            None => return Ok(default),
            Some(Yaml::Integer(i)) => *i,
            Some(v) => return Err(format!("{key}: expected a whole number, found {}", show(v))),
        };
        if x < min as i64 {
            return Err(format!("{key}: must be at least {min}, found {x}"));
        }
        Ok(x as u64)
    }

    /// DLIO's shuffle values: `off`, `seed`, `random` (or a boolean).
    fn shuffle(&self, key: &str) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(false),
            Some(Yaml::Boolean(b)) => Ok(*b),
            Some(Yaml::String(s)) => match s.to_ascii_lowercase().as_str() {
                "off" | "none" | "false" => Ok(false),
                "seed" | "random" | "on" | "true" => Ok(true),
                _ => Err(format!("{key}: expected off, seed or random, found '{s}'")),
            },
            Some(v) => Err(format!(
                "{key}: expected off, seed or random, found {}",
                show(v)
            )),
        }
    }

    /// The value of `a` or of its alias `b` (DLIO spells record lengths both ways).
    fn either(&self, a: &str, b: &str, default: f64) -> Result<f64, String> {
        match (self.get(a), self.get(b)) {
            (Some(_), Some(_)) => Err(format!("{b}: given together with {a}; give one")),
            (_, Some(_)) => self.non_negative(b, default),
            _ => self.non_negative(a, default),
        }
    }

    fn spec(self) -> Result<DlioSpec, String> {
        if let Some(v) = self.get("workflow.train") {
            if !matches!(v, Yaml::Boolean(true)) {
                return Err(format!(
                    "workflow.train: tiersim times the training reads; expected true, found {}",
                    show(v)
                ));
            }
        }
        for key in [
            "train.computation_time_stdev",
            "reader.preprocess_time_stdev",
        ] {
            if self.non_negative(key, 0.0)? > 0.0 {
                return Err(format!(
                    "{key}: a random compute or preprocessing time is not modelled for DLIO \
                     workloads; remove it (or set it to 0)"
                ));
            }
        }
        // DLIO's defaults (dlio_benchmark/utils/config.py).
        let record_length = self.either(
            "dataset.record_length",
            "dataset.record_length_bytes",
            65_536.0,
        )?;
        if record_length < 1.0 {
            return Err("dataset.record_length: must be at least 1 byte".into());
        }
        let record_length_stdev = self.either(
            "dataset.record_length_stdev",
            "dataset.record_length_bytes_stdev",
            0.0,
        )?;
        let format_name = match self.get("dataset.format") {
            None => "tfrecord".to_string(),
            Some(Yaml::String(s)) => s.to_ascii_lowercase(),
            Some(v) => {
                return Err(format!(
                    "dataset.format: expected a name, found {}",
                    show(v)
                ))
            }
        };
        let format = match format_name.as_str() {
            "npz" | "npy" | "jpeg" | "png" => Format::WholeFile,
            "tfrecord" => Format::Tfrecord,
            "hdf5" => Format::Hdf5,
            other => {
                return Err(format!(
                    "dataset.format: '{other}' is not modelled; expected npz, npy, jpeg, png, \
                     tfrecord or hdf5"
                ))
            }
        };
        let computation_time = self.non_negative("train.computation_time", 0.0)?;
        let preprocess_time = self.non_negative("reader.preprocess_time", 0.0)?;
        let steps = match self.get("train.total_training_steps") {
            Some(Yaml::Integer(i)) if *i <= 0 => None,
            Some(_) => Some(self.count("train.total_training_steps", 0, 1)?),
            None => None,
        };
        Ok(DlioSpec {
            num_files_train: self.count("dataset.num_files_train", 8, 1)?,
            samples_per_file: self.count("dataset.num_samples_per_file", 1, 1)?,
            record_length,
            record_length_stdev,
            format,
            format_name,
            chunk_size: self.count("dataset.chunk_size", 0, 0)?,
            batch_size: self.count("reader.batch_size", 1, 1)?,
            read_threads: self.count("reader.read_threads", 1, 0)?,
            prefetch_size: self.count("reader.prefetch_size", 2, 0)?,
            file_shuffle: self.shuffle("reader.file_shuffle")?,
            sample_shuffle: self.shuffle("reader.sample_shuffle")?,
            shuffle_size: self.count("reader.shuffle_size", 1024, 1)?,
            transfer_size: self.count("reader.transfer_size", 262_144, 1)?,
            preprocess_time,
            epochs: self.count("train.epochs", 1, 1)?,
            computation_time,
            total_training_steps: steps,
            notes: self.notes,
        })
    }
}

/// A YAML value as written, for messages.
fn show(v: &Yaml) -> String {
    match v {
        Yaml::Real(s) | Yaml::String(s) => format!("'{s}'"),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "nothing".into(),
        Yaml::Array(_) => "a list".into(),
        Yaml::Hash(_) => "a mapping".into(),
        _ => "an unsupported value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mlperf_s_unet3d_with_defaults_and_notes() {
        let s = parse(
            "model:\n  name: unet3d\nframework: pytorch\nworkflow:\n  generate_data: False\n  \
             train: True\n  checkpoint: True\ndataset:\n  data_folder: data/unet3d/\n  format: npz\n  \
             num_files_train: 168\n  num_samples_per_file: 1\n  record_length_bytes: 146600628\n  \
             record_length_bytes_stdev: 68341808\n  record_length_bytes_resize: 2097152\n\
             reader:\n  data_loader: pytorch\n  batch_size: 7\n  read_threads: 4\n  \
             file_shuffle: seed\n  sample_shuffle: seed\ntrain:\n  epochs: 5\n  \
             computation_time: 0.323\nmetric:\n  au: 0.90\n",
        )
        .unwrap();
        assert_eq!(s.num_files_train, 168);
        assert_eq!(s.record_length, 146_600_628.0);
        assert_eq!(s.record_length_stdev, 68_341_808.0);
        assert_eq!(s.format, Format::WholeFile);
        assert_eq!((s.batch_size, s.read_threads, s.epochs), (7, 4, 5));
        assert!(s.file_shuffle && s.sample_shuffle);
        assert_eq!(s.computation_time, 0.323);
        // DLIO's defaults where the file is silent.
        assert_eq!(
            (s.prefetch_size, s.shuffle_size, s.transfer_size),
            (2, 1024, 262_144)
        );
        assert!(s.notes.iter().any(|n| n.contains("'dataset.data_folder'")));
        assert!(s.notes.iter().any(|n| n.contains("'workflow.checkpoint'")));
    }

    #[test]
    fn errors_name_the_yaml_key() {
        let err = |t: &str| parse(t).unwrap_err();
        assert!(
            err("reader:\n  batch_size: 0\n").starts_with("reader.batch_size: must be at least 1")
        );
        assert!(err("reader:\n  batch_size: seven\n")
            .starts_with("reader.batch_size: expected a whole number"));
        assert!(err("train:\n  computation_time: -1\n")
            .starts_with("train.computation_time: must be at least 0"));
        assert!(err("reader:\n  batchsize: 4\n").starts_with("reader.batchsize: not a DLIO key"));
        assert!(err("dataset:\n  format: csv\n").starts_with("dataset.format: 'csv'"));
        assert!(err("reader:\n  file_shuffle: maybe\n").starts_with("reader.file_shuffle:"));
        assert!(
            err("dataset:\n  record_length: 1\n  record_length_bytes: 2\n")
                .starts_with("dataset.record_length_bytes: given together")
        );
        assert!(err("train:\n  computation_time_stdev: 0.1\n")
            .starts_with("train.computation_time_stdev:"));
        assert!(err("reader: [1, 2\n").starts_with("not valid YAML"));
        assert!(err("- 1\n").contains("expected a mapping"));
    }
}
