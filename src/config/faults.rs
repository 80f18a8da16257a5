//! The fault schedule's config: `[[faults]]` entries (what fails, how and when),
//! `[reader]` (what a reader does with a read it cannot complete) and `[replicas]`
//! (tiers that keep several copies of every object). Checked here with errors that
//! name the key path (`faults[2].duration`); resolved against the model's tiers, links
//! and nodes by [`crate::fault::FaultPlan::resolve`].

use super::{ConfigError, Duration};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a fault does.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The target is unavailable for a window (or recurring windows).
    Outage,
    /// Fail-slow: latency multiplied and/or bandwidth divided by a factor in a window.
    Slow,
    /// Each read fails with a probability; retried with a backoff up to a limit.
    Errors,
    /// A node dies: its jobs restart from their last checkpoint, its caches empty.
    NodeFailure,
}

impl FaultKind {
    /// The name used in configs and faults.csv.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Outage => "outage",
            FaultKind::Slow => "slow",
            FaultKind::Errors => "errors",
            FaultKind::NodeFailure => "node_failure",
        }
    }
}

/// One `[[faults]]` entry (docs/faults.md lists every key).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultEntry {
    pub kind: FaultKind,
    /// A tier by name: every instance of it, or node `node`'s with `node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// A link by name: every instance of it, or node `node`'s with `node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A node index: the node that fails (`node_failure`; absent: every node, each
    /// on its own), or that node's instance of `tier`/`link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<u16>,
    /// One copy of a tier declared in `[replicas]` (absent: every copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
    /// Start of the (first) window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Duration>,
    /// Length of a one-off window (outage, slow, errors; absent: to the end of the run
    /// for slow and errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Recurring: mean time between failures (exponential, a named random stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtbf: Option<Duration>,
    /// Recurring outages: mean time to repair (exponential).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mttr: Option<Duration>,
    /// Slow: every request's latency times this (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_factor: Option<f64>,
    /// Slow: the bandwidth divided by this (>= 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth_factor: Option<f64>,
    /// Errors: probability that one read attempt fails, in [0, 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Errors: retries after the first attempt before the read is lost; default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Errors: wait before the first retry, doubled for each further one; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Duration>,
    /// Node failure: time from the failure until the job runs again; default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_delay: Option<Duration>,
}

/// What a reader does when a read cannot be completed (`[reader] on_loss`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum OnLoss {
    /// Retry until the target is back.
    #[default]
    Wait,
    /// Go on without the sample (up to `skip_budget` per epoch, then wait).
    Skip,
    /// Read another copy (a tier in `[replicas]`); wait when every copy is out.
    Replica,
}

/// `[reader]`: the readers' behaviour on loss.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    #[serde(default)]
    pub on_loss: OnLoss,
    /// Samples a training job may skip per epoch before it waits (absent: no limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_budget: Option<u64>,
}

/// `[replicas]`: tier name -> copies of every object (>= 1).
pub type ReplicasConfig = BTreeMap<String, u32>;

/// Checks one entry's keys against its kind; `i` is its index in `[[faults]]`.
pub fn check_entry(e: &FaultEntry, i: usize) -> Result<(), ConfigError> {
    let path = |k: &str| format!("faults[{i}].{k}");
    let err = |k: &str, m: &str| Err(ConfigError::new(path(k), m.to_string()));
    let kind = e.kind;
    let node_failure = kind == FaultKind::NodeFailure;
    match (node_failure, &e.tier, &e.link) {
        (true, Some(_), _) => return err("tier", "a node_failure names a node, not a tier"),
        (true, _, Some(_)) => return err("link", "a node_failure names a node, not a link"),
        (false, Some(_), Some(_)) => return err("link", "give a tier or a link, not both"),
        (false, None, None) => {
            return Err(ConfigError::new(
                format!("faults[{i}]"),
                format!(
                    "a {} fault needs a target: tier = \"...\" or link = \"...\"",
                    kind.name()
                ),
            ))
        }
        _ => {}
    }
    if e.replica.is_some() && e.tier.is_none() {
        return err(
            "replica",
            "only a tier (declared in [replicas]) has replicas",
        );
    }
    let recurring = e.mtbf.is_some();
    if recurring && e.duration.is_some() {
        return err(
            "duration",
            "give duration (one window) or mtbf (recurring), not both",
        );
    }
    for (k, d) in [("mtbf", e.mtbf), ("mttr", e.mttr), ("duration", e.duration)] {
        if d.is_some_and(|d| d.0 == 0) {
            return err(k, "must be greater than zero");
        }
    }
    match kind {
        FaultKind::Outage => {
            if recurring && e.mttr.is_none() {
                return err(
                    "mttr",
                    "a recurring outage needs mttr (mean time to repair)",
                );
            }
            if !recurring && (e.start.is_none() || e.duration.is_none()) {
                let k = if e.start.is_none() {
                    "start"
                } else {
                    "duration"
                };
                return err(k, "an outage needs start and duration, or mtbf and mttr");
            }
        }
        FaultKind::Slow => {
            if e.latency_factor.is_none() && e.bandwidth_factor.is_none() {
                return err(
                    "latency_factor",
                    "a slow fault needs latency_factor or bandwidth_factor",
                );
            }
            for (k, f) in [
                ("latency_factor", e.latency_factor),
                ("bandwidth_factor", e.bandwidth_factor),
            ] {
                if f.is_some_and(|f| !(1.0..=1e9).contains(&f)) {
                    return err(k, "must be a factor between 1 and 1e9");
                }
            }
            if recurring {
                return err("mtbf", "a slow fault is one window: start and duration");
            }
        }
        FaultKind::Errors => match e.probability {
            None => {
                return err(
                    "probability",
                    "an errors fault needs probability (per read attempt)",
                )
            }
            Some(p) if !(0.0..1.0).contains(&p) => {
                return err("probability", "must be at least 0 and below 1")
            }
            _ if recurring => {
                return err("mtbf", "an errors fault is one window: start and duration")
            }
            _ => {}
        },
        FaultKind::NodeFailure => {
            if e.mttr.is_some() {
                return err(
                    "mttr",
                    "a node failure lasts restart_delay; mttr is for outages",
                );
            }
            if !recurring && e.start.is_none() {
                return err("start", "a node_failure needs start (when) or mtbf");
            }
            if e.duration.is_some() {
                return err("duration", "a node failure lasts restart_delay");
            }
        }
    }
    let only = |k: &str, set: bool, kinds: &str| -> Result<(), ConfigError> {
        if set {
            return Err(ConfigError::new(
                path(k),
                format!("only for {kinds} faults"),
            ));
        }
        Ok(())
    };
    only(
        "latency_factor",
        e.latency_factor.is_some() && kind != FaultKind::Slow,
        "slow",
    )?;
    only(
        "bandwidth_factor",
        e.bandwidth_factor.is_some() && kind != FaultKind::Slow,
        "slow",
    )?;
    for (k, set) in [
        ("probability", e.probability.is_some()),
        ("retries", e.retries.is_some()),
        ("backoff", e.backoff.is_some()),
    ] {
        only(k, set && kind != FaultKind::Errors, "errors")?;
    }
    only(
        "restart_delay",
        e.restart_delay.is_some() && !node_failure,
        "node_failure",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(s: &str) -> Result<(), ConfigError> {
        let e: FaultEntry = crate::config::parse_table(toml::from_str(s).unwrap(), "faults[0]")?;
        check_entry(&e, 0)
    }

    #[test]
    fn bad_entries_name_their_key() {
        let e = entry("kind='outage'\ntier='nvme'\nstart='1s'").unwrap_err();
        assert_eq!(e.path, "faults[0].duration");
        let e = entry("kind='outage'\nstart='1s'\nduration='1s'").unwrap_err();
        assert_eq!(e.path, "faults[0]");
        let e = entry("kind='errors'\ntier='nvme'\nprobability=1.0").unwrap_err();
        assert_eq!(e.path, "faults[0].probability");
        let e = entry("kind='slow'\ntier='nvme'\nstart='1s'\nlatency_factor=0.5").unwrap_err();
        assert_eq!(e.path, "faults[0].latency_factor");
        let e = entry("kind='node_failure'\nmtbf='1h'\nmttr='1s'").unwrap_err();
        assert_eq!(e.path, "faults[0].mttr");
        let e = entry("kind='outage'\ntier='x'\nmtbf='1h'").unwrap_err();
        assert_eq!(e.path, "faults[0].mttr");
        let e = entry("kind='outage'\ntier='x'\nstart='1s'\nduration='2s'\nretries=2").unwrap_err();
        assert_eq!(e.path, "faults[0].retries");
        let e = entry("kind='outage'\ntier='x'\nstart='1s'\nduration='2s'\nbogus=2").unwrap_err();
        assert!(e.msg.contains("bogus"), "{e}");
        entry("kind='outage'\ntier='x'\nstart='1s'\nduration='2s'").unwrap();
        entry("kind='node_failure'\nnode=3\nmtbf='100h'\nrestart_delay='10min'").unwrap();
    }
}
