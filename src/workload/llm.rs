//! LLM shapes: published transformer configurations (layers, KV heads, head dimension,
//! parameter count) and the weight and KV-cache sizes derived from them, for the
//! inference workload.

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
