//! `tiersim report` as a user runs it, through the built binary: the page of a
//! training run (written by `run --report`) and of a sweep with a failed run, each
//! self-contained (nothing it could load), with the sections, tables and figures the
//! folder allows, the same bytes when written twice, and one clear error for a folder
//! that holds no result. The in-browser check is scripts/check-report-browser.sh.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_tiersim");

fn tiersim(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run tiersim")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "tiersim failed: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name)
}

/// Fails if the page could load anything: any URL but the SVG namespace, any
/// src/href to another site, a stylesheet or script file, a CSS url() or @import.
fn assert_self_contained(html: &str) {
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in [
        "http://", "https://", "//cdn", " src=", "<link", "url(", "@import", "<iframe", "<img",
    ] {
        assert!(!without_ns.contains(needle), "the page holds '{needle}'");
    }
    assert_eq!(
        html.matches("<svg").count(),
        html.matches("</svg>").count(),
        "unbalanced <svg>"
    );
    for tag in ["table", "details", "figure", "section", "script"] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        assert_eq!(
            open,
            html.matches(&format!("</{tag}>")).count(),
            "unbalanced <{tag}>"
        );
    }
}

#[test]
fn a_training_run_gets_a_page_with_its_tables_and_every_figure() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("training small");
    let o = tiersim(&[
        "run",
        config("training-small.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
    ]);
    let stdout = ok(&o);
    let page = out.join("report.html");
    assert!(
        stdout.contains(&format!("report in {}", page.display())),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for section in [
        "What was simulated",
        "Headline",
        "Tiers",
        "Links",
        "Latency",
        "Figures",
        "Files",
    ] {
        assert!(
            html.contains(&format!(">{section}</h")),
            "no section {section}"
        );
    }
    // The resolved config, collapsed, names both tiers and the link's preset.
    let details = &html[html.find("<details>").unwrap()..html.find("</details>").unwrap()];
    for s in ["dram", "nvme", "rdma-100g", "ddr4-3200"] {
        assert!(details.contains(s), "resolved config lacks {s}");
    }
    // Three figures: latency CDFs, tier time series, training time per rank.
    assert_eq!(html.matches("<svg class=\"figure\"").count(), 3);
    for title in [
        "Latency distribution (CDF)",
        "Bandwidth per tier",
        "Training time per rank",
    ] {
        assert!(html.contains(title), "no figure '{title}'");
    }
    // The tier table's swatches are the figures' colours: dram blue, nvme vermilion.
    let tiers = &html[html.find(">Tiers</h2>").unwrap()..html.find(">Latency</h2>").unwrap()];
    assert!(
        tiers.contains("background:#0072b2\"></span>dram<"),
        "dram's swatch"
    );
    assert!(
        tiers.contains("background:#d55e00\"></span>nvme<"),
        "nvme's swatch"
    );
    // The page sits in the folder, so its files are linked.
    assert!(html.contains("<a href=\"summary.json\">summary.json</a>"));
    // Same folder, same page.
    ok(&tiersim(&["report", out.to_str().unwrap()]));
    assert_eq!(
        std::fs::read_to_string(&page).unwrap(),
        html,
        "the page changed"
    );
    // Written elsewhere, the files are listed but not linked.
    let away = tmp.path().join("away.html");
    ok(&tiersim(&[
        "report",
        out.to_str().unwrap(),
        "--out",
        away.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(&away).unwrap();
    assert!(html.contains(">summary.json<") && !html.contains("href=\"summary.json\""));
}

#[test]
fn the_run_prints_the_report_command_and_mrc_curves_can_be_added() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    let stdout = ok(&tiersim(&[
        "run",
        config("training-small.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert!(
        stdout.contains(&format!("report: tiersim report {}", out.display())),
        "{stdout}"
    );
    assert!(!out.join("report.html").exists());
    let mrc = tmp.path().join("mrc.csv");
    std::fs::write(
        &mrc,
        "trace,cache_size,miss_ratio,byte_miss_ratio\nt,100,0.9,0.9\nt,1000,0.5,0.5\nt,10000,0.2,0.2\n",
    )
    .unwrap();
    ok(&tiersim(&[
        "report",
        out.to_str().unwrap(),
        "--mrc",
        mrc.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg class=\"figure\"").count(), 4);
    assert!(html.contains("Miss-ratio curve"));
    assert_self_contained(&html);
}

/// A small two-tier base config (inline), runs of a few tens of milliseconds.
const SWEEP: &str = r#"
[grid]
"tiers[0].capacity" = ["0B", "1MiB", "2MiB", "4MiB"]
"tiers[0].eviction" = ["lru", "fifo"]
[base]
seed = 7
[[base.tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "4MiB"
eviction = "lru"
[[base.tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[base.workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 4000
requests = 20000
clients = 4
read_fraction = 0.9
size = "4KiB"
"#;

#[test]
fn a_sweep_gets_a_runs_table_and_a_figure_per_metric_that_varies() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("s.toml");
    std::fs::write(&spec, SWEEP).unwrap();
    let out = tmp.path().join("s");
    // Capacity 0B fails for both policies: the sweep exits 1 and still writes its page.
    let o = Command::new(BIN)
        .args([
            "sweep",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "2",
            "--quiet",
            "--report",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    assert!(
        html.contains("8 runs: 6 ok, <span class=\"failed\">2 failed</span>"),
        "meta line"
    );
    // The runs table: a row per run, sortable.
    let table = &html[html.find("<table class=\"sortable\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), 1 + 8);
    assert_eq!(
        table
            .matches("<span class=\"failed\">failed</span>")
            .count(),
        2
    );
    assert!(html.contains("<script>"), "no sort script");
    // Capacity (3 successful values) on x, one line per policy: the dram hit ratio
    // and the simulated time vary, so each has a figure; nvme's hit ratio (always 1)
    // has none.
    assert!(html.contains("aria-label=\"tier.dram.hit_ratio against tiers[0].capacity.\""));
    assert!(html.contains("aria-label=\"simulated_time_s against tiers[0].capacity.\""));
    assert!(!html.contains("aria-label=\"tier.nvme.hit_ratio against"));
    assert!(html.contains("eviction=lru") && html.contains("eviction=fifo"));
    assert!(
        html.contains("--series &#39;tiers[0].eviction&#39;"),
        "no plot command"
    );
}

#[test]
fn a_folder_without_results_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let o = tiersim(&["report", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("neither a run folder (summary.json) nor a sweep folder (runs.csv)"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let o = tiersim(&["report", tmp.path().join("nope").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a folder"));
    // A broken summary.json names the field.
    std::fs::write(tmp.path().join("summary.json"), "{\"seed\": 1}").unwrap();
    let o = tiersim(&["report", tmp.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("summary.json"));
}
