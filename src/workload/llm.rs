//! LLM shapes: published transformer configurations (layers, KV heads, head dimension,
//! parameter count) and the weight and KV-cache sizes derived from them, for the
//! LLM workloads (inference, weight offload, ZeRO training offload).

use crate::config::ConfigError;

/// A transformer's shape: what sizes its weights and KV cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelShape {
    pub layers: u64,
    pub kv_heads: u64,
    pub head_dim: u64,
    pub params: f64,
    pub bytes_per_param: f64,
}

/// Preset names accepted by [`ModelShape::preset`].
pub const NAMES: &[&str] = &["llama3-8b", "llama3-70b"];

/// The shape a workload's `model` key names (None without one); an unknown name is an
/// error at `workload.model` listing the known models.
pub fn named(model: Option<&str>) -> Result<Option<ModelShape>, ConfigError> {
    model
        .map(|name| {
            ModelShape::preset(name).ok_or_else(|| {
                ConfigError::new(
                    "workload.model",
                    format!("unknown model '{name}'; known models: {}", NAMES.join(", ")),
                )
            })
        })
        .transpose()
}

/// A workload's `layers` and `params`: the key's own value, else the named model's;
/// a missing one is an error at its key. Ranges are each workload's to check.
pub fn layers_and_params(
    layers: Option<u64>,
    params: Option<f64>,
    base: Option<&ModelShape>,
) -> Result<(u64, f64), ConfigError> {
    let layers = layers.or(base.map(|b| b.layers)).ok_or_else(|| {
        ConfigError::new(
            "workload.layers",
            "missing (or give model = \"llama3-70b\")",
        )
    })?;
    let params = params
        .or(base.map(|b| b.params))
        .ok_or_else(|| ConfigError::new("workload.params", "missing (parameter count)"))?;
    Ok((layers, params))
}

impl ModelShape {
    /// Published shapes (the models' config.json; REFERENCES.md s3 "model configs").
    pub fn preset(name: &str) -> Option<ModelShape> {
        let (layers, kv_heads, head_dim, params) = match name {
            "llama3-8b" => (32, 8, 128, 8.03e9),
            "llama3-70b" => (80, 8, 128, 70.6e9),
            _ => return None,
        };
        Some(ModelShape {
            layers,
            kv_heads,
            head_dim,
            params,
            bytes_per_param: 2.0,
        })
    }

    /// KV-cache bytes per token: 2 x layers x kv_heads x head_dim x 2 B (bf16).
    pub fn kv_bytes_per_token(&self) -> u64 {
        2 * self.layers * self.kv_heads * self.head_dim * 2
    }

    /// Total weight bytes.
    pub fn weight_bytes(&self) -> u64 {
        (self.params * self.bytes_per_param).round() as u64
    }
}
