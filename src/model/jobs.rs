//! Builds `[[jobs]]`: each job's workload in its own context (nodes, seed, object
//! namespace), the composite that runs them ([`crate::workload::jobs::Jobs`]), and the
//! cache partitions of tiers with job quotas.
//!
//! Seeds: job `name`'s streams come from the run seed and "job.<name>", a shared
//! dataset's object sizes from the run seed and "dataset.<name>"; so a job alone (the
//! same config with the other jobs left out) runs with exactly the seeds it has
//! beside them. Namespaces: jobs with dense ids (training samples, embedding rows)
//! get consecutive id ranges (a shared dataset one range for all its jobs), so the
//! composite's ids stay dense; otherwise each namespace starts at a multiple of 2^44.

use crate::config::cluster::NodeInfo;
use crate::config::{Config, ConfigError, KindTable};
use crate::engine::{stream, stream_indexed};
use crate::fault::restart::{MakeInstance, Restartable};
use crate::hierarchy::partition::Partitioned;
use crate::hierarchy::{Tier, Topology};
use crate::policy::eviction;
use crate::sim::Workload;
use crate::workload::jobs::{Job, Jobs};
use crate::workload::{self, BuildCtx};
use rand::RngCore;

/// The composite workload of `cfg.jobs`.
pub fn build(
    cfg: &Config,
    seed: u64,
    tiers: &[String],
    links: &[String],
    nodes: &[NodeInfo],
) -> Result<Box<dyn Workload>, ConfigError> {
    let mut jobs = Vec::with_capacity(cfg.jobs.len());
    let mut makers = Vec::with_capacity(cfg.jobs.len());
    for (i, jc) in cfg.jobs.iter().enumerate() {
        let job_seed = stream(seed, &format!("job.{}", jc.name)).next_u64();
        let dataset_seed = match &jc.shared_dataset {
            Some(d) => stream(seed, &format!("dataset.{d}")).next_u64(),
            None => job_seed,
        };
        let node_ids = jc.node_indices(nodes.len());
        let infos: Vec<NodeInfo> = node_ids
            .iter()
            .map(|&n| nodes[n as usize].clone())
            .collect();
        let bctx = BuildCtx {
            seed: job_seed,
            dataset_seed,
            tiers,
            links,
            base_dir: cfg.base_dir.as_deref(),
            nodes: &infos,
        };
        let prefix = format!("jobs[{i}].");
        let w = workload::build(jc.workload.clone(), &bctx).map_err(|e| ConfigError {
            path: if e.path.starts_with("workload") {
                format!("{prefix}{}", e.path)
            } else {
                e.path
            },
            msg: e.msg,
        })?;
        check_restartable(cfg, &jc.workload, &node_ids, &format!("jobs[{i}].workload"))?;
        makers.push(instance_maker(
            cfg,
            jc.workload.clone(),
            (job_seed, dataset_seed),
            tiers,
            links,
            infos.clone(),
        ));
        let kind = KindTable::from_value(jc.workload.clone(), &format!("{prefix}workload"))?.kind;
        jobs.push(Job {
            name: jc.name.clone(),
            kind,
            start: jc.start.0,
            nodes: node_ids,
            shared_dataset: jc.shared_dataset.clone(),
            object_base: 0,
            seed: job_seed,
            workload: w,
            end: None,
        });
    }
    let dense = assign_namespaces(&mut jobs)?;
    if cfg
        .faults
        .iter()
        .any(|f| f.kind == crate::config::faults::FaultKind::NodeFailure)
    {
        // Each job restarts on its own from its checkpoints; a failed node's caches
        // come back empty of every job's objects.
        for (job, make) in jobs.iter_mut().zip(makers) {
            let inner = std::mem::replace(&mut job.workload, Box::new(Idle));
            job.workload = Box::new(Restartable::of_job(inner, make, dense.unwrap_or(0)));
        }
    }
    Ok(Box::new(Jobs::new(jobs, dense)))
}

/// A node failure restarts a job as a fresh instance running its remaining iterations
/// (`max_iterations`, which training and DLIO workloads take). A workload on node
/// `node_ids` that a `node_failure` could hit and that has no such key is a config
/// error naming the fault, not a failure mid-run.
pub(super) fn check_restartable(
    cfg: &Config,
    w: &toml::Value,
    node_ids: &[u16],
    path: &str,
) -> Result<(), ConfigError> {
    use crate::config::faults::FaultKind;
    let hit = cfg.faults.iter().position(|f| {
        f.kind == FaultKind::NodeFailure && f.node.is_none_or(|n| node_ids.contains(&n))
    });
    let Some(i) = hit else { return Ok(()) };
    let mut probe = w.clone();
    if let Some(t) = probe.as_table_mut() {
        t.insert("max_iterations".into(), toml::Value::Integer(1));
    }
    let ctx = crate::registry::ResolveCtx::default();
    workload::REGISTRY
        .resolve(probe, path, &ctx)
        .map(|_| ())
        .map_err(|_| {
            let kind = w.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
            ConfigError::new(
                format!("faults[{i}].kind"),
                format!(
                    "node_failure restarts {path} from its last checkpoint, which only \
                 training and dlio workloads do ({path} is kind '{kind}')"
                ),
            )
        })
}

/// Builds fresh instances of a job's workload to run n iterations (for restarts
/// after node failures, [`Restartable`]).
pub(super) fn instance_maker(
    cfg: &Config,
    w: toml::Value,
    (seed, dataset_seed): (u64, u64),
    tiers: &[String],
    links: &[String],
    nodes: Vec<NodeInfo>,
) -> MakeInstance {
    let (tiers, links) = (tiers.to_vec(), links.to_vec());
    let base_dir = cfg.base_dir.clone();
    Box::new(move |iterations: u64| {
        let mut w = w.clone();
        if let (Some(t), true) = (w.as_table_mut(), iterations < u64::MAX) {
            // At least 1: an instance with nothing left to do is never made.
            let n = i64::try_from(iterations.max(1)).unwrap_or(i64::MAX);
            t.insert("max_iterations".into(), toml::Value::Integer(n));
        }
        let bctx = BuildCtx {
            seed,
            dataset_seed,
            tiers: &tiers,
            links: &links,
            base_dir: base_dir.as_deref(),
            nodes: &nodes,
        };
        workload::build(w, &bctx)
    })
}

/// A placeholder while a job's workload is moved into its restart wrapper.
struct Idle;

impl Workload for Idle {
    fn start(&mut self, _: &mut crate::sim::Ctx) {}
    fn on_event(&mut self, _: u32, _: u64, _: &mut crate::sim::Ctx) {}
    fn is_done(&self) -> bool {
        true
    }
    fn summary(&self, _: crate::engine::Time) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// Gives each job its object base (see the module doc); returns the dense id count of
/// the whole when every job's ids are dense.
fn assign_namespaces(jobs: &mut [Job]) -> Result<Option<u64>, ConfigError> {
    let all_dense = jobs.iter().all(|j| j.workload.dense_ids().is_some());
    // (shared dataset name, base, size) of the namespaces handed out.
    let mut shared: Vec<(String, u64, Option<u64>, usize)> = Vec::new();
    let mut next = 0u64;
    let mut groups = 0u64;
    for (i, job) in jobs.iter_mut().enumerate() {
        let size = job.workload.dense_ids();
        if let Some(d) = &job.shared_dataset {
            if let Some((_, base, s, first)) = shared.iter().find(|x| &x.0 == d) {
                if *s != size {
                    return Err(ConfigError::new(
                        format!("jobs[{i}].shared_dataset"),
                        format!(
                            "'{d}' is shared with jobs[{first}], whose workload has {} objects, \
                             this one {}",
                            s.map_or("sparse".into(), |n| n.to_string()),
                            size.map_or("sparse".into(), |n| n.to_string()),
                        ),
                    ));
                }
                job.object_base = *base;
                continue;
            }
        }
        let base = if all_dense { next } else { groups << 44 };
        job.object_base = base;
        next = next.saturating_add(size.unwrap_or(0));
        groups += 1;
        if let Some(d) = &job.shared_dataset {
            shared.push((d.clone(), base, size, i));
        }
    }
    Ok(all_dense.then_some(next))
}

/// Replaces the cache of the instances of a tier named in a job's quota by a
/// [`Partitioned`] one: a partition of the quota's size per job that has one there
/// (on a node-scope tier: per job running on that node), and one of the rest for the
/// other jobs.
pub fn partition(
    cfg: &Config,
    tiers: &mut [Tier],
    topo: &Topology,
    seed: u64,
) -> Result<(), ConfigError> {
    for (l, tc) in cfg.tiers.iter().enumerate() {
        let quotas: Vec<Option<u64>> = cfg
            .jobs
            .iter()
            .map(|j| j.quota.get(&tc.name).map(|q| q.0))
            .collect();
        if quotas.iter().all(Option::is_none) {
            continue;
        }
        let path = format!("tiers[{l}]");
        let capacity = tc.resolve(&path)?.capacity;
        let kt = match &tc.eviction {
            Some(v) => KindTable::from_value(v.clone(), &format!("{path}.eviction"))?,
            None => KindTable {
                kind: crate::config::resolve::DEFAULT_EVICTION.into(),
                params: toml::Table::new(),
            },
        };
        for inst in topo.level_range(l) {
            // A node's instance is partitioned for the jobs on that node; a shared or
            // cluster-scope one (any job may fill it) for every job with a quota.
            let node = topo.node_of(inst);
            let here = |j: usize| {
                topo.levels[l].scope != crate::config::cluster::Scope::Node
                    || cfg.jobs[j].node_indices(topo.nodes).contains(&node)
            };
            let mut sizes = Vec::new();
            let mut of_job = Vec::with_capacity(quotas.len());
            for (j, q) in quotas.iter().enumerate() {
                match q {
                    Some(q) if here(j) => {
                        of_job.push(sizes.len());
                        sizes.push(*q);
                    }
                    _ => of_job.push(usize::MAX),
                }
            }
            if sizes.is_empty() {
                continue;
            }
            if of_job.contains(&usize::MAX) {
                let rest = capacity - sizes.iter().sum::<u64>();
                let k = sizes.len();
                sizes.push(rest);
                of_job
                    .iter_mut()
                    .filter(|p| **p == usize::MAX)
                    .for_each(|p| *p = k);
            }
            let parts = sizes
                .iter()
                .enumerate()
                .map(|(k, &cap)| {
                    let s = stream_indexed(
                        seed,
                        "eviction.partition",
                        ((inst as u64) << 16) | k as u64,
                    )
                    .next_u64();
                    eviction::build(&kt.kind, &kt.params, cap, s)
                        .map_err(|e| ConfigError::new(format!("{path}.eviction"), e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            tiers[inst].cache = Some(Box::new(Partitioned::new(parts, of_job)));
        }
    }
    Ok(())
}
