//! TPP, Transparent Page Placement (Maruf et al., ASPLOS'23; REFERENCES.md s2). Pages
//! sit on Linux's two LRU lists (inactive, active) with a referenced bit:
//! `mark_page_accessed` takes an inactive page to referenced, a referenced inactive
//! page to active. Allocation and demotion watermarks are decoupled: new pages go to
//! the fast tier while its free memory stays above the allocation watermark (1% of
//! it, `allocation_watermark`); every 10 ms (`reclaim_period`, kswapd) reclaim demotes
//! from the tail of the fast inactive list (a referenced page gets a second chance
//! on the active list; an empty inactive list is refilled from the active tail) until
//! free fast memory exceeds the demotion watermark (2%, `demotion_watermark`), so
//! allocations and promotions find headroom. NUMA-balancing scans arm 256 MB
//! (`scan_size`) of slow pages every 1 s (`scan_period`); the next access to an armed
//! page takes a hint fault (2 us, charged to that access) and the page is promoted at
//! once, in the fault path, only if it is already on the active list; otherwise the
//! fault just marks it accessed, so a page must fault while active to move. Other
//! accesses to slow pages set only the referenced bit (the hardware accessed bit).
//! File pages are not modelled (every page is anonymous).

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

/// TPP's parameters (defaults from the paper and Linux).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TppParams {
    /// Free share of the fast tier below which new pages go to the slow tier, in
    /// [0, 1); default 0.01.
    #[serde(default = "alloc_wm")]
    pub allocation_watermark: f64,
    /// Free share of the fast tier reclaim restores by demoting, in [0, 1); default 0.02.
    #[serde(default = "demote_wm")]
    pub demotion_watermark: f64,
    /// kswapd period, > 0; default 10 ms.
    #[serde(default = "reclaim_period")]
    pub reclaim_period: Duration,
    /// NUMA-balancing scan period, > 0; default 1 s.
    #[serde(default = "scan_period")]
    pub scan_period: Duration,
    /// Slow-tier bytes armed per scan; default 256 MiB.
    #[serde(default = "scan_size")]
    pub scan_size: Bytes,
}

fn alloc_wm() -> f64 {
    0.01
}
fn demote_wm() -> f64 {
    0.02
}
fn reclaim_period() -> Duration {
    Duration(10 * MS)
}
fn scan_period() -> Duration {
    Duration(SEC)
}
fn scan_size() -> Bytes {
    Bytes(256 << 20)
}

impl Default for TppParams {
    fn default() -> Self {
        params(toml::Table::new()).expect("defaults parse")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum List {
    None,
    Inactive,
    Active,
}

#[derive(Clone, Copy, Debug)]
struct Page {
    id: u64,
    size: u32,
    tier: usize,
    active: bool,
    referenced: bool,
    armed: bool,
    list: List,
    gen: u32,
}

/// See the module doc.
pub struct Tpp {
    p: TppParams,
    os: OsCosts,
    pages: Vec<Page>,
    index: IdMap<u32>,
    /// Fast-tier LRU lists (oldest at the front).
    inactive: SlotQueue,
    active: SlotQueue,
    scan_cursor: usize,
    next_scan: Time,
    promotion_failures: u64,
    stats: MigrationStats,
}

impl ComponentParams for TppParams {
    fn check(&self) -> Result<(), ConfigError> {
        for (k, v) in [
            ("allocation_watermark", self.allocation_watermark),
            ("demotion_watermark", self.demotion_watermark),
        ] {
            crate::registry::in_interval(k, v, (0.0, false), (1.0, true))?;
        }
        for (k, v) in [
            ("reclaim_period", self.reclaim_period),
            ("scan_period", self.scan_period),
        ] {
            if v.0 == 0 {
                return Err(ConfigError::new(k, "must be greater than zero"));
            }
        }
        Ok(())
    }
}

pub fn build(
    table: toml::Table,
    os: OsCosts,
    _ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    let p: TppParams = params(table)?;
    Ok(Box::new(Tpp::new(p, os)))
}

impl Tpp {
    pub fn new(p: TppParams, os: OsCosts) -> Self {
        Tpp {
            next_scan: p.scan_period.0,
            p,
            os,
            pages: Vec::new(),
            index: IdMap::default(),
            inactive: SlotQueue::default(),
            active: SlotQueue::default(),
            scan_cursor: 0,
            promotion_failures: 0,
            stats: MigrationStats::default(),
        }
    }

    /// Whether the page is on the active LRU list.
    pub fn is_active(&self, page: u64) -> bool {
        self.index
            .get(&page)
            .is_some_and(|&s| self.pages[s as usize].active)
    }

    fn slot(&mut self, page: u64, size: u32, tier: usize) -> u32 {
        if let Some(&s) = self.index.get(&page) {
            if self.pages[s as usize].tier != tier {
                self.pages[s as usize].tier = tier;
                self.relist(s);
            }
            return s;
        }
        let s = self.pages.len() as u32;
        self.pages.push(Page {
            id: page,
            size,
            tier,
            active: false,
            referenced: false,
            armed: false,
            list: List::None,
            gen: 0,
        });
        self.index.insert(page, s);
        self.relist(s);
        s
    }

    /// Puts a fast page at the head of the list its state calls for (slow pages are on
    /// no list here: TPP reclaims only the fast tier).
    fn relist(&mut self, s: u32) {
        let p = &mut self.pages[s as usize];
        let want = match (p.tier == FAST, p.active) {
            (false, _) => List::None,
            (true, true) => List::Active,
            (true, false) => List::Inactive,
        };
        if p.list == want {
            return;
        }
        p.list = want;
        p.gen = p.gen.wrapping_add(1);
        match want {
            List::Active => self.active.push_back(s, p.gen),
            List::Inactive => self.inactive.push_back(s, p.gen),
            List::None => {}
        }
    }

    /// Linux `mark_page_accessed`.
    fn mark_accessed(&mut self, s: u32) {
        let p = &mut self.pages[s as usize];
        if !p.referenced {
            p.referenced = true;
        } else if !p.active {
            p.active = true;
            p.referenced = false;
            self.relist(s);
        }
    }

    fn pop(&mut self, list: List) -> Option<u32> {
        let pages = &self.pages;
        let live = |s: u32, g: u32| pages[s as usize].gen == g && pages[s as usize].list == list;
        match list {
            List::Active => self.active.pop_live(live),
            List::Inactive => self.inactive.pop_live(live),
            List::None => None,
        }
    }

    fn move_page(&mut self, pair: &mut TierPair, now: Time, s: u32, to: usize) -> (Time, Time) {
        let Page { id, size, tier, .. } = self.pages[s as usize];
        let r = self
            .stats
            .migrate(pair, &self.os, now, id, size, tier)
            .unwrap_or((now, 0));
        self.pages[s as usize].tier = to;
        self.relist(s);
        r
    }

    /// Arms hint faults on the next `scan_size` bytes of slow pages.
    fn scan(&mut self) {
        let n = self.pages.len();
        let mut bytes = 0;
        for _ in 0..n {
            if bytes >= self.p.scan_size.0 {
                break;
            }
            self.scan_cursor = (self.scan_cursor + 1) % n;
            let p = &mut self.pages[self.scan_cursor];
            if p.tier == SLOW {
                p.armed = true;
                bytes += p.size as u64;
            }
        }
    }

    /// Demotes from the fast inactive tail until free memory reaches the demotion
    /// watermark. Returns the daemon time spent.
    fn reclaim(&mut self, now: Time, pair: &mut TierPair) -> Time {
        let target = (self.p.demotion_watermark * pair.fast_capacity() as f64) as u64;
        let mut busy = 0;
        let mut budget = 4 * self.pages.len() + 16;
        while pair.fast_free() < target && budget > 0 {
            budget -= 1;
            if let Some(s) = self.pop(List::Inactive) {
                let p = &mut self.pages[s as usize];
                if p.referenced {
                    p.referenced = false;
                    p.active = true;
                    p.list = List::None;
                    self.relist(s);
                } else {
                    p.list = List::None;
                    busy += self.move_page(pair, now, s, SLOW).1;
                }
            } else if let Some(s) = self.pop(List::Active) {
                let p = &mut self.pages[s as usize];
                p.active = false;
                p.referenced = false;
                p.list = List::None;
                self.relist(s);
            } else {
                break;
            }
        }
        busy
    }
}

impl MigrationPolicy for Tpp {
    fn name(&self) -> &'static str {
        "tpp"
    }

    fn allocate(&mut self, _now: Time, page: u64, size: u32, pair: &TierPair) -> usize {
        let reserve = (self.p.allocation_watermark * pair.fast_capacity() as f64) as u64;
        let tier = first_touch_tier(pair, size, reserve);
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
        if tier == FAST {
            self.mark_accessed(s);
            return 0;
        }
        if !self.pages[s as usize].armed {
            self.pages[s as usize].referenced = true;
            return 0;
        }
        self.pages[s as usize].armed = false;
        self.stats.hint_faults += 1;
        let mut extra = self.os.hint_fault();
        self.stats.os_time_ps += extra;
        if !self.pages[s as usize].active {
            self.mark_accessed(s);
            return extra;
        }
        if pair.fast_free() < size as u64 {
            self.promotion_failures += 1;
            return extra;
        }
        let (done, cost) = self.move_page(pair, now, s, FAST);
        extra += cost.max(done - now);
        extra
    }

    fn first_tick(&self) -> Option<Time> {
        Some(self.p.reclaim_period.0)
    }

    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick {
        self.stats.ticks += 1;
        if now >= self.next_scan {
            self.scan();
            self.next_scan = now.saturating_add(self.p.scan_period.0);
        }
        let busy = self.reclaim(now, pair);
        let pages = &self.pages;
        let live = |s: u32, g: u32| pages[s as usize].gen == g;
        self.active.compact(live, pages.len());
        self.inactive.compact(live, pages.len());
        Tick {
            next: Some(self.p.reclaim_period.0),
            busy,
        }
    }

    fn stats(&self) -> &MigrationStats {
        &self.stats
    }

    fn summary(&self) -> serde_json::Value {
        let mut v = self.stats.json("tpp");
        v["promotion_failures"] = self.promotion_failures.into();
        v
    }
}
