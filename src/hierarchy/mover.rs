//! The migration mover: the page copies a migration daemon decides in one tick are
//! carried out one after another by one mover thread, in time order, instead of all
//! at the tick's instant. Linux's kernel threads (kswapd demotion, Memtis's kmigrated,
//! AutoNUMA's promotion path) and HeMem's migration thread copy one page at a time:
//! a tick that decides 59,271 moves keeps the devices busy with one copy at a time,
//! and demand accesses interleave with them instead of queueing behind all of them.
//!
//! A move's bookkeeping (which tier holds the page, capacity) happens when the policy
//! decides it, so the policy's own loop sees the room it made; the data follows. Until
//! its copy is done a page in transit is served from the tier it is leaving (the old
//! copy stays mapped while the new one is written, as page migration does). The mover
//! starts the next copy when the previous one is done and its OS cost (page walk, TLB
//! shootdown, copy: [`crate::policy::migration::OsCosts`]) has passed, and no sooner
//! than `rate` allows (`[migration] rate`, bytes per second of pages moved; unlimited by
//! default: the policies' own published limits, HeMem's 10 GB per period and
//! AutoNUMA's promotion rate limit, still decide how much a tick may move).
//!
//! Synchronous moves (a promotion in a hint-fault path, made while an access waits)
//! do not go through the mover.

use crate::engine::Time;
use crate::policy::hash::IdBuildHasher;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// A decided page copy waiting for the mover.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub page: u64,
    pub size: u32,
    pub from: usize,
    pub to: usize,
    /// When the policy decided it.
    pub decided: Time,
    /// The OS cost of the move (the mover's CPU time for it).
    pub cost: Time,
}

/// What the mover did (summary.json `migration.pacing`).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Pacing {
    /// Bytes per second the mover may copy (0: no cap beyond one copy at a time).
    pub rate_bytes_per_s: f64,
    /// Copies carried out.
    pub copies: u64,
    /// The most copies waiting at once.
    pub max_backlog: u64,
    /// Mean and largest time from a move's decision to its copy being done, ns.
    pub mean_delay_ns: f64,
    pub max_delay_ns: f64,
    /// Copies still waiting when the run ended (decided, never carried out).
    pub pending_at_end: u64,
    /// Accesses served from the tier a page in transit was leaving.
    pub served_in_transit: u64,
    #[serde(skip)]
    delay_sum_ps: u128,
    #[serde(skip)]
    max_delay_ps: Time,
}

/// See the module doc.
pub struct Mover {
    ps_per_byte: f64,
    queue: VecDeque<Move>,
    /// Pages with copies waiting: the tier the first one leaves, and how many wait.
    in_transit: HashMap<u64, (usize, u32), IdBuildHasher>,
    /// When the mover may start its next copy.
    next: Time,
    /// Set while a daemon tick runs: its moves go through the mover.
    pub(crate) active: bool,
    pub stats: Pacing,
}

impl Mover {
    /// A mover copying at most `rate` bytes per second (0: uncapped).
    pub fn new(rate: f64) -> Self {
        Mover {
            ps_per_byte: if rate > 0.0 { 1e12 / rate } else { 0.0 },
            queue: VecDeque::new(),
            in_transit: HashMap::default(),
            next: 0,
            active: false,
            stats: Pacing {
                rate_bytes_per_s: rate.max(0.0),
                ..Pacing::default()
            },
        }
    }

    /// Queues a decided copy.
    pub fn push(&mut self, m: Move) {
        self.in_transit
            .entry(m.page)
            .and_modify(|e| e.1 += 1)
            .or_insert((m.from, 1));
        self.queue.push_back(m);
        self.stats.max_backlog = self.stats.max_backlog.max(self.queue.len() as u64);
    }

    /// The tier a page in transit is still served from.
    #[inline]
    pub fn source(&mut self, page: u64) -> Option<usize> {
        if self.in_transit.is_empty() {
            return None;
        }
        let from = self.in_transit.get(&page)?.0;
        self.stats.served_in_transit += 1;
        Some(from)
    }

    /// The next copy, if the mover is free at `now`.
    pub fn pop_due(&mut self, now: Time) -> Option<Move> {
        if self.next > now {
            return None;
        }
        self.queue.pop_front()
    }

    /// Records that `m`, started at `now`, is done at `done`: the mover is free again
    /// when the copy and its OS cost are done, and no sooner than the rate allows.
    pub fn finish(&mut self, m: &Move, now: Time, done: Time) {
        if let Some(e) = self.in_transit.get_mut(&m.page) {
            e.1 -= 1;
            if e.1 == 0 {
                self.in_transit.remove(&m.page);
            }
        }
        let paced = now + (m.size as f64 * self.ps_per_byte).round() as Time;
        self.next = done.max(now + m.cost).max(paced);
        let delay = done.saturating_sub(m.decided);
        self.stats.copies += 1;
        self.stats.delay_sum_ps += delay as u128;
        self.stats.max_delay_ps = self.stats.max_delay_ps.max(delay);
    }

    /// When the mover next has work: None when nothing waits.
    pub fn next_due(&self) -> Option<Time> {
        (!self.queue.is_empty()).then_some(self.next)
    }

    /// The counters, with the derived means.
    pub fn summary(&self) -> Pacing {
        let mut p = self.stats.clone();
        if p.copies > 0 {
            p.mean_delay_ns = p.delay_sum_ps as f64 / p.copies as f64 / 1e3;
        }
        p.max_delay_ns = p.max_delay_ps as f64 / 1e3;
        p.pending_at_end = self.queue.len() as u64;
        p
    }
}
