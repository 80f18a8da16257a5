//! `tiersim report` as a user runs it, through the built binary: the page of a
//! training run (written by `run --report`) and of a sweep with a failed run, each
//! self-contained (nothing it could load), with the sections, tables and figures the
//! folder allows, the same bytes when written twice, and one clear error for a folder
//! that holds no result; and the page of two jobs on a 3-node cluster, with its jobs
//! and nodes tables and the per-job and per-node figures. The in-browser check is scripts/check-report-browser.sh.

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

/// Two training jobs on a 3-node cluster (a node-scope DRAM cache on each node, a
/// shared storage server behind its NIC): `a` on nodes 0-1, 2 epochs of 2,000
/// samples; `b` on node 2 from 20 ms, 3 epochs of 1,000; each also run alone.
const JOBS: &str = r#"
seed = 5
[sim]
run_jobs_alone = true
[cluster]
[[cluster.nodes]]
name = "gpu"
count = 3
gpus = 1
nic = "nic"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "64MiB"
scope = "node"
eviction = "lru"
[[tiers]]
name = "storage"
preset = "nvme-tlc-pcie4"
link = "storage-nic"
[[links]]
name = "nic"
preset = "rdma-100g"
scope = "node"
[[links]]
name = "storage-nic"
preset = "rdma-100g"
[[jobs]]
name = "a"
nodes = [0, 1]
[jobs.workload]
kind = "training"
dataset = { samples = 2000, size = "100KB" }
epochs = 2
batch_size = 32
workers = 2
compute = { per_batch = "5ms" }
params = 1_000_000
sync = { kind = "ring" }
[[jobs]]
name = "b"
nodes = [2]
start = "20ms"
[jobs.workload]
kind = "training"
dataset = { samples = 1000, size = "100KB" }
epochs = 3
batch_size = 32
workers = 2
compute = { per_batch = "5ms" }
params = 1_000_000
"#;

#[test]
fn a_jobs_run_on_a_cluster_gets_its_jobs_and_nodes_tables_and_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("jobs.toml");
    std::fs::write(&cfg, JOBS).unwrap();
    let out = tmp.path().join("jobs");
    ok(&tiersim(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--report",
    ]));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_self_contained(&html);
    for (id, section) in [("jobs", "Jobs"), ("nodes", "Nodes")] {
        assert!(
            html.contains(&format!("<h2 id=\"{id}\">{section}</h2>")),
            "no section {section}"
        );
        assert!(html.contains(&format!("<a href=\"#{id}\">{section}</a>")));
    }
    let section = |from: &str, to: &str| {
        let a = html.find(from).unwrap();
        &html[a..a + html[a..].find(to).unwrap()]
    };
    // The jobs table: a row per job, in the figures' colours; b starts at 20 ms.
    let jobs = section(">Jobs</h2>", ">Tiers</h2>");
    assert_eq!(jobs.matches("<tr>").count(), 1 + 2);
    assert!(
        jobs.contains("background:#0072b2\"></span>a<"),
        "a's swatch"
    );
    assert!(
        jobs.contains("background:#d55e00\"></span>b<"),
        "b's swatch"
    );
    assert!(jobs.contains("<td data-v=\"0.02\">"), "b's start");
    // Only the shared dataset is unknown (neither names one): every other cell,
    // slowdown included, is filled.
    assert!(jobs.contains(">slowdown</th>"));
    assert_eq!(jobs.matches("<td class=\"text\">-</td>").count(), 2);
    // The nodes table: node 2 ran b's 3 epochs of 1,000 samples, nodes 0 and 1 each
    // half of a's 2 epochs of 2,000; each names its NIC.
    let nodes = section(">Nodes</h2>", ">Latency</h2>");
    assert_eq!(nodes.matches("<tr>").count(), 1 + 3);
    assert_eq!(nodes.matches("<td data-v=\"2000\">2,000</td>").count(), 2);
    assert_eq!(nodes.matches("<td data-v=\"3000\">3,000</td>").count(), 1);
    for nic in ["nic@0", "nic@1", "nic@2"] {
        assert!(nodes.contains(&format!(">{nic}</td>")), "{nic}");
    }
    // Six figures: latency, tiers, data stall per job, time per job and rank, NIC
    // bandwidth per node, where each node was served; each with its plot command.
    assert_eq!(html.matches("<svg class=\"figure\"").count(), 6);
    for (title, cmd) in [
        ("Data stall per job and epoch", "tiersim plot job-stall"),
        ("Training time per job and rank", "tiersim plot stall"),
        ("NIC bandwidth per node", "tiersim plot node-nic"),
        ("Where each node", "tiersim plot node-served"),
    ] {
        assert!(html.contains(title), "no figure '{title}'");
        assert!(html.contains(cmd), "no command '{cmd}'");
    }
    assert!(!html.contains("not drawn"), "a figure failed");
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
