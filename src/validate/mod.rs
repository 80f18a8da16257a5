//! `tiersim validate`: fixed experiments run through the same public paths a user's
//! config takes (TOML text -> [`Config`] -> [`model::build`] -> [`Simulation::run`]),
//! compared with published measurements and closed forms (../shared/REFERENCES.md).
//!
//! Every check is one entry of [`REGISTRY`]: a name, a group (`--only` takes either),
//! and a function returning rows of model against reference with a tolerance, plus any
//! curves to plot. One file per group of checks. A check that needs a policy or a
//! workload from elsewhere looks it up by name and reports a failing row saying what
//! is missing, so it passes the moment that piece is registered.
//!
//! [`Simulation::run`]: crate::sim::Simulation::run

mod distributed;
mod faults;
mod gpu;
pub mod libcachesim;
mod memory;
mod mlperf;
mod nopfs;
mod offload;
mod optane;
mod queueing;
pub mod report;
mod shuffle;
mod ssd;
mod zero;

use crate::config::Config;
use crate::model;
use serde_json::Value;

/// How a row compares the model with its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// |model - reference| <= tolerance x |reference|.
    Within,
    /// model <= reference x (1 + tolerance): "by about N", "at most".
    AtMost,
    /// reference x (1 - tolerance) <= model <= reference: "not above, slightly below".
    Below,
}

/// One compared quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub check: String,
    pub quantity: String,
    /// NaN when the experiment could not run (see `note`).
    pub model: f64,
    pub reference: f64,
    pub unit: String,
    pub tolerance_pct: f64,
    pub bound: Bound,
    /// Where the reference comes from, or why the row failed to run.
    pub note: String,
}

impl Row {
    /// Signed error of the model against the reference, percent.
    pub fn error_pct(&self) -> f64 {
        if self.reference == 0.0 {
            return if self.model == 0.0 {
                0.0
            } else {
                f64::INFINITY
            };
        }
        (self.model - self.reference) / self.reference.abs() * 100.0
    }

    /// Whether the row is within its bound.
    pub fn pass(&self) -> bool {
        let e = self.error_pct();
        if !e.is_finite() {
            return false;
        }
        let tol = self.tolerance_pct + 1e-9;
        match self.bound {
            Bound::Within => e.abs() <= tol,
            Bound::AtMost => e <= tol,
            Bound::Below => e <= 1e-9 && e >= -tol,
        }
    }
}

/// A figure of model against reference, written as `<file>.png` and `<file>.svg`
/// with the figure set-up of [`crate::plot`].
#[derive(Clone, Debug)]
pub struct Figure {
    pub file: String,
    pub chart: crate::plot::Figure,
}

impl Figure {
    /// The model as a line and the reference measurements as crosses.
    pub fn model_vs_reference(
        file: &str,
        title: &str,
        (x_label, y_label): (&str, &str),
        model: crate::plot::Series,
        reference: crate::plot::Series,
    ) -> Figure {
        Figure {
            file: file.into(),
            chart: crate::plot::Figure::Lines(crate::plot::LineChart {
                title: Some(title.into()),
                x_label: x_label.into(),
                y_label: y_label.into(),
                series: vec![model, reference],
                markers: true,
                ..Default::default()
            }),
        }
    }
}

/// What a check produced.
#[derive(Default, Debug)]
pub struct CheckOutput {
    pub rows: Vec<Row>,
    pub figures: Vec<Figure>,
    /// Why the check could not run here (missing shared data): neither pass nor fail.
    pub skipped: Option<String>,
}

/// The context a check runs in: preset perturbations (for tests that show a check can
/// fail) and the row builder.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// Extra `key = value` TOML lines appended to every tier or link using a preset:
    /// (preset name, lines). Used to perturb a preset; keys the check sets itself must
    /// not be repeated.
    pub overrides: Vec<(String, String)>,
}

impl Env {
    /// A `[[tiers]]` entry for `preset` with the check's `extra` lines and any overrides.
    pub fn tier(&self, name: &str, preset: &str, extra: &str) -> String {
        self.device("tiers", name, preset, extra)
    }

    /// A `[[links]]` or `[[tiers]]` entry (`table`) for `preset`.
    pub fn device(&self, table: &str, name: &str, preset: &str, extra: &str) -> String {
        let mut s = format!("[[{table}]]\nname = \"{name}\"\npreset = \"{preset}\"\n{extra}\n");
        for (p, lines) in &self.overrides {
            if p == preset {
                s += lines;
                s.push('\n');
            }
        }
        s
    }
}

/// Parses `toml` as a user config and runs it with `seed`; returns summary.json's value
/// (without writing files).
pub fn run_toml(toml: &str, seed: u64) -> anyhow::Result<Value> {
    let cfg = Config::parse(toml).map_err(|e| anyhow::anyhow!("validation config: {e}"))?;
    let mut sim = model::build(&cfg, seed)?;
    let outcome = sim.try_run(&crate::watch::Watch::default())?;
    Ok(crate::report::summary(&sim, &outcome))
}

/// A number from a summary by JSON pointer, or an error naming it.
pub fn num(summary: &Value, pointer: &str) -> anyhow::Result<f64> {
    summary
        .pointer(pointer)
        .and_then(Value::as_f64)
        .ok_or_else(|| anyhow::anyhow!("summary has no number at {pointer}"))
}

/// A row builder: `row(check, quantity, model, reference, unit, tol%, source)`.
pub fn row(
    check: &str,
    quantity: &str,
    model: f64,
    reference: f64,
    unit: &str,
    tolerance_pct: f64,
    note: &str,
) -> Row {
    Row {
        check: check.into(),
        quantity: quantity.into(),
        model,
        reference,
        unit: unit.into(),
        tolerance_pct,
        bound: Bound::Within,
        note: note.into(),
    }
}

/// A failing row for an experiment that could not run (`why`).
pub fn missing(
    check: &str,
    quantity: &str,
    reference: f64,
    unit: &str,
    tol: f64,
    why: &str,
) -> Row {
    Row {
        note: why.into(),
        ..row(check, quantity, f64::NAN, reference, unit, tol, "")
    }
}

/// A registered check.
pub struct Check {
    pub name: &'static str,
    pub group: &'static str,
    /// One line: what is compared with what.
    pub about: &'static str,
    pub run: fn(&Env) -> anyhow::Result<CheckOutput>,
}

/// Every check. Adding one: a function in its group's file and one line here.
pub const REGISTRY: &[Check] = &[
    Check { name: "mm1", group: "queueing", about: "M/M/1 mean response S/(1-rho) at rho 0.5, 0.8 (REFERENCES s4.3)", run: queueing::mm1 },
    Check { name: "md1", group: "queueing", about: "M/D/1 mean response S(1+rho/(2(1-rho))) at rho 0.5, 0.8 (REFERENCES s4.3)", run: queueing::md1 },
    Check { name: "little", group: "queueing", about: "Little's law L = X W, L measured as a time integral (REFERENCES s4.3)", run: queueing::little },
    Check { name: "optane-read-bandwidth", group: "optane", about: "6-DIMM Optane read bandwidth vs threads: ~39.4 GB/s near 17 threads (Izraelevitz 2019)", run: optane::read_bandwidth },
    Check { name: "optane-write-bandwidth", group: "optane", about: "6-DIMM Optane write bandwidth vs threads: 13.9 GB/s by ~4 threads, then falls slightly (Izraelevitz 2019; Yang FAST'20)", run: optane::write_bandwidth },
    Check { name: "optane-queued-writes", group: "optane", about: "1,024 writes queued by 4 writers run at the 4-writer bandwidth (contention from writers, not queue depth)", run: optane::queued_writes },
    Check { name: "optane-write-amplification", group: "optane", about: "64 B vs 256 B random writes: a 64 B write costs a 256 B XPLine (Yang FAST'20)", run: optane::write_amplification },
    Check { name: "optane-read-latency", group: "optane", about: "Optane random 305 ns vs sequential ~170 ns read latency (Izraelevitz 2019)", run: optane::read_latency },
    Check { name: "dram-loaded-latency", group: "dram", about: "DRAM latency vs bandwidth, 12 x DDR4-2666 (Intel MLC table, REFERENCES s1)", run: memory::dram_loaded_latency },
    Check { name: "cxl-latency", group: "cxl", about: "CXL load latency = DRAM + 70-90 ns (Pond ASPLOS'23)", run: memory::cxl_latency },
    Check { name: "ssd-optane", group: "ssd", about: "Optane SSD P4800X: QD1 4 KB read 8.9 us, 585K IOPS at QD16 (AnandTech)", run: ssd::optane_ssd },
    Check { name: "ssd-flash", group: "ssd", about: "NVMe TLC (Micron 9200): QD1 4 KB read 92 us (datasheet)", run: ssd::flash_ssd },
    Check { name: "shuffle-lru", group: "shuffle", about: "LRU cache tier under a training job's per-epoch shuffle: f + (1-f) ln(1-f) (REFERENCES s4.1)", run: shuffle::lru },
    Check { name: "shuffle-minio", group: "shuffle", about: "MinIO cache tier under a training job's per-epoch shuffle: f (REFERENCES s4.1)", run: shuffle::minio },
    Check { name: "shuffle-belady", group: "shuffle", about: "Belady (eviction registry) under per-epoch shuffle: f (REFERENCES s4.1)", run: shuffle::belady },
    Check { name: "ring-allreduce", group: "distributed", about: "a training job's ring all-reduce over a link: 2(N-1) alpha + 2(N-1)/N S/B (REFERENCES s3, s4.4)", run: distributed::ring_allreduce },
    Check { name: "straggler-barrier", group: "distributed", about: "a training job's barrier over N exponential compute times: m H_N (REFERENCES s4.5)", run: distributed::straggler_barrier },
    Check { name: "libcachesim-lru", group: "libcachesim", about: "LRU miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "lru") },
    Check { name: "libcachesim-fifo", group: "libcachesim", about: "FIFO miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "fifo") },
    Check { name: "libcachesim-clock", group: "libcachesim", about: "Clock miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "clock") },
    Check { name: "libcachesim-lfu", group: "libcachesim", about: "LFU miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "lfu") },
    Check { name: "libcachesim-arc", group: "libcachesim", about: "ARC miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "arc") },
    Check { name: "libcachesim-s3fifo", group: "libcachesim", about: "S3-FIFO (variant v0, libCacheSim's S3FIFOv0) miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "s3fifo") },
    Check { name: "libcachesim-belady", group: "libcachesim", about: "Belady miss counts on cloudPhysicsIO = libCacheSim's, exactly", run: |e| libcachesim::check(e, "belady") },
    Check { name: "weight-streaming", group: "offload", about: "weight-offload decoding step = layers x max(layer compute, layer bytes / link bandwidth) (FlexGen, ZeRO-Inference; REFERENCES s5)", run: offload::weight_streaming },
    Check { name: "zero-infinity-efficiency", group: "offload", about: "zero-offload training without overlap, one state class over a link of bandwidth bw: efficiency = ait x bw / (ait x bw + peak_tp) on the paper's figures (ZeRO-Infinity SC'21 s4; REFERENCES s5)", run: zero::efficiency },
    Check { name: "checkpoint-interval", group: "faults", about: "node failures (MTBF M) and checkpoint cost C: the best-goodput checkpoint interval is within 10% of Young's sqrt(2CM) and in Daly's range (REFERENCES s5)", run: faults::checkpoint_interval },
    Check { name: "pcie-copies", group: "gpu", about: "PCIe Gen4/Gen5 presets' host-device copy bandwidth vs nvbandwidth: A100 H2D 25.1, H100 H2D 35.2, D2H 52.8 GB/s (REFERENCES s5)", run: gpu::pcie_copies },
    Check { name: "duplex-link", group: "gpu", about: "swap-out + swap-in together on a duplex PCIe link: each latency + S/B; half duplex: twice as long (closed form)", run: gpu::duplex_link },
    Check { name: "mlperf-unet3d-h100", group: "mlperf", about: "MLPerf Storage v1.0 closed, one Micron 9400: 2 H100 accelerators at AU >= 90% on UNet3D, by sweep search (within one)", run: |e| mlperf::check(e, "mlperf-unet3d-h100") },
    Check { name: "mlperf-unet3d-a100", group: "mlperf", about: "MLPerf Storage v1.0 closed, one Micron 9400: 4 A100 accelerators at AU >= 90% on UNet3D, by sweep search (within one)", run: |e| mlperf::check(e, "mlperf-unet3d-a100") },
    Check { name: "mlperf-resnet50-h100", group: "mlperf", about: "MLPerf Storage v1.0 closed, one Micron 9400: 38 H100 accelerators at AU >= 90% on ResNet-50, by sweep search (within one)", run: |e| mlperf::check(e, "mlperf-resnet50-h100") },
    Check { name: "mlperf-cosmoflow-h100", group: "mlperf", about: "MLPerf Storage v1.0 closed, one Micron 9400: 12 H100 accelerators at AU >= 70% on CosmoFlow, by sweep search (within one)", run: |e| mlperf::check(e, "mlperf-cosmoflow-h100") },
    Check { name: "mlperf-cosmoflow-a100", group: "mlperf", about: "MLPerf Storage v1.0 closed, one Micron 9400: 18 A100 accelerators at AU >= 70% on CosmoFlow, by sweep search (within one)", run: |e| mlperf::check(e, "mlperf-cosmoflow-a100") },
    Check { name: "nopfs-skew", group: "distributed", about: "NoPFS access skew from the training sampler: samples one worker reads > 10 times, Binomial tail (REFERENCES s4.2)", run: nopfs::skew },
];

/// The checks `only` selects (a check name or a group; all when None).
pub fn select(only: Option<&str>) -> Vec<&'static Check> {
    REGISTRY
        .iter()
        .filter(|c| only.is_none_or(|o| c.name == o || c.group == o))
        .collect()
}

/// The result of one check.
pub struct CheckResult {
    pub check: &'static Check,
    pub output: CheckOutput,
    pub seconds: f64,
}

impl CheckResult {
    /// Ran, with every row within its bound.
    pub fn pass(&self) -> bool {
        self.output.skipped.is_none()
            && !self.output.rows.is_empty()
            && self.output.rows.iter().all(Row::pass)
    }

    /// Ran and at least one row is out of bounds (or nothing to compare).
    pub fn fail(&self) -> bool {
        self.output.skipped.is_none() && !self.pass()
    }
}

/// Runs `checks` under `env`. A check whose experiment errors yields one failing row
/// carrying the error.
pub fn run_checks(checks: &[&'static Check], env: &Env) -> Vec<CheckResult> {
    checks
        .iter()
        .map(|c| {
            let t = std::time::Instant::now();
            let output = (c.run)(env).unwrap_or_else(|e| CheckOutput {
                rows: vec![missing(
                    c.name,
                    "experiment",
                    f64::NAN,
                    "",
                    0.0,
                    &format!("error: {e:#}"),
                )],
                ..Default::default()
            });
            CheckResult {
                check: c,
                output,
                seconds: t.elapsed().as_secs_f64(),
            }
        })
        .collect()
}

/// Runs one check by name under `env` (for tests that perturb a preset).
pub fn run_one(name: &str, env: &Env) -> anyhow::Result<CheckResult> {
    let c = REGISTRY
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| anyhow::anyhow!("no check named '{name}'"))?;
    Ok(run_checks(&[c], env).pop().expect("one check"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_compare_as_documented() {
        let r = |m, b| Row {
            bound: b,
            ..row("c", "q", m, 10.0, "", 10.0, "")
        };
        assert!(r(10.9, Bound::Within).pass() && !r(11.1, Bound::Within).pass());
        assert!(r(9.05, Bound::Within).pass() && !r(8.9, Bound::Within).pass());
        assert!(r(3.0, Bound::AtMost).pass() && !r(11.1, Bound::AtMost).pass());
        assert!(r(9.5, Bound::Below).pass() && !r(10.1, Bound::Below).pass());
        assert!(!r(8.0, Bound::Below).pass());
        assert!(!r(f64::NAN, Bound::Within).pass());
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = REGISTRY.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
    }
}
