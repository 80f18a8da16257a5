//! Host CPUs as a resource: every node has a pool of cores (unlimited unless
//! configured), and so may a storage tier's server. Work occupies one core for its
//! duration: a loader worker's preprocessing of a batch, and the CPU cost of a request
//! through a tier or link (protocol per request and per byte, a page-cache copy per
//! byte; see [`cost`]), charged on the requester's node and on the server's CPU.
//!
//! Scheduling: a pool is first come, first served over its cores: work starts on the
//! earliest free core, at once if one is idle (work-conserving). Work is reserved at
//! the time it is asked for, and asks come in time order (the engine's clock), so the
//! reservations are exact: no core idles while work waits. (Processor sharing would
//! give the same throughput; FIFO is what a reservation at the time of asking can
//! compute without revising promised completions.)
//!
//! A request's CPU work is reserved when the request is made, beside its devices and
//! links; the request is done when its data is done plus its own CPU time (the
//! unloaded latency is the sum), and not before its reservations end (so a saturated
//! pool caps the request rate at cores / work). With unlimited cores, CPU work is pure
//! latency. Busy core time is counted by kind (preprocess, protocol, copy).

pub mod cost;

use crate::config::ConfigError;
use crate::engine::Time;
use crate::hierarchy::Hierarchy;
use cost::Cost;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What CPU work is for (busy time is counted per kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// A loader worker's preprocessing (decode, augment).
    Preprocess = 0,
    /// A protocol stack's per-request and per-byte work.
    Protocol = 1,
    /// Copying bytes (a page-cache hit to the reader).
    Copy = 2,
}

/// A pool of cores (see the module doc).
#[derive(Clone, Debug)]
pub struct CorePool {
    /// Cores; None: unlimited.
    pub cores: Option<u32>,
    /// When each core frees up (a min-heap); empty when unlimited.
    free: BinaryHeap<Reverse<Time>>,
    /// Busy core time per [`Work`] kind, picoseconds.
    pub busy: [u128; 3],
    /// When the last reservation ends.
    pub last_end: Time,
}

impl CorePool {
    /// A pool of `cores` (None: unlimited).
    pub fn new(cores: Option<u32>) -> Self {
        let n = cores.unwrap_or(0) as usize;
        CorePool {
            cores,
            free: std::iter::repeat_n(Reverse(0), n).collect(),
            busy: [0; 3],
            last_end: 0,
        }
    }

    /// Runs `a` of kind `ka` then `b` of kind `kb` on one core from `now`, on the
    /// earliest free core; returns when it ends.
    #[inline]
    pub fn run(&mut self, now: Time, a: Time, ka: Work, b: Time, kb: Work) -> Time {
        self.busy[ka as usize] += a as u128;
        self.busy[kb as usize] += b as u128;
        let work = a.saturating_add(b);
        let end = match self.free.peek_mut() {
            None => now.saturating_add(work),
            Some(mut top) => {
                let end = now.max(top.0).saturating_add(work);
                *top = Reverse(end);
                end
            }
        };
        self.last_end = self.last_end.max(end);
        end
    }

    /// Busy core time in all.
    pub fn busy_total(&self) -> u128 {
        self.busy.iter().sum()
    }
}

/// The CPUs of a model: one pool per node, one per storage server with its own CPU,
/// and what a request through each tier and link instance costs.
#[derive(Clone, Debug, Default)]
pub struct Cpu {
    pub nodes: Vec<CorePool>,
    /// Servers' pools, with the tier instance's name.
    pub servers: Vec<(String, CorePool)>,
    /// Per tier instance: the requester's cost; the server's cost and pool.
    tier_client: Vec<Option<Cost>>,
    tier_server: Vec<Option<(Cost, usize)>>,
    /// Per link instance: the requester's cost.
    link_client: Vec<Option<Cost>>,
    /// Whether any tier or link costs CPU.
    any_cost: bool,
}

impl Cpu {
    /// `node_cores` per node (None: unlimited), with no request costs.
    pub fn new(node_cores: &[Option<u32>]) -> Self {
        Cpu {
            nodes: node_cores.iter().map(|&c| CorePool::new(c)).collect(),
            ..Default::default()
        }
    }

    /// Tier instance `inst` (named `name`; `instances` in all) costs `client` on the
    /// requester's node and `server` on its own pool of `server_cores`.
    pub fn set_tier(&mut self, inst: usize, instances: usize, name: &str, c: &cost::ResolvedCost) {
        self.tier_client.resize(instances, None);
        self.tier_server.resize(instances, None);
        self.tier_client[inst] = c.client;
        if let Some(s) = c.server {
            self.servers
                .push((name.to_string(), CorePool::new(c.server_cores)));
            self.tier_server[inst] = Some((s, self.servers.len() - 1));
        }
        self.any_cost |= c.client.is_some() || c.server.is_some();
    }

    /// Link instance `inst` (`instances` in all) costs `client` on the requester's node.
    pub fn set_link(&mut self, inst: usize, instances: usize, client: Option<Cost>) {
        self.link_client.resize(instances, None);
        self.link_client[inst] = client;
        self.any_cost |= client.is_some();
    }

    /// Runs `work` of `kind` on node `node`'s CPU from `now`; returns when it ends.
    #[inline]
    pub fn run(&mut self, node: u16, now: Time, kind: Work, work: Time) -> Time {
        match self.nodes.get_mut(node as usize) {
            Some(p) => p.run(now, work, kind, 0, kind),
            None => now.saturating_add(work),
        }
    }

    /// The CPU work of a request of `bytes` made at `now` by node `node` and served by
    /// tier instance `inst` (its costs, its link's, its route's links'), whose data is
    /// done at `data_done`: returns when the request is done (see the module doc).
    #[inline]
    pub fn access(
        &mut self,
        hier: &Hierarchy,
        node: u16,
        inst: usize,
        bytes: u64,
        now: Time,
        data_done: Time,
    ) -> Time {
        if !self.any_cost {
            return data_done;
        }
        let (mut protocol, mut copy) = (0 as Time, 0 as Time);
        let mut add = |c: Option<Cost>| {
            if let Some(c) = c {
                let (p, k) = c.split(bytes);
                protocol = protocol.saturating_add(p);
                copy = copy.saturating_add(k);
            }
        };
        add(self.tier_client.get(inst).copied().flatten());
        if let Some(l) = hier.tiers[inst].link {
            add(self.link_client.get(l).copied().flatten());
        }
        for l in hier.topo.route(node, inst).into_iter().flatten() {
            add(self.link_client.get(l).copied().flatten());
        }
        let mut own = protocol.saturating_add(copy);
        let mut done = data_done;
        if own > 0 {
            done = done.max(self.run_split(node, now, protocol, copy));
        }
        if let Some((c, s)) = self.tier_server.get(inst).copied().flatten() {
            let (p, _) = c.split(bytes);
            if p > 0 {
                let pool = &mut self.servers[s].1;
                done = done.max(pool.run(now, p, Work::Protocol, 0, Work::Protocol));
                own = own.saturating_add(p);
            }
        }
        done.max(data_done.saturating_add(own))
    }

    /// Protocol then copy work on node `node`'s CPU from `now`, on one core.
    fn run_split(&mut self, node: u16, now: Time, protocol: Time, copy: Time) -> Time {
        match self.nodes.get_mut(node as usize) {
            Some(p) => p.run(now, protocol, Work::Protocol, copy, Work::Copy),
            None => now.saturating_add(protocol).saturating_add(copy),
        }
    }
}

/// The CPUs of `cfg` over `hier`'s instances: every node's cores (`[cpu] cores`, a
/// node group's `cpu_cores`), and the `cpu` table of every tier and link.
pub fn build(cfg: &crate::config::Config, hier: &Hierarchy) -> Result<Cpu, ConfigError> {
    let cores: Vec<Option<u32>> = cfg.node_list().iter().map(|n| n.cpu_cores).collect();
    let mut cpu = Cpu::new(&cores);
    let topo = &hier.topo;
    for (l, t) in cfg.tiers.iter().enumerate() {
        if let Some(c) = &t.cpu {
            let r = c.resolve(&format!("tiers[{l}].cpu"), true)?;
            for inst in topo.level_range(l) {
                cpu.set_tier(inst, topo.instances(), &hier.tiers[inst].name, &r);
            }
        }
    }
    for (l, x) in cfg.links.iter().enumerate() {
        if let Some(c) = &x.cpu {
            let r = c.resolve(&format!("links[{l}].cpu"), false)?;
            for inst in topo.link_range(l) {
                cpu.set_link(inst, topo.link_instances(), r.client);
            }
        }
    }
    Ok(cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_fifo_over_its_cores() {
        let mut p = CorePool::new(Some(2));
        let w = Work::Preprocess;
        // Three jobs of 10 at t = 0 on two cores: two run at once, the third waits.
        assert_eq!(p.run(0, 10, w, 0, w), 10);
        assert_eq!(p.run(0, 10, w, 0, w), 10);
        assert_eq!(p.run(0, 10, w, 0, w), 20);
        // At t = 15 one core is idle (free since 10): work starts at once.
        assert_eq!(p.run(15, 1, w, 0, w), 16);
        assert_eq!(p.busy_total(), 31);
    }

    #[test]
    fn unlimited_cores_never_wait() {
        let mut p = CorePool::new(None);
        for _ in 0..100 {
            assert_eq!(p.run(5, 3, Work::Protocol, 2, Work::Copy), 10);
        }
        assert_eq!(p.busy, [0, 300, 200]);
    }
}
