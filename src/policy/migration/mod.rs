//! Migration policies: periodic placement of pages between a fast and a slow memory
//! tier by hotness (HeMem, TPP, Memtis, AutoNUMA tiering, Colloid, static first-touch,
//! age-based demotion). One file per policy, registered by name in [`REGISTRY`] and
//! chosen by `[migration] kind = "..."` with the policy's parameters beside it.
//!
//! A policy sees every access (engine hook [`MigrationPolicy::observe`], called with
//! the time, page id, operation and serving tier), decides where a page touched for
//! the first time is allocated ([`MigrationPolicy::allocate`]), and runs as a daemon
//! in the timed engine ([`MigrationPolicy::tick`], an `Event::Daemon` every period).
//! Pages move with [`TierPair::migrate`], which charges a read on the source tier and
//! a write on the destination tier at the tick's time. The daemon's own CPU time (OS
//! costs below, per migrated page) is reported and delays its next tick when it
//! exceeds the period; hint-fault costs are added to the faulting access's latency.
//!
//! Page granularity: a page is one object of the workload (configure 2 MiB objects to
//! model huge pages, 4 KiB ones for base pages). A policy is written for two tiers, a
//! fast one ([`FAST`]) and a slow one ([`SLOW`]), and sees them through a
//! [`TierPair`]; on a hierarchy of N tiers the data path runs one instance per
//! adjacent pair ([`PerPair`], `pairs.rs`): pages are promoted and demoted between
//! neighbours, and each pair's traffic is reported on its own. The hierarchy runs in
//! placement mode (no demand fills, see `hierarchy/placement.rs`).

mod age;
mod autonuma;
mod colloid;
mod hemem;
mod memtis;
mod pairs;
mod static_placement;
mod tpp;

pub use age::{Age, AgeParams};
pub use autonuma::{AutoNuma, AutoNumaParams};
pub use colloid::{Colloid, ColloidParams};
pub use hemem::{HeMem, HeMemParams};
pub use memtis::{Memtis, MemtisParams};
pub use pairs::PerPair;
pub use static_placement::StaticPlacement;
pub use tpp::{Tpp, TppParams};

use crate::config::{Bandwidth, ConfigError, Duration};
use crate::engine::{Time, NS, US};
pub use crate::hierarchy::{TierPair, FAST, SLOW};
use crate::registry::{self, ComponentParams, Entry, NoParams, Registry, ResolveCtx};
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// What a daemon tick did: when to run next, and the CPU time it spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// Delay to the next tick; None stops the daemon.
    pub next: Option<Time>,
    /// Daemon CPU time spent in this tick (OS costs of the pages it moved).
    pub busy: Time,
}

/// A tiered-memory placement policy. See the module doc.
pub trait MigrationPolicy: Send {
    /// The registry name.
    fn name(&self) -> &'static str;

    /// Where a page touched for the first time goes (`FAST` or `SLOW`). The default
    /// allocates in the fast tier while it has room.
    fn allocate(&mut self, _now: Time, _page: u64, size: u32, pair: &TierPair) -> usize {
        first_touch_tier(pair, size, 0)
    }

    /// Called by the engine for every access served by a tier of the pair (`tier` is
    /// `FAST` or `SLOW`). Returns extra latency charged to this access (a hint fault, a
    /// synchronous promotion).
    fn observe(
        &mut self,
        now: Time,
        page: u64,
        size: u32,
        op: Op,
        tier: usize,
        pair: &mut TierPair,
    ) -> Time;

    /// Delay from the start of the run to the first tick; None: no daemon.
    fn first_tick(&self) -> Option<Time>;

    /// One daemon period: migrate pages within `pair` at `now`.
    fn tick(&mut self, now: Time, pair: &mut TierPair) -> Tick;

    /// The counters every policy keeps (summed over pairs and reported per pair).
    fn stats(&self) -> &MigrationStats;

    /// Counters for summary.json (`"migration"`).
    fn summary(&self) -> serde_json::Value;
}

/// OS costs of moving pages (REFERENCES.md s1 "OS costs", HeMem's memsim constants):
/// page fault 2 us, page walk 200 ns per level, TLB shootdown 4 us, 4 KB page move
/// 1-2 us (1.5 us taken). Keys of the `[migration]` table, common to every policy.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OsCosts {
    /// A (hint) page fault; default 2 us.
    #[serde(default = "d_fault")]
    pub page_fault: Duration,
    /// One level of a page-table walk; default 200 ns.
    #[serde(default = "d_walk")]
    pub page_walk_level: Duration,
    /// Levels of the page table; default 4.
    #[serde(default = "d_levels")]
    pub page_table_levels: u32,
    /// A TLB shootdown; default 4 us.
    #[serde(default = "d_shootdown")]
    pub tlb_shootdown: Duration,
    /// Copying 4 KB of a page; default 1.5 us.
    #[serde(default = "d_move")]
    pub page_move_4k: Duration,
    /// The most bytes per second the mover copies (see `hierarchy/mover.rs`); default
    /// none: uncapped, one copy at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Bandwidth>,
}

impl ComponentParams for OsCosts {}

fn d_fault() -> Duration {
    Duration(2 * US)
}
fn d_walk() -> Duration {
    Duration(200 * NS)
}
fn d_levels() -> u32 {
    4
}
fn d_shootdown() -> Duration {
    Duration(4 * US)
}
fn d_move() -> Duration {
    Duration(1_500 * NS)
}

impl Default for OsCosts {
    fn default() -> Self {
        OsCosts {
            page_fault: d_fault(),
            page_walk_level: d_walk(),
            page_table_levels: d_levels(),
            tlb_shootdown: d_shootdown(),
            page_move_4k: d_move(),
            rate: None,
        }
    }
}

impl OsCosts {
    /// CPU time to move one page of `size` bytes: a page walk to find it, a TLB
    /// shootdown to unmap it, and the copy at the 4 KB move cost per 4 KB.
    pub fn move_cost(&self, size: u32) -> Time {
        self.page_walk_level.0 * self.page_table_levels as Time
            + self.tlb_shootdown.0
            + (size as u64).div_ceil(4096) * self.page_move_4k.0
    }

    /// The cost of a hint (NUMA) fault taken by an access.
    pub fn hint_fault(&self) -> Time {
        self.page_fault.0
    }
}

/// Counters every policy keeps.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct MigrationStats {
    pub promotions: u64,
    pub demotions: u64,
    pub bytes_promoted: u64,
    pub bytes_demoted: u64,
    pub hint_faults: u64,
    pub ticks: u64,
    /// Daemon and fault-path CPU time, picoseconds.
    pub os_time_ps: Time,
    /// Moves declined because the page had left the pair since the policy last saw
    /// it (another pair or an eviction moved it): not charged.
    #[serde(skip_serializing_if = "is_zero")]
    pub stale: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl MigrationStats {
    /// Moves `page` from side `from` to the other side of `pair` at `now`, counting it
    /// and its OS cost. Returns (data done time, OS cost), or None when the page is no
    /// longer on `from` (see [`TierPair::migrate`]): nothing moved, nothing counted.
    #[allow(clippy::too_many_arguments)]
    pub fn migrate(
        &mut self,
        pair: &mut TierPair,
        costs: &OsCosts,
        now: Time,
        page: u64,
        size: u32,
        from: usize,
    ) -> Option<(Time, Time)> {
        let cost = costs.move_cost(size);
        let Some(done) = pair.migrate(now, page, size, from, cost) else {
            self.stale += 1;
            return None;
        };
        if from == SLOW {
            self.promotions += 1;
            self.bytes_promoted += size as u64;
        } else {
            self.demotions += 1;
            self.bytes_demoted += size as u64;
        }
        self.os_time_ps += cost;
        Some((done, cost))
    }

    /// Adds `other`'s counters (totals over pairs).
    pub fn add(&mut self, other: &MigrationStats) {
        self.promotions += other.promotions;
        self.demotions += other.demotions;
        self.bytes_promoted += other.bytes_promoted;
        self.bytes_demoted += other.bytes_demoted;
        self.hint_faults += other.hint_faults;
        self.ticks += other.ticks;
        self.os_time_ps += other.os_time_ps;
        self.stale += other.stale;
    }

    /// The counters plus the policy name, as JSON.
    pub fn json(&self, kind: &str) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("serializable");
        v["kind"] = kind.into();
        v
    }
}

/// Access sampling: every `period`-th observed access is a sample (HeMem's and
/// Memtis's stand-in for hardware event sampling; period 1 samples every access).
#[derive(Clone, Copy, Debug)]
pub struct EveryNth {
    period: u64,
    countdown: u64,
}

impl EveryNth {
    pub fn new(period: u64) -> Self {
        let period = period.max(1);
        EveryNth {
            period,
            countdown: period,
        }
    }

    /// Whether this access is a sample.
    #[inline]
    pub fn take(&mut self) -> bool {
        if self.countdown > 1 {
            self.countdown -= 1;
            return false;
        }
        self.countdown = self.period;
        true
    }
}

/// First-touch placement: the fast tier while it has room for `size` bytes beyond
/// `reserve`, else the slow tier.
#[inline]
pub fn first_touch_tier(pair: &TierPair, size: u32, reserve: u64) -> usize {
    if pair.fast_free() >= size as u64 + reserve {
        FAST
    } else {
        SLOW
    }
}

/// What a policy constructor knows about the model.
#[derive(Clone, Copy, Debug)]
pub struct BuildCtx {
    pub seed: u64,
    /// Fast-tier capacity in bytes.
    pub fast_capacity: u64,
}

/// Builds a policy from its parameters (`kind` and the OS-cost keys removed); errors
/// name keys under `migration.`.
pub type Constructor = fn(
    params: toml::Table,
    os: OsCosts,
    ctx: &BuildCtx,
) -> Result<Box<dyn MigrationPolicy>, ConfigError>;

/// Every migration policy by name, with its declared parameters. Adding one: one file
/// and one line here.
pub const REGISTRY: Registry<Entry<Constructor>> = Registry {
    what: "migration policy",
    plural: "policies",
    entries: &[
        Entry::new::<HeMemParams>("hemem", hemem::build),
        Entry::new::<TppParams>("tpp", tpp::build),
        Entry::new::<MemtisParams>("memtis", memtis::build),
        Entry::new::<AutoNumaParams>("autonuma", autonuma::build),
        Entry::new::<ColloidParams>("colloid", colloid::build),
        Entry::new::<NoParams>("static", static_placement::build),
        Entry::new::<AgeParams>("age", age::build),
    ],
};

/// The registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.names()
}

const OS_KEYS: &[&str] = &[
    "page_fault",
    "page_walk_level",
    "page_table_levels",
    "tlb_shootdown",
    "page_move_4k",
    "rate",
];

/// Splits a `[migration]` table into the policy's entry, its own parameters and the
/// OS-cost keys common to every policy.
fn split(
    value: toml::Value,
) -> Result<(&'static Entry<Constructor>, toml::Table, toml::Table), ConfigError> {
    let (entry, mut params) = REGISTRY.find(value, "migration")?;
    let mut os = toml::Table::new();
    for k in OS_KEYS {
        if let Some(v) = params.remove(*k) {
            os.insert(k.to_string(), v);
        }
    }
    Ok((entry, params, os))
}

/// The resolved `[migration]` table: `kind`, the policy's parameters, then the OS
/// costs, every default filled in.
pub fn resolve(
    value: toml::Value,
    ctx: &ResolveCtx,
) -> Result<serde_json::Map<String, serde_json::Value>, ConfigError> {
    let (entry, params, os) = split(value)?;
    let mut out = serde_json::Map::new();
    out.insert("kind".into(), entry.name.into());
    out.extend((entry.resolve)(params, "migration", ctx)?);
    out.extend(registry::resolve_params::<OsCosts>(os, "migration", ctx)?);
    Ok(out)
}

/// Builds the policy described by a `[migration]` table.
pub fn build(value: toml::Value, ctx: &BuildCtx) -> Result<Box<dyn MigrationPolicy>, ConfigError> {
    let (entry, params, os) = split(value)?;
    let os: OsCosts = registry::parse(os, "migration")?;
    (entry.build)(params, os, ctx)
}

/// The mover's rate cap of a `[migration]` table (bytes per second, 0: uncapped;
/// the unit parser refuses zero, negative and non-finite bandwidths).
pub fn pacing_rate(value: &toml::Value) -> Result<f64, ConfigError> {
    let (_, _, os) = split(value.clone())?;
    let os: OsCosts = registry::parse(os, "migration")?;
    Ok(os.rate.map_or(0.0, |r| r.0))
}

/// Parses and checks a policy's declared parameters under `migration.`.
pub fn params<T: ComponentParams>(table: toml::Table) -> Result<T, ConfigError> {
    registry::parse(table, "migration")
}

/// A FIFO of page slots with lazy deletion: an entry is live while the page's
/// generation still equals the one it was pushed with.
#[derive(Default, Debug)]
pub(crate) struct SlotQueue(std::collections::VecDeque<(u32, u32)>);

impl SlotQueue {
    pub fn push_back(&mut self, slot: u32, gen: u32) {
        self.0.push_back((slot, gen));
    }
    pub fn push_front(&mut self, slot: u32, gen: u32) {
        self.0.push_front((slot, gen));
    }
    /// Pops the oldest live entry (`live(slot, gen)` decides).
    pub fn pop_live(&mut self, live: impl Fn(u32, u32) -> bool) -> Option<u32> {
        while let Some((s, g)) = self.0.pop_front() {
            if live(s, g) {
                return Some(s);
            }
        }
        None
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Drops dead entries when they dominate (bounded memory).
    pub fn compact(&mut self, live: impl Fn(u32, u32) -> bool, live_count: usize) {
        if self.0.len() > 2 * live_count + 1024 {
            self.0.retain(|&(s, g)| live(s, g));
        }
    }
}
