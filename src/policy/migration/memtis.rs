//! Memtis (Lee et al., SOSP'23; REFERENCES.md s2). Sampled accesses (PEBS in the
//! paper; every `sample_period`-th access here, default every one) are counted per
//! page, and pages are kept in a 16-bin log2 histogram of their counts, weighted by
//! bytes: bin 0 holds counts 0-1, bin b counts in [2^b, 2^(b+1)), bin 15 everything
//! above. The hot threshold is the lowest bin whose pages, together with every hotter
//! bin's, still fit in the fast tier (bin 15 if even it does not fit). Every 2 M
//! samples (`cooling_samples`) all counts halve and the histogram is rebuilt. Every
//! 500 ms (`period`, kmigrated) slow pages at or above the threshold are promoted,
//! hottest first, after demoting fast pages below it, coldest first, to make room; it
//! stops when no cold fast page is left to demote. New pages go to the fast tier while
//! it has room. Memtis' huge-page splitting is not modelled.

use super::TierPair;
use super::{
    first_touch_tier, params, BuildCtx, EveryNth, MigrationPolicy, MigrationStats, OsCosts, Tick,
    FAST, SLOW,
};
use crate::config::{ConfigError, Duration};
use crate::engine::{Time, MS};
use crate::policy::hash::IdMap;
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// Histogram bins.
pub const BINS: usize = 16;

/// Memtis' parameters (defaults from the paper).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemtisParams {
    /// Every `sample_period`-th access is a sample, >= 1; default 1.
    #[serde(default = "one")]
    pub sample_period: u64,
    /// Samples between coolings (counts halve), >= 1; default 2,000,000.
    #[serde(default = "cooling")]
    pub cooling_samples: u64,
    /// kmigrated period, > 0; default 500 ms.
    #[serde(default = "period")]
    pub period: Duration,
}

fn one() -> u64 {
    1
}
fn cooling() -> u64 {
    2_000_000
}
fn period() -> Duration {
    Duration(500 * MS)
}

impl Default for MemtisParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

#[derive(Clone, Copy, Debug)]
struct Page {
    id: u64,
    size: u32,
    count: u32,
    tier: usize,
}

/// The histogram bin of an access count.
#[inline]
pub fn bin(count: u32) -> usize {
    if count <= 1 {
        0
    } else {
        ((31 - count.leading_zeros()) as usize).min(BINS - 1)
    }
}

/// See the module doc.
pub struct Memtis {
    p: MemtisParams,
    os: OsCosts,
    pages: Vec<Page>,
    index: IdMap<u32>,
    /// Bytes of pages per bin.
    hist: [u64; BINS],
    sampling: EveryNth,
    samples: u64,
    coolings: u64,
    stats: MigrationStats,
}

impl ComponentParams for MemtisParams {
    fn check(&self) -> Result<(), ConfigError> {
        for (k, v) in [
            ("sample_period", self.sample_period),
            ("cooling_samples", self.cooling_samples),
        ] {
            if v == 0 {
                return Err(ConfigError::new(k, "must be at least 1"));
            }
        }
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
    let p: MemtisParams = params(table)?;
    Ok(Box::new(Memtis::new(p, os)))
}

impl Memtis {
    pub fn new(p: MemtisParams, os: OsCosts) -> Self {
        Memtis {
            sampling: EveryNth::new(p.sample_period),
            p,
            os,
            pages: Vec::new(),
            index: IdMap::default(),
            hist: [0; BINS],
            samples: 0,
            coolings: 0,
            stats: MigrationStats::default(),
        }
    }

    /// Bytes of pages in each bin.
    pub fn histogram(&self) -> &[u64; BINS] {
        &self.hist
    }

    /// The hot threshold for a fast tier of `capacity` bytes: the lowest bin b such
    /// that the pages in bins b..16 fit.
    pub fn threshold(&self, capacity: u64) -> usize {
        let mut above = 0;
        for b in (0..BINS).rev() {
            if above + self.hist[b] > capacity {
                return (b + 1).min(BINS - 1);
            }
            above += self.hist[b];
        }
        0
    }

    /// A page's sampled access count.
    pub fn count(&self, page: u64) -> Option<u32> {
        self.index.get(&page).map(|&s| self.pages[s as usize].count)
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
            count: 0,
            tier,
        });
        self.index.insert(page, s);
        self.hist[0] += size as u64;
        s
    }

    fn cool(&mut self) {
        self.coolings += 1;
        self.hist = [0; BINS];
        for p in &mut self.pages {
            p.count /= 2;
            self.hist[bin(p.count)] += p.size as u64;
        }
    }
}

impl MigrationPolicy for Memtis {
    fn name(&self) -> &'static str {
        "memtis"
    }

    fn allocate(&mut self, _now: Time, page: u64, size: u32, pair: &TierPair) -> usize {
        let tier = first_touch_tier(pair, size, 0);
        self.slot(page, size, tier);
        tier
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
        if !self.sampling.take() {
            return 0;
        }
        let s = self.slot(page, size, tier) as usize;
        let p = &mut self.pages[s];
        let before = bin(p.count);
        p.count = p.count.saturating_add(1);
        let after = bin(p.count);
        if after != before {
            self.hist[before] -= p.size as u64;
            self.hist[after] += p.size as u64;
        }
        self.samples += 1;
        if self.samples.is_multiple_of(self.p.cooling_samples) {
            self.cool();
        }
        0
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.period.0)
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        let t = self.threshold(pair.fast_capacity());
        let mut hot: Vec<(u32, u32)> = Vec::new();
        let mut cold: Vec<(u32, u32)> = Vec::new();
        for (s, p) in self.pages.iter().enumerate() {
            let b = bin(p.count);
            if p.tier == SLOW && b >= t {
                hot.push((p.count, s as u32));
            } else if p.tier == FAST && b < t {
                cold.push((p.count, s as u32));
            }
        }
        hot.sort_unstable_by(|a, b| b.cmp(a));
        // Coldest last, popped first.
        cold.sort_unstable_by(|a, b| b.cmp(a));
        let mut busy = 0;
        'promote: for &(_, s) in &hot {
            let Page { id, size, .. } = self.pages[s as usize];
            while pair.fast_free() < size as u64 {
                let Some((_, c)) = cold.pop() else {
                    break 'promote;
                };
                let Page {
                    id: cid, size: cs, ..
                } = self.pages[c as usize];
                busy += self
                    .stats
                    .migrate(pair, &self.os, now, cid, cs, FAST)
                    .map_or(0, |r| r.1);
                self.pages[c as usize].tier = SLOW;
            }
            busy += self
                .stats
                .migrate(pair, &self.os, now, id, size, SLOW)
                .map_or(0, |r| r.1);
            self.pages[s as usize].tier = FAST;
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
        let mut v = self.stats.json("memtis");
        v["samples"] = self.samples.into();
        v["coolings"] = self.coolings.into();
        v
    }
}
