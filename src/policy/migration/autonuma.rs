//! AutoNUMA memory tiering (Linux NUMA balancing in tiering mode, kernel 5.18+;
//! REFERENCES.md s2). The scanner arms hint faults on 256 MB (`scan_size`) of slow
//! pages per scan, recording the scan time; scans run every 1 to 60 s
//! (`scan_period_min`, `scan_period_max`): the period halves after a scan window in
//! which some fault qualified for promotion and doubles after one in which none did
//! (a simplification of Linux's locality-driven adaptation). An access to an armed
//! page takes a hint fault (2 us, charged to it); the page is promoted at once if its
//! hint-fault latency (fault time minus scan time) is under the hot threshold (1 s,
//! `hot_threshold`) and the promotion rate limit (`promote_rate_limit`, bytes per
//! second, Linux's default 65,536 MB/s) leaves room this second. Every 60 s (the
//! maximum scan period, as in Linux) the threshold is tuned toward the rate limit:
//! down a sixteenth of twice its reference value when the qualifying bytes exceeded
//! 110% of the limit, up when under 90%, within [that step, 2 x reference]. kswapd
//! demotes fast pages CLOCK-wise (referenced bit, second chance) every 10 ms
//! (`reclaim_period`) while free fast memory is under `free_watermark` (2%, approx.).

use super::TierPair;
use super::{
    first_touch_tier, params, BuildCtx, MigrationPolicy, MigrationStats, OsCosts, SlotQueue, Tick,
    FAST, SLOW,
};
use crate::config::{Bytes, ConfigError, Duration};
use crate::engine::{Time, MS, SEC};
use crate::policy::hash::IdMap;
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// AutoNUMA tiering parameters (defaults from Linux).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoNumaParams {
    /// Slow-tier bytes armed for hint faults per scan; default 256 MiB.
    #[serde(default = "scan_size")]
    pub scan_size: Bytes,
    /// Shortest scan period, > 0; default 1 s.
    #[serde(default = "scan_min")]
    pub scan_period_min: Duration,
    /// Longest scan period, >= scan_period_min; default 60 s.
    #[serde(default = "scan_max")]
    pub scan_period_max: Duration,
    /// Initial hot threshold on hint-fault latency; default 1 s.
    #[serde(default = "hot_threshold")]
    pub hot_threshold: Duration,
    /// Promotion rate limit, bytes per second; default 65,536 MiB.
    #[serde(default = "rate_limit")]
    pub promote_rate_limit: Bytes,
    /// kswapd demotion period, > 0; default 10 ms.
    #[serde(default = "reclaim_period")]
    pub reclaim_period: Duration,
    /// Free share of the fast tier kswapd keeps, in [0, 1); default 0.02.
    #[serde(default = "free_wm")]
    pub free_watermark: f64,
}

fn scan_size() -> Bytes {
    Bytes(256 << 20)
}
fn scan_min() -> Duration {
    Duration(SEC)
}
fn scan_max() -> Duration {
    Duration(60 * SEC)
}
fn hot_threshold() -> Duration {
    Duration(SEC)
}
fn rate_limit() -> Bytes {
    Bytes(65_536 << 20)
}
fn reclaim_period() -> Duration {
    Duration(10 * MS)
}
fn free_wm() -> f64 {
    0.02
}

impl Default for AutoNumaParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

#[derive(Clone, Copy, Debug)]
struct Page {
    id: u64,
    size: u32,
    tier: usize,
    armed: bool,
    scan_time: Time,
    referenced: bool,
    gen: u32,
}

/// See the module doc.
pub struct AutoNuma {
    p: AutoNumaParams,
    os: OsCosts,
    pages: Vec<Page>,
    index: IdMap<u32>,
    /// Fast pages in CLOCK order.
    clock: SlotQueue,
    cursor: usize,
    scan_period: Time,
    next_scan: Time,
    window_candidates: u64,
    threshold: Time,
    th_window_start: Time,
    th_candidate_bytes: u64,
    rate_window_start: Time,
    rate_bytes: u64,
    rate_limited: u64,
    stats: MigrationStats,
}

impl ComponentParams for AutoNumaParams {
    fn check(&self) -> Result<(), ConfigError> {
        if self.scan_period_min.0 == 0 || self.scan_period_max.0 < self.scan_period_min.0 {
            return Err(ConfigError::new(
                "scan_period_min",
                "must be greater than zero and at most scan_period_max",
            ));
        }
        if self.reclaim_period.0 == 0 {
            return Err(ConfigError::new(
                "reclaim_period",
                "must be greater than zero",
            ));
        }
        crate::registry::in_interval(
            "free_watermark",
            self.free_watermark,
            (0.0, false),
            (1.0, true),
        )
    }
}

pub fn build(
    table: toml::Table,
    os: OsCosts,
    _ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    let p: AutoNumaParams = params(table)?;
    Ok(Box::new(AutoNuma::new(p, os)))
}

impl AutoNuma {
    pub fn new(p: AutoNumaParams, os: OsCosts) -> Self {
        AutoNuma {
            scan_period: p.scan_period_min.0,
            next_scan: p.scan_period_min.0,
            threshold: p.hot_threshold.0,
            p,
            os,
            pages: Vec::new(),
            index: IdMap::default(),
            clock: SlotQueue::default(),
            cursor: 0,
            window_candidates: 0,
            th_window_start: 0,
            th_candidate_bytes: 0,
            rate_window_start: 0,
            rate_bytes: 0,
            rate_limited: 0,
            stats: MigrationStats::default(),
        }
    }

    /// The current hot threshold (hint-fault latency below which a page is promoted).
    pub fn threshold(&self) -> Time {
        self.threshold
    }

    fn slot(&mut self, page: u64, size: u32, tier: usize) -> u32 {
        if let Some(&s) = self.index.get(&page) {
            let p = &mut self.pages[s as usize];
            if p.tier != tier {
                p.tier = tier;
                if tier == FAST {
                    p.gen = p.gen.wrapping_add(1);
                    self.clock.push_back(s, p.gen);
                }
            }
            return s;
        }
        let s = self.pages.len() as u32;
        self.pages.push(Page {
            id: page,
            size,
            tier,
            armed: false,
            scan_time: 0,
            referenced: false,
            gen: 0,
        });
        self.index.insert(page, s);
        if tier == FAST {
            self.clock.push_back(s, 0);
        }
        s
    }

    fn move_page(&mut self, pair: &mut TierPair, now: Time, s: u32, to: usize) -> (Time, Time) {
        let Page { id, size, tier, .. } = self.pages[s as usize];
        let r = self
            .stats
            .migrate(pair, &self.os, now, id, size, tier)
            .unwrap_or((now, 0));
        let p = &mut self.pages[s as usize];
        p.tier = to;
        p.referenced = false;
        p.gen = p.gen.wrapping_add(1);
        if to == FAST {
            self.clock.push_back(s, p.gen);
        }
        r
    }

    fn scan(&mut self, now: Time) {
        let n = self.pages.len();
        let mut bytes = 0;
        for _ in 0..n {
            if bytes >= self.p.scan_size.0 {
                break;
            }
            self.cursor = (self.cursor + 1) % n;
            let p = &mut self.pages[self.cursor];
            if p.tier == SLOW {
                p.armed = true;
                p.scan_time = now;
                bytes += p.size as u64;
            }
        }
    }

    /// Linux `numa_promotion_adjust_threshold`.
    fn adjust_threshold(&mut self, now: Time) {
        let period = self.p.scan_period_max.0;
        if now - self.th_window_start < period {
            return;
        }
        let reference = self.p.hot_threshold.0;
        let unit = (2 * reference / 16).max(1);
        let ref_cand = self.p.promote_rate_limit.0 as f64 * (period as f64 / SEC as f64);
        let cand = self.th_candidate_bytes as f64;
        if cand > ref_cand * 1.1 {
            self.threshold = self.threshold.saturating_sub(unit).max(unit);
        } else if cand < ref_cand * 0.9 {
            self.threshold = (self.threshold + unit).min(2 * reference);
        }
        self.th_window_start = now;
        self.th_candidate_bytes = 0;
    }
}

impl MigrationPolicy for AutoNuma {
    fn name(&self) -> &'static str {
        "autonuma"
    }

    fn allocate(&mut self, _now: Time, page: u64, size: u32, pair: &TierPair) -> usize {
        let tier = first_touch_tier(pair, size, 0);
        self.slot(page, size, tier);
        tier
    }

    fn observe(
        &mut self,
        now: Time,
        page: u64,
        size: u32,
        _op: Op,
        tier: usize,
        pair: &mut TierPair,
    ) -> Time {
        let s = self.slot(page, size, tier);
        let p = &mut self.pages[s as usize];
        if tier == FAST {
            p.referenced = true;
            return 0;
        }
        if !p.armed {
            return 0;
        }
        p.armed = false;
        let latency = now.saturating_sub(p.scan_time);
        self.stats.hint_faults += 1;
        let mut extra = self.os.hint_fault();
        self.stats.os_time_ps += extra;
        if latency >= self.threshold {
            return extra;
        }
        self.window_candidates += 1;
        self.th_candidate_bytes += size as u64;
        if now - self.rate_window_start >= SEC {
            self.rate_window_start = now;
            self.rate_bytes = 0;
        }
        if self.rate_bytes + size as u64 > self.p.promote_rate_limit.0 {
            self.rate_limited += 1;
            return extra;
        }
        if pair.fast_free() < size as u64 {
            return extra;
        }
        self.rate_bytes += size as u64;
        let (done, cost) = self.move_page(pair, now, s, FAST);
        extra += cost.max(done - now);
        extra
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.reclaim_period.0.min(self.next_scan))
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        if now >= self.next_scan {
            if now > self.p.scan_period_min.0 {
                self.scan_period = if self.window_candidates == 0 {
                    (self.scan_period * 2).min(self.p.scan_period_max.0)
                } else {
                    (self.scan_period / 2).max(self.p.scan_period_min.0)
                };
            }
            self.window_candidates = 0;
            self.scan(now);
            self.next_scan = now.saturating_add(self.scan_period);
        }
        self.adjust_threshold(now);
        // kswapd: demote CLOCK-wise until the free watermark is met.
        let target = (self.p.free_watermark * pair.fast_capacity() as f64) as u64;
        let mut busy = 0;
        let mut budget = 2 * self.pages.len() + 16;
        while pair.fast_free() < target && budget > 0 {
            budget -= 1;
            let pages = &self.pages;
            let live = |s: u32, g: u32| {
                let p = &pages[s as usize];
                p.gen == g && p.tier == FAST
            };
            let Some(s) = self.clock.pop_live(live) else {
                break;
            };
            let p = &mut self.pages[s as usize];
            if p.referenced {
                p.referenced = false;
                self.clock.push_back(s, p.gen);
            } else {
                busy += self.move_page(pair, now, s, SLOW).1;
            }
        }
        let pages = &self.pages;
        self.clock
            .compact(|s, g| pages[s as usize].gen == g, pages.len());
        Tick {
            next: Some(self.p.reclaim_period.0),
            busy,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        let mut v = self.stats.json("autonuma");
        v["hot_threshold_s"] = (self.threshold as f64 / SEC as f64).into();
        v["scan_period_s"] = (self.scan_period as f64 / SEC as f64).into();
        v["rate_limited"] = self.rate_limited.into();
        v
    }
}
