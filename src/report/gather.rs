//! The one place that reads a finished [`Simulation`]: its figures into a
//! [`RunSummary`], and the tables that need more than the summary (latency CDFs, the
//! time series, the workload's own tables). Everything else in [`crate::report`]
//! works from these.

use super::summary::{
    CacheSummary, DeviceKind, DeviceSummary, JobSummary, JobTierSummary, Named, NodeSummary,
    RunSummary, TierSummary,
};
use crate::device::{DeviceSpec, DeviceStats};
use crate::engine::{secs, Time};
use crate::hierarchy::TierStats;
use crate::sim::{Outcome, Simulation};

/// A device's figures over a run that ended at `end`.
fn device(
    name: &str,
    kind: DeviceKind,
    spec: &DeviceSpec,
    s: &DeviceStats,
    end: Time,
) -> DeviceSummary {
    let t = secs(end).max(f64::MIN_POSITIVE);
    let requests = s.reads + s.writes;
    DeviceSummary {
        name: name.to_string(),
        kind,
        reads: s.reads,
        writes: s.writes,
        bytes_read: s.bytes_read,
        bytes_written: s.bytes_written,
        media_bytes_read: s.media_bytes_read,
        media_bytes_written: s.media_bytes_written,
        write_amplification: if s.bytes_written > 0 {
            s.media_bytes_written as f64 / s.bytes_written as f64
        } else {
            1.0
        },
        busy_time_s: secs(s.busy_time),
        utilisation: (secs(s.busy_time) / t).min(1.0),
        bandwidth_utilisation: (secs(s.transfer_time) / t).min(1.0),
        mean_queue_time_ns: if requests > 0 {
            s.queue_time as f64 / requests as f64 / 1e3
        } else {
            0.0
        },
        energy_j: (s.media_bytes_read as f64 * spec.read_energy_pj_per_byte
            + s.media_bytes_written as f64 * spec.write_energy_pj_per_byte)
            * 1e-12,
        wear_fraction: if spec.endurance_bytes > 0.0 {
            s.media_bytes_written as f64 / spec.endurance_bytes
        } else {
            0.0
        },
        capacity_bytes: spec.capacity,
        cost_usd: spec.capacity as f64 / 1e9 * spec.cost_per_gb,
    }
}

/// A tier's lookup and movement counters.
fn cache(st: &TierStats) -> CacheSummary {
    let lookups = st.hits + st.misses;
    CacheSummary {
        hits: st.hits,
        misses: st.misses,
        hit_ratio: if lookups > 0 {
            st.hits as f64 / lookups as f64
        } else {
            0.0
        },
        served: st.served,
        fills: st.fills,
        evictions: st.evictions,
        writebacks_in: st.writebacks_in,
        migrations_in: st.migrations_in,
        migrations_out: st.migrations_out,
    }
}

/// The sum of several instances' counters, with busy and transfer time averaged (so
/// utilisation is the instances' mean).
pub fn aggregate<'a>(stats: impl Iterator<Item = &'a DeviceStats>) -> DeviceStats {
    let mut sum = DeviceStats::default();
    let mut k = 0u64;
    for s in stats {
        k += 1;
        sum.reads += s.reads;
        sum.writes += s.writes;
        sum.bytes_read += s.bytes_read;
        sum.bytes_written += s.bytes_written;
        sum.media_bytes_read += s.media_bytes_read;
        sum.media_bytes_written += s.media_bytes_written;
        sum.busy_time += s.busy_time;
        sum.transfer_time += s.transfer_time;
        sum.queue_time += s.queue_time;
    }
    sum.busy_time /= k.max(1);
    sum.transfer_time /= k.max(1);
    sum
}

/// The sum of several tier instances' lookup counters.
fn add_tier_stats(a: &mut TierStats, b: &TierStats) {
    a.hits += b.hits;
    a.misses += b.misses;
    a.served += b.served;
    a.fills += b.fills;
    a.evictions += b.evictions;
    a.writebacks_in += b.writebacks_in;
    a.migrations_in += b.migrations_in;
    a.migrations_out += b.migrations_out;
}

/// A cluster's tiers and links per config entry (every instance summed; capacity and
/// cost are the instances' total, utilisation their mean), and its nodes.
fn cluster_devices(
    sim: &Simulation,
    end: Time,
) -> (Vec<TierSummary>, Vec<DeviceSummary>, Vec<NodeSummary>) {
    let h = sim.hier();
    let topo = &h.topo;
    let scaled = |spec: &DeviceSpec, k: usize| DeviceSpec {
        capacity: spec.capacity.saturating_mul(k as u64),
        ..spec.clone()
    };
    let tiers = (0..topo.levels.len())
        .map(|l| {
            let r = topo.level_range(l);
            let insts = &h.tiers[r.clone()];
            let mut st = TierStats::default();
            insts.iter().for_each(|t| add_tier_stats(&mut st, &t.stats));
            let spec = scaled(insts[0].device.spec(), r.len());
            let stats = aggregate(insts.iter().map(|t| t.device.stats()));
            TierSummary {
                device: device(&topo.levels[l].name, DeviceKind::Tier, &spec, &stats, end),
                cache: cache(&st),
            }
        })
        .collect();
    let links = (0..topo.link_names.len())
        .map(|l| {
            let r = topo.link_range(l);
            let insts = &h.links[r.clone()];
            let spec = scaled(insts[0].device.spec(), r.len());
            let stats = aggregate(insts.iter().map(|x| x.device.stats()));
            device(&topo.link_names[l], DeviceKind::Link, &spec, &stats, end)
        })
        .collect();
    let nodes = h
        .nodes
        .iter()
        .enumerate()
        .map(|(n, ns)| {
            let hits = (0..topo.levels.len())
                .filter(|&l| topo.levels[l].scope != crate::config::cluster::Scope::Shared)
                .map(|l| {
                    let i = topo.own_instance(n, l);
                    (topo.levels[l].name.clone(), h.tiers[i].stats.hits)
                })
                .collect();
            let nic = topo.nic(n).map(|l| {
                let x = &h.links[l];
                device(
                    &x.name,
                    DeviceKind::Link,
                    x.device.spec(),
                    x.device.stats(),
                    end,
                )
            });
            NodeSummary {
                node: n as u32,
                group: topo.groups[n].clone(),
                accesses: ns.accesses,
                bytes: ns.bytes,
                served_local: ns.local,
                served_remote: ns.remote,
                served_shared: ns.shared,
                hits,
                nic,
            }
        })
        .collect();
    (tiers, links, nodes)
}

/// The prefetcher's figures; on a cluster, every node's (`per_node`).
fn prefetch_summary(sim: &Simulation) -> Option<serde_json::Value> {
    match sim.data.prefetchers() {
        [] => None,
        [one] => Some(one.summary()),
        all => Some(serde_json::json!({
            "kind": all[0].name(),
            "per_node": all.iter().map(|p| p.summary()).collect::<Vec<_>>(),
        })),
    }
}

/// Headline rates a workload's summary may carry, in order of preference.
const RATES: &[&str] = &[
    "samples_per_s",
    "tokens_per_s",
    "requests_per_s",
    "throughput_requests_per_s",
    "lookups_per_s",
    "achieved_flops_per_s",
];

/// Every job's figures, with its data-path counters.
fn jobs(sim: &Simulation, end: Time) -> Vec<JobSummary> {
    let Some(jobs) = sim.workload.jobs() else {
        return Vec::new();
    };
    let levels: Vec<String> = sim
        .hier()
        .topo
        .levels
        .iter()
        .map(|l| l.name.clone())
        .collect();
    jobs.reports(end)
        .into_iter()
        .enumerate()
        .map(|(j, r)| {
            let traffic = sim.data.job_traffic(j);
            let served = |l: usize| traffic.map_or(0, |t| t.served[l]);
            let tiers = levels
                .iter()
                .enumerate()
                .map(|(l, name)| {
                    let reached: u64 = (l..levels.len()).map(served).sum();
                    JobTierSummary {
                        tier: name.clone(),
                        served: served(l),
                        bytes: traffic.map_or(0, |t| t.bytes[l]),
                        hit_ratio: if reached > 0 {
                            served(l) as f64 / reached as f64
                        } else {
                            0.0
                        },
                    }
                })
                .collect();
            let rate = RATES
                .iter()
                .find_map(|k| Some((k, r.summary.get(*k)?.as_f64()?)));
            let run_time = r.run_time;
            JobSummary {
                name: r.job.name.clone(),
                kind: r.job.kind.clone(),
                nodes: r.job.nodes.clone(),
                shared_dataset: r.job.shared_dataset.clone(),
                start_s: secs(r.job.start),
                end_s: secs(r.job.start + run_time),
                run_time_s: secs(run_time),
                finished: r.job.end.is_some(),
                throughput: rate.map(|x| x.1),
                throughput_unit: rate.map(|x| x.0.to_string()),
                stall_fraction: r.summary.get("stall_fraction").and_then(|v| v.as_f64()),
                au: r.summary.get("au").and_then(|v| v.as_f64()),
                tiers,
                alone_run_time_s: r.alone.map(secs),
                slowdown: r
                    .alone
                    .and_then(|a| crate::workload::jobs::slowdown(run_time, a)),
                workload: r.summary,
            }
        })
        .collect()
}

impl RunSummary {
    /// The summary of a finished simulation.
    pub fn from_sim(sim: &Simulation, out: &Outcome) -> RunSummary {
        let end = out.end;
        if !sim.hier().topo.is_flat() {
            let (tiers, links, nodes) = cluster_devices(sim, end);
            return Self::assemble(sim, out, tiers, links, nodes);
        }
        let tiers: Vec<TierSummary> = sim
            .hier()
            .tiers
            .iter()
            .map(|t| TierSummary {
                device: device(
                    &t.name,
                    DeviceKind::Tier,
                    t.device.spec(),
                    t.device.stats(),
                    end,
                ),
                cache: cache(&t.stats),
            })
            .collect();
        let links: Vec<DeviceSummary> = sim
            .hier()
            .links
            .iter()
            .map(|l| {
                device(
                    &l.name,
                    DeviceKind::Link,
                    l.device.spec(),
                    l.device.stats(),
                    end,
                )
            })
            .collect();
        Self::assemble(sim, out, tiers, links, Vec::new())
    }

    /// The summary from its device figures.
    fn assemble(
        sim: &Simulation,
        out: &Outcome,
        tiers: Vec<TierSummary>,
        links: Vec<DeviceSummary>,
        nodes: Vec<NodeSummary>,
    ) -> RunSummary {
        let end = out.end;
        let warnings = super::warnings::warnings(sim, out, &tiers, &links);
        let workload = sim.workload.summary(end);
        let mut faults = sim
            .hier()
            .faults()
            .map(|f| crate::fault::report::summary(f, end));
        // The job's data stall caused by faults on its critical path (per job with
        // [[jobs]]: in each job's workload figures).
        if let (Some(serde_json::Value::Object(m)), Some(s)) =
            (&mut faults, workload.get("stall_time_s"))
        {
            m.insert("stall_time_s".into(), s.clone());
        }
        RunSummary {
            seed: sim.seed,
            simulated_time_s: secs(end),
            simulated_time_ps: end,
            events: out.events,
            finished: out.finished,
            tiers,
            links,
            latency: Named(sim.metrics().summaries()),
            workload,
            migration: sim.data.migration().map(|m| {
                let mut v = m.summary();
                if let Some(p) = sim.data.pacing() {
                    v["pacing"] = serde_json::to_value(p).expect("serializable");
                }
                v
            }),
            prefetch: prefetch_summary(sim),
            warnings,
            nodes,
            jobs: jobs(sim, end),
            faults,
            cpu: sim
                .data
                .cpu()
                .map(|c| super::cpu::summary(c, &sim.hier().topo.groups, end)),
        }
    }
}

/// The result tables that come from the simulation itself, as (file name, CSV text):
/// latency_cdf.csv, timeseries.csv and the workload's own tables.
pub fn sim_tables(sim: &Simulation, out: &Outcome) -> Vec<(String, String)> {
    let mut cdf = String::from("name,latency_ns,cumulative_fraction\n");
    for (n, h) in sim.metrics().iter() {
        for v in h.iter_quantiles(5) {
            cdf += &format!(
                "{n},{},{}\n",
                v.value_iterated_to() as f64 / 1e3,
                v.quantile_iterated_to()
            );
        }
    }
    let names = crate::sim::series_names(sim.hier());
    let mut tables = vec![
        ("latency_cdf.csv".to_string(), cdf),
        ("timeseries.csv".to_string(), sim.series.to_csv(&names)),
    ];
    tables.extend(sim.workload.tables(out.end));
    if let Some(f) = sim.hier().faults() {
        tables.push(("faults.csv".into(), crate::fault::report::csv(f, out.end)));
    }
    tables
}
