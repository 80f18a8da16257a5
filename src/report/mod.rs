//! Result files: summary.json (headline figures, identical for the same config and
//! seed), tiers.csv, latency.csv, latency_cdf.csv, timeseries.csv, the workload's own
//! tables, and manifest.json (resolved config, seed, version, commit, input digests,
//! wall-clock times). Every file is written to a temporary name and renamed.

pub mod manifest;

pub use manifest::{digest, Manifest};

use crate::device::DeviceModel;
use crate::engine::{secs, Time};
use crate::hierarchy::TierStats;
use crate::sim::{Outcome, Simulation};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, synced,
/// then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn device_json(
    name: &str,
    kind: &str,
    dev: &dyn DeviceModel,
    stats: Option<&TierStats>,
    end: Time,
) -> Value {
    let spec = dev.spec();
    let s = dev.stats();
    let t = secs(end).max(f64::MIN_POSITIVE);
    let energy_j = (s.media_bytes_read as f64 * spec.read_energy_pj_per_byte
        + s.media_bytes_written as f64 * spec.write_energy_pj_per_byte)
        * 1e-12;
    let requests = s.reads + s.writes;
    let mut v = json!({
        "name": name,
        "kind": kind,
        "reads": s.reads,
        "writes": s.writes,
        "bytes_read": s.bytes_read,
        "bytes_written": s.bytes_written,
        "media_bytes_read": s.media_bytes_read,
        "media_bytes_written": s.media_bytes_written,
        "write_amplification": if s.bytes_written > 0 { s.media_bytes_written as f64 / s.bytes_written as f64 } else { 1.0 },
        "busy_time_s": secs(s.busy_time),
        "utilisation": (secs(s.busy_time) / t).min(1.0),
        "bandwidth_utilisation": (secs(s.transfer_time) / t).min(1.0),
        "mean_queue_time_ns": if requests > 0 { s.queue_time as f64 / requests as f64 / 1e3 } else { 0.0 },
        "energy_j": energy_j,
        "wear_fraction": if spec.endurance_bytes > 0.0 { s.media_bytes_written as f64 / spec.endurance_bytes } else { 0.0 },
        "capacity_bytes": spec.capacity,
        "cost_usd": spec.capacity as f64 / 1e9 * spec.cost_per_gb,
    });
    if let Some(st) = stats {
        let lookups = st.hits + st.misses;
        let m = v.as_object_mut().expect("object");
        m.insert("hits".into(), json!(st.hits));
        m.insert("misses".into(), json!(st.misses));
        m.insert(
            "hit_ratio".into(),
            json!(if lookups > 0 {
                st.hits as f64 / lookups as f64
            } else {
                0.0
            }),
        );
        m.insert("served".into(), json!(st.served));
        m.insert("fills".into(), json!(st.fills));
        m.insert("evictions".into(), json!(st.evictions));
        m.insert("writebacks_in".into(), json!(st.writebacks_in));
        m.insert("migrations_in".into(), json!(st.migrations_in));
        m.insert("migrations_out".into(), json!(st.migrations_out));
    }
    v
}

/// The deterministic headline figures of a finished run.
pub fn summary(sim: &Simulation, out: &Outcome) -> Value {
    let tiers: Vec<Value> = sim
        .hier()
        .tiers
        .iter()
        .map(|t| device_json(&t.name, "tier", t.device.as_ref(), Some(&t.stats), out.end))
        .collect();
    let links: Vec<Value> = sim
        .hier()
        .links
        .iter()
        .map(|l| device_json(&l.name, "link", l.device.as_ref(), None, out.end))
        .collect();
    let mut latency = serde_json::Map::new();
    for (name, s) in sim.metrics().summaries() {
        latency.insert(name, serde_json::to_value(s).expect("serializable"));
    }
    let mut v = json!({
        "seed": sim.seed,
        "simulated_time_s": secs(out.end),
        "simulated_time_ps": out.end,
        "events": out.events,
        "finished": out.finished,
        "tiers": tiers,
        "links": links,
        "latency": latency,
        "workload": sim.workload.summary(out.end),
    });
    for (key, value) in sim.data.policies_summary() {
        v[key] = value;
    }
    v
}

/// tiers.csv: one row per tier and link with the same fields as summary.json.
pub fn tiers_csv(summary: &Value) -> String {
    let cols = [
        "name",
        "kind",
        "hits",
        "misses",
        "hit_ratio",
        "fills",
        "evictions",
        "writebacks_in",
        "migrations_in",
        "migrations_out",
        "reads",
        "writes",
        "bytes_read",
        "bytes_written",
        "media_bytes_read",
        "media_bytes_written",
        "write_amplification",
        "busy_time_s",
        "utilisation",
        "bandwidth_utilisation",
        "mean_queue_time_ns",
        "energy_j",
        "wear_fraction",
        "capacity_bytes",
        "cost_usd",
    ];
    let mut out = cols.join(",") + "\n";
    let rows = summary["tiers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(summary["links"].as_array().into_iter().flatten());
    for row in rows {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| match &row[*c] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        out += &(cells.join(",") + "\n");
    }
    out
}

/// latency.csv: percentiles per histogram, nanoseconds.
pub fn latency_csv(sim: &Simulation) -> String {
    let mut out = String::from("name,count,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns\n");
    for (n, s) in sim.metrics().summaries() {
        out += &format!(
            "{n},{},{},{},{},{},{},{}\n",
            s.count, s.mean_ns, s.p50_ns, s.p90_ns, s.p99_ns, s.p999_ns, s.max_ns
        );
    }
    out
}

/// latency_cdf.csv: the cumulative distribution of each histogram, for CDF plots.
pub fn latency_cdf_csv(sim: &Simulation) -> String {
    let mut out = String::from("name,latency_ns,cumulative_fraction\n");
    for (n, h) in sim.metrics().iter() {
        for v in h.iter_quantiles(5) {
            out += &format!(
                "{n},{},{}\n",
                v.value_iterated_to() as f64 / 1e3,
                v.quantile_iterated_to()
            );
        }
    }
    out
}

/// Writes every result file of a finished run into `dir` and returns the summary.
pub fn write_run(
    dir: &Path,
    sim: &Simulation,
    out: &Outcome,
    manifest: &Manifest,
) -> anyhow::Result<Value> {
    let s = summary(sim, out);
    let put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        write_atomic(&dir.join(name), bytes)
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", dir.join(name).display()))
    };
    put("tiers.csv", tiers_csv(&s).as_bytes())?;
    put("latency.csv", latency_csv(sim).as_bytes())?;
    put("latency_cdf.csv", latency_cdf_csv(sim).as_bytes())?;
    let names: Vec<String> = sim.hier().tiers.iter().map(|t| t.name.clone()).collect();
    put("timeseries.csv", sim.series.to_csv(&names).as_bytes())?;
    for (name, text) in sim.workload.tables(out.end) {
        put(&name, text.as_bytes())?;
    }
    put(
        "manifest.json",
        (serde_json::to_string_pretty(manifest)? + "\n").as_bytes(),
    )?;
    // summary.json last: its presence marks a complete result directory.
    put(
        "summary.json",
        (serde_json::to_string_pretty(&s)? + "\n").as_bytes(),
    )?;
    Ok(s)
}
