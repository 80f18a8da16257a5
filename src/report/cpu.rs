//! The host CPUs in the results: summary.json's `cpu` section (per node and per
//! storage server: cores, busy core-seconds by kind, utilisation), cpu.csv, the
//! terminal line and the runs.csv headline. Present only when the config models CPUs.

use crate::cpu::{CorePool, Cpu, Work};
use crate::engine::{secs, Time};
use serde::{Deserialize, Serialize};

/// summary.json's `cpu`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuSummary {
    /// One per node, in node order.
    pub nodes: Vec<CpuPoolSummary>,
    /// One per storage-tier instance with its own CPU (`server_*` keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<CpuPoolSummary>,
}

/// One pool of cores over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuPoolSummary {
    /// `node<i>` (a node's group in `group`), or the server's tier instance.
    pub name: String,
    pub group: String,
    /// Cores; absent: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<u32>,
    /// Core-seconds of work in all and by kind.
    pub busy_core_s: f64,
    pub preprocess_core_s: f64,
    pub protocol_core_s: f64,
    pub copy_core_s: f64,
    /// Busy core-seconds over the run time: cores busy on average.
    pub mean_busy_cores: f64,
    /// mean_busy_cores / cores, at most 1 (absent with unlimited cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utilisation: Option<f64>,
}

fn pool(name: String, group: String, p: &CorePool, end: Time) -> CpuPoolSummary {
    let t = secs(end).max(f64::MIN_POSITIVE);
    let core_s = |ps: u128| ps as f64 * 1e-12;
    let busy = core_s(p.busy_total());
    CpuPoolSummary {
        name,
        group,
        cores: p.cores,
        busy_core_s: busy,
        preprocess_core_s: core_s(p.busy[Work::Preprocess as usize]),
        protocol_core_s: core_s(p.busy[Work::Protocol as usize]),
        copy_core_s: core_s(p.busy[Work::Copy as usize]),
        mean_busy_cores: busy / t,
        utilisation: p.cores.map(|c| (busy / t / c as f64).min(1.0)),
    }
}

/// The CPU section of a run that ended at `end`, node `n` of group `groups[n]`.
pub fn summary(cpu: &Cpu, groups: &[String], end: Time) -> CpuSummary {
    CpuSummary {
        nodes: cpu
            .nodes
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let group = groups.get(n).cloned().unwrap_or_default();
                pool(format!("node{n}"), group, p, end)
            })
            .collect(),
        servers: cpu
            .servers
            .iter()
            .map(|(name, p)| pool(name.clone(), "server".into(), p, end))
            .collect(),
    }
}

impl CpuSummary {
    /// Every pool: nodes, then servers.
    pub fn pools(&self) -> impl Iterator<Item = &CpuPoolSummary> {
        self.nodes.iter().chain(&self.servers)
    }

    /// cpu.csv: one row per pool.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "pool,name,group,cores,busy_core_s,preprocess_core_s,protocol_core_s,\
             copy_core_s,mean_busy_cores,utilisation\n",
        );
        let opt = |v: Option<String>| v.unwrap_or_default();
        for (kind, list) in [("node", &self.nodes), ("server", &self.servers)] {
            for p in list {
                out += &format!(
                    "{kind},{},{},{},{},{},{},{},{},{}\n",
                    p.name,
                    p.group,
                    opt(p.cores.map(|c| c.to_string())),
                    p.busy_core_s,
                    p.preprocess_core_s,
                    p.protocol_core_s,
                    p.copy_core_s,
                    p.mean_busy_cores,
                    opt(p.utilisation.map(|u| u.to_string())),
                );
            }
        }
        out
    }

    /// The terminal lines: the nodes' mean and highest utilisation (or mean busy
    /// cores when unlimited) and busy core-seconds by kind; a line per server.
    pub fn describe(&self) -> String {
        let line = |label: &str, ps: &[CpuPoolSummary]| {
            let n = ps.len().max(1) as f64;
            let sum = |f: fn(&CpuPoolSummary) -> f64| ps.iter().map(f).sum::<f64>();
            let util: Vec<f64> = ps.iter().filter_map(|p| p.utilisation).collect();
            let load = if util.len() == ps.len() && !util.is_empty() {
                let max = util.iter().cloned().fold(0.0, f64::max);
                format!(
                    "util {:.1}% (max {:.1}%)",
                    100.0 * util.iter().sum::<f64>() / n,
                    100.0 * max
                )
            } else {
                format!(
                    "{:.2} cores busy on average",
                    sum(|p| p.mean_busy_cores) / n
                )
            };
            format!(
                "cpu {label}: {load}; core-s preprocess {:.3}, protocol {:.3}, copy {:.3}\n",
                sum(|p| p.preprocess_core_s),
                sum(|p| p.protocol_core_s),
                sum(|p| p.copy_core_s)
            )
        };
        let mut out = line(
            &format!(
                "{} node{}",
                self.nodes.len(),
                if self.nodes.len() == 1 { "" } else { "s" }
            ),
            &self.nodes,
        );
        for s in &self.servers {
            out += &line(&format!("server {}", s.name), std::slice::from_ref(s));
        }
        out
    }

    /// runs.csv headline cells: the nodes' mean utilisation (or mean busy cores) and
    /// each server's.
    pub fn headline(&self, out: &mut Vec<(String, f64)>) {
        let n = self.nodes.len().max(1) as f64;
        if self.nodes.iter().all(|p| p.utilisation.is_some()) {
            let u = self.nodes.iter().filter_map(|p| p.utilisation).sum::<f64>() / n;
            out.push(("cpu.node_utilisation".into(), u));
        }
        let busy = self.nodes.iter().map(|p| p.mean_busy_cores).sum::<f64>() / n;
        out.push(("cpu.node_mean_busy_cores".into(), busy));
        for s in &self.servers {
            if let Some(u) = s.utilisation {
                out.push((format!("cpu.{}.utilisation", s.name), u));
            }
        }
    }
}
