//! Gradient synchronisation after each iteration, as a chain of messages over a
//! `[[links]]` device, so the exchange shares the link's bandwidth with any data reads
//! that cross it (tiers with `link = "..."`).
//!
//! Alpha-beta model (REFERENCES.md s3, nccl-tests busbw): each message costs alpha =
//! the link's latency (its `read_latency`) plus an optional software `overhead` (spent
//! before the message enters the link, which stays free meanwhile), plus its bytes
//! over the link bandwidth (1/beta); the messages of one collective follow each other.
//! - `ring` all-reduce of S bytes over N ranks: 2(N-1) steps of S/N bytes, so on an
//!   idle link T = 2(N-1) alpha + 2 (N-1)/N x S / B. The link stands for one rank's
//!   network path: every rank sends its S/N chunk in the same step over its own NIC,
//!   so one chain on the link is the whole collective's critical path.
//! - `parameter_server` with k servers: a push and a pull, each moving
//!   S x max(N, k) / k bytes over the bottleneck NIC (a server receives N x S/k when
//!   N >= k; a worker sends S otherwise): T = 2 alpha + 2 S max(N, k) / (k B).
//! - `none`: no exchange (the barrier still holds).
//!
//! Across the nodes of a `[cluster]`, `ring` is hierarchical (as NCCL and Horovod run
//! it over nodes of g GPUs): a reduce-scatter inside each node over its `intra_link`
//! ((g-1) steps of S/g), a ring all-reduce across the M nodes over their NICs (2(M-1)
//! steps of S/M: the g GPUs of a node each exchange a shard of S/(gM), together S/M
//! on the node's NIC per step), and an all-gather inside each node ((g-1) steps of
//! S/g). On idle links T = 2(g-1)(alpha_i + S/(g B_i)) + 2(M-1) alpha_n plus
//! 2 (M-1)/M S/B_n; with one GPU a node this is the flat ring over the NICs. Each
//! phase is one reservation per node of all its steps' bytes plus every step's latency
//! ([`crate::sim::Ctx::transfer_steps_on`]), so a collective costs O(nodes) whatever
//! the step count; the phases follow each other, each ending when its slowest node is
//! done. Without an `intra_link` the intra-node steps cost nothing (not modelled).

use crate::config::{Bytes, ConfigError, Duration};
use crate::engine::Time;
use crate::registry::{self, ComponentParams, Entry, NoParams, Registry};
use serde::{Deserialize, Serialize};

/// Synchronisation kinds by name with their declared parameters (`ps` is an alias of
/// `parameter_server`).
pub(super) const SYNCS: Registry<Entry<()>> = Registry {
    what: "sync",
    plural: "kinds",
    entries: &[
        Entry::new::<LinkParams>("ring", ()),
        Entry::new::<LinkParams>("parameter_server", ()),
        Entry::new::<LinkParams>("ps", ()),
        Entry::new::<NoParams>("none", ()),
    ],
};

/// A resolved synchronisation: `steps` messages of `step_bytes` over link `link`.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncPlan {
    pub kind: &'static str,
    pub link: Option<usize>,
    pub steps: u32,
    pub step_bytes: u64,
    /// Gradient bytes S exchanged per iteration.
    pub bytes: u64,
    /// Software time per message before it enters the link.
    pub overhead: Time,
    /// Across the nodes of a cluster: the hierarchical ring (see the module doc).
    pub cluster: Option<ClusterRing>,
}

/// The hierarchical ring of a job on several nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRing {
    /// Config link index of every node's NIC and, if declared, intra-node link.
    pub nic: usize,
    pub intra: Option<usize>,
    /// GPUs per node (g) and nodes (M).
    pub gpus: u32,
    pub nodes: u32,
}

impl ClusterRing {
    /// The three phases as (intra-node?, steps, bytes per node): reduce-scatter,
    /// all-reduce across nodes, all-gather.
    pub fn phases(&self, s: u64) -> [(bool, u32, u64); 3] {
        let (g, m) = (self.gpus as u64, self.nodes as u64);
        let intra = (
            true,
            self.gpus - 1,
            ((g - 1) as u128 * s as u128).div_ceil(g as u128) as u64,
        );
        let inter = (
            false,
            2 * (self.nodes - 1),
            (2 * (m - 1) as u128 * s as u128).div_ceil(m as u128) as u64,
        );
        [intra, inter, intra]
    }
}

/// `ring` and `parameter_server` parameters.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LinkParams {
    /// The `[[links]]` entry the messages cross (on a cluster: the nodes' NIC, the
    /// default).
    link: Option<String>,
    /// Gradient bytes per iteration (default: workload.params x bytes_per_param).
    bytes: Option<Bytes>,
    /// Bytes per gradient value (default 4: fp32 gradients).
    #[serde(default = "four")]
    bytes_per_param: u64,
    /// Parameter servers (parameter_server only).
    servers: Option<u32>,
    /// Software time per message, added to the link's latency.
    #[serde(default)]
    overhead: Duration,
}

impl ComponentParams for LinkParams {}

fn four() -> u64 {
    4
}

impl SyncPlan {
    /// No exchange.
    pub fn none() -> Self {
        SyncPlan {
            kind: "none",
            link: None,
            steps: 0,
            step_bytes: 0,
            bytes: 0,
            overhead: 0,
            cluster: None,
        }
    }

    /// Parses `workload.sync` for `ranks` ranks; `params` is `workload.params`.
    pub fn build(
        value: Option<toml::Value>,
        ranks: u32,
        params: Option<u64>,
        links: &[String],
    ) -> Result<Self, ConfigError> {
        Self::build_on(value, ranks, params, links, &[])
    }

    /// [`Self::build`] for a job on `nodes` (a hierarchical ring when more than one).
    pub fn build_on(
        value: Option<toml::Value>,
        ranks: u32,
        params: Option<u64>,
        links: &[String],
        nodes: &[crate::config::cluster::NodeInfo],
    ) -> Result<Self, ConfigError> {
        let Some(value) = value else {
            return Ok(SyncPlan::none());
        };
        let (entry, table) = SYNCS.find(value, "workload.sync")?;
        let kind: &'static str = match entry.name {
            "ring" => "ring",
            "parameter_server" | "ps" => "parameter_server",
            _ => {
                registry::parse::<NoParams>(table, "workload.sync")?;
                return Ok(SyncPlan::none());
            }
        };
        let p: LinkParams = registry::parse(table, "workload.sync")?;
        let cluster = if nodes.len() > 1 {
            Some(cluster_ring(kind, &p, nodes, links)?)
        } else {
            None
        };
        let name = match (&p.link, &cluster) {
            (Some(l), _) => l.clone(),
            (None, Some(c)) => links[c.nic].clone(),
            (None, None) => {
                return Err(ConfigError::new(
                    "workload.sync.link",
                    "required: the [[links]] entry the gradient exchange crosses",
                ))
            }
        };
        let link = links.iter().position(|l| *l == name).ok_or_else(|| {
            ConfigError::new(
                "workload.sync.link",
                format!(
                    "no [[links]] entry named '{}'{}",
                    name,
                    if links.is_empty() {
                        String::new()
                    } else {
                        format!("; links: {}", links.join(", "))
                    }
                ),
            )
        })?;
        let bytes = match (p.bytes, params) {
            (Some(b), _) => b.0,
            (None, Some(n)) => n.saturating_mul(p.bytes_per_param),
            (None, None) => {
                return Err(ConfigError::new(
                    "workload.sync.bytes",
                    "required unless workload.params (the parameter count) is given",
                ))
            }
        };
        if bytes == 0 {
            return Err(ConfigError::new(
                "workload.sync.bytes",
                "must be greater than zero",
            ));
        }
        let n = ranks as u64;
        let (steps, step_bytes) = if kind == "ring" {
            if p.servers.is_some() {
                return Err(ConfigError::new(
                    "workload.sync.servers",
                    "only for kind = \"parameter_server\"",
                ));
            }
            (2 * (ranks - 1), bytes.div_ceil(n))
        } else {
            let k = p.servers.unwrap_or(1);
            if k == 0 {
                return Err(ConfigError::new(
                    "workload.sync.servers",
                    "must be at least 1",
                ));
            }
            let k = k as u64;
            (
                2,
                (bytes as u128 * n.max(k) as u128).div_ceil(k as u128) as u64,
            )
        };
        Ok(SyncPlan {
            kind,
            link: Some(link),
            steps,
            step_bytes,
            bytes,
            overhead: p.overhead.0,
            cluster,
        })
    }
}

/// The hierarchical ring over `nodes` (see the module doc).
fn cluster_ring(
    kind: &str,
    p: &LinkParams,
    nodes: &[crate::config::cluster::NodeInfo],
    links: &[String],
) -> Result<ClusterRing, ConfigError> {
    if kind != "ring" {
        return Err(ConfigError::new(
            "workload.sync.kind",
            "across the nodes of a [cluster] the exchange is a ring (a parameter server \
             over nodes is not modelled)",
        ));
    }
    let first = &nodes[0];
    if nodes
        .iter()
        .any(|n| n.gpus != first.gpus || n.nic != first.nic || n.intra_link != first.intra_link)
    {
        return Err(ConfigError::new(
            "workload.sync",
            "a ring across nodes needs the job's nodes alike (GPUs, nic, intra_link)",
        ));
    }
    let Some(nic) = first.nic else {
        return Err(ConfigError::new(
            "workload.sync",
            "a ring across nodes crosses their NICs: give [[cluster.nodes]] a nic",
        ));
    };
    if p.link.as_ref().is_some_and(|l| *l != links[nic]) {
        return Err(ConfigError::new(
            "workload.sync.link",
            format!(
                "on a cluster the ring crosses the nodes' NIC '{}' (leave link out)",
                links[nic]
            ),
        ));
    }
    Ok(ClusterRing {
        nic,
        intra: first.intra_link,
        gpus: first.gpus,
        nodes: nodes.len() as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<toml::Value> {
        Some(toml::from_str::<toml::Table>(s).unwrap().into())
    }

    #[test]
    fn ring_is_two_n_minus_one_steps_of_s_over_n() {
        let links = vec!["net".to_string()];
        let p =
            SyncPlan::build(v("kind='ring'\nlink='net'\nbytes='100MB'"), 8, None, &links).unwrap();
        assert_eq!((p.steps, p.step_bytes), (14, 12_500_000));
        let p = SyncPlan::build(v("kind='ring'\nlink='net'"), 4, Some(1000), &links).unwrap();
        assert_eq!((p.steps, p.step_bytes, p.bytes), (6, 1000, 4000));
        let p = SyncPlan::build(
            v("kind='parameter_server'\nlink='net'\nbytes=1000\nservers=2"),
            8,
            None,
            &links,
        )
        .unwrap();
        assert_eq!((p.steps, p.step_bytes), (2, 4000));
    }

    #[test]
    fn errors_name_the_key() {
        let links = vec!["net".to_string()];
        let e =
            SyncPlan::build(v("kind='ring'\nlink='eth'\nbytes=1"), 2, None, &links).unwrap_err();
        assert_eq!(e.path, "workload.sync.link");
        let e = SyncPlan::build(v("kind='ring'\nlink='net'"), 2, None, &links).unwrap_err();
        assert_eq!(e.path, "workload.sync.bytes");
        let e = SyncPlan::build(v("kind='tree'\nlink='net'"), 2, None, &links).unwrap_err();
        assert_eq!(e.path, "workload.sync.kind");
    }
}
