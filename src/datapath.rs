//! The data path: the one place where a workload's bytes move. It holds the tier
//! hierarchy, the policies that change placement beside it (migration over every
//! adjacent pair of tiers, prefetch), and the latency histograms, and every request a
//! workload makes (a cached or placed access, a pinned access, a link transfer) goes
//! through one of its methods, which charges the devices, updates the per-tier
//! counters and records the latency together. Background traffic (fills, write-backs,
//! prefetch fills, migrations) is charged by the hierarchy at the time of the access
//! or daemon tick that causes it and counted per tier.
//!
//! Modes: with no placing policy, accesses take the cache path (demand fills). With a
//! migration policy, or a prefetcher that places data itself (clairvoyant), the
//! hierarchy runs in placement mode (see `hierarchy/placement.rs`). Order per access:
//! serve, then the migration policies' `observe` (their extra latency, e.g. a hint
//! fault, is added), then the prefetcher's `after_access`. A hit on a prefetched copy
//! waits until that copy's fill is done.

use crate::cpu::{Cpu, Work};
use crate::engine::Time;
use crate::hierarchy::{Access, Hierarchy, TierPair};
use crate::metrics::{HistId, Metrics};
use crate::policy::hash::IdSet;
use crate::policy::migration::{MigrationPolicy, PerPair};
use crate::policy::prefetch::Prefetcher;
use crate::trace::{Op, Request};

/// Requests ahead of the current one whose index entries, then nodes, a batch
/// prefetches (as the replay loop does).
const BATCH_INDEX_AHEAD: usize = 16;
const BATCH_NODE_AHEAD: usize = 6;

pub use crate::hierarchy::Origin;

/// One job's accesses per level (config tier): where they were served.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobTraffic {
    /// Accesses served by each level.
    pub served: Vec<u64>,
    /// Bytes served by each level.
    pub bytes: Vec<u64>,
}

/// See the module doc.
pub struct DataPath {
    hier: Hierarchy,
    migration: Option<PerPair>,
    /// The prefetcher, or one per node on a cluster (each acting in its node's view).
    prefetch: Vec<Box<dyn Prefetcher>>,
    /// Placement mode: no demand fills.
    placement: bool,
    /// Every page first-touch allocation has seen (placement mode with migration).
    allocated: IdSet,
    metrics: Metrics,
    /// The histogram of link transfers.
    transfer_hist: HistId,
    /// Per job, when [`Self::track_jobs`] is on (one job: its traffic is the tiers').
    jobs: Vec<JobTraffic>,
    track_jobs: bool,
    /// The host CPUs, when the config models them (see [`crate::cpu`]).
    cpu: Option<Box<Cpu>>,
}

impl DataPath {
    /// A data path over `hier` with no placing policy.
    pub fn new(hier: Hierarchy) -> Self {
        let mut metrics = Metrics::default();
        let transfer_hist = metrics.histogram("transfer");
        DataPath {
            hier,
            migration: None,
            prefetch: Vec::new(),
            placement: false,
            allocated: IdSet::default(),
            metrics,
            transfer_hist,
            jobs: Vec::new(),
            track_jobs: false,
            cpu: None,
        }
    }

    /// Installs the host CPUs: requests through tiers and links with a CPU cost, and
    /// workloads' CPU work ([`Self::run_cpu`]), occupy their cores.
    pub fn set_cpu(&mut self, cpu: Cpu) {
        self.cpu = Some(Box::new(cpu));
    }

    /// The host CPUs, if modelled.
    pub fn cpu(&self) -> Option<&Cpu> {
        self.cpu.as_deref()
    }

    /// Runs `work` of `kind` on node `node`'s CPU from `now` (at once, for its
    /// duration, when CPUs are not modelled); returns when it ends.
    #[inline]
    pub fn run_cpu(&mut self, node: u16, now: Time, kind: Work, work: Time) -> Time {
        match self.cpu.as_deref_mut() {
            Some(c) => c.run(node, now, kind, work),
            None => now.saturating_add(work),
        }
    }

    /// Installs migration policies (one per adjacent pair): placement mode.
    pub fn set_migration(&mut self, policies: PerPair) {
        self.migration = Some(policies);
        self.placement = true;
    }

    /// Installs a prefetcher (placement mode if it places data itself).
    pub fn set_prefetch(&mut self, prefetcher: Box<dyn Prefetcher>) {
        self.set_prefetchers(vec![prefetcher]);
    }

    /// Installs one prefetcher per node (node n's sees node n's accesses and acts in
    /// its view of the tiers; see `Hierarchy::set_view`).
    pub fn set_prefetchers(&mut self, prefetchers: Vec<Box<dyn Prefetcher>>) {
        self.placement |= prefetchers.iter().any(|p| p.places());
        self.prefetch = prefetchers;
    }

    /// The hierarchy (tiers, links, their counters).
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hier
    }

    /// The hierarchy, for policies and tests that move data themselves.
    pub fn hierarchy_mut(&mut self) -> &mut Hierarchy {
        &mut self.hier
    }

    /// The latency histograms.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The handle of the histogram named `name`, created on first use.
    pub fn histogram(&mut self, name: &str) -> HistId {
        self.metrics.histogram(name)
    }

    /// Records a duration into a histogram.
    #[inline]
    pub fn record(&mut self, h: HistId, value: Time) {
        self.metrics.record(h, value);
    }

    /// The installed migration policies.
    pub fn migration(&self) -> Option<&PerPair> {
        self.migration.as_ref()
    }

    /// The installed prefetcher.
    pub fn prefetcher(&self) -> Option<&dyn Prefetcher> {
        self.prefetch.first().map(|p| p.as_ref())
    }

    /// Every installed prefetcher (one per node on a cluster).
    pub fn prefetchers(&self) -> &[Box<dyn Prefetcher>] {
        &self.prefetch
    }

    /// One read or write of `req` at `now`, its latency recorded. See the module doc.
    #[inline]
    pub fn access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        self.access_from(now, req, sequential, Origin::default())
    }

    /// Counts every access per job and level (several jobs share the data path).
    pub fn track_jobs(&mut self) {
        self.track_jobs = true;
    }

    /// Job `job`'s accesses so far per level (with [`Self::track_jobs`]).
    pub fn job_traffic(&self, job: usize) -> Option<&JobTraffic> {
        self.jobs.get(job)
    }

    /// Counts an access of `job` served by tier instance `tier`.
    #[inline]
    fn count_job(&mut self, job: u16, tier: usize, size: u32) {
        let job = job as usize;
        if job >= self.jobs.len() {
            let levels = self.hier.topo.levels.len();
            self.jobs.resize(
                job + 1,
                JobTraffic {
                    served: vec![0; levels],
                    bytes: vec![0; levels],
                },
            );
        }
        let level = self.hier.topo.level(tier);
        let j = &mut self.jobs[job];
        j.served[level] += 1;
        j.bytes[level] += size as u64;
    }

    /// [`Self::access`] by a requester at `origin` (its node's tiers; its job's counts).
    #[inline]
    pub fn access_from(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        origin: Origin,
    ) -> Access {
        let mut a = if self.placement {
            self.hier.set_view(origin.node);
            let mut a = self.placed_access(now, req, sequential);
            if !self.hier.topo.is_flat() {
                self.hier.count_node(origin.node as usize, a.tier, req.size);
                if let Some(r) = self.hier.inflight_ready(req.id, a.tier) {
                    a.done = a.done.max(r);
                }
            }
            a
        } else {
            self.hier.access_from(now, req, sequential, origin)
        };
        if self.track_jobs {
            self.count_job(origin.job, a.tier, req.size);
        }
        if let Some(r) = self.hier.take_ready(req.id, a.tier) {
            a.done = a.done.max(r);
        }
        let node = if self.prefetch.len() > 1 {
            origin.node as usize
        } else {
            0
        };
        if let Some(p) = self.prefetch.get_mut(node) {
            p.after_access(now, req, a.tier, &mut self.hier);
        }
        if let Some(cpu) = self.cpu.as_deref_mut() {
            a.done = cpu.access(
                &self.hier,
                origin.node,
                a.tier,
                req.size as u64,
                now,
                a.done,
            );
        }
        self.metrics.record_op(req.op, a.done - now);
        a
    }

    /// Every request of `reqs` in order at `now`, as [`Self::access`] does, with the
    /// index entries and nodes of requests a few places ahead loaded into the CPU
    /// cache first, so the memory latency of independent lookups overlaps. Returns
    /// when the last one is done (`now` for an empty batch).
    pub fn access_batch(
        &mut self,
        now: Time,
        reqs: &[Request],
        sequential: bool,
        origin: Origin,
    ) -> Time {
        let mut last = now;
        let node = origin.node as usize;
        // The first requests' index entries, which no earlier request loads.
        for a in reqs.iter().take(BATCH_INDEX_AHEAD) {
            self.hier.prefetch_index(a.id, node);
        }
        for (i, req) in reqs.iter().enumerate() {
            if let Some(a) = reqs.get(i + BATCH_INDEX_AHEAD) {
                self.hier.prefetch_index(a.id, node);
            }
            if let Some(a) = reqs.get(i + BATCH_NODE_AHEAD) {
                self.hier.prefetch_node(a.id, node);
            }
            last = last.max(self.access_from(now, req, sequential, origin).done);
        }
        last
    }

    /// Placement mode: served where the object is; first touch allocated where the
    /// migration policies say; the policies observe the access.
    #[inline(never)]
    fn placed_access(&mut self, now: Time, req: &Request, sequential: bool) -> Access {
        placed(
            &mut self.hier,
            &mut self.allocated,
            now,
            req,
            sequential,
            self.migration.as_mut(),
        )
    }

    /// One access in placement mode observed by a single two-tier `policy` held by
    /// the caller (tests drive a policy they own this way; it sees tiers 0 and 1).
    pub fn access_migrating(
        &mut self,
        now: Time,
        req: &Request,
        sequential: bool,
        policy: &mut dyn MigrationPolicy,
    ) -> Access {
        let a = placed(
            &mut self.hier,
            &mut self.allocated,
            now,
            req,
            sequential,
            Some(policy),
        );
        self.metrics.record_op(req.op, a.done - now);
        a
    }

    /// A pinned access at `now`: `bytes` that live in tier `tier` by construction (hot
    /// embedding rows, a resident tile, a checkpoint) read or written there, counted as
    /// a hit and a served access, its latency recorded.
    pub fn pinned(&mut self, now: Time, tier: usize, op: Op, bytes: u64, sequential: bool) -> Time {
        self.pinned_on(now, tier, op, bytes, sequential, Origin::default())
    }

    /// [`Self::pinned`] in level `tier`'s instance on `origin`'s node.
    pub fn pinned_on(
        &mut self,
        now: Time,
        tier: usize,
        op: Op,
        bytes: u64,
        sequential: bool,
        origin: Origin,
    ) -> Time {
        let i = self.hier.topo.own_instance(origin.node as usize, tier);
        let mut done = self.hier.pinned(i, now, op, bytes, sequential).done;
        if let Some(cpu) = self.cpu.as_deref_mut() {
            done = cpu.access(&self.hier, origin.node, i, bytes, now, done);
        }
        self.metrics.record_op(op, done - now);
        done
    }

    /// Moves `bytes` over link `link` at `now`; the latency is recorded in the
    /// `transfer` histogram.
    pub fn transfer(&mut self, now: Time, link: usize, bytes: u64) -> Time {
        let done = self.hier.transfer(link, now, bytes);
        self.metrics.record(self.transfer_hist, done - now);
        done
    }

    /// Moves `bytes` over link instance `link` at `now` as `steps` back-to-back
    /// messages: one reservation of all the bytes, plus the link's latency for every
    /// message after the first (on an idle link, exactly the messages one after the
    /// other). Recorded in the `transfer` histogram.
    pub fn transfer_steps(&mut self, now: Time, link: usize, steps: u32, bytes: u64) -> Time {
        if steps == 0 {
            return now;
        }
        let done = self.hier.transfer_steps(link, now, bytes, steps);
        self.metrics.record(self.transfer_hist, done - now);
        done
    }

    /// Drops `id` from every cache tier without writing it back (freed data).
    pub fn discard(&mut self, id: u64) {
        self.hier.discard(id);
    }

    /// Delay to the first migration daemon tick, if a policy runs one.
    pub fn migration_first_tick(&self) -> Option<Time> {
        self.migration.as_ref()?.first_tick()
    }

    /// Runs the migration daemons due at `now` and the mover's next copy; returns the
    /// delay to the next of either. Their page copies are one stream
    /// ([`crate::device::DAEMON_STREAM`]).
    pub fn migration_tick(&mut self, now: Time) -> Option<Time> {
        self.hier.stream = crate::device::DAEMON_STREAM;
        let policies = self.migration.as_mut()?;
        if let Some(m) = self.hier.mover.as_mut() {
            m.active = true;
        }
        let tick = policies.tick(now, &mut self.hier).map(|d| now + d);
        if let Some(m) = self.hier.mover.as_mut() {
            m.active = false;
        }
        self.hier.run_mover(now);
        let copy = self.hier.mover.as_ref().and_then(|m| m.next_due());
        let next = match (tick, copy) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        next.map(|t| t.saturating_sub(now))
    }

    /// Paces migration daemons' copies through a mover of `rate` bytes per second
    /// (0: uncapped; one copy at a time either way).
    pub fn set_mover(&mut self, rate: f64) {
        self.hier.mover = Some(crate::hierarchy::mover::Mover::new(rate));
    }

    /// What the mover did, if migration runs.
    pub fn pacing(&self) -> Option<crate::hierarchy::mover::Pacing> {
        self.hier.mover.as_ref().map(|m| m.summary())
    }

    /// Who issues the accesses that follow (an actor id): see
    /// [`crate::device::DeviceModel::submit_by`].
    #[inline]
    pub fn set_stream(&mut self, stream: u32) {
        self.hier.stream = stream;
    }
}

/// What placement mode asks of the migration policies: the tier a page touched for
/// the first time goes to, and the extra latency of an access they observe.
trait Placer {
    fn allocate(&mut self, now: Time, page: u64, size: u32, hier: &mut Hierarchy) -> usize;
    fn observe(&mut self, now: Time, req: &Request, tier: usize, hier: &mut Hierarchy) -> Time;
}

impl Placer for PerPair {
    fn allocate(&mut self, now: Time, page: u64, size: u32, hier: &mut Hierarchy) -> usize {
        PerPair::allocate(self, now, page, size, hier)
    }
    fn observe(&mut self, now: Time, req: &Request, tier: usize, hier: &mut Hierarchy) -> Time {
        PerPair::observe(self, now, req.id, req.size, req.op, tier, hier)
    }
}

/// One policy on the pair (tier 0, tier 1): its sides are those tiers' indexes.
impl Placer for dyn MigrationPolicy + '_ {
    fn allocate(&mut self, now: Time, page: u64, size: u32, hier: &mut Hierarchy) -> usize {
        MigrationPolicy::allocate(self, now, page, size, &TierPair::new(hier, 0))
    }
    fn observe(&mut self, now: Time, req: &Request, tier: usize, hier: &mut Hierarchy) -> Time {
        let mut pair = TierPair::new(hier, 0);
        match pair.side_of(tier) {
            Some(side) => {
                MigrationPolicy::observe(self, now, req.id, req.size, req.op, side, &mut pair)
            }
            None => 0,
        }
    }
}

/// An access in placement mode (see the module doc); `placer` is None when only a
/// placing prefetcher is installed.
fn placed<P: Placer + ?Sized>(
    hier: &mut Hierarchy,
    allocated: &mut IdSet,
    now: Time,
    req: &Request,
    sequential: bool,
    placer: Option<&mut P>,
) -> Access {
    let home = hier.home();
    let mut k = hier.find(req);
    let Some(placer) = placer else {
        return hier.serve(now, req, sequential, k);
    };
    // Only accesses that miss every faster tier consult the set of touched pages.
    if k == home && allocated.insert(req.id) {
        let t = placer.allocate(now, req.id, req.size, hier);
        if t < home && hier.place(t, req) {
            k = t;
        }
    }
    // A page whose copy waits for the mover is still served where it was.
    let from = hier.mover.as_mut().and_then(|m| m.source(req.id));
    let mut a = hier.serve(now, req, sequential, from.unwrap_or(k));
    a.done += placer.observe(now, req, k, hier);
    a
}
