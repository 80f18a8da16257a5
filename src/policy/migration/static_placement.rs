//! Static placement: the baseline. A page touched for the first time goes to the fast
//! tier while it has room, else to the slow tier, and stays there: no daemon, no
//! migration, no faults. Takes no parameters besides the common OS costs (unused).

use super::TierPair;
use super::{BuildCtx, MigrationPolicy, MigrationStats, OsCosts, Tick};
use crate::config::ConfigError;
use crate::engine::Time;
use crate::trace::Op;

/// See the module doc.
#[derive(Debug, Default)]
pub struct StaticPlacement {
    stats: MigrationStats,
}

pub fn build(
    table: toml::Table,
    _os: OsCosts,
    _ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    super::params::<crate::registry::NoParams>(table)?;
    Ok(Box::new(StaticPlacement::default()))
}

impl MigrationPolicy for StaticPlacement {
    fn name(&self) -> &'static str {
        "static"
    }

    fn observe(&mut self, _: Time, _: u64, _: u32, _: Op, _: usize, _: &mut TierPair) -> Time {
        0
    }

    fn first_tick(&self) -> Option<Time> {
        None
    }

    fn tick(&mut self, _now: Time, _pair: &mut TierPair) -> Tick {
        Tick {
            next: None,
            busy: 0,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        self.stats.json("static")
    }
}
