//! `tiersim calibrate`: fits a device to fio measurements. Every measured job becomes a
//! point of the `table` model (op, pattern, block size, queue depth -> bandwidth, mean
//! latency; repeated points are averaged), which reproduces each job's bandwidth and
//! mean latency when the same job runs in tiersim (see `device/table.rs`). The summary
//! fields (latencies, bandwidths, IOPS, channels) are filled from the same points so
//! reports and policies that read them see the drive. The output is a `[[tiers]]`
//! entry with a comment header naming the jobs it came from.

pub mod fio;

use crate::config::units::{format_bandwidth, format_duration, format_size};
use crate::device::table::{PointOp, PointPattern, TablePoint};
use crate::engine::Time;
use fio::FioJob;

/// The measured jobs of some fio JSON files, and the jobs skipped with why.
pub struct Measurements {
    pub jobs: Vec<FioJob>,
    pub skipped: Vec<String>,
}

/// Reads fio JSON files (named as given in errors).
pub fn read_files(paths: &[std::path::PathBuf]) -> Result<Measurements, String> {
    let mut m = Measurements {
        jobs: Vec::new(),
        skipped: Vec::new(),
    };
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        let run = fio::parse(&name, &text)?;
        m.jobs.extend(run.jobs);
        m.skipped.extend(run.skipped);
    }
    if m.jobs.is_empty() {
        return Err(format!(
            "no fio job to fit in {} file(s): expected pure read/write jobs with one block size{}",
            paths.len(),
            m.skipped
                .first()
                .map(|s| format!(" (skipped: {s})"))
                .unwrap_or_default()
        ));
    }
    Ok(m)
}

/// The table points: one per (op, pattern, block size, queue depth), averaged over
/// repeated jobs, in a stable order.
pub fn points(jobs: &[FioJob]) -> Vec<TablePoint> {
    /// Sums of the jobs measured at one point.
    struct Sum {
        key: (PointOp, PointPattern, u64, u32),
        bandwidth: f64,
        latency_ns: f64,
        jobs: u32,
    }
    let mut sums: Vec<Sum> = Vec::new();
    for j in jobs {
        let key = (j.op, j.pattern, j.block_size, j.qd);
        match sums.iter_mut().find(|s| s.key == key) {
            Some(s) => {
                s.bandwidth += j.bandwidth;
                s.latency_ns += j.mean_latency_ns;
                s.jobs += 1;
            }
            None => sums.push(Sum {
                key,
                bandwidth: j.bandwidth,
                latency_ns: j.mean_latency_ns,
                jobs: 1,
            }),
        }
    }
    sums.sort_by_key(|s| s.key);
    sums.into_iter()
        .map(|s| {
            let (op, pattern, size, qd) = s.key;
            let n = s.jobs as f64;
            TablePoint {
                op,
                pattern,
                size,
                qd,
                // Whole bytes per second and picoseconds: exact in the written units.
                bandwidth: (s.bandwidth / n).round().max(1.0),
                latency: ((s.latency_ns / n) * 1e3).round().max(1.0) as Time,
            }
        })
        .collect()
}

/// The point of `op` (and `pattern`, if any has it) at the smallest queue depth and size.
fn lowest(pts: &[TablePoint], op: PointOp, pattern: PointPattern) -> Option<&TablePoint> {
    let of_op = || pts.iter().filter(move |p| p.op == op);
    of_op()
        .filter(|p| p.pattern == pattern)
        .min_by_key(|p| (p.qd, p.size))
        .or_else(|| of_op().min_by_key(|p| (p.qd, p.size)))
}

/// The `[[tiers]]` entry named `name` fitted to `m`, as TOML text with its header.
pub fn preset_toml(name: &str, m: &Measurements) -> String {
    let pts = points(&m.jobs);
    let mut out = String::new();
    out.push_str(&format!(
        "# Device `{name}` fitted by `tiersim calibrate` (tiersim {}) from fio JSON:\n",
        env!("CARGO_PKG_VERSION")
    ));
    for j in &m.jobs {
        out.push_str(&format!(
            "#   {}: job \"{}\": rw={} bs={} qd={}: {}, {:.0} IOPS, {} mean latency\n",
            j.file,
            j.name,
            j.rw,
            format_size(j.block_size),
            j.qd,
            format_bandwidth(j.bandwidth.round()),
            j.iops,
            format_duration((j.mean_latency_ns * 1e3).round() as Time),
        ));
    }
    for s in &m.skipped {
        out.push_str(&format!("#   skipped {s}\n"));
    }
    out.push_str(
        "# Model `table`: a request takes the measured mean latency at its size and the\n\
         # requests in flight, interpolated between the points (docs/calibration.md). The\n\
         # summary fields below (latencies at the lowest queue depth, the largest bandwidth\n\
         # and IOPS) describe the drive for reports and policies; the table sets its speed.\n\
         # Use it: paste this entry into a config's tiers (set `name`, `capacity`).\n",
    );
    let read = lowest(&pts, PointOp::Read, PointPattern::Random);
    let write = lowest(&pts, PointOp::Write, PointPattern::Random);
    let first = read.or(write).expect("at least one point");
    let latency = |op: PointOp, pattern: PointPattern| {
        lowest(&pts, op, pattern)
            .or(read)
            .or(write)
            .map_or(first.latency, |p| p.latency)
    };
    let peak = |op: PointOp, f: &dyn Fn(&TablePoint) -> f64| {
        let best = pts.iter().filter(|p| p.op == op).map(f).fold(0.0, f64::max);
        if best > 0.0 {
            best
        } else {
            pts.iter().map(f).fold(0.0, f64::max)
        }
    };
    let bw = |p: &TablePoint| p.bandwidth;
    let iops = |p: &TablePoint| (p.bandwidth / p.size as f64).round();
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    out.push_str("[[tiers]]\n");
    out.push_str(&format!("name = {}\n", quoted(name)));
    out.push_str("model = \"table\"\n");
    if let Some(size) = m.jobs.iter().filter_map(|j| j.size).max() {
        out.push_str(&format!(
            "capacity = \"{}\"  # the size fio ran on: set the drive's\n",
            format_size(size)
        ));
    }
    for (key, op, pattern) in [
        ("read_latency", PointOp::Read, PointPattern::Random),
        ("read_latency_seq", PointOp::Read, PointPattern::Sequential),
        ("write_latency", PointOp::Write, PointPattern::Random),
        (
            "write_latency_seq",
            PointOp::Write,
            PointPattern::Sequential,
        ),
    ] {
        let v = latency(op, pattern);
        out.push_str(&format!("{key} = \"{}\"\n", format_duration(v)));
    }
    out.push_str(&format!(
        "read_bandwidth = \"{}\"\nwrite_bandwidth = \"{}\"\n",
        format_bandwidth(peak(PointOp::Read, &bw)),
        format_bandwidth(peak(PointOp::Write, &bw)),
    ));
    out.push_str(&format!(
        "channels = {}\nread_iops = {}\nwrite_iops = {}\n",
        pts.iter().map(|p| p.qd).max().unwrap_or(1),
        peak(PointOp::Read, &iops),
        peak(PointOp::Write, &iops),
    ));
    out.push_str("table = [\n");
    for p in &pts {
        out.push_str(&format!(
            "  {{ op = \"{}\", pattern = \"{}\", size = \"{}\", qd = {}, bandwidth = \"{}\", latency = \"{}\" }},\n",
            match p.op {
                PointOp::Read => "read",
                PointOp::Write => "write",
            },
            match p.pattern {
                PointPattern::Random => "random",
                PointPattern::Sequential => "sequential",
            },
            format_size(p.size),
            p.qd,
            format_bandwidth(p.bandwidth),
            format_duration(p.latency),
        ));
    }
    out.push_str("]\n");
    out
}

/// Checks that `text` (a `[[tiers]]` entry) resolves to a valid device.
pub fn check_preset(text: &str) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Entries {
        tiers: Vec<crate::config::DeviceConfig>,
    }
    let e: Entries =
        toml::from_str(text).map_err(|e| format!("the fitted preset does not parse: {e}"))?;
    for (i, t) in e.tiers.iter().enumerate() {
        t.resolve(&format!("tiers[{i}]"))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
