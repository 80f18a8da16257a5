//! `[[jobs]]`: several workloads in one simulation, each a job with a name, a start
//! time, the nodes it runs on, its own object namespace or a dataset shared by name
//! with other jobs, and optional cache quotas.
//!
//! ```toml
//! [[jobs]]
//! name = "resnet-a"
//! start = "0s"              # default 0
//! nodes = [0, 1]            # node indices of the [cluster] (default: every node)
//! shared_dataset = "imagenet" # jobs naming the same dataset share its object ids
//! quota = { dram = "32GiB" } # a partition of tier `dram` for this job alone
//! [jobs.workload]
//! kind = "training"
//! ...
//! ```
//!
//! A config has either `[workload]` (one job) or `[[jobs]]`. A tier named in any
//! job's `quota` is partitioned: each job with a quota there gets a cache of that size
//! (in every instance of the tier), and the jobs without one share the rest. A lookup
//! finds an object in any partition (a shared dataset's sample cached by another job
//! is a hit); a fill goes to the requesting job's partition.

use super::{ConfigError, Duration};
use crate::config::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One `[[jobs]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    pub name: String,
    /// When the job starts (simulated time).
    #[serde(default)]
    pub start: Duration,
    /// The node indices it runs on, in rank order (default: every node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Vec<u32>>,
    /// Jobs naming the same dataset read the same objects (ids and sizes); without
    /// it the job's objects are its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_dataset: Option<String>,
    /// Cache quota per tier name: this job's partition of that tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, Bytes>,
    /// `kind = "..."` plus the workload's parameters.
    pub workload: toml::Value,
}

impl JobConfig {
    /// The node indices this job runs on, given `nodes` nodes in all.
    pub fn node_indices(&self, nodes: usize) -> Vec<u16> {
        match &self.nodes {
            Some(v) => v.iter().map(|&n| n as u16).collect(),
            None => (0..nodes as u16).collect(),
        }
    }
}

/// Checks the jobs against each other and the rest of the config.
pub(super) fn check(cfg: &super::Config) -> Result<(), ConfigError> {
    if cfg.jobs.is_empty() {
        return match cfg.workload {
            Some(_) => Ok(()),
            None => Err(ConfigError::new(
                "workload",
                "missing: give a [workload] table (or several [[jobs]])",
            )),
        };
    }
    if cfg.workload.is_some() {
        return Err(ConfigError::new(
            "workload",
            "a config has either [workload] (one job) or [[jobs]], not both",
        ));
    }
    if cfg.jobs.len() > 1024 {
        return Err(ConfigError::new("jobs", "at most 1024 jobs"));
    }
    let nodes = cfg.node_count();
    let mut names = std::collections::BTreeSet::new();
    for (i, j) in cfg.jobs.iter().enumerate() {
        let path = format!("jobs[{i}]");
        if j.name.is_empty()
            || !j
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ConfigError::new(
                format!("{path}.name"),
                "a non-empty name of letters, digits, '-', '_' or '.' (it names result files)",
            ));
        }
        if !names.insert(j.name.as_str()) {
            return Err(ConfigError::new(
                format!("{path}.name"),
                format!("duplicate job name '{}'", j.name),
            ));
        }
        if let Some(v) = &j.nodes {
            if v.is_empty() {
                return Err(ConfigError::new(
                    format!("{path}.nodes"),
                    "must list at least one node",
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for (k, &n) in v.iter().enumerate() {
                if n as usize >= nodes {
                    return Err(ConfigError::new(
                        format!("{path}.nodes[{k}]"),
                        format!("node {n}, but the cluster has {nodes} (0..{})", nodes - 1),
                    ));
                }
                if !seen.insert(n) {
                    return Err(ConfigError::new(
                        format!("{path}.nodes[{k}]"),
                        format!("node {n} is listed twice"),
                    ));
                }
            }
        }
        if j.shared_dataset.as_ref().is_some_and(|d| d.is_empty()) {
            return Err(ConfigError::new(
                format!("{path}.shared_dataset"),
                "must not be empty",
            ));
        }
        let home = cfg.tiers.len() - 1;
        for (t, q) in &j.quota {
            let key = format!("{path}.quota.{t}");
            let Some(ti) = cfg.tiers.iter().position(|x| &x.name == t) else {
                return Err(ConfigError::new(key, format!("no tier named '{t}'")));
            };
            if ti == home {
                return Err(ConfigError::new(
                    key,
                    "the last tier is the home of every object and has no cache to partition",
                ));
            }
            if q.0 == 0 {
                return Err(ConfigError::new(key, "must be greater than zero"));
            }
        }
    }
    // Quotas of a tier fit in it.
    for (ti, t) in cfg.tiers.iter().enumerate() {
        let total: u64 = cfg
            .jobs
            .iter()
            .filter_map(|j| j.quota.get(&t.name))
            .map(|q| q.0)
            .fold(0, u64::saturating_add);
        if total == 0 {
            continue;
        }
        let cap = t.resolve(&format!("tiers[{ti}]"))?.capacity;
        let without = cfg.jobs.iter().any(|j| !j.quota.contains_key(&t.name));
        if total > cap || (without && total == cap) {
            return Err(ConfigError::new(
                format!("tiers[{ti}].capacity"),
                format!(
                    "the jobs' quotas in '{}' add up to {} bytes of its {cap}{}",
                    t.name,
                    total,
                    if without {
                        " and leave nothing for the jobs without a quota"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    Ok(())
}
