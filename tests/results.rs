//! Result files derived from the typed summary, checked against summary.json read as
//! plain JSON: tiers.csv carries every per-tier and per-link field with the same value,
//! runs.csv every headline metric, and a summary.json with a missing or renamed field
//! is an error when read back, not zeros.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tiersim::report::RunSummary;

const BIN: &str = env!("CARGO_BIN_EXE_tiersim");

/// Three tiers, the last behind a network link, under a small Zipf mix of reads and
/// writes: every tier and the link see traffic.
const CONFIG: &str = r#"
seed = 3
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "2MiB"
eviction = "lru"
[[tiers]]
name = "pmem"
preset = "optane-pmm"
capacity = "8MiB"
eviction = "fifo"
[[tiers]]
name = "remote"
preset = "nvme-tlc-pcie4"
link = "net"
[[links]]
name = "net"
preset = "rdma-100g"
[workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 8000
requests = 20000
clients = 4
read_fraction = 0.8
size = "4KiB"
"#;

fn tiersim(args: &[&str]) {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "tiersim {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run(dir: &Path) -> PathBuf {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let out = dir.join("out");
    tiersim(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A CSV file as its header and records.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Whether a CSV cell holds the JSON value `v` (numbers compared as numbers).
fn same(cell: &str, v: &Value) -> bool {
    match v {
        Value::String(s) => cell == s,
        Value::Bool(b) => cell == b.to_string(),
        Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => cell.parse::<u64>() == Ok(u),
            (None, Some(f)) => cell.parse::<f64>() == Ok(f),
            _ => false,
        },
        _ => false,
    }
}

#[test]
fn tiers_csv_holds_every_field_of_every_tier_and_link_in_summary_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path());
    let summary = json(&out.join("summary.json"));
    let (header, rows) = csv(&out.join("tiers.csv"));
    let devices: Vec<&Value> = summary["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(summary["links"].as_array().unwrap())
        .collect();
    assert_eq!(devices.len(), 4, "three tiers and a link");
    assert_eq!(rows.len(), devices.len(), "one row per tier and link");
    assert!(header.iter().any(|h| h == "served"), "{header:?}");
    for (d, row) in devices.iter().zip(&rows) {
        let fields = d.as_object().unwrap();
        for (k, v) in fields {
            let c = header
                .iter()
                .position(|h| h == k)
                .unwrap_or_else(|| panic!("tiers.csv has no column {k}"));
            assert!(
                same(&row[c], v),
                "{}.{k}: csv {} vs json {v}",
                d["name"],
                row[c]
            );
        }
        // And nothing a device lacks: its other cells are empty.
        for (h, cell) in header.iter().zip(row) {
            if !fields.contains_key(h) {
                assert_eq!(cell, "", "{}: {h} has no field in summary.json", d["name"]);
            }
        }
    }
    // The data went somewhere: not a table of zeros.
    let net = devices[3];
    assert_eq!(net["kind"], "link");
    assert!(net["bytes_read"].as_u64().unwrap() > 0);
    let served: u64 = devices.iter().filter_map(|d| d["served"].as_u64()).sum();
    assert_eq!(served, 20_000, "every request is served by one tier");
}

#[test]
fn a_summary_reads_back_byte_for_byte_and_a_renamed_field_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path());
    let path = out.join("summary.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let s = RunSummary::read(&path).unwrap();
    assert_eq!(s.to_json(), text, "typed round trip changes summary.json");

    let renamed = text.replacen("\"hit_ratio\"", "\"hit_rate\"", 1);
    let e = RunSummary::from_json(renamed.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("hit_ratio"), "{e}");
    let e = RunSummary::from_json(text.replacen("\"events\"", "\"event_count\"", 1).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("event_count") || e.contains("events"), "{e}");
    // A link's field: the last "utilisation" in the file belongs to the link.
    let at = text.rfind("\"utilisation\"").unwrap();
    assert!(text[..at].contains("\"links\""));
    let mut broken = text.clone();
    broken.replace_range(at..at + "\"utilisation\"".len(), "\"util\"");
    let e = RunSummary::from_json(broken.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("links") && e.contains("utilisation"), "{e}");
    // Read from a file, the error names the file too.
    std::fs::write(&path, renamed).unwrap();
    let e = RunSummary::read(&path).unwrap_err().to_string();
    assert!(e.contains("summary.json") && e.contains("hit_ratio"), "{e}");
}

/// Every number or boolean under `v`, as (`prefix.key...`, value).
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| leaves(&format!("{prefix}.{k}"), x, out)),
        Value::Number(_) | Value::Bool(_) => out.push((prefix.to_string(), v.clone())),
        _ => {}
    }
}

#[test]
fn runs_csv_has_every_headline_metric_of_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let base: String = CONFIG
        .lines()
        .map(|l| match l.strip_prefix("[[") {
            Some(rest) => format!("[[base.{rest}"),
            None => match l.strip_prefix('[') {
                Some(rest) => format!("[base.{rest}"),
                None => l.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join("\n");
    let spec = dir.path().join("s.toml");
    std::fs::write(
        &spec,
        format!("[grid]\n\"workload.alpha\" = [0.7, 1.1]\n\n[base]\n{base}\n"),
    )
    .unwrap();
    let out = dir.path().join("sweep");
    tiersim(&[
        "sweep",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let (header, rows) = csv(&out.join("runs.csv"));
    assert_eq!(rows.len(), 2);
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("runs.csv has no column {name}: {header:?}"))
    };
    for row in &rows {
        assert_eq!(row[col("status")], "ok");
        let s = json(
            &out.join("runs")
                .join(&row[col("run_id")])
                .join("summary.json"),
        );
        let mut expected: Vec<(String, Value)> = Vec::new();
        for (f, _) in RunSummary::RUN_HEADLINE {
            expected.push((f.to_string(), s[f].clone()));
        }
        for (group, prefix, fields) in [
            (
                "tiers",
                "tier",
                RunSummary::TIER_HEADLINE
                    .iter()
                    .map(|m| m.0)
                    .collect::<Vec<_>>(),
            ),
            (
                "links",
                "link",
                RunSummary::LINK_HEADLINE.iter().map(|m| m.0).collect(),
            ),
        ] {
            for d in s[group].as_array().unwrap() {
                for f in &fields {
                    expected.push((
                        format!("{prefix}.{}.{f}", d["name"].as_str().unwrap()),
                        d[f].clone(),
                    ));
                }
            }
        }
        for (name, h) in s["latency"].as_object().unwrap() {
            for (f, _) in RunSummary::LATENCY_HEADLINE {
                expected.push((format!("latency.{name}.{f}"), h[f].clone()));
            }
        }
        leaves("workload", &s["workload"], &mut expected);
        // 1 run field + 3 tiers x 2 + 1 link + 2 histograms x 2, and the workload's.
        assert!(expected.len() > 12, "{expected:?}");
        for (name, v) in &expected {
            assert!(!v.is_null(), "summary.json lacks the headline field {name}");
            let cell = &row[col(name)];
            assert!(same(cell, v), "{name}: runs.csv {cell} vs summary.json {v}");
        }
    }
}
