//! Workloads: actors that issue requests through the timed engine. One file per
//! workload, each registered by name in [`REGISTRY`] and chosen by `[workload] kind`.

pub mod sizes;
mod synthetic;
pub mod training;

pub use synthetic::Synthetic;

use crate::config::ConfigError;
use crate::sim::Workload;

/// What a workload constructor may know about the model it runs in.
pub struct BuildCtx<'a> {
    pub seed: u64,
    /// Tier names, fastest first.
    pub tiers: &'a [String],
    /// Link names.
    pub links: &'a [String],
}

/// Builds a workload from its parameters (`kind` removed); errors name keys under
/// `workload.`.
pub type Constructor =
    fn(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError>;

/// Every workload by name. Adding one: one file and one line here.
pub const REGISTRY: &[(&str, Constructor)] = &[
    ("synthetic", synthetic::build),
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
