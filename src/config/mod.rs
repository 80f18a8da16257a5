//! The run config: serde types for the TOML file, human units, and errors that name
//! the key path (`tiers[1].capacity`) and what was expected. Unknown keys are rejected.
//! Workloads and policies declare their tables (`kind` + parameters) in
//! `crate::registry`; parsing resolves every one of them (see [`resolve`]), so their
//! errors carry full key paths too.

pub mod cluster;
mod device;
pub mod faults;
pub mod jobs;
pub mod resolve;
pub mod units;

pub use device::{device_keys, DeviceConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;
pub use units::{Bandwidth, Bytes, Duration};

/// A config error: the key path (may be empty) and what is wrong.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{msg}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct ConfigError {
    pub path: String,
    pub msg: String,
}

impl ConfigError {
    pub fn new(path: impl Into<String>, msg: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            msg: msg.into(),
        }
    }
}

/// Deserializes `T` from a TOML value, naming the failing key under `prefix`.
pub fn parse_table<T: DeserializeOwned>(
    value: toml::Value,
    prefix: &str,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match (prefix.is_empty(), inner == ".") {
            (true, _) => inner,
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}.{inner}"),
        };
        ConfigError::new(path, e.into_inner().message().to_string())
    })
}

/// `kind = "..."` plus that kind's parameters, as in `[workload]` or `eviction = {...}`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KindTable {
    pub kind: String,
    pub params: toml::Table,
}

impl KindTable {
    /// Splits a table into its `kind` and the rest; a bare string is a kind alone.
    pub fn from_value(value: toml::Value, path: &str) -> Result<Self, ConfigError> {
        match value {
            toml::Value::String(kind) => Ok(KindTable {
                kind,
                params: toml::Table::new(),
            }),
            toml::Value::Table(mut t) => match t.remove("kind") {
                Some(toml::Value::String(kind)) => Ok(KindTable { kind, params: t }),
                Some(_) => Err(ConfigError::new(
                    format!("{path}.kind"),
                    "expected a string",
                )),
                None => Err(ConfigError::new(path, "missing key 'kind'")),
            },
            _ => Err(ConfigError::new(
                path,
                "expected a table with a 'kind' key, or a kind name",
            )),
        }
    }
}

/// The largest config file read, in bytes (configs are a few kilobytes).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Whether a lower tier keeps a copy of what an upper tier holds.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Inclusion {
    /// Fills copy an object into every faster tier; dirty victims write back one tier down.
    #[default]
    Inclusive,
    /// One copy above the home tier: a hit moves the object to the top tier, victims
    /// move one tier down.
    Exclusive,
}

/// `[sim]`: how the run proceeds.
#[derive(Clone, Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Stop at this simulated time even if the workload is not done.
    pub duration: Option<Duration>,
    #[serde(default)]
    pub inclusion: Inclusion,
    /// Interval of the per-tier time series (timeseries.csv); default 1 ms, doubled
    /// whenever the series would exceed 2,000 samples.
    pub sample_interval: Option<Duration>,
    /// With `[[jobs]]`: also run each job alone (the same config without the other
    /// jobs, the same seed) and report its slowdown and Jain's index over them.
    #[serde(default)]
    pub run_jobs_alone: bool,
}

/// The whole config file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Run seed (overridden by `--seed`).
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub sim: SimConfig,
    /// Tiers, fastest first; the last is the home of every object.
    #[serde(default)]
    pub tiers: Vec<DeviceConfig>,
    /// Network links that tiers' data or workloads' messages cross.
    #[serde(default)]
    pub links: Vec<DeviceConfig>,
    /// `kind = "..."` plus the workload's parameters (absent with `[[jobs]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<toml::Value>,
    /// Several jobs sharing the model (instead of `[workload]`; see [`jobs`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<jobs::JobConfig>,
    /// Optional migration daemon: `kind = "..."` plus parameters.
    pub migration: Option<toml::Value>,
    /// Optional prefetcher: `kind = "..."` plus parameters.
    pub prefetch: Option<toml::Value>,
    /// Optional cluster: node groups, their NICs, the fabric (see [`cluster`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<cluster::ClusterConfig>,
    /// The fault schedule (see [`faults`]; absent: nothing fails).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<faults::FaultEntry>,
    /// Readers' behaviour when a read cannot be completed (with `[[faults]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<faults::ReaderConfig>,
    /// Tiers keeping several copies of every object (for `[reader] on_loss = "replica"`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub replicas: faults::ReplicasConfig,
    /// Optional host CPUs: cores per node (see [`crate::cpu`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<crate::cpu::cost::CpuConfig>,
    /// The folder of the config file when loaded from one (set by [`Config::load`]):
    /// workloads resolve relative file paths (traces, arrival files) against it.
    #[serde(skip)]
    pub base_dir: Option<std::path::PathBuf>,
}

fn default_seed() -> u64 {
    1
}

impl Config {
    /// Parses TOML text and resolves every component table (paths stay as written).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Self::parse_in(text, None)
    }

    /// Parses TOML text of a config file in folder `base_dir` (relative paths in it are
    /// made absolute against that folder), or of no file (`None`).
    pub fn parse_in(text: &str, base_dir: Option<&Path>) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Err(ConfigError::new(
                "",
                "the config is empty: it needs [[tiers]] and a [workload]",
            ));
        }
        let value: toml::Value = toml::from_str(text).map_err(|e| {
            ConfigError::new(
                "",
                format!("not valid TOML: {}", one_line(e.message())) + &line_hint(text, e.span()),
            )
        })?;
        check_finite(&value, "")?;
        let mut cfg: Config = parse_table(value, "")?;
        cfg.check()?;
        cfg.resolve_components(&crate::registry::ResolveCtx {
            base_dir,
            inputs: None,
        })?;
        cfg.base_dir = base_dir.map(Path::to_path_buf);
        Ok(cfg)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<(Config, Vec<u8>), anyhow::Error> {
        let text = crate::trace::lines::read_text(path, MAX_CONFIG_BYTES)
            .map_err(|e| anyhow::anyhow!("cannot read the config: {e}"))?;
        let bytes = text.clone().into_bytes();
        let text = text.as_str();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let cfg = Config::parse_in(text, Some(&dir))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok((cfg, bytes))
    }

    /// Checks what serde cannot: non-empty tiers, capacities, names, links.
    fn check(&self) -> Result<(), ConfigError> {
        if self.tiers.is_empty() {
            return Err(ConfigError::new(
                "tiers",
                "the tier list is empty: give at least one [[tiers]] (fastest first)",
            ));
        }
        if self.tiers.len() > 32 {
            return Err(ConfigError::new("tiers", "at most 32 tiers"));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.tiers.iter().enumerate() {
            let path = format!("tiers[{i}]");
            if t.name.is_empty() {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    "must not be empty",
                ));
            }
            if !names.insert(t.name.as_str()) {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    format!("duplicate tier name '{}'", t.name),
                ));
            }
            let spec = t.resolve(&path)?;
            let last = i + 1 == self.tiers.len();
            if !last && spec.capacity == 0 {
                return Err(ConfigError::new(
                    format!("{path}.capacity"),
                    "must be greater than zero",
                ));
            }
            if last && t.eviction.is_some() {
                return Err(ConfigError::new(
                    format!("{path}.eviction"),
                    "the last tier is the home of every object and evicts nothing",
                ));
            }
            if t.duplex.is_some() {
                return Err(ConfigError::new(
                    format!("{path}.duplex"),
                    "only a [[links]] entry is full or half duplex",
                ));
            }
            if let Some(b) = &t.bounce_through {
                if !self.tiers[..i].iter().any(|x| &x.name == b) {
                    return Err(ConfigError::new(
                        format!("{path}.bounce_through"),
                        format!(
                            "expected the name of a faster tier (listed before '{}'), got '{b}'",
                            t.name
                        ),
                    ));
                }
            }
            if let Some(l) = &t.link {
                if !self.links.iter().any(|x| &x.name == l) {
                    return Err(ConfigError::new(
                        format!("{path}.link"),
                        format!("no [[links]] entry named '{l}'"),
                    ));
                }
            }
        }
        let mut link_names = std::collections::BTreeSet::new();
        for (i, l) in self.links.iter().enumerate() {
            let path = format!("links[{i}]");
            if l.name.is_empty() {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    "must not be empty",
                ));
            }
            if l.bounce_through.is_some() {
                return Err(ConfigError::new(
                    format!("{path}.bounce_through"),
                    "only a [[tiers]] entry bounces through a faster tier",
                ));
            }
            if !link_names.insert(l.name.as_str()) {
                return Err(ConfigError::new(
                    format!("{path}.name"),
                    format!("duplicate link name '{}'", l.name),
                ));
            }
            l.resolve(&path)?;
        }
        self.check_cluster()?;
        self.check_cpu()?;
        jobs::check(self)?;
        for (i, f) in self.faults.iter().enumerate() {
            faults::check_entry(f, i)?;
        }
        for (key, d) in [
            ("sim.duration", self.sim.duration),
            ("sim.sample_interval", self.sim.sample_interval),
        ] {
            if d.is_some_and(|d| d.0 == 0) {
                return Err(ConfigError::new(key, "must be greater than zero"));
            }
        }
        Ok(())
    }
}

/// Rejects NaN and infinite numbers anywhere in a config (TOML allows `nan` and
/// `inf`): no parameter means anything by them, and they turn into silent nonsense
/// (a `null` cost, a Zipf sampler that never returns). Errors name the key path.
pub fn check_finite(value: &toml::Value, path: &str) -> Result<(), ConfigError> {
    match value {
        toml::Value::Float(f) if !f.is_finite() => Err(ConfigError::new(
            path,
            format!("must be a finite number, got {f}"),
        )),
        toml::Value::Table(t) => t
            .iter()
            .try_for_each(|(k, v)| check_finite(v, &crate::registry::join(path, k))),
        toml::Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_finite(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

/// A message's lines joined with "; " (an error is one line).
fn one_line(msg: &str) -> String {
    let lines: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("; ")
}

/// " (line N)" for a TOML parse error's span.
fn line_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(r) => format!(
            " (line {})",
            text[..r.start.min(text.len())].matches('\n').count() + 1
        ),
        None => String::new(),
    }
}
