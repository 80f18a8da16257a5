//! Age-based placement, as time-series stores tier their data (hot recent blocks on
//! fast media, older blocks moved down as they age): a page is allocated in the fast
//! tier at first touch while it has room, and once it is older than `max_age` (time
//! since that first touch, not since the last access; default 1 s, illustrative: real
//! stores use hours) the daemon, every `period` (default 100 ms), demotes it to the
//! slow tier, oldest first. Nothing is ever promoted: age only grows. This is a
//! migration policy rather than an eviction policy because it moves data on a clock,
//! not when a cache needs room; it suits append-mostly streams (new ids over time).

use super::TierPair;
use super::{params, BuildCtx, MigrationPolicy, MigrationStats, OsCosts, Tick, FAST, SLOW};
use crate::config::{ConfigError, Duration};
use crate::engine::{Time, MS, SEC};
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Parameters of age-based placement.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgeParams {
    /// Time since first touch after which a page is demoted; default 1 s.
    #[serde(default = "max_age")]
    pub max_age: Duration,
    /// Daemon period, > 0; default 100 ms.
    #[serde(default = "period")]
    pub period: Duration,
}

fn max_age() -> Duration {
    Duration(SEC)
}
fn period() -> Duration {
    Duration(100 * MS)
}

impl Default for AgeParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

/// See the module doc.
pub struct Age {
    p: AgeParams,
    os: OsCosts,
    /// Fast pages in allocation order: (birth, id, size).
    fast: VecDeque<(Time, u64, u32)>,
    stats: MigrationStats,
}

impl ComponentParams for AgeParams {
    fn check(&self) -> Result<(), ConfigError> {
        if self.period.0 == 0 {
            return Err(ConfigError::new("period", "must be greater than zero"));
        }
        Ok(())
    }
}

pub fn build(
    table: toml::Table,
    os: OsCosts,
    _ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    let p: AgeParams = params(table)?;
    Ok(Box::new(Age::new(p, os)))
}

impl Age {
    pub fn new(p: AgeParams, os: OsCosts) -> Self {
        Age {
            p,
            os,
            fast: VecDeque::new(),
            stats: MigrationStats::default(),
        }
    }
}

impl MigrationPolicy for Age {
    fn name(&self) -> &'static str {
        "age"
    }

    fn allocate(&mut self, now: Time, page: u64, size: u32, pair: &TierPair) -> usize {
        if pair.fast_free() >= size as u64 {
            self.fast.push_back((now, page, size));
            FAST
        } else {
            SLOW
        }
    }

    fn observe(&mut self, _: Time, _: u64, _: u32, _: Op, _: usize, _: &mut TierPair) -> Time {
        0
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.period.0)
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        let mut busy = 0;
        while let Some(&(birth, id, size)) = self.fast.front() {
            if now.saturating_sub(birth) < self.p.max_age.0 {
                break;
            }
            self.fast.pop_front();
            if pair.locate(id) == Some(FAST) {
                busy += self
                    .stats
                    .migrate(pair, &self.os, now, id, size, FAST)
                    .map_or(0, |r| r.1);
            }
        }
        Tick {
            next: Some(self.p.period.0),
            busy,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        self.stats.json("age")
    }
}
