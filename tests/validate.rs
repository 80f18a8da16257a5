//! `tiersim validate` can pass and can fail: a perturbed preset makes its check fail,
//! and the queueing group passes end to end through the command line.

use std::process::Command;
use tiersim::validate::{self, Env};

fn perturbed(preset: &str, lines: &str) -> Env {
    Env {
        overrides: vec![(preset.into(), lines.into())],
    }
}

#[test]
fn optane_read_latency_passes_as_shipped() {
    let r = validate::run_one("optane-read-latency", &Env::default()).unwrap();
    assert!(r.pass(), "{:?}", r.output.rows);
}

#[test]
fn a_wrong_optane_read_latency_fails_its_check() {
    // 600 ns instead of Izraelevitz et al.'s ~305 ns random / ~170 ns sequential.
    let env = perturbed("optane-pmm", "read_latency = \"600ns\"");
    let r = validate::run_one("optane-read-latency", &env).unwrap();
    assert!(!r.pass());
    let failing: Vec<&str> = r
        .output
        .rows
        .iter()
        .filter(|x| !x.pass())
        .map(|x| x.quantity.as_str())
        .collect();
    assert!(failing.contains(&"random read latency, QD1"), "{failing:?}");
    assert!(
        failing.contains(&"sequential read latency, QD1"),
        "{failing:?}"
    );
}

#[test]
fn a_wrong_optane_write_bandwidth_fails_its_check() {
    let env = perturbed("optane-pmm", "write_bandwidth = \"20GB/s\"");
    let r = validate::run_one("optane-write-bandwidth", &env).unwrap();
    assert!(!r.pass());
}

#[test]
fn dram_without_its_loaded_latency_model_fails_the_mlc_curve() {
    // The basic model keeps ~80 ns at any load; MLC measured 124 ns at 131 GB/s.
    let env = perturbed("ddr4-3200", "model = \"basic\"");
    let r = validate::run_one("dram-loaded-latency", &env).unwrap();
    assert!(!r.pass());
    let at_131 = r
        .output
        .rows
        .iter()
        .find(|x| x.quantity == "latency at 131 GB/s")
        .unwrap();
    assert!(!at_131.pass() && at_131.model < 90.0, "{at_131:?}");
}

#[test]
fn a_wrong_ssd_latency_fails_its_check() {
    let env = perturbed("optane-ssd", "read_latency = \"20us\"");
    let r = validate::run_one("ssd-optane", &env).unwrap();
    assert!(!r.pass());
    assert!(validate::run_one("ssd-optane", &Env::default())
        .unwrap()
        .pass());
}

#[test]
fn validate_only_queueing_passes_and_writes_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(["validate", "--only", "queueing", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3 of 3 checks pass"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("report.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("check,quantity,model,reference,unit,error_pct,tolerance_pct,pass")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 5, "{csv}");
    assert!(rows.iter().all(|r| r.ends_with(",true")), "{csv}");
    assert!(dir.path().join("report.md").exists());
}

#[test]
fn an_unknown_check_name_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args([
            "validate",
            "--only",
            "floppy",
            "--out",
            "/nonexistent/never",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("floppy") && err.contains("queueing"), "{err}");
}

#[test]
fn a_slower_network_link_fails_the_ring_allreduce_training_check() {
    assert!(validate::run_one("ring-allreduce", &Env::default())
        .unwrap()
        .pass());
    // The training job's ring runs over the rdma-100g link; at half its 100 Gb/s line
    // rate the all-reduce takes 2(N-1) alpha + 2(N-1)/N S/B = 14 x 5 us + 1.75 x
    // 100 MB / 6.25 GB/s = 28.07 ms instead of 14.07 ms.
    let env = perturbed("rdma-100g", "read_bandwidth = \"50Gb/s\"");
    let r = validate::run_one("ring-allreduce", &env).unwrap();
    assert!(!r.pass());
    let row = &r.output.rows[0];
    assert!((row.model - 28.07).abs() < 0.01, "{row:?}");
}
