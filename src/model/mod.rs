//! Builds a runnable [`Simulation`] from a validated [`Config`]: devices from presets
//! and overrides, cache policies per tier, links, the workload.

use crate::config::cluster::Scope;
use crate::config::faults::FaultKind;
use crate::config::{Config, ConfigError, KindTable};
use crate::datapath::DataPath;
use crate::device::{self, DeviceSpec};
use crate::engine::MS;
use crate::hierarchy::{Hierarchy, Link, Tier, Topology};
use crate::policy::{eviction, migration, prefetch};
use crate::sim::Simulation;
use crate::workload::{self, BuildCtx};

mod jobs;

/// The largest dense id space indexed by id rather than hashed.
const DENSE_IDS_MAX: u64 = 1 << 24;

/// Resolved device specs of every tier and link, in config order.
pub fn resolve_devices(cfg: &Config) -> Result<(Vec<DeviceSpec>, Vec<DeviceSpec>), ConfigError> {
    let tiers = cfg
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| t.resolve(&format!("tiers[{i}]")))
        .collect::<Result<_, _>>()?;
    let links = cfg
        .links
        .iter()
        .enumerate()
        .map(|(i, t)| t.resolve(&format!("links[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok((tiers, links))
}

/// Builds the simulation for `cfg` with run seed `seed`.
pub fn build(cfg: &Config, seed: u64) -> Result<Simulation, ConfigError> {
    let (tier_specs, link_specs) = resolve_devices(cfg)?;
    let topo = topology(cfg);
    let mut tiers = build_tiers(cfg, &tier_specs, seed, &topo)?;
    let mut links = Vec::with_capacity(topo.link_instances());
    for (i, (lc, spec)) in cfg.links.iter().zip(&link_specs).enumerate() {
        let copies = match lc.scope.unwrap_or_default() {
            _ if topo.is_flat() => 1,
            Scope::Shared => 1,
            _ => topo.nodes,
        };
        for n in 0..copies {
            let device = if lc.is_duplex() {
                device::duplex::build(spec)
            } else {
                device::build(spec)
            }
            .map_err(|e| ConfigError::new(format!("links[{i}]"), e))?;
            links.push(Link {
                name: instance_name(&lc.name, copies, n),
                device,
            });
        }
    }
    let tier_names: Vec<String> = cfg.tiers.iter().map(|t| t.name.clone()).collect();
    let link_names: Vec<String> = cfg.links.iter().map(|t| t.name.clone()).collect();
    let nodes = cfg.node_list();
    let workload = match &cfg.workload {
        Some(w) => {
            let bctx = BuildCtx {
                seed,
                dataset_seed: seed,
                tiers: &tier_names,
                links: &link_names,
                base_dir: cfg.base_dir.as_deref(),
                nodes: &nodes,
            };
            if cfg.faults.iter().any(|f| f.kind == FaultKind::NodeFailure) {
                restartable(cfg, w, seed, &tier_names, &link_names, &nodes)?
            } else {
                workload::build(w.clone(), &bctx)?
            }
        }
        None => jobs::build(cfg, seed, &tier_names, &link_names, &nodes)?,
    };
    if cfg.jobs.iter().any(|j| !j.quota.is_empty()) {
        jobs::partition(cfg, &mut tiers, &topo, seed)?;
    }
    // Dense object ids get tables indexed by id (one per cache tier, 4 bytes an id),
    // up to 2^24 ids (64 MiB a tier); larger or sparse id spaces stay hashed.
    let dense = workload.dense_ids().filter(|&n| n <= DENSE_IDS_MAX);
    for cache in tiers.iter_mut().filter_map(|t| t.cache.as_mut()) {
        if workload.scattered_accesses() {
            cache.expect_scattered_accesses();
        }
    }
    // Migration places pages in one tier at a time: the hierarchy runs exclusive.
    let inclusion = match cfg.migration {
        Some(_) => crate::config::Inclusion::Exclusive,
        None => cfg.sim.inclusion,
    };
    let flat = topo.is_flat();
    let faults = crate::fault::FaultState::resolve(cfg, &topo, seed)?;
    let mut hier = Hierarchy::with_topology(tiers, links, inclusion, topo);
    hier.set_faults(faults);
    set_bounces(cfg, &mut hier);
    if let Some(n) = dense {
        hier.use_dense_ids(n);
    }
    // Several nodes read one dataset: a read of an object whose fill is in flight
    // waits for it (see `Hierarchy::set_coalesce`).
    hier.set_coalesce(!flat || cfg.jobs.len() > 1);
    if cfg.jobs.iter().any(|j| !j.quota.is_empty()) {
        hier.set_partitioned();
    }
    let mut data = DataPath::new(hier);
    if cfg.models_cpu() {
        let cpu = crate::cpu::build(cfg, data.hierarchy())?;
        data.set_cpu(cpu);
    }
    if !cfg.jobs.is_empty() {
        data.track_jobs();
    }
    if let Some(m) = &cfg.migration {
        data.set_migration(build_migration(m, &tier_specs, &tier_names, seed)?);
        data.set_mover(migration::pacing_rate(m)?);
    }
    if let Some(p) = &cfg.prefetch {
        let capacities: Vec<u64> = tier_specs[..tier_specs.len() - 1]
            .iter()
            .map(|s| s.capacity)
            .collect();
        if flat {
            let future = workload.future_accesses();
            data.set_prefetch(build_prefetch(cfg, p, capacities, future)?);
        } else {
            // One prefetcher per node, each knowing its node's ranks' future reads
            // and planning for its node's instance of each tier.
            let prefetchers = (0..nodes.len())
                .map(|n| {
                    let future = workload.future_accesses_on(n);
                    build_prefetch(cfg, p, capacities.clone(), future.as_deref())
                })
                .collect::<Result<Vec<_>, _>>()?;
            data.set_prefetchers(prefetchers);
        }
    }
    Ok(Simulation::new(
        data,
        workload,
        seed,
        cfg.sim.sample_interval.map(|d| d.0).unwrap_or(MS),
        cfg.sim.duration.map(|d| d.0),
    ))
}

/// The job wrapped to restart from its checkpoints after node failures
/// ([`crate::fault::restart`]); each instance is built afresh from `[workload]`.
fn restartable(
    cfg: &Config,
    w: &toml::Value,
    seed: u64,
    tiers: &[String],
    links: &[String],
    nodes: &[crate::config::cluster::NodeInfo],
) -> Result<Box<dyn crate::sim::Workload>, ConfigError> {
    let all: Vec<u16> = (0..nodes.len() as u16).collect();
    jobs::check_restartable(cfg, w, &all, "workload")?;
    let make = jobs::instance_maker(cfg, w.clone(), (seed, seed), tiers, links, nodes.to_vec());
    Ok(Box::new(crate::fault::restart::Restartable::new(make)?))
}

/// Each instance of a tier with `bounce_through` bounces through its node's instance
/// of the named faster tier (see `crate::hierarchy` bounce buffers).
fn set_bounces(cfg: &Config, hier: &mut Hierarchy) {
    for (level, t) in cfg.tiers.iter().enumerate() {
        let Some(via) = t.bounce_through.as_ref() else {
            continue;
        };
        let via = cfg
            .tiers
            .iter()
            .position(|x| &x.name == via)
            .expect("checked by the config");
        for i in hier.topo.level_range(level) {
            let node = match hier.topo.node_of(i) {
                crate::hierarchy::SHARED => 0,
                n => n as usize,
            };
            let b = hier.topo.own_instance(node, via);
            hier.set_bounce(i, b);
        }
    }
}

/// Where the config's tiers and links live: one node without `[cluster]`.
pub fn topology(cfg: &Config) -> Topology {
    let levels: Vec<(String, Scope)> = cfg
        .tiers
        .iter()
        .map(|t| (t.name.clone(), t.scope.unwrap_or_default()))
        .collect();
    let link_scopes: Vec<Scope> = cfg
        .links
        .iter()
        .map(|l| l.scope.unwrap_or_default())
        .collect();
    let nics: Vec<Option<usize>> = cfg.node_list().iter().map(|n| n.nic).collect();
    let fabric = cfg
        .cluster
        .as_ref()
        .and_then(|c| c.fabric.as_ref())
        .and_then(|f| cfg.links.iter().position(|l| &l.name == f));
    let mut topo = Topology::new(&levels, &link_scopes, &nics, fabric);
    topo.link_names = cfg.links.iter().map(|l| l.name.clone()).collect();
    topo.groups = cfg.node_list().into_iter().map(|n| n.group).collect();
    topo
}

/// The name of instance `n` of `copies` of a tier or link: the config name when there
/// is one, `name@n` per node otherwise.
fn instance_name(name: &str, copies: usize, n: usize) -> String {
    if copies == 1 {
        name.to_string()
    } else {
        format!("{name}@{n}")
    }
}

/// Every tier instance (laid out by `topo`): its device, its link, and a cache policy
/// unless it is the home tier.
fn build_tiers(
    cfg: &Config,
    specs: &[DeviceSpec],
    seed: u64,
    topo: &Topology,
) -> Result<Vec<Tier>, ConfigError> {
    let home = cfg.tiers.len() - 1;
    let mut tiers = Vec::with_capacity(topo.instances());
    for inst in 0..topo.instances() {
        let i = topo.level(inst);
        let (tc, spec) = (&cfg.tiers[i], &specs[i]);
        let copies = if topo.node_of(inst) == crate::hierarchy::SHARED {
            1
        } else {
            topo.nodes
        };
        let node = inst - topo.levels[i].first;
        let path = format!("tiers[{i}]");
        let cache = if i == home {
            None
        } else {
            let kt = match &tc.eviction {
                Some(v) => KindTable::from_value(v.clone(), &format!("{path}.eviction"))?,
                None => KindTable {
                    kind: "lru".into(),
                    params: toml::Table::new(),
                },
            };
            // (One node: the stream of tier i, as before clusters.)
            let stream = if copies == 1 {
                i as u64
            } else {
                ((i as u64) << 32) | node as u64
            };
            let policy_seed = crate::engine::stream_indexed(seed, "eviction", stream);
            let policy_seed = rand::RngCore::next_u64(&mut { policy_seed });
            Some(
                eviction::build(&kt.kind, &kt.params, spec.capacity, policy_seed)
                    .map_err(|e| ConfigError::new(format!("{path}.eviction"), e))?,
            )
        };
        let link = tc
            .link
            .as_ref()
            .and_then(|l| cfg.links.iter().position(|x| &x.name == l))
            .map(|l| topo.link_instance(l, node));
        let device = device::build(spec).map_err(|e| ConfigError::new(&path, e))?;
        tiers.push(Tier {
            name: instance_name(&tc.name, copies, node),
            device,
            cache,
            link,
            stats: Default::default(),
        });
    }
    Ok(tiers)
}

/// The prefetcher of `[prefetch]`, given the capacities of the tiers above the home.
fn build_prefetch(
    cfg: &Config,
    p: &toml::Value,
    capacities: Vec<u64>,
    future: Option<&dyn prefetch::FutureAccesses>,
) -> Result<Box<dyn prefetch::Prefetcher>, ConfigError> {
    let pctx = prefetch::BuildCtx { capacities, future };
    let p = prefetch::build(p.clone(), &pctx)?;
    if p.places() && cfg.migration.is_some() {
        return Err(ConfigError::new(
            "prefetch.kind",
            format!(
                "'{}' places data itself and cannot be combined with [migration]",
                p.name()
            ),
        ));
    }
    Ok(p)
}

/// One migration policy per adjacent pair of tiers, each sized by its fast tier.
fn build_migration(
    m: &toml::Value,
    specs: &[DeviceSpec],
    names: &[String],
    seed: u64,
) -> Result<migration::PerPair, ConfigError> {
    if specs.len() < 2 {
        return Err(ConfigError::new(
            "migration",
            "migration needs at least two tiers (fast memory above slower memory); \
             the config has one",
        ));
    }
    let pairs = specs[..specs.len() - 1]
        .iter()
        .map(|fast| {
            let mctx = migration::BuildCtx {
                seed,
                fast_capacity: fast.capacity,
            };
            migration::build(m.clone(), &mctx)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(migration::PerPair::new(pairs, names))
}
