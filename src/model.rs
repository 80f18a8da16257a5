//! Builds a runnable [`Simulation`] from a validated [`Config`]: devices from presets
//! and overrides, cache policies per tier, links, the workload.

use crate::config::{Config, ConfigError, KindTable};
use crate::device::{self, DeviceSpec};
use crate::engine::{EventQueue, MS};
use crate::hierarchy::{Hierarchy, Link, Tier};
use crate::metrics::{Metrics, TimeSeries};
use crate::policy::eviction;
use crate::sim::Simulation;
use crate::workload::{self, BuildCtx};

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
    let home = cfg.tiers.len() - 1;
    let mut tiers = Vec::with_capacity(cfg.tiers.len());
    for (i, (tc, spec)) in cfg.tiers.iter().zip(&tier_specs).enumerate() {
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
            let policy_seed = crate::engine::stream_indexed(seed, "eviction", i as u64);
            let policy_seed = rand::RngCore::next_u64(&mut { policy_seed });
            Some(
                eviction::build(&kt.kind, &kt.params, spec.capacity, policy_seed)
                    .map_err(|e| ConfigError::new(format!("{path}.eviction"), e))?,
            )
        };
        let link = tc
            .link
            .as_ref()
            .and_then(|l| cfg.links.iter().position(|x| &x.name == l));
        let device = device::build(spec).map_err(|e| ConfigError::new(&path, e))?;
        tiers.push(Tier {
            name: tc.name.clone(),
            device,
            cache,
            link,
            stats: Default::default(),
        });
    }
    let mut links = Vec::new();
    for (i, (lc, spec)) in cfg.links.iter().zip(&link_specs).enumerate() {
        let device = device::build(spec).map_err(|e| ConfigError::new(format!("links[{i}]"), e))?;
        links.push(Link {
            name: lc.name.clone(),
            device,
        });
    }
    let tier_names: Vec<String> = cfg.tiers.iter().map(|t| t.name.clone()).collect();
    let link_names: Vec<String> = cfg.links.iter().map(|t| t.name.clone()).collect();
    let bctx = BuildCtx {
        seed,
        tiers: &tier_names,
        links: &link_names,
        base_dir: cfg.base_dir.as_deref(),
    };
    let workload = workload::build(cfg.workload.clone(), &bctx)?;
    // Migration places pages in one tier at a time: the hierarchy runs exclusive.
    let inclusion = match cfg.migration {
        Some(_) => crate::config::Inclusion::Exclusive,
        None => cfg.sim.inclusion,
    };
    let mut hier = Hierarchy::new(tiers, links, inclusion);
    if let Some(m) = &cfg.migration {
        if cfg.tiers.len() != 2 {
            return Err(ConfigError::new(
                "migration",
                format!(
                    "migration needs exactly two tiers (fast memory, then slow memory); \
                     the config has {}",
                    cfg.tiers.len()
                ),
            ));
        }
        let mctx = crate::policy::migration::BuildCtx {
            seed,
            fast_capacity: tier_specs[0].capacity,
        };
        hier.set_migration(crate::policy::migration::build(m.clone(), &mctx)?);
    }
    if let Some(p) = &cfg.prefetch {
        let pctx = crate::policy::prefetch::BuildCtx {
            capacities: tier_specs[..home].iter().map(|s| s.capacity).collect(),
            future: workload.future_accesses(),
        };
        let p = crate::policy::prefetch::build(p.clone(), &pctx)?;
        if p.places() && cfg.migration.is_some() {
            return Err(ConfigError::new(
                "prefetch.kind",
                format!(
                    "'{}' places data itself and cannot be combined with [migration]",
                    p.name()
                ),
            ));
        }
        hier.set_prefetch(p);
    }
    Ok(Simulation {
        queue: EventQueue::new(),
        hier,
        metrics: Metrics::default(),
        series: TimeSeries::new(cfg.sim.sample_interval.map(|d| d.0).unwrap_or(MS)),
        workload,
        seed,
        duration: cfg.sim.duration.map(|d| d.0),
    })
}
