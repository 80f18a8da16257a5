//! Workloads: actors that issue requests through the timed engine. One file per
//! workload, each registered by name in [`REGISTRY`] and chosen by `[workload] kind`.

mod embedding;
mod gemm;
mod inference;
mod llm;
pub mod sizes;
mod synthetic;
mod trace_replay;

pub mod training;

pub use embedding::Embedding;
pub use gemm::Gemm;
pub use inference::Inference;
pub use llm::ModelShape;
pub use synthetic::Synthetic;
pub use trace_replay::TraceReplay;

use crate::config::ConfigError;
use crate::sim::Workload;

/// What a workload constructor may know about the model it runs in.
pub struct BuildCtx<'a> {
    pub seed: u64,
    /// Tier names, fastest first.
    pub tiers: &'a [String],
    /// Link names.
    pub links: &'a [String],
    /// The config file's folder, if loaded from a file: see [`BuildCtx::resolve`].
    pub base_dir: Option<&'a std::path::Path>,
}

impl BuildCtx<'_> {
    /// Resolves a file path given in `[workload]`: absolute paths stay as they are;
    /// relative ones are taken relative to the folder of the config file (or to the
    /// current directory when the config did not come from a file).
    pub fn resolve(&self, path: &std::path::Path) -> std::path::PathBuf {
        match self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// Builds a workload from its parameters (`kind` removed); errors name keys under
/// `workload.`.
pub type Constructor =
    fn(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError>;

/// Every workload by name. Adding one: one file and one line here.
pub const REGISTRY: &[(&str, Constructor)] = &[
    ("synthetic", synthetic::build),
    ("gemm", gemm::build),
    ("embedding", embedding::build),
    ("inference", inference::build),
    ("trace", trace_replay::build),
    ("training", training::build),
];

/// The registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|(n, _)| *n).collect()
}

/// Builds the workload described by the `[workload]` table.
pub fn build(value: toml::Value, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let kt = crate::config::KindTable::from_value(value, "workload")?;
    match REGISTRY.iter().find(|(n, _)| *n == kt.kind) {
        Some((_, ctor)) => ctor(kt.params, ctx),
        None => Err(ConfigError::new(
            "workload.kind",
            format!(
                "unknown workload '{}'; known workloads: {}",
                kt.kind,
                names().join(", ")
            ),
        )),
    }
}
