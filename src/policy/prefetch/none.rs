//! No prefetching: the baseline. Accepts no parameters.

use super::{BuildCtx, Prefetcher};
use crate::config::ConfigError;
use crate::engine::Time;
use crate::hierarchy::Hierarchy;
use crate::trace::Request;

/// Issues nothing.
#[derive(Debug, Default)]
pub struct NoPrefetch;

pub fn build(params: toml::Table, _ctx: &BuildCtx) -> Result<Box<dyn Prefetcher>, ConfigError> {
    super::params::<crate::registry::NoParams>(params)?;
    Ok(Box::new(NoPrefetch))
}

impl Prefetcher for NoPrefetch {
    fn name(&self) -> &'static str {
        "none"
    }
    fn after_access(&mut self, _now: Time, _req: &Request, _tier: usize, _hier: &mut Hierarchy) {}
    fn summary(&self) -> serde_json::Value {
        serde_json::json!({ "kind": "none" })
    }
}
