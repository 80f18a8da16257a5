//! The terminal description of a run (`tiersim run` without --quiet), from its
//! [`RunSummary`].

use super::summary::RunSummary;
use crate::config::units::{fmt_bytes, fmt_time};

/// A short human summary: simulated time, a row per tier and link, the latency
/// percentiles, the workload's figures, a row per job.
pub fn describe(s: &RunSummary) -> String {
    let mut out = format!(
        "simulated time {:.6} s, {} events{}\n",
        s.simulated_time_s,
        s.events,
        if s.finished {
            ""
        } else {
            " (stopped at sim.duration)"
        }
    );
    out += &format!(
        "{:<14} {:>10} {:>9} {:>12} {:>12} {:>7}\n",
        "tier", "hits", "hit%", "read", "written", "util%"
    );
    let tiers = s.tiers.iter().map(|t| (&t.device, Some(&t.cache)));
    let links = s.links.iter().map(|l| (l, None));
    for (d, cache) in tiers.chain(links) {
        let (hits, ratio) = match cache {
            Some(c) => (c.hits.to_string(), format!("{:.1}", c.hit_ratio * 100.0)),
            None => ("-".into(), "-".into()),
        };
        out += &format!(
            "{:<14} {:>10} {:>9} {:>12} {:>12} {:>7.1}\n",
            d.name,
            hits,
            ratio,
            fmt_bytes(d.bytes_read as f64),
            fmt_bytes(d.bytes_written as f64),
            d.utilisation * 100.0
        );
    }
    out += &format!(
        "{:<14} {:>10} {:>12} {:>12} {:>12} {:>12}\n",
        "latency", "count", "mean", "p50", "p99", "max"
    );
    for (name, l) in s.latency.iter() {
        let ns = |v: f64| fmt_time((v * 1e3) as u64);
        out += &format!(
            "{:<14} {:>10} {:>12} {:>12} {:>12} {:>12}\n",
            name,
            l.count,
            ns(l.mean_ns),
            ns(l.p50_ns),
            ns(l.p99_ns),
            ns(l.max_ns)
        );
    }
    if let Some(c) = &s.cpu {
        out += &c.describe();
    }
    if let Some(w) = s.workload.as_object() {
        let parts: Vec<String> = w.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out += &format!("workload: {}\n", parts.join(", "));
    }
    if !s.jobs.is_empty() {
        out += &format!(
            "{:<14} {:>10} {:>10} {:>12} {:>8} {:>8} {:>9}\n",
            "job", "start", "run time", "rate", "stall%", "AU%", "slowdown"
        );
        let opt =
            |v: Option<f64>, scale: f64| v.map_or("-".to_string(), |x| format!("{:.2}", x * scale));
        for j in &s.jobs {
            out += &format!(
                "{:<14} {:>10} {:>10} {:>12} {:>8} {:>8} {:>9}\n",
                j.name,
                format!("{:.1} s", j.start_s),
                format!("{:.1} s", j.run_time_s),
                j.throughput.map_or("-".into(), |x| format!("{x:.1}/s")),
                opt(j.stall_fraction, 100.0),
                opt(j.au, 100.0),
                opt(j.slowdown, 1.0),
            );
        }
    }
    out
}
