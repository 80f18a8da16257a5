//! Colloid (Vuppalapati and Agarwal, SOSP'24; REFERENCES.md s2): balance the loaded
//! access latencies of the tiers rather than packing the fast tier. Every 500 ms
//! (`period`) it estimates each tier's loaded latency over the last period from the
//! devices' own counters: idle read latency plus mean queueing and transfer time per
//! request (the paper measures queue occupancy over request rate, Little's law; the
//! device queue time is the same quantity here). Per-page heat is an exponentially
//! decayed access count (halved each period). If the fast tier's loaded latency
//! exceeds the slow tier's by more than `tolerance` (5%, approx.), it demotes the
//! hottest fast pages until it has moved 5% (`step`) of the total heat, the access
//! share; if it is lower, it promotes the hottest slow pages the same way (demoting
//! the coldest fast pages to make room). Pages hotter than the remaining step are
//! skipped, so a period never overshoots its step. New pages go to the fast tier
//! while it has room.

use super::TierPair;
use super::{params, BuildCtx, MigrationPolicy, MigrationStats, OsCosts, Tick, FAST, SLOW};
use crate::config::{ConfigError, Duration};
use crate::engine::{Time, MS};
use crate::policy::hash::IdMap;
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// Colloid's parameters (defaults from the paper).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ColloidParams {
    /// Balancing period, > 0; default 500 ms.
    #[serde(default = "period")]
    pub period: Duration,
    /// Share of the total heat moved per period, in (0, 1]; default 0.05.
    #[serde(default = "step")]
    pub step: f64,
    /// Relative latency difference tolerated before moving pages, >= 0; default 0.05.
    #[serde(default = "step")]
    pub tolerance: f64,
}

fn period() -> Duration {
    Duration(500 * MS)
}
fn step() -> f64 {
    0.05
}

impl Default for ColloidParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

#[derive(Clone, Copy, Debug)]
struct Page {
    id: u64,
    size: u32,
    tier: usize,
    window: u32,
    heat: f64,
}

/// Cumulative device counters at the last tick: (requests, queue + transfer time).
#[derive(Clone, Copy, Debug, Default)]
struct Mark {
    requests: u64,
    /// Queueing plus transfer time summed over requests, picoseconds.
    wait: u128,
}

/// See the module doc.
pub struct Colloid {
    p: ColloidParams,
    os: OsCosts,
    pages: Vec<Page>,
    index: IdMap<u32>,
    marks: [Mark; 2],
    /// Loaded latencies measured at the last tick (fast, slow), picoseconds.
    latency: (Time, Time),
    /// Fast tier's share of the heat before and after the last tick's moves.
    share: (f64, f64),
    stats: MigrationStats,
}

impl ComponentParams for ColloidParams {
    fn check(&self) -> Result<(), ConfigError> {
        if self.period.0 == 0 {
            return Err(ConfigError::new("period", "must be greater than zero"));
        }
        crate::registry::in_interval("step", self.step, (0.0, true), (1.0, false))?;
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            return Err(ConfigError::new(
                "tolerance",
                format!("must be a number >= 0, got {}", self.tolerance),
            ));
        }
        Ok(())
    }
}

pub fn build(
    table: toml::Table,
    os: OsCosts,
    _ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    let p: ColloidParams = params(table)?;
    Ok(Box::new(Colloid::new(p, os)))
}

impl Colloid {
    pub fn new(p: ColloidParams, os: OsCosts) -> Self {
        Colloid {
            p,
            os,
            pages: Vec::new(),
            index: IdMap::default(),
            marks: [Mark::default(); 2],
            latency: (0, 0),
            share: (0.0, 0.0),
            stats: MigrationStats::default(),
        }
    }

    /// Loaded latencies (fast, slow) measured at the last tick.
    pub fn loaded_latency(&self) -> (Time, Time) {
        self.latency
    }

    /// The fast tier's share of the access heat before and after the last tick.
    pub fn fast_share(&self) -> (f64, f64) {
        self.share
    }

    fn slot(&mut self, page: u64, size: u32, tier: usize) -> u32 {
        if let Some(&s) = self.index.get(&page) {
            self.pages[s as usize].tier = tier;
            return s;
        }
        let s = self.pages.len() as u32;
        self.pages.push(Page {
            id: page,
            size,
            tier,
            window: 0,
            heat: 0.0,
        });
        self.index.insert(page, s);
        s
    }

    /// Loaded latency of tier `t` since the last tick.
    fn measure(&mut self, pair: &TierPair, t: usize) -> Time {
        let dev = pair.device(t);
        let st = dev.stats();
        let now = Mark {
            requests: st.reads + st.writes,
            wait: st.queue_time + st.transfer_time as u128,
        };
        let last = std::mem::replace(&mut self.marks[t], now);
        let idle = dev.spec().read_latency;
        match now.requests - last.requests {
            0 => idle,
            n => idle + ((now.wait - last.wait) / n as u128) as Time,
        }
    }

    fn share_of_fast(&self) -> f64 {
        let (mut fast, mut total) = (0.0, 0.0);
        for p in &self.pages {
            total += p.heat;
            if p.tier == FAST {
                fast += p.heat;
            }
        }
        if total > 0.0 {
            fast / total
        } else {
            0.0
        }
    }

    fn move_page(&mut self, pair: &mut TierPair, now: Time, s: usize, to: usize) -> Time {
        let Page { id, size, tier, .. } = self.pages[s];
        self.pages[s].tier = to;
        self.stats
            .migrate(pair, &self.os, now, id, size, tier)
            .map_or(0, |r| r.1)
    }
}

impl MigrationPolicy for Colloid {
    fn name(&self) -> &'static str {
        "colloid"
    }

    fn observe(
        &mut self,
        _now: Time,
        page: u64,
        size: u32,
        _op: Op,
        tier: usize,
        _pair: &mut TierPair,
    ) -> Time {
        let s = self.slot(page, size, tier) as usize;
        self.pages[s].window = self.pages[s].window.saturating_add(1);
        0
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.period.0)
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        let lf = self.measure(pair, FAST);
        let ls = self.measure(pair, SLOW);
        self.latency = (lf, ls);
        let mut total = 0.0;
        for p in &mut self.pages {
            p.heat = p.heat / 2.0 + p.window as f64;
            p.window = 0;
            total += p.heat;
        }
        let before = self.share_of_fast();
        let mut busy = 0;
        let (from, to) = if lf as f64 > ls as f64 * (1.0 + self.p.tolerance) {
            (FAST, SLOW)
        } else if (lf as f64) * (1.0 + self.p.tolerance) < ls as f64 {
            (SLOW, FAST)
        } else {
            (FAST, FAST)
        };
        if from != to && total > 0.0 {
            let mut order: Vec<usize> = (0..self.pages.len())
                .filter(|&s| self.pages[s].tier == from && self.pages[s].heat > 0.0)
                .collect();
            order.sort_unstable_by(|&a, &b| {
                self.pages[b]
                    .heat
                    .total_cmp(&self.pages[a].heat)
                    .then(a.cmp(&b))
            });
            // Promotion makes room by demoting the coldest fast pages.
            let mut cold: Vec<usize> = if to == FAST {
                let mut c: Vec<usize> = (0..self.pages.len())
                    .filter(|&s| self.pages[s].tier == FAST)
                    .collect();
                c.sort_unstable_by(|&a, &b| {
                    self.pages[b]
                        .heat
                        .total_cmp(&self.pages[a].heat)
                        .then(b.cmp(&a))
                });
                c
            } else {
                Vec::new()
            };
            let mut remaining = self.p.step * total;
            for s in order {
                if remaining <= 0.0 {
                    break;
                }
                let heat = self.pages[s].heat;
                if heat > remaining {
                    continue;
                }
                let size = self.pages[s].size as u64;
                if to == FAST {
                    while pair.fast_free() < size {
                        match cold.pop() {
                            Some(c) if self.pages[c].heat < heat => {
                                remaining += self.pages[c].heat;
                                busy += self.move_page(pair, now, c, SLOW);
                            }
                            _ => break,
                        }
                    }
                    if pair.fast_free() < size {
                        break;
                    }
                }
                remaining -= heat;
                busy += self.move_page(pair, now, s, to);
            }
        }
        self.share = (before, self.share_of_fast());
        Tick {
            next: Some(self.p.period.0),
            busy,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        let mut v = self.stats.json("colloid");
        v["fast_loaded_latency_ns"] = (self.latency.0 as f64 / 1e3).into();
        v["slow_loaded_latency_ns"] = (self.latency.1 as f64 / 1e3).into();
        v["fast_share"] = self.share.1.into();
        v
    }
}
