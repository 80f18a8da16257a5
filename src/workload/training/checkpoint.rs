//! Checkpoints: every `every` iterations the model state is written, as one
//! sequential write, to a named tier's device (through the tier's link, if any).
//! Size = parameters x bytes per parameter, default 14 B (mixed-precision Adam under
//! ZeRO accounting: fp16 weights and gradients plus fp32 master weights, momentum and
//! variance; REFERENCES.md s3), or `bytes` directly. `blocking` stops every rank until
//! the write is done; `background` lets training go on and only waits if the previous
//! checkpoint is still being written when the next one is due (as CheckFreq does).

use crate::config::{Bytes, ConfigError};
use crate::registry::ComponentParams;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum CheckpointMode {
    #[default]
    Blocking,
    Background,
}

/// `workload.checkpoint`'s declared parameters.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Params {
    /// Iterations between checkpoints, >= 1.
    every: u64,
    /// The tier written to.
    tier: String,
    /// `blocking` or `background`; default blocking.
    #[serde(default)]
    mode: CheckpointMode,
    /// Checkpoint size (absent: workload.params x bytes_per_param).
    bytes: Option<Bytes>,
    /// Bytes per parameter; default 14.
    #[serde(default = "fourteen")]
    bytes_per_param: u64,
}

impl ComponentParams for Params {
    fn check(&self) -> Result<(), ConfigError> {
        if self.every == 0 {
            return Err(ConfigError::new(
                "every",
                "must be at least 1 (iterations between checkpoints)",
            ));
        }
        Ok(())
    }
}

fn fourteen() -> u64 {
    14
}

/// A resolved checkpoint schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointPlan {
    pub every: u64,
    pub tier: usize,
    pub mode: CheckpointMode,
    pub bytes: u64,
}

impl CheckpointPlan {
    /// Parses `workload.checkpoint`; `params` is `workload.params`.
    pub fn build(
        value: toml::Value,
        params: Option<u64>,
        tiers: &[String],
    ) -> Result<Self, ConfigError> {
        let path = "workload.checkpoint";
        let p: Params = match value {
            toml::Value::Table(t) => crate::registry::parse(t, path)?,
            _ => return Err(ConfigError::new(path, "expected a table")),
        };
        let tier = tiers.iter().position(|t| *t == p.tier).ok_or_else(|| {
            ConfigError::new(
                "workload.checkpoint.tier",
                format!("no tier named '{}'; tiers: {}", p.tier, tiers.join(", ")),
            )
        })?;
        let bytes = match (p.bytes, params) {
            (Some(b), _) => b.0,
            (None, Some(n)) => n.saturating_mul(p.bytes_per_param),
            (None, None) => {
                return Err(ConfigError::new(
                    "workload.checkpoint.bytes",
                    "required unless workload.params (the parameter count) is given",
                ))
            }
        };
        if bytes == 0 {
            return Err(ConfigError::new(
                "workload.checkpoint.bytes",
                "must be greater than zero",
            ));
        }
        Ok(CheckpointPlan {
            every: p.every,
            tier,
            mode: p.mode,
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> toml::Value {
        toml::from_str::<toml::Table>(s).unwrap().into()
    }

    #[test]
    fn size_is_params_times_fourteen_by_default() {
        let tiers = vec!["dram".to_string(), "nvme".to_string()];
        // An 8B-parameter model: ~112 GB (REFERENCES.md s3).
        let c = CheckpointPlan::build(v("every=100\ntier='nvme'"), Some(8_000_000_000), &tiers)
            .unwrap();
        assert_eq!((c.tier, c.bytes), (1, 112_000_000_000));
        assert_eq!(c.mode, CheckpointMode::Blocking);
        let e = CheckpointPlan::build(v("every=100\ntier='ssd'"), Some(1), &tiers).unwrap_err();
        assert_eq!(e.path, "workload.checkpoint.tier");
        let e = CheckpointPlan::build(v("every=0\ntier='nvme'"), Some(1), &tiers).unwrap_err();
        assert_eq!(e.path, "workload.checkpoint.every");
    }
}
