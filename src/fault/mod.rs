//! Faults: the schedule of what fails, when and how (`[[faults]]`, see
//! docs/faults.md), resolved against the model's tier and link instances and nodes,
//! and the state the data path consults where bytes move
//! (`hierarchy/faults.rs`): outages, fail-slow windows, read errors with retries,
//! node failures (carried out by [`restart`]). Each fault draws from its own named
//! random stream (`faults.<index>`), so a run is a pure function of config and seed.
//!
//! Targets are numbered: tier instance `i` is target `i`, link instance `l` is target
//! `tiers + l`. A tier declared in `[replicas]` keeps that many copies of every object
//! (each a failure domain of its own; they share the tier's device model).

pub mod errors;
pub mod report;
pub mod restart;
pub mod schedule;

use crate::config::faults::{FaultEntry, FaultKind, OnLoss, ReaderConfig};
use crate::config::{Config, ConfigError};
use crate::engine::Time;
use crate::hierarchy::Topology;
use rand_distr::Exp;
use schedule::{Repair, Schedule};

/// One resolved fault.
#[derive(Clone, Debug)]
pub struct Fault {
    pub kind: FaultKind,
    /// Its `[[faults]]` entry (a node failure of every node is one fault per node).
    pub entry: usize,
    /// What it targets, as written (`tier storage`, `link nic[3]`, `node 5`).
    pub target: String,
    /// Target indices (empty for a node failure).
    pub targets: Vec<u32>,
    /// The one replica it takes out (absent: every copy).
    pub replica: Option<u32>,
    /// The failing node (node failures).
    pub node: Option<u16>,
    pub schedule: Schedule,
    pub latency_factor: f64,
    pub bandwidth_factor: f64,
    pub errors: Option<errors::ReadErrors>,
    pub restart_delay: Time,
    /// Reads it made fail (outage: in flight or on arrival; errors: attempts).
    pub reads_failed: u64,
    /// Node failures of `[[jobs]]`: every restart it caused, as (its window's start,
    /// the job's index).
    pub restarted_jobs: Vec<(Time, u16)>,
}

/// Counters over every fault.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultStats {
    /// Read attempts that failed (outage, in flight or on arrival, or an error).
    pub reads_failed: u64,
    /// Reads given up: skipped during an outage, or out of retries.
    pub reads_lost: u64,
    /// Retries after an error.
    pub retries: u64,
    /// Reads under an errors fault, and their attempts.
    pub error_reads: u64,
    pub error_attempts: u64,
    /// Time reads lost to faults: waiting for a target, failed attempts, backoffs,
    /// fail-slow extra latency (picoseconds, summed over reads).
    pub read_delay: Time,
    /// Reads served per copy of a replicated tier.
    pub served_by_copy: Vec<u64>,
    /// Time workloads' own link transfers (gradient sync) lost to link faults:
    /// waiting for the link, failed attempts, fail-slow extra latency (picoseconds).
    pub transfer_delay: Time,
    /// Since a reader last took it ([`FaultState::take_hurt`]): the first and last
    /// instants its reads were held up by a fault (a failed attempt, a wait for a
    /// target, a backoff, fail-slow extra time); (MAX, 0) when none was.
    pub hurt: (Time, Time),
}

impl FaultStats {
    /// Notes that a requester's read was held up by a fault in [from, until).
    #[inline]
    pub(crate) fn hurt(&mut self, from: Time, until: Time) {
        self.hurt = (self.hurt.0.min(from), self.hurt.1.max(until));
    }
}

/// The faults of a run and the readers' behaviour (see the module doc).
#[derive(Clone, Debug)]
pub struct FaultState {
    pub faults: Vec<Fault>,
    /// Per target: the faults acting on it.
    pub(crate) by_target: Vec<Vec<u16>>,
    /// Tier instances (link targets follow them).
    pub(crate) tier_targets: usize,
    /// Copies per tier instance.
    pub(crate) copies: Vec<u32>,
    pub reader: ReaderConfig,
    /// The names of `[[jobs]]` (faults.csv names the jobs a node failure restarted).
    pub job_names: Vec<String>,
    /// What a reader does with a read it cannot complete now (set by the workload).
    pub mode: OnLoss,
    /// The last served read was given up.
    pub last_lost: bool,
    pub stats: FaultStats,
    /// Some fault acts on reads or transfers (anything but node failures), or reads
    /// pick among replicas: charges take the fault path. Without, they take the plain
    /// one (node failures act on jobs and caches, not on each access).
    pub(crate) on_access: bool,
}

const NO_END: Time = Time::MAX;

/// The mode of reads outside a skipping job's own: replica when configured, else
/// wait (skipping is per job, with its budget).
fn default_mode(on_loss: OnLoss) -> OnLoss {
    match on_loss {
        OnLoss::Replica => OnLoss::Replica,
        _ => OnLoss::Wait,
    }
}

impl FaultState {
    /// See [`default_mode`].
    pub fn default_mode(&self) -> OnLoss {
        default_mode(self.reader.on_loss)
    }

    /// Resolves `cfg`'s faults for a model laid out by `topo`; None when the config
    /// has no faults (the data path then pays nothing).
    pub fn resolve(
        cfg: &Config,
        topo: &Topology,
        seed: u64,
    ) -> Result<Option<FaultState>, ConfigError> {
        let tier_names: Vec<&str> = cfg.tiers.iter().map(|t| t.name.as_str()).collect();
        let link_names: Vec<&str> = cfg.links.iter().map(|t| t.name.as_str()).collect();
        let mut copies = vec![1u32; topo.instances()];
        for (name, &n) in &cfg.replicas {
            let key = format!("replicas.{name}");
            let Some(l) = tier_names.iter().position(|t| t == name) else {
                return Err(ConfigError::new(key, format!("no tier named '{name}'")));
            };
            if !(1..=64).contains(&n) {
                return Err(ConfigError::new(key, "copies must be between 1 and 64"));
            }
            for i in topo.level_range(l) {
                copies[i] = n;
            }
        }
        let reader = cfg.reader.clone().unwrap_or_default();
        if reader.on_loss == OnLoss::Replica && cfg.replicas.is_empty() {
            return Err(ConfigError::new(
                "reader.on_loss",
                "\"replica\" needs a tier with copies in [replicas]",
            ));
        }
        if cfg.faults.is_empty() {
            return Ok(None);
        }
        let targets_all = topo.instances() + topo.link_instances();
        let mut by_target = vec![Vec::new(); targets_all];
        let mut faults = Vec::with_capacity(cfg.faults.len());
        for (i, e) in cfg.faults.iter().enumerate() {
            // A node failure without a node: one independent fault per node.
            let each: Vec<Option<u16>> = match (e.kind, e.node) {
                (FaultKind::NodeFailure, None) => (0..topo.nodes as u16).map(Some).collect(),
                _ => vec![e.node],
            };
            for node in each {
                let mut one = e.clone();
                one.node = node;
                let stream = if node == e.node {
                    i as u64
                } else {
                    // Streams apart from every listed entry's.
                    ((i as u64 + 1) << 32) | node.unwrap_or(0) as u64
                };
                let k = faults.len();
                if k > u16::MAX as usize {
                    return Err(ConfigError::new("faults", "at most 65,536 faults"));
                }
                let f = resolve_one(
                    &one,
                    i,
                    stream,
                    topo,
                    &tier_names,
                    &link_names,
                    &copies,
                    seed,
                )?;
                for &t in &f.targets {
                    by_target[t as usize].push(k as u16);
                }
                faults.push(f);
            }
        }
        let on_access = reader.on_loss == OnLoss::Replica
            || faults.iter().any(|f| f.kind != FaultKind::NodeFailure);
        Ok(Some(FaultState {
            on_access,
            faults,
            by_target,
            tier_targets: topo.instances(),
            copies,
            mode: default_mode(reader.on_loss),
            reader,
            job_names: cfg.jobs.iter().map(|j| j.name.clone()).collect(),
            last_lost: false,
            stats: FaultStats {
                hurt: (Time::MAX, 0),
                ..FaultStats::default()
            },
        }))
    }

    /// The span in which the reads since the last call were held up by faults, if
    /// they were (see [`FaultStats::hurt`]); starts a new span.
    pub fn take_hurt(&mut self) -> Option<(Time, Time)> {
        let h = std::mem::replace(&mut self.stats.hurt, (Time::MAX, 0));
        (h.0 < h.1).then_some(h)
    }

    /// Whether no fault acts on target `t`.
    #[inline]
    pub fn quiet(&self, t: usize) -> bool {
        self.by_target[t].is_empty()
    }

    /// The target number of link instance `l`.
    #[inline]
    pub fn link_target(&self, l: usize) -> usize {
        self.tier_targets + l
    }

    /// When copy `copy` of target `t` is back if it is out at `time` (outages chained
    /// end to end are followed); None if it is up. Counts the failed read on the
    /// window that holds it when `count`.
    pub fn down_until(&mut self, t: usize, copy: u32, time: Time, count: bool) -> Option<Time> {
        let mut until = None;
        let mut at = time;
        'again: loop {
            for k in 0..self.by_target[t].len() {
                let f = &mut self.faults[self.by_target[t][k] as usize];
                if f.kind != FaultKind::Outage || f.replica.is_some_and(|r| r != copy) {
                    continue;
                }
                if let Some(w) = f.schedule.containing(at) {
                    if count && until.is_none() {
                        f.schedule.windows[w].hits += 1;
                        f.reads_failed += 1;
                    }
                    let end = f.schedule.windows[w].end;
                    until = Some(end);
                    if end == NO_END {
                        return until;
                    }
                    at = end;
                    continue 'again;
                }
            }
            return until;
        }
    }

    /// The first outage of copy `copy` of target `t` starting in (after, before).
    pub fn outage_starts(
        &mut self,
        t: usize,
        copy: u32,
        after: Time,
        before: Time,
    ) -> Option<Time> {
        let mut first: Option<Time> = None;
        for k in 0..self.by_target[t].len() {
            let f = &mut self.faults[self.by_target[t][k] as usize];
            if f.kind != FaultKind::Outage || f.replica.is_some_and(|r| r != copy) {
                continue;
            }
            if let Some(s) = f.schedule.first_start_in(after, before) {
                first = Some(first.map_or(s, |x| x.min(s)));
            }
        }
        first
    }

    /// The fail-slow factors (latency, bandwidth) on target `t` at `time`.
    pub fn slow_factors(&mut self, t: usize, time: Time) -> (f64, f64) {
        let (mut lat, mut bw) = (1.0, 1.0);
        for k in 0..self.by_target[t].len() {
            let f = &mut self.faults[self.by_target[t][k] as usize];
            if f.kind == FaultKind::Slow && f.schedule.containing(time).is_some() {
                lat *= f.latency_factor;
                bw *= f.bandwidth_factor;
            }
        }
        (lat, bw)
    }

    /// The errors fault acting on target `t` at `time`, if any (the first listed).
    pub fn errors_at(&mut self, t: usize, time: Time) -> Option<usize> {
        for k in 0..self.by_target[t].len() {
            let i = self.by_target[t][k] as usize;
            let f = &mut self.faults[i];
            if f.kind == FaultKind::Errors && f.schedule.containing(time).is_some() {
                return Some(i);
            }
        }
        None
    }

    /// Node failures, for the restart driver: (fault index, node).
    pub fn node_failures(&self) -> impl Iterator<Item = (usize, u16)> + '_ {
        self.faults
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind == FaultKind::NodeFailure)
            .map(|(i, f)| (i, f.node.expect("a node failure names its node")))
    }
}

#[allow(clippy::too_many_arguments)]
fn resolve_one(
    e: &FaultEntry,
    i: usize,
    stream: u64,
    topo: &Topology,
    tier_names: &[&str],
    link_names: &[&str],
    copies: &[u32],
    seed: u64,
) -> Result<Fault, ConfigError> {
    let path = |k: &str| format!("faults[{i}].{k}");
    if let Some(n) = e.node {
        if n as usize >= topo.nodes {
            return Err(ConfigError::new(
                path("node"),
                format!(
                    "no node {n}: the model has {} node(s), 0..{}",
                    topo.nodes, topo.nodes
                ),
            ));
        }
    }
    let node = e.node.map(|n| n as usize);
    let (target, targets) = match (&e.tier, &e.link) {
        (Some(name), _) => {
            let Some(l) = tier_names.iter().position(|t| t == name) else {
                return Err(ConfigError::new(
                    path("tier"),
                    format!("no tier named '{name}'; tiers: {}", tier_names.join(", ")),
                ));
            };
            let inst: Vec<u32> = match node {
                Some(n) => vec![topo.own_instance(n, l) as u32],
                None => topo.level_range(l).map(|x| x as u32).collect(),
            };
            if let Some(r) = e.replica {
                let c = copies[inst[0] as usize];
                if r >= c {
                    return Err(ConfigError::new(
                        path("replica"),
                        format!("tier '{name}' has {c} cop(ies) in [replicas]: replica 0..{c}"),
                    ));
                }
            }
            (format!("tier {name}"), inst)
        }
        (None, Some(name)) => {
            let Some(l) = link_names.iter().position(|t| t == name) else {
                return Err(ConfigError::new(
                    path("link"),
                    format!("no link named '{name}'; links: {}", link_names.join(", ")),
                ));
            };
            let base = topo.instances();
            let inst: Vec<u32> = match node {
                Some(n) => vec![(base + topo.link_instance(l, n)) as u32],
                None => topo.link_range(l).map(|x| (base + x) as u32).collect(),
            };
            (format!("link {name}"), inst)
        }
        (None, None) => (format!("node {}", e.node.unwrap_or(0)), Vec::new()),
    };
    let target = match (e.node, targets.len()) {
        (Some(n), 1) if e.tier.is_some() || e.link.is_some() => format!("{target} (node {n})"),
        _ => target,
    };
    let target = match e.replica {
        Some(r) => format!("{target} replica {r}"),
        None => target,
    };
    let start = e.start.map_or(0, |d| d.0);
    let rng = crate::engine::stream_indexed(seed, "faults", stream);
    let restart_delay = e.restart_delay.map_or(0, |d| d.0);
    let schedule = match (e.mtbf, e.kind) {
        (Some(m), FaultKind::NodeFailure) => {
            Schedule::recurring(rng.clone(), start, m.0, Repair::Fixed(restart_delay))
        }
        (Some(m), _) => {
            let mttr = e.mttr.expect("checked: a recurring outage has mttr").0;
            let repair = Repair::Exponential(Exp::new(1.0 / mttr as f64).expect("mttr > 0"));
            Schedule::recurring(rng.clone(), start, m.0, repair)
        }
        (None, FaultKind::NodeFailure) => {
            Schedule::once(start, start.saturating_add(restart_delay.max(1)))
        }
        (None, _) => {
            let end = e.duration.map_or(NO_END, |d| start.saturating_add(d.0));
            Schedule::once(start, end)
        }
    };
    let errors = match e.kind {
        FaultKind::Errors => Some(errors::ReadErrors::new(
            e.probability.expect("checked"),
            e.retries.unwrap_or(3),
            e.backoff.map_or(0, |d| d.0),
            crate::engine::stream_indexed(seed, "faults.errors", stream),
        )),
        _ => None,
    };
    Ok(Fault {
        entry: i,
        kind: e.kind,
        target,
        targets,
        replica: e.replica,
        node: e.node,
        schedule,
        latency_factor: e.latency_factor.unwrap_or(1.0),
        bandwidth_factor: e.bandwidth_factor.unwrap_or(1.0),
        errors,
        restart_delay,
        reads_failed: 0,
        restarted_jobs: Vec::new(),
    })
}
