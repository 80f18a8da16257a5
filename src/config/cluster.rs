//! `[cluster]`: the nodes of a cluster and how tiers and links are instantiated over
//! them. A config without it is one node, and every tier and link has one instance.
//!
//! ```toml
//! [cluster]
//! fabric = "spine"          # optional shared link every off-node transfer crosses
//! owner = "hash"            # owner node of an object in a cluster-scope cache
//! [[cluster.nodes]]         # a node group: `count` identical nodes
//! name = "gpu"
//! count = 64
//! gpus = 8
//! nic = "nic"               # a [[links]] entry with scope = "node": one per node
//! intra_link = "nvlink"     # optional node-scope link for the intra-node collective
//! cpu_cores = 64            # optional: cores per node (see `crate::cpu`)
//! ```
//!
//! `[[tiers]]` and `[[links]]` entries carry `scope`: `shared` (default: one
//! instance, e.g. a storage server and its NIC), `node` (one instance per node: a DRAM
//! page cache, a local NVMe, a NIC) or `cluster` (a cache tier with one instance per
//! node whose space is pooled: each object is cached only on its owner node, and other
//! nodes read it from there over both NICs). Node and cluster tiers come before shared
//! ones (fast to slow); the last tier is shared.

use super::{Config, ConfigError};
use serde::{Deserialize, Serialize};

/// Where the instances of a tier or link live (see the module doc).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Shared,
    Node,
    Cluster,
}

/// How a cluster-scope cache assigns each object its owner node.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// A hash of the object id modulo the node count (CoorDL's partitioned cache,
    /// Hoard's striping): every node owns an equal share of any large dataset.
    #[default]
    Hash,
}

/// `[cluster]`.
#[derive(Clone, Debug, Deserialize, Serialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Node groups, in node order (group 0's nodes are nodes 0..count).
    #[serde(default)]
    pub nodes: Vec<NodeGroup>,
    /// A shared `[[links]]` entry (the spine) crossed by every transfer between a node
    /// and anything not on it: models oversubscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fabric: Option<String>,
    /// Owner assignment of cluster-scope caches.
    #[serde(default)]
    pub owner: Owner,
}

/// `[[cluster.nodes]]`: `count` identical nodes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeGroup {
    /// A label for the results (default `group<i>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub count: u32,
    /// GPUs (training ranks) per node.
    #[serde(default = "one")]
    pub gpus: u32,
    /// The node's NIC: a `[[links]]` entry with `scope = "node"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nic: Option<String>,
    /// The node's GPU-to-GPU link (NVLink-class): a `[[links]]` entry with
    /// `scope = "node"`, used by the intra-node steps of a collective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intra_link: Option<String>,
    /// CPU cores per node (overrides `[cpu] cores`; absent: that, or unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_cores: Option<u32>,
}

fn one() -> u32 {
    1
}

/// The largest node count (node ids are 16-bit in the data path).
pub const MAX_NODES: u64 = 4096;

/// One node of the expanded cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    pub group: String,
    pub gpus: u32,
    /// Config link index of the NIC and intra-node link.
    pub nic: Option<usize>,
    pub intra_link: Option<usize>,
    /// CPU cores (None: unlimited).
    pub cpu_cores: Option<u32>,
}

impl Config {
    /// Every node, in order: one for a config without `[cluster]` (no NIC).
    pub fn node_list(&self) -> Vec<NodeInfo> {
        let link = |n: &Option<String>| {
            n.as_ref()
                .and_then(|n| self.links.iter().position(|l| &l.name == n))
        };
        let cores = self.cpu.as_ref().and_then(|c| c.cores);
        match &self.cluster {
            Some(c) if !c.nodes.is_empty() => c
                .nodes
                .iter()
                .enumerate()
                .flat_map(|(i, g)| {
                    let info = NodeInfo {
                        group: g.name.clone().unwrap_or_else(|| format!("group{i}")),
                        gpus: g.gpus,
                        nic: link(&g.nic),
                        intra_link: link(&g.intra_link),
                        cpu_cores: g.cpu_cores.or(cores),
                    };
                    std::iter::repeat_n(info, g.count as usize)
                })
                .collect(),
            _ => vec![NodeInfo {
                group: "node".into(),
                gpus: 1,
                nic: None,
                intra_link: None,
                cpu_cores: cores,
            }],
        }
    }

    /// The number of nodes (1 without `[cluster]`).
    pub fn node_count(&self) -> usize {
        match &self.cluster {
            Some(c) if !c.nodes.is_empty() => c.nodes.iter().map(|g| g.count as usize).sum(),
            _ => 1,
        }
    }

    /// Checks `[cluster]` and the scopes of tiers and links (called by `check`).
    pub(super) fn check_cluster(&self) -> Result<(), ConfigError> {
        let scope = |s: Option<Scope>| s.unwrap_or_default();
        for (i, l) in self.links.iter().enumerate() {
            if scope(l.scope) == Scope::Cluster {
                return Err(ConfigError::new(
                    format!("links[{i}].scope"),
                    "a link is \"shared\" or \"node\" (\"cluster\" is for cache tiers)",
                ));
            }
        }
        let home = self.tiers.len() - 1;
        let mut shared_seen: Option<usize> = None;
        for (i, t) in self.tiers.iter().enumerate() {
            let path = format!("tiers[{i}]");
            let s = scope(t.scope);
            if i == home && s != Scope::Shared {
                return Err(ConfigError::new(
                    format!("{path}.scope"),
                    "the last tier is the home of every object and must be shared",
                ));
            }
            match (s, shared_seen) {
                (Scope::Shared, None) => shared_seen = Some(i),
                (Scope::Node | Scope::Cluster, Some(j)) => {
                    return Err(ConfigError::new(
                        format!("{path}.scope"),
                        format!(
                            "node-local tiers come before shared ones (tiers[{j}] '{}' is shared)",
                            self.tiers[j].name
                        ),
                    ))
                }
                _ => {}
            }
            if let Some(l) = &t.link {
                let link = self.links.iter().find(|x| &x.name == l);
                if s == Scope::Shared && link.is_some_and(|x| scope(x.scope) == Scope::Node) {
                    return Err(ConfigError::new(
                        format!("{path}.link"),
                        format!("'{l}' has scope = \"node\"; a shared tier's link is shared"),
                    ));
                }
            }
        }
        let Some(c) = &self.cluster else {
            return Ok(());
        };
        let link_of = |name: &str, key: String, want: Scope| -> Result<(), ConfigError> {
            match self.links.iter().find(|l| l.name == name) {
                None => Err(ConfigError::new(
                    key,
                    format!("no [[links]] entry named '{name}'"),
                )),
                Some(l) if scope(l.scope) != want => Err(ConfigError::new(
                    key,
                    format!(
                        "'{name}' must have scope = \"{}\"",
                        if want == Scope::Node {
                            "node"
                        } else {
                            "shared"
                        }
                    ),
                )),
                Some(_) => Ok(()),
            }
        };
        if let Some(f) = &c.fabric {
            link_of(f, "cluster.fabric".into(), Scope::Shared)?;
        }
        let mut total = 0u64;
        for (i, g) in c.nodes.iter().enumerate() {
            let path = format!("cluster.nodes[{i}]");
            if g.count == 0 {
                return Err(ConfigError::new(
                    format!("{path}.count"),
                    "must be at least 1",
                ));
            }
            if g.gpus == 0 {
                return Err(ConfigError::new(
                    format!("{path}.gpus"),
                    "must be at least 1",
                ));
            }
            total += g.count as u64;
            if let Some(n) = &g.nic {
                link_of(n, format!("{path}.nic"), Scope::Node)?;
            }
            if let Some(n) = &g.intra_link {
                link_of(n, format!("{path}.intra_link"), Scope::Node)?;
            }
        }
        if total > MAX_NODES {
            return Err(ConfigError::new(
                "cluster.nodes",
                format!("{total} nodes in all; at most {MAX_NODES}"),
            ));
        }
        if total > 1 && self.migration.is_some() {
            return Err(ConfigError::new(
                "migration",
                "migration runs on one node; this [cluster] has more than one \
                 (not modelled: see docs/cluster.md)",
            ));
        }
        Ok(())
    }
}
