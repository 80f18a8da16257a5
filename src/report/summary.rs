//! summary.json as one typed value, [`RunSummary`]. summary.json is its serde
//! serialisation, and tiers.csv, latency.csv, runs.csv's headline metrics and the
//! terminal description are derived from it, so no reader looks a field up by a string
//! that could silently miss. Reading a summary.json back ([`RunSummary::from_json`])
//! fails on a missing or renamed field instead of reading zeros.

use crate::metrics::LatencySummary;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::path::Path;

/// The deterministic headline figures of a finished run (summary.json).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    pub seed: u64,
    pub simulated_time_s: f64,
    pub simulated_time_ps: u64,
    /// Events handled (samples included).
    pub events: u64,
    /// Whether the workload finished (rather than stopping at `sim.duration`).
    pub finished: bool,
    /// The tiers, fastest first.
    pub tiers: Vec<TierSummary>,
    pub links: Vec<DeviceSummary>,
    /// Latency per histogram (read, write, then the workload's), in creation order.
    pub latency: Named<LatencySummary>,
    /// The workload's own headline figures (a JSON object; its fields vary by kind).
    pub workload: Value,
    /// The migration policy's figures, when `[migration]` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Value>,
    /// The prefetcher's figures, when `[prefetch]` is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<Value>,
    /// What a reader of these figures should know (see `report::warnings`); absent
    /// when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Per node of a `[cluster]` with more than one node (absent otherwise): nodes.csv.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeSummary>,
    /// Per job of a `[[jobs]]` config (absent otherwise): jobs.csv.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobSummary>,
    /// The fault schedule's figures, when `[[faults]]` is configured: faults.csv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Value>,
    /// The host CPUs, when the config models them (absent otherwise): cpu.csv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<super::cpu::CpuSummary>,
}

/// One job's figures (a `[[jobs]]` entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSummary {
    pub name: String,
    pub kind: String,
    /// Node indices it ran on.
    pub nodes: Vec<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_dataset: Option<String>,
    pub start_s: f64,
    /// When it finished (the run's end if it did not).
    pub end_s: f64,
    pub run_time_s: f64,
    pub finished: bool,
    /// The workload's headline rate (samples/s, requests/s, ...), if it has one, and
    /// its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_unit: Option<String>,
    /// Training jobs: the job-level stall fraction and accelerator utilisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall_fraction: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub au: Option<f64>,
    /// Where its accesses were served, per tier.
    pub tiers: Vec<JobTierSummary>,
    /// Its run time alone and its slowdown (run time here over alone), with
    /// `sim.run_jobs_alone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alone_run_time_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowdown: Option<f64>,
    /// Its own figures (as the `workload` of a run of it alone).
    pub workload: Value,
}

/// One job's accesses at one tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobTierSummary {
    pub tier: String,
    /// Accesses served here, their bytes, and hits over the accesses that reached
    /// this tier (served here or below).
    pub served: u64,
    pub bytes: u64,
    pub hit_ratio: f64,
}

/// One node's figures: where its accesses were served, its tier instances' hits, its
/// NIC's traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSummary {
    pub node: u32,
    pub group: String,
    /// Accesses made on this node and their bytes.
    pub accesses: u64,
    pub bytes: u64,
    /// Served by this node's own tier instances, by another node's (a cluster-scope
    /// cache, over both NICs), by a shared tier (over the NIC and the fabric).
    pub served_local: u64,
    pub served_remote: u64,
    pub served_shared: u64,
    /// Hits in this node's instance of each node or cluster tier, by tier name.
    pub hits: std::collections::BTreeMap<String, u64>,
    /// The node's NIC (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nic: Option<DeviceSummary>,
}

/// Whether a device row is a tier or a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Tier,
    Link,
}

/// What every device reports: its traffic, time, energy, wear and cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub name: String,
    pub kind: DeviceKind,
    pub reads: u64,
    pub writes: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub media_bytes_read: u64,
    pub media_bytes_written: u64,
    pub write_amplification: f64,
    pub busy_time_s: f64,
    pub utilisation: f64,
    pub bandwidth_utilisation: f64,
    pub mean_queue_time_ns: f64,
    pub energy_j: f64,
    pub wear_fraction: f64,
    pub capacity_bytes: u64,
    pub cost_usd: f64,
}

/// What a tier reports beyond its device: lookups and object movements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheSummary {
    pub hits: u64,
    pub misses: u64,
    pub hit_ratio: f64,
    pub served: u64,
    pub fills: u64,
    pub evictions: u64,
    pub writebacks_in: u64,
    pub migrations_in: u64,
    pub migrations_out: u64,
}

/// A tier: its device's figures followed by its cache figures, in one JSON object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierSummary {
    #[serde(flatten)]
    pub device: DeviceSummary,
    #[serde(flatten)]
    pub cache: CacheSummary,
}

/// A map that keeps its insertion order: a JSON object of `name -> V`.
#[derive(Clone, Debug, PartialEq)]
pub struct Named<V>(pub Vec<(String, V)>);

impl<V> Default for Named<V> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<V> Named<V> {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&V> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v))
    }
}

impl<V: Serialize> Serialize for Named<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Named<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Named<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of named entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Named<V>, A::Error> {
                let mut out: Vec<(String, V)> = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, V>()? {
                    if out.iter().any(|(n, _)| *n == k) {
                        return Err(serde::de::Error::custom(format!("duplicate entry `{k}`")));
                    }
                    out.push((k, v));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// A headline metric: the field's name in summary.json and how to read it.
pub type Metric<T> = (&'static str, fn(&T) -> f64);

/// A number as summary.json writes it; None for NaN and infinities (JSON null).
fn number(x: f64) -> Option<String> {
    serde_json::Number::from_f64(x).map(|n| n.to_string())
}

/// Every number or boolean under `v`, as (`prefix.key.key`, cell), in order.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        _ => {}
    }
}

impl RunSummary {
    /// Headline metrics of the run itself (runs.csv column: the field name).
    pub const RUN_HEADLINE: &'static [Metric<RunSummary>] =
        &[("simulated_time_s", |s| s.simulated_time_s)];
    /// Headline metrics of each tier (column `tier.<name>.<field>`).
    pub const TIER_HEADLINE: &'static [Metric<TierSummary>] = &[
        ("hit_ratio", |t| t.cache.hit_ratio),
        ("utilisation", |t| t.device.utilisation),
    ];
    /// Headline metrics of each link (column `link.<name>.<field>`).
    pub const LINK_HEADLINE: &'static [Metric<DeviceSummary>] =
        &[("utilisation", |l| l.utilisation)];
    /// Headline metrics of each latency histogram (column `latency.<name>.<field>`).
    pub const LATENCY_HEADLINE: &'static [Metric<LatencySummary>] =
        &[("mean_ns", |h| h.mean_ns), ("p99_ns", |h| h.p99_ns)];

    /// Parses a summary.json; a missing, renamed or mistyped field is an error that
    /// names where it is.
    pub fn from_json(bytes: &[u8]) -> anyhow::Result<Self> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            anyhow::anyhow!("{at}: {}", e.into_inner())
        })
    }

    /// Reads and parses the summary.json at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Self::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// summary.json's text: pretty JSON and a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary serialises") + "\n"
    }

    /// The tiers, then the links, as device figures.
    pub fn devices(&self) -> impl Iterator<Item = &DeviceSummary> {
        self.tiers.iter().map(|t| &t.device).chain(&self.links)
    }

    /// The headline metrics of runs.csv as (column, cell), in summary order:
    /// [`Self::RUN_HEADLINE`], per tier [`Self::TIER_HEADLINE`], per link
    /// [`Self::LINK_HEADLINE`], per histogram [`Self::LATENCY_HEADLINE`], then every
    /// number or boolean of the workload's figures as `workload.<key>` (nested objects
    /// joined with dots), then per job `job.<name>.<field>` (run time, throughput,
    /// stall fraction, AU, slowdown, hit ratio per tier).
    pub fn headline(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |col: String, x: f64| {
            if let Some(c) = number(x) {
                out.push((col, c));
            }
        };
        for (field, get) in Self::RUN_HEADLINE {
            put(field.to_string(), get(self));
        }
        for t in &self.tiers {
            for (field, get) in Self::TIER_HEADLINE {
                put(format!("tier.{}.{field}", t.device.name), get(t));
            }
        }
        for l in &self.links {
            for (field, get) in Self::LINK_HEADLINE {
                put(format!("link.{}.{field}", l.name), get(l));
            }
        }
        for (name, h) in self.latency.iter() {
            for (field, get) in Self::LATENCY_HEADLINE {
                put(format!("latency.{name}.{field}"), get(h));
            }
        }
        if let Some(c) = &self.cpu {
            let mut cells = Vec::new();
            c.headline(&mut cells);
            for (col, x) in cells {
                put(col, x);
            }
        }
        flatten("workload", &self.workload, &mut out);
        if let Some(f) = &self.faults {
            flatten("faults", f, &mut out);
        }
        for j in &self.jobs {
            let mut put = |field: &str, x: Option<f64>| {
                if let Some(c) = x.and_then(number) {
                    out.push((format!("job.{}.{field}", j.name), c));
                }
            };
            put("run_time_s", Some(j.run_time_s));
            put("throughput", j.throughput);
            put("stall_fraction", j.stall_fraction);
            put("au", j.au);
            put("slowdown", j.slowdown);
            for t in &j.tiers {
                put(&format!("{}_hit_ratio", t.tier), Some(t.hit_ratio));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str, kind: DeviceKind, utilisation: f64) -> DeviceSummary {
        DeviceSummary {
            name: name.into(),
            kind,
            reads: 3,
            writes: 1,
            bytes_read: 3 * 4096,
            bytes_written: 4096,
            media_bytes_read: 3 * 4096,
            media_bytes_written: 4096,
            write_amplification: 1.0,
            busy_time_s: 0.5,
            utilisation,
            bandwidth_utilisation: utilisation,
            mean_queue_time_ns: 0.0,
            energy_j: 0.0,
            wear_fraction: 0.0,
            capacity_bytes: 1 << 20,
            cost_usd: 0.0,
        }
    }

    fn tier(name: &str, hits: u64, misses: u64, utilisation: f64) -> TierSummary {
        TierSummary {
            device: device(name, DeviceKind::Tier, utilisation),
            cache: CacheSummary {
                hits,
                misses,
                hit_ratio: hits as f64 / (hits + misses) as f64,
                served: hits,
                fills: misses,
                evictions: 0,
                writebacks_in: 0,
                migrations_in: 0,
                migrations_out: 0,
            },
        }
    }

    fn latency(mean_ns: f64, p99_ns: f64) -> LatencySummary {
        LatencySummary {
            count: 4,
            mean_ns,
            p50_ns: mean_ns,
            p90_ns: p99_ns,
            p99_ns,
            p999_ns: p99_ns,
            max_ns: p99_ns,
        }
    }

    fn sample() -> RunSummary {
        RunSummary {
            seed: 1,
            simulated_time_s: 2.5,
            simulated_time_ps: 2_500_000_000_000,
            events: 9,
            finished: true,
            tiers: vec![tier("dram", 1, 3, 0.25), tier("nvme", 3, 0, 1.0)],
            links: vec![device("net", DeviceKind::Link, 0.1)],
            // Not in alphabetical order: the order of creation must survive.
            latency: Named(vec![
                ("write".into(), latency(20.0, 40.0)),
                ("read".into(), latency(10.0, 99.0)),
            ]),
            workload: serde_json::json!({
                "kind": "x", "throughput": 7.5, "epoch": {"time_s": 1.0}, "done": true
            }),
            migration: None,
            prefetch: Some(serde_json::json!({"kind": "none"})),
            warnings: Vec::new(),
            nodes: Vec::new(),
            jobs: Vec::new(),
            faults: None,
            cpu: None,
        }
    }

    #[test]
    fn headline_lists_each_metric_once_in_summary_order() {
        let h = sample().headline();
        let cols: Vec<&str> = h.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            cols,
            [
                "simulated_time_s",
                "tier.dram.hit_ratio",
                "tier.dram.utilisation",
                "tier.nvme.hit_ratio",
                "tier.nvme.utilisation",
                "link.net.utilisation",
                "latency.write.mean_ns",
                "latency.write.p99_ns",
                "latency.read.mean_ns",
                "latency.read.p99_ns",
                "workload.throughput",
                "workload.epoch.time_s",
                "workload.done",
            ]
        );
        let cell = |k: &str| h.iter().find(|(c, _)| c == k).unwrap().1.as_str();
        // 1 hit in 4 lookups.
        assert_eq!(cell("tier.dram.hit_ratio"), "0.25");
        assert_eq!(cell("tier.nvme.hit_ratio"), "1.0");
        assert_eq!(cell("latency.read.p99_ns"), "99.0");
        assert_eq!(cell("workload.done"), "true");
    }

    #[test]
    fn json_round_trip_keeps_order_and_omits_absent_sections() {
        let s = sample();
        let text = s.to_json();
        assert!(text.find("\"write\"").unwrap() < text.find("\"read\"").unwrap());
        assert!(
            !text.contains("\"migration\""),
            "an absent section is omitted"
        );
        // Links carry no cache fields.
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(v["links"][0].get("hits").is_none());
        assert_eq!(v["tiers"][0]["hits"], 1);
        assert_eq!(RunSummary::from_json(text.as_bytes()).unwrap(), s);
    }

    #[test]
    fn a_duplicate_histogram_name_is_an_error() {
        let r: Result<Named<u32>, _> = serde_json::from_str(r#"{"a": 1, "a": 2}"#);
        assert!(r.unwrap_err().to_string().contains("duplicate entry `a`"));
    }
}
