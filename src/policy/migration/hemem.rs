//! HeMem (Raybuck et al., SOSP'21; REFERENCES.md s2). Accesses are sampled (PEBS in
//! the paper: here every `sample_period`-th access, default every one, since the
//! simulated stream is already a sample of the machine's loads) and counted per page,
//! reads and writes apart. A page is hot at >= 4 read or >= 4 write samples. When any
//! page's count passes 10 (`cooling_threshold`), a global cooling clock advances and
//! every page's counts halve, lazily: a page catches up with the clock when it is next
//! sampled or examined. Every 10 ms (`period`) the policy thread moves up to 10 GB
//! (`max_migrate`) of hot slow pages to DRAM in the order they became hot, making room
//! by demoting cold DRAM pages first-in first-out (in the order they became cold or
//! were allocated); it stops when DRAM holds no cold page. New pages are allocated in
//! DRAM while it has room. Each move costs the daemon a page walk, a TLB shootdown and
//! the copy (OS costs).

use super::TierPair;
use super::{
    first_touch_tier, params, BuildCtx, EveryNth, MigrationPolicy, MigrationStats, OsCosts,
    SlotQueue, Tick, FAST, SLOW,
};
use crate::config::{Bytes, ConfigError, Duration};
use crate::engine::{Time, MS};
use crate::policy::hash::IdMap;
use crate::registry::ComponentParams;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// HeMem's parameters (defaults from the paper).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeMemParams {
    /// Every `sample_period`-th access is a sample, >= 1; default 1.
    #[serde(default = "one")]
    pub sample_period: u64,
    /// Read samples that make a page hot; default 4.
    #[serde(default = "four")]
    pub hot_read_threshold: u32,
    /// Write samples that make a page hot; default 4.
    #[serde(default = "four")]
    pub hot_write_threshold: u32,
    /// A page count passing this advances the cooling clock; default 10.
    #[serde(default = "ten")]
    pub cooling_threshold: u32,
    /// Policy thread period, > 0; default 10 ms.
    #[serde(default = "period")]
    pub period: Duration,
    /// Bytes promoted at most per period; default 10 GB.
    #[serde(default = "max_migrate")]
    pub max_migrate: Bytes,
}

fn one() -> u64 {
    1
}
fn four() -> u32 {
    4
}
fn ten() -> u32 {
    10
}
fn period() -> Duration {
    Duration(10 * MS)
}
fn max_migrate() -> Bytes {
    Bytes(10_000_000_000)
}

impl Default for HeMemParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum List {
    None,
    HotSlow,
    HotFast,
    ColdFast,
}

#[derive(Clone, Copy, Debug)]
struct Page {
    id: u64,
    size: u32,
    reads: u32,
    writes: u32,
    clock: u32,
    tier: usize,
    list: List,
    gen: u32,
}

/// See the module doc.
pub struct HeMem {
    p: HeMemParams,
    os: OsCosts,
    pages: Vec<Page>,
    index: IdMap<u32>,
    clock: u32,
    sampling: EveryNth,
    hot_slow: SlotQueue,
    hot_fast: SlotQueue,
    cold_fast: SlotQueue,
    stats: MigrationStats,
}

impl ComponentParams for HeMemParams {
    fn check(&self) -> Result<(), ConfigError> {
        if self.sample_period == 0 {
            return Err(ConfigError::new("sample_period", "must be at least 1"));
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
    let p: HeMemParams = params(table)?;
    Ok(Box::new(HeMem::new(p, os)))
}

impl HeMem {
    pub fn new(p: HeMemParams, os: OsCosts) -> Self {
        HeMem {
            sampling: EveryNth::new(p.sample_period),
            p,
            os,
            pages: Vec::new(),
            index: IdMap::default(),
            clock: 0,
            hot_slow: SlotQueue::default(),
            hot_fast: SlotQueue::default(),
            cold_fast: SlotQueue::default(),
            stats: MigrationStats::default(),
        }
    }

    /// A page's (read, write) sample counts as of now (pending halvings applied).
    pub fn counts(&self, page: u64) -> Option<(u32, u32)> {
        let p = &self.pages[*self.index.get(&page)? as usize];
        let d = (self.clock - p.clock).min(31);
        Some((p.reads >> d, p.writes >> d))
    }

    /// Whether a page is hot now.
    pub fn is_hot(&self, page: u64) -> bool {
        self.counts(page)
            .is_some_and(|(r, w)| r >= self.p.hot_read_threshold || w >= self.p.hot_write_threshold)
    }

    /// The global cooling clock (how many halvings have been triggered).
    pub fn cooling_clock(&self) -> u32 {
        self.clock
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
            reads: 0,
            writes: 0,
            clock: self.clock,
            tier,
            list: List::None,
            gen: 0,
        });
        self.index.insert(page, s);
        self.relist(s);
        s
    }

    /// Applies the halvings the page missed.
    fn cool(&mut self, s: u32) {
        let p = &mut self.pages[s as usize];
        let d = (self.clock - p.clock).min(31);
        p.reads >>= d;
        p.writes >>= d;
        p.clock = self.clock;
    }

    fn hot(&self, s: u32) -> bool {
        let p = &self.pages[s as usize];
        p.reads >= self.p.hot_read_threshold || p.writes >= self.p.hot_write_threshold
    }

    /// Puts the page on the list its tier and hotness call for.
    fn relist(&mut self, s: u32) {
        let hot = self.hot(s);
        let p = &mut self.pages[s as usize];
        let want = match (p.tier == FAST, hot) {
            (true, true) => List::HotFast,
            (true, false) => List::ColdFast,
            (false, true) => List::HotSlow,
            (false, false) => List::None,
        };
        if p.list == want {
            return;
        }
        p.list = want;
        p.gen = p.gen.wrapping_add(1);
        let g = p.gen;
        match want {
            List::HotFast => self.hot_fast.push_back(s, g),
            List::ColdFast => self.cold_fast.push_back(s, g),
            List::HotSlow => self.hot_slow.push_back(s, g),
            List::None => {}
        }
    }

    fn pop(&mut self, list: List) -> Option<u32> {
        let pages = &self.pages;
        let live = |s: u32, g: u32| pages[s as usize].gen == g && pages[s as usize].list == list;
        match list {
            List::HotSlow => self.hot_slow.pop_live(live),
            List::HotFast => self.hot_fast.pop_live(live),
            List::ColdFast => self.cold_fast.pop_live(live),
            List::None => None,
        }
    }

    fn move_page(&mut self, pair: &mut TierPair, now: Time, s: u32, to: usize) -> Time {
        let Page { id, size, tier, .. } = self.pages[s as usize];
        let cost = self
            .stats
            .migrate(pair, &self.os, now, id, size, tier)
            .map_or(0, |r| r.1);
        self.pages[s as usize].tier = to;
        self.relist(s);
        cost
    }
}

impl MigrationPolicy for HeMem {
    fn name(&self) -> &'static str {
        "hemem"
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
        op: Op,
        tier: usize,
        _pair: &mut TierPair,
    ) -> Time {
        if !self.sampling.take() {
            return 0;
        }
        let s = self.slot(page, size, tier);
        self.cool(s);
        let p = &mut self.pages[s as usize];
        let c = match op {
            Op::Read => &mut p.reads,
            Op::Write => &mut p.writes,
        };
        *c = c.saturating_add(1);
        if *c > self.p.cooling_threshold {
            self.clock += 1;
            self.cool(s);
        }
        self.relist(s);
        0
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.period.0)
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        // Hot DRAM pages that cooled since become demotion candidates.
        let n = self.hot_fast.len();
        for _ in 0..n {
            let Some(s) = self.pop(List::HotFast) else {
                break;
            };
            self.cool(s);
            let p = &mut self.pages[s as usize];
            p.list = List::None; // re-pushed by relist
            self.relist(s);
        }
        let mut budget = self.p.max_migrate.0;
        let mut busy = 0;
        while let Some(s) = self.pop(List::HotSlow) {
            self.cool(s);
            if !self.hot(s) {
                self.pages[s as usize].list = List::None;
                continue;
            }
            let size = self.pages[s as usize].size as u64;
            if size > budget {
                let g = self.pages[s as usize].gen;
                self.hot_slow.push_front(s, g);
                break;
            }
            while pair.fast_free() < size {
                match self.pop(List::ColdFast) {
                    Some(c) => busy += self.move_page(pair, now, c, SLOW),
                    None => break,
                }
            }
            if pair.fast_free() < size {
                let g = self.pages[s as usize].gen;
                self.hot_slow.push_front(s, g);
                break;
            }
            busy += self.move_page(pair, now, s, FAST);
            budget -= size;
        }
        let pages = &self.pages;
        let live_cnt = pages.len();
        let live = |s: u32, g: u32| pages[s as usize].gen == g;
        self.hot_slow.compact(live, live_cnt);
        self.cold_fast.compact(live, live_cnt);
        self.hot_fast.compact(live, live_cnt);
        Tick {
            next: Some(self.p.period.0),
            busy,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        let mut v = self.stats.json("hemem");
        v["cooling_clock"] = self.clock.into();
        v
    }
}
