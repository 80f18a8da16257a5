//! Next-N sequential prefetch: on a miss in the fast tier for object `id`, copy objects
//! `id + 1 ..= id + n` into the fast tier (those not already there), assuming they have
//! the missed object's size (objects of a sequential stream are alike; sizes of objects
//! not yet seen are unknown to a prefetcher). The fills go through the tier's eviction
//! policy like demand fills. Parameters: `n` (default 4, Linux-style readahead of a few
//! blocks), `tier` (the tier to fill, default 0).

use super::{params, BuildCtx, Prefetcher};
use crate::config::ConfigError;
use crate::engine::Time;
use crate::hierarchy::Hierarchy;
use crate::registry::ComponentParams;
use crate::trace::Request;
use serde::{Deserialize, Serialize};

/// Next-N's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NextNParams {
    /// Objects copied after a miss, in [1, 1,048,576]; default 4.
    #[serde(default = "four")]
    pub n: u64,
    /// The tier filled (an index, above the home tier); default 0.
    #[serde(default)]
    pub tier: usize,
}

impl ComponentParams for NextNParams {
    fn check(&self) -> Result<(), ConfigError> {
        // One miss issues its n fills within one event: a larger n would stall the run
        // in a single step, out of reach of any time limit.
        if self.n == 0 {
            return Err(ConfigError::new("n", "must be at least 1"));
        }
        if self.n > MAX_N {
            return Err(ConfigError::new(
                "n",
                format!(
                    "must be at most {MAX_N} (objects filled after one miss), got {}",
                    self.n
                ),
            ));
        }
        Ok(())
    }
}

/// The largest `n`.
pub const MAX_N: u64 = 1 << 20;

fn four() -> u64 {
    4
}

/// See the module doc.
#[derive(Debug)]
pub struct NextN {
    n: u64,
    tier: usize,
    issued: u64,
    filled: u64,
}

impl NextN {
    pub fn new(n: u64, tier: usize) -> Self {
        NextN {
            n,
            tier,
            issued: 0,
            filled: 0,
        }
    }
}

pub fn build(params_: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Prefetcher>, ConfigError> {
    let p: NextNParams = params(params_)?;
    if p.tier >= ctx.capacities.len() {
        return Err(ConfigError::new(
            "prefetch.tier",
            format!(
                "must name a cache tier above the home tier (0..{})",
                ctx.capacities.len()
            ),
        ));
    }
    Ok(Box::new(NextN::new(p.n, p.tier)))
}

impl Prefetcher for NextN {
    fn name(&self) -> &'static str {
        "next-n"
    }

    fn after_access(&mut self, now: Time, req: &Request, tier: usize, hier: &mut Hierarchy) {
        if tier <= self.tier {
            return;
        }
        for id in req.id + 1..=req.id.saturating_add(self.n) {
            self.issued += 1;
            if hier.prefetch(now, id, req.size, self.tier).is_some() {
                self.filled += 1;
            }
        }
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::json!({ "kind": "next-n", "n": self.n, "issued": self.issued, "filled": self.filled })
    }
}
