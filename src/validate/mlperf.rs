//! MLPerf Storage v1.0 (closed division) training results for one Micron 9400 NVMe in
//! one host: the most emulated accelerators whose AU stays at the threshold (90% for
//! UNet3D and ResNet-50, 70% for CosmoFlow), found by the sweep search's bisection
//! ([`crate::sweep::search::bisect`]) over `accelerators`, each probe a full run of
//! the shipped DLIO workload (configs/dlio/*.yaml, as MLPerf publishes them) on the
//! shipped config's drive (configs/dlio-*.toml: 7,000 MB/s, the Micron 9400
//! datasheet's sequential read). Nothing is fitted: the drive is its datasheet figure,
//! the workloads their published YAMLs.
//!
//! The closed form N = floor(B / (AU x d)), d = batch x record / computation_time per
//! accelerator, is what a drive delivering its datasheet bandwidth to every workload
//! gives; the simulation adds what the closed form leaves out (each epoch's pipeline
//! restart, the last partial batch dropped, TFRecord reads in 256 KiB transfers,
//! record sizes drawn around their mean), and each answer must be within one
//! accelerator of the published one.
//!
//! Run length: UNet3D and ResNet-50 run the YAML's 5 epochs. CosmoFlow's 5 epochs are
//! 2.6 M batches per probe; it runs 2,000 iterations per accelerator instead (its AU
//! at 12 and 13, 18 to 20 H100/A100 accelerators differs from 20,000 iterations'
//! by less than 0.001: the device is saturated from the first batch, and the search
//! answers are the same).

use super::{missing, num, row, run_toml, CheckOutput, Env};
use crate::workload::dlio::{self, yaml};

/// One MLPerf Storage v1.0 workload on one Micron 9400.
struct Case {
    check: &'static str,
    /// The shipped config (its tier) and DLIO YAML.
    toml: &'static str,
    yaml: &'static str,
    au: f64,
    /// Accelerators MLPerf Storage v1.0 closed reports for one Micron 9400.
    published: i64,
    /// The search's range (the YAML's 168 UNet3D files give 24 accelerators one
    /// batch each at most).
    high: i64,
    max_iterations: Option<u64>,
}

const DRIVE_BYTES_PER_S: f64 = 7.0e9;

const SOURCE: &str = "MLPerf Storage v1.0 closed, one Micron 9400 NVMe, one host";

/// The five checks, by name.
const CASES: [Case; 5] = [
    Case {
        check: "mlperf-unet3d-h100",
        toml: include_str!("../../configs/dlio-unet3d-h100.toml"),
        yaml: include_str!("../../configs/dlio/unet3d_h100.yaml"),
        au: 0.9,
        published: 2,
        high: 16,
        max_iterations: None,
    },
    Case {
        check: "mlperf-unet3d-a100",
        toml: include_str!("../../configs/dlio-unet3d-a100.toml"),
        yaml: include_str!("../../configs/dlio/unet3d_a100.yaml"),
        au: 0.9,
        published: 4,
        high: 16,
        max_iterations: None,
    },
    Case {
        check: "mlperf-resnet50-h100",
        toml: include_str!("../../configs/dlio-resnet50-h100.toml"),
        yaml: include_str!("../../configs/dlio/resnet50_h100.yaml"),
        au: 0.9,
        published: 38,
        high: 64,
        max_iterations: None,
    },
    Case {
        check: "mlperf-cosmoflow-h100",
        toml: include_str!("../../configs/dlio-cosmoflow-h100.toml"),
        yaml: include_str!("../../configs/dlio/cosmoflow_h100.yaml"),
        au: 0.7,
        published: 12,
        high: 64,
        max_iterations: Some(2000),
    },
    Case {
        check: "mlperf-cosmoflow-a100",
        toml: include_str!("../../configs/dlio-cosmoflow-a100.toml"),
        yaml: include_str!("../../configs/dlio/cosmoflow_a100.yaml"),
        au: 0.7,
        published: 18,
        high: 64,
        max_iterations: Some(2000),
    },
];

fn case(name: &str) -> anyhow::Result<&'static Case> {
    CASES
        .iter()
        .find(|c| c.check == name)
        .ok_or_else(|| anyhow::anyhow!("no MLPerf case named {name}"))
}

/// The shipped config's tiers (everything before its `[workload]`), with `env`'s
/// preset overrides.
fn tiers(c: &Case, env: &Env) -> anyhow::Result<String> {
    let head = c
        .toml
        .split("\n[workload]")
        .next()
        .ok_or_else(|| anyhow::anyhow!("{}: no [workload] in the shipped config", c.check))?;
    let mut s = head.to_string();
    for (preset, lines) in &env.overrides {
        if head.contains(&format!("preset = \"{preset}\"")) {
            s.push('\n');
            s += lines;
        }
    }
    Ok(s)
}

/// AU of the workload with `n` accelerators: the DLIO workload's own training table
/// (what `kind = "dlio"` runs) on the shipped tiers.
fn au_with(c: &Case, spec: &yaml::DlioSpec, tiers: &str, n: i64) -> anyhow::Result<f64> {
    let p = dlio::Params {
        yaml: "inline".into(),
        accelerators: Some(n as u32),
        epochs: None,
        max_iterations: c.max_iterations,
        num_files_train: None,
        read_ahead: None,
    };
    let mut t = dlio::training_table(&p, spec);
    t.insert("kind".into(), "training".into());
    let mut doc = toml::Table::new();
    doc.insert("workload".into(), toml::Value::Table(t));
    let text = format!("{tiers}\n{}", toml::to_string(&doc)?);
    num(&run_toml(&text, 1)?, "/workload/au")
}

/// The check `name` (see the module doc).
pub fn check(env: &Env, name: &str) -> anyhow::Result<CheckOutput> {
    let c = case(name)?;
    let spec = yaml::parse(c.yaml).map_err(|e| anyhow::anyhow!("{}: {e}", c.check))?;
    let tiers = tiers(c, env)?;
    let demand = spec.batch_size as f64 * spec.record_length / spec.computation_time;
    let closed = (DRIVE_BYTES_PER_S / (c.au * demand)).floor();
    let mut probes = Vec::new();
    let found = crate::sweep::search::bisect(1, c.high, |n| {
        let au = au_with(c, &spec, &tiers, n)?;
        probes.push(format!("{n}: {au:.3}"));
        anyhow::Ok(au >= c.au)
    })?;
    let quantity = format!("most accelerators at AU >= {:.0}%", c.au * 100.0);
    let note = format!(
        "{SOURCE}: {}; closed form floor(B / (AU x d)) = {closed} (d = {:.1} MB/s per \
         accelerator); probes (accelerators: AU) {}",
        c.published,
        demand / 1e6,
        probes.join(", ")
    );
    // Within one accelerator, as a percentage rounded up to 0.01.
    let tolerance = (10_000.0 / c.published as f64).ceil() / 100.0;
    Ok(CheckOutput {
        rows: vec![match found {
            Some(n) => row(
                c.check,
                &quantity,
                n as f64,
                c.published as f64,
                "accelerators",
                tolerance,
                &note,
            ),
            None => missing(
                c.check,
                &quantity,
                c.published as f64,
                "accelerators",
                tolerance,
                &format!("not even one accelerator reaches the AU; {note}"),
            ),
        }],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_form_of_each_case_is_within_one_of_the_published_count() {
        // Independent arithmetic from the YAML figures (batch x record / compute time).
        let closed = |batch: f64, record: f64, t: f64, au: f64| {
            (DRIVE_BYTES_PER_S / (au * batch * record / t)).floor()
        };
        assert_eq!(closed(7.0, 146_600_628.0, 0.323, 0.9), 2.0);
        assert_eq!(closed(7.0, 146_600_628.0, 0.636, 0.9), 4.0);
        assert_eq!(closed(400.0, 114_660.07, 0.224, 0.9), 37.0);
        assert_eq!(closed(1.0, 2_828_486.0, 0.00350, 0.7), 12.0);
        assert_eq!(closed(1.0, 2_828_486.0, 0.00551, 0.7), 19.0);
        for c in &CASES {
            yaml::parse(c.yaml).unwrap();
        }
        assert!(case("mlperf-nothing").is_err());
    }
}
