//! Result files: summary.json (headline figures, identical for the same config and
//! seed), tiers.csv, latency.csv, latency_cdf.csv, timeseries.csv, the workload's own
//! tables, and manifest.json (resolved config, seed, version, commit, input digests,
//! wall-clock times). summary.json is one typed [`RunSummary`]; tiers.csv and
//! latency.csv are derived from it. Every file goes through [`crate::atomic`].

pub mod cpu;
mod describe;
mod gather;
pub mod manifest;
pub mod summary;
pub mod warnings;

pub use describe::describe;
pub use gather::{aggregate, sim_tables};
pub use manifest::{digest, Manifest};
pub use summary::{
    CacheSummary, DeviceKind, DeviceSummary, JobSummary, JobTierSummary, Named, NodeSummary,
    RunSummary, TierSummary,
};

use crate::atomic::write_atomic;
use crate::sim::{Outcome, Simulation};
use serde_json::Value;
use std::path::Path;

/// summary.json of a finished simulation as a JSON value (for JSON-pointer lookups).
pub fn summary(sim: &Simulation, out: &Outcome) -> Value {
    serde_json::to_value(RunSummary::from_sim(sim, out)).expect("a summary serialises")
}

/// The text of a JSON value as a CSV cell: strings bare, null empty.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// tiers.csv: one row per tier, then per link, with every field summary.json gives it,
/// in summary.json's order (the union of the rows' fields; a link leaves the tier-only
/// cells empty).
pub fn tiers_csv(s: &RunSummary) -> String {
    let rows: Vec<serde_json::Map<String, Value>> = s
        .tiers
        .iter()
        .map(serde_json::to_value)
        .chain(s.links.iter().map(serde_json::to_value))
        .map(|v| match v.expect("a device summary serialises") {
            Value::Object(m) => m,
            other => panic!("a device summary is an object, not {other}"),
        })
        .collect();
    let mut cols: Vec<&str> = Vec::new();
    for k in rows.iter().flat_map(|r| r.keys()) {
        if !cols.contains(&k.as_str()) {
            cols.push(k);
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let record = |w: &mut csv::Writer<Vec<u8>>, cells: Vec<String>| {
        w.write_record(cells).expect("writing to memory")
    };
    record(&mut w, cols.iter().map(|c| c.to_string()).collect());
    for r in &rows {
        record(
            &mut w,
            cols.iter()
                .map(|c| r.get(*c).map(cell).unwrap_or_default())
                .collect(),
        );
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 cells")
}

/// nodes.csv: one row per node of a cluster: where its accesses were served, its
/// tier instances' hits (a `<tier>_hits` column each), its NIC's traffic.
pub fn nodes_csv(s: &RunSummary) -> String {
    let levels: Vec<&String> = s
        .nodes
        .first()
        .map(|n| n.hits.keys().collect())
        .unwrap_or_default();
    let mut out =
        String::from("node,group,accesses,bytes,served_local,served_remote,served_shared");
    for l in &levels {
        out += &format!(",{l}_hits");
    }
    out += ",nic,nic_bytes_read,nic_bytes_written,nic_utilisation,nic_mean_queue_time_ns";
    let cpu = s.cpu.as_ref().map(|c| &c.nodes);
    out += if cpu.is_some() {
        ",cpu_cores,cpu_busy_core_s,cpu_utilisation\n"
    } else {
        "\n"
    };
    for n in &s.nodes {
        out += &format!(
            "{},{},{},{},{},{},{}",
            n.node, n.group, n.accesses, n.bytes, n.served_local, n.served_remote, n.served_shared
        );
        for l in &levels {
            out += &format!(",{}", n.hits.get(*l).copied().unwrap_or(0));
        }
        match &n.nic {
            Some(d) => {
                out += &format!(
                    ",{},{},{},{},{}",
                    d.name, d.bytes_read, d.bytes_written, d.utilisation, d.mean_queue_time_ns
                )
            }
            None => out += ",,,,,",
        }
        if let Some(p) = cpu.and_then(|c| c.get(n.node as usize)) {
            let opt = |v: Option<String>| v.unwrap_or_default();
            out += &format!(
                ",{},{},{}",
                opt(p.cores.map(|c| c.to_string())),
                p.busy_core_s,
                opt(p.utilisation.map(|u| u.to_string()))
            );
        }
        out += "\n";
    }
    out
}

/// jobs.csv: one row per job: when it ran, its rate, stall and AU (training), its
/// slowdown against running alone (with `sim.run_jobs_alone`), and per tier its hit
/// ratio and bytes (`<tier>_hit_ratio`, `<tier>_bytes`).
pub fn jobs_csv(s: &RunSummary) -> String {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<String> = [
        "job",
        "kind",
        "nodes",
        "shared_dataset",
        "start_s",
        "end_s",
        "run_time_s",
        "finished",
        "throughput",
        "throughput_unit",
        "stall_fraction",
        "au",
        "alone_run_time_s",
        "slowdown",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    if let Some(j) = s.jobs.first() {
        for t in &j.tiers {
            head.push(format!("{}_hit_ratio", t.tier));
            head.push(format!("{}_bytes", t.tier));
        }
    }
    w.write_record(&head).expect("writing to memory");
    for j in &s.jobs {
        let nodes: Vec<String> = j.nodes.iter().map(|n| n.to_string()).collect();
        let mut row = vec![
            j.name.clone(),
            j.kind.clone(),
            nodes.join(" "),
            j.shared_dataset.clone().unwrap_or_default(),
            j.start_s.to_string(),
            j.end_s.to_string(),
            j.run_time_s.to_string(),
            j.finished.to_string(),
            opt(j.throughput),
            j.throughput_unit.clone().unwrap_or_default(),
            opt(j.stall_fraction),
            opt(j.au),
            opt(j.alone_run_time_s),
            opt(j.slowdown),
        ];
        for t in &j.tiers {
            row.push(t.hit_ratio.to_string());
            row.push(t.bytes.to_string());
        }
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 cells")
}

/// latency.csv: percentiles per histogram, nanoseconds.
pub fn latency_csv(s: &RunSummary) -> String {
    let mut out = String::from("name,count,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns\n");
    for (n, l) in s.latency.iter() {
        out += &format!(
            "{n},{},{},{},{},{},{},{}\n",
            l.count, l.mean_ns, l.p50_ns, l.p90_ns, l.p99_ns, l.p999_ns, l.max_ns
        );
    }
    out
}

/// Writes every result file of a finished run into `dir` and returns the summary.
pub fn write_run(
    dir: &Path,
    sim: &Simulation,
    out: &Outcome,
    manifest: &Manifest,
) -> anyhow::Result<RunSummary> {
    let s = RunSummary::from_sim(sim, out);
    let put = |name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        write_atomic(&dir.join(name), bytes).map_err(|e| anyhow::anyhow!("cannot write {e}"))
    };
    put("tiers.csv", tiers_csv(&s).as_bytes())?;
    put("latency.csv", latency_csv(&s).as_bytes())?;
    if !s.nodes.is_empty() {
        put("nodes.csv", nodes_csv(&s).as_bytes())?;
    }
    if !s.jobs.is_empty() {
        put("jobs.csv", jobs_csv(&s).as_bytes())?;
    }
    if let Some(c) = &s.cpu {
        put("cpu.csv", c.csv().as_bytes())?;
    }
    for (name, text) in sim_tables(sim, out) {
        put(&name, text.as_bytes())?;
    }
    put(
        "manifest.json",
        (serde_json::to_string_pretty(manifest)? + "\n").as_bytes(),
    )?;
    // summary.json last: its presence marks a complete result directory.
    put("summary.json", s.to_json().as_bytes())?;
    Ok(s)
}
