//! Workloads: actors that issue requests through the timed engine. One file per
//! workload, each registered by name in [`REGISTRY`] with its declared parameters (a
//! serde struct, see `crate::registry`) and chosen by `[workload] kind`.

pub mod dlio;
mod embedding;
mod gemm;
mod inference;
pub mod jobs;
mod llm;
pub mod sizes;
mod synthetic;
mod trace_replay;
mod weight_offload;
mod zero_offload;

pub mod training;

pub use embedding::Embedding;
pub use gemm::Gemm;
pub use inference::Inference;
pub use llm::ModelShape;
pub use synthetic::Synthetic;
pub use trace_replay::TraceReplay;

use crate::config::ConfigError;
use crate::registry::{Entry, Registry};
use crate::sim::Workload;

/// What a workload constructor may know about the model it runs in.
pub struct BuildCtx<'a> {
    pub seed: u64,
    /// The seed of the workload's dataset (object sizes): the run seed for one job,
    /// the shared dataset's own for jobs that share one (so they see the same sizes).
    pub dataset_seed: u64,
    /// Tier names, fastest first.
    pub tiers: &'a [String],
    /// Link names.
    pub links: &'a [String],
    /// The config file's folder, if loaded from a file: see [`BuildCtx::resolve`].
    pub base_dir: Option<&'a std::path::Path>,
    /// The nodes the workload runs on (its node slots, in order; one without a
    /// `[cluster]`).
    pub nodes: &'a [crate::config::cluster::NodeInfo],
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

/// Every workload by name, with its declared parameters. Adding one: one file and one
/// line here.
pub const REGISTRY: Registry<Entry<Constructor>> = Registry {
    what: "workload",
    plural: "workloads",
    entries: &[
        Entry::new::<synthetic::Params>("synthetic", synthetic::build),
        Entry::new::<gemm::Params>("gemm", gemm::build),
        Entry::new::<embedding::Params>("embedding", embedding::build),
        Entry::new::<inference::Params>("inference", inference::build),
        Entry::new::<trace_replay::Params>("trace", trace_replay::build),
        Entry::new::<weight_offload::Params>("weight-offload", weight_offload::build),
        Entry::new::<zero_offload::Params>("zero-offload", zero_offload::build),
        Entry::with_resolve::<training::params::Raw>(
            "training",
            training::params::resolve_table,
            training::build,
        ),
        Entry::new::<dlio::Params>("dlio", dlio::build),
    ],
};

/// The registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.names()
}

/// Builds the workload described by the `[workload]` table.
pub fn build(value: toml::Value, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let (entry, params) = REGISTRY.find(value, "workload")?;
    (entry.build)(params, ctx)
}
