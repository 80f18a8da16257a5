//! The report page of one run folder: what was simulated (the hierarchy in a line,
//! the resolved config in a collapsible block, the inputs and their digests), the
//! headline figures, a table per tier, link and latency histogram (and per job and
//! node, [`super::cluster`]), every figure the folder's files allow (latency CDFs,
//! tier time series, training time per rank, per-job and per-node figures, miss-ratio
//! curves of replay CSVs given with `--mrc`), and the folder's files.

use super::page::{count, num, percent, swatched, Cell, Page};
use super::{escape, Options};
use crate::config::units::{fmt_bytes, fmt_time};
use crate::plot::{self, Figure};
use crate::report::{DeviceSummary, RunSummary};
use serde_json::Value;
use std::path::Path;

/// The page of the run folder `dir`.
pub fn page(dir: &Path, opts: &Options, links: bool) -> anyhow::Result<String> {
    let s = RunSummary::read(&dir.join("summary.json"))?;
    let manifest: Option<Value> = std::fs::read(dir.join("manifest.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let name = folder_name(dir);
    let mut p = Page::default();
    p.raw(&format!("<h1>tiersim run: {}</h1>\n", escape(&name)));
    p.raw(&format!(
        "<p class=\"meta\">{}</p>\n",
        escape(&meta_line(&s, manifest.as_ref()))
    ));
    let (jobs, nodes) = (!s.jobs.is_empty(), !s.nodes.is_empty());
    let mut nav = vec![("what", "What was simulated"), ("headline", "Headline")];
    nav.extend(jobs.then_some(("jobs", "Jobs")));
    nav.push(("tiers", "Tiers"));
    nav.extend(nodes.then_some(("nodes", "Nodes")));
    nav.extend([
        ("latency", "Latency"),
        ("figures", "Figures"),
        ("files", "Files"),
    ]);
    let nav: String = nav
        .iter()
        .map(|(id, name)| format!("<a href=\"#{id}\">{name}</a>"))
        .collect();
    p.raw(&format!("<nav>{nav}</nav>\n"));

    p.section("what", "What was simulated");
    p.para(&hierarchy_line(&s, manifest.as_ref()));
    match manifest.as_ref() {
        Some(m) => {
            let cfg = &m["resolved_config"];
            let text = toml::to_string_pretty(cfg)
                .unwrap_or_else(|_| serde_json::to_string_pretty(cfg).unwrap_or_default());
            p.details(
                "Resolved config (as tiersim check prints it: every default filled in)",
                &text,
            );
            if let Some(inputs) = m["inputs"].as_array() {
                let rows: Vec<Vec<Cell>> = inputs
                    .iter()
                    .map(|i| {
                        vec![
                            Cell::Text(i["path"].as_str().unwrap_or("").into()),
                            Cell::Text(i["sha256"].as_str().unwrap_or("").into()),
                        ]
                    })
                    .collect();
                p.table(&["input", "SHA-256"], &[true, true], &rows, false);
            }
        }
        None => p.para("No manifest.json in this folder: the config is not known."),
    }

    p.section("headline", "Headline");
    let mut rows = vec![
        vec![
            Cell::Text("simulated time".into()),
            Cell::Text(secs(s.simulated_time_s)),
        ],
        vec![Cell::Text("events".into()), count(s.events)],
        vec![
            Cell::Text("finished".into()),
            Cell::Text(
                if s.finished {
                    "yes"
                } else {
                    "no: stopped at sim.duration"
                }
                .into(),
            ),
        ],
    ];
    // CPU pools by name (a few; a large cluster's are in cpu.csv).
    let cpu = s.cpu.as_ref().filter(|c| c.pools().count() <= 16).map(|c| {
        let pool = |p| serde_json::to_value(p).unwrap_or_default();
        Value::Object(c.pools().map(|p| (p.name.clone(), pool(p))).collect())
    });
    for (section, v) in [
        ("workload", Some(&s.workload)),
        ("migration", s.migration.as_ref()),
        ("prefetch", s.prefetch.as_ref()),
        ("cpu", cpu.as_ref()),
    ] {
        if let Some(v) = v {
            flatten(section, v, &mut rows);
        }
    }
    p.table(&["figure", "value"], &[true, true], &rows, false);
    super::cluster::jobs_section(&mut p, &s);

    p.section("tiers", "Tiers");
    let rows: Vec<Vec<Cell>> = s
        .tiers
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let mut r = device_cells(&t.device, Some(k));
            r.splice(
                2..2,
                [
                    percent(t.cache.hit_ratio),
                    count(t.cache.hits),
                    count(t.cache.misses),
                    count(t.cache.evictions),
                ],
            );
            r
        })
        .collect();
    let mut header = DEVICE_HEADER.to_vec();
    header.splice(2..2, ["hit ratio", "hits", "misses", "evictions"]);
    p.table(&header, &[true], &rows, false);
    if !s.links.is_empty() {
        p.raw("<h3>Links</h3>\n");
        let rows: Vec<Vec<Cell>> = s.links.iter().map(|l| device_cells(l, None)).collect();
        p.table(DEVICE_HEADER, &[true], &rows, false);
    }
    super::cluster::nodes_section(&mut p, &s);

    p.section("latency", "Latency");
    let ns = |v: f64| Cell::Num(fmt_time((v * 1e3).round() as u64), v);
    let rows: Vec<Vec<Cell>> = s
        .latency
        .iter()
        .enumerate()
        .map(|(k, (n, l))| {
            vec![
                Cell::Html(swatched(k, n)),
                count(l.count),
                ns(l.mean_ns),
                ns(l.p50_ns),
                ns(l.p90_ns),
                ns(l.p99_ns),
                ns(l.p999_ns),
                ns(l.max_ns),
            ]
        })
        .collect();
    p.table(
        &[
            "histogram",
            "count",
            "mean",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max",
        ],
        &[true],
        &rows,
        false,
    );

    p.section("figures", "Figures");
    figures(&mut p, dir, &s, opts)?;

    p.section("files", "Files");
    files(&mut p, dir, links);
    Ok(p.finish(&format!("tiersim run: {name}")))
}

const DEVICE_HEADER: &[&str] = &[
    "name",
    "capacity",
    "read",
    "written",
    "reads",
    "writes",
    "utilisation",
    "bandwidth util.",
    "mean queue",
    "write ampl.",
    "energy",
    "wear",
    "cost",
];

fn device_cells(d: &DeviceSummary, colour: Option<usize>) -> Vec<Cell> {
    let name = match colour {
        Some(k) => swatched(k, &d.name),
        None => escape(&d.name),
    };
    let bytes = |b: u64| Cell::Num(fmt_bytes(b as f64), b as f64);
    vec![
        Cell::Html(name),
        if d.capacity_bytes > 0 {
            bytes(d.capacity_bytes)
        } else {
            Cell::Text("-".into())
        },
        bytes(d.bytes_read),
        bytes(d.bytes_written),
        count(d.reads),
        count(d.writes),
        percent(d.utilisation),
        percent(d.bandwidth_utilisation),
        Cell::Num(
            fmt_time((d.mean_queue_time_ns * 1e3).round() as u64),
            d.mean_queue_time_ns,
        ),
        num(d.write_amplification),
        Cell::Num(
            format!("{} J", crate::plot::chart::short(d.energy_j)),
            d.energy_j,
        ),
        Cell::Num(format!("{:.3e}", d.wear_fraction), d.wear_fraction),
        Cell::Num(format!("${:.2}", d.cost_usd), d.cost_usd),
    ]
}

/// Seconds in a readable unit.
pub(super) fn secs(s: f64) -> String {
    fmt_time((s * 1e12).round() as u64)
}

/// Every scalar under `v` as a row `prefix.key = value`.
fn flatten(prefix: &str, v: &Value, rows: &mut Vec<Vec<Cell>>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| flatten(&format!("{prefix}.{k}"), x, rows)),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            let plain = if n.is_f64() {
                crate::plot::chart::short(x)
            } else {
                n.to_string()
            };
            // A unit read off the key's name, beside the plain number.
            let unit = if prefix.ends_with("bytes") || prefix.ends_with("bytes_read") {
                Some(fmt_bytes(x))
            } else if prefix.ends_with("_s") && !prefix.ends_with("per_s") && x > 0.0 {
                Some(secs(x))
            } else if prefix.ends_with("_fraction") || prefix.ends_with("_ratio") {
                Some(format!("{:.2}%", x * 100.0))
            } else {
                None
            };
            let shown = match unit {
                Some(u) => format!("{u} ({plain})"),
                None => plain,
            };
            rows.push(vec![Cell::Text(prefix.into()), Cell::Num(shown, x)]);
        }
        Value::Bool(b) => rows.push(vec![Cell::Text(prefix.into()), Cell::Text(b.to_string())]),
        Value::String(t) => rows.push(vec![Cell::Text(prefix.into()), Cell::Text(t.clone())]),
        Value::Array(a) => rows.push(vec![
            Cell::Text(prefix.into()),
            Cell::Text(Value::Array(a.clone()).to_string()),
        ]),
        Value::Null => {}
    }
}

fn folder_name(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .ok()
        .as_deref()
        .unwrap_or(dir)
        .file_name()
        .map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
}

fn meta_line(s: &RunSummary, m: Option<&Value>) -> String {
    let mut parts = Vec::new();
    if let Some(m) = m {
        if let Some(inputs) = m["inputs"].as_array() {
            if let Some(first) = inputs.first().and_then(|i| i["path"].as_str()) {
                parts.push(format!("config {first}"));
            }
        }
        parts.push(format!(
            "tiersim {} ({})",
            m["tiersim_version"].as_str().unwrap_or("?"),
            m["git_commit"].as_str().unwrap_or("?")
        ));
        if let Some(w) = m["wall_clock_seconds"].as_f64() {
            parts.push(format!("{w:.1} s wall clock"));
        }
    }
    parts.push(format!("seed {}", s.seed));
    parts.push(format!("{} simulated", secs(s.simulated_time_s)));
    parts.join(" · ")
}

/// "training workload over dram (64 GiB, ddr4-3200, lru) → nvme (...)".
fn hierarchy_line(s: &RunSummary, m: Option<&Value>) -> String {
    let kind = s.workload["kind"].as_str().unwrap_or("a");
    let tiers: Vec<String> = s
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cfg = m.map(|m| &m["resolved_config"]["tiers"][i]);
            let mut bits = vec![fmt_bytes(t.device.capacity_bytes as f64)];
            if let Some(c) = cfg {
                for key in ["preset", "model"] {
                    if let Some(v) = c[key].as_str() {
                        bits.push(v.to_string());
                        break;
                    }
                }
                if let Some(e) = c["eviction"]["kind"].as_str() {
                    bits.push(format!("{e} eviction"));
                }
            }
            format!("{} ({})", t.device.name, bits.join(", "))
        })
        .collect();
    let links: Vec<&str> = s.links.iter().map(|l| l.name.as_str()).collect();
    let mut line = format!(
        "A {kind} workload over {} tier(s), fastest first: {}",
        tiers.len(),
        tiers.join(" → ")
    );
    if !links.is_empty() {
        line += &format!("; links: {}", links.join(", "));
    }
    line + "."
}

/// The figures of a page as they are put on it.
pub(super) struct Figures<'a> {
    /// The run folder.
    pub dir: &'a Path,
    /// The folder as a shell argument, for the `tiersim plot` commands.
    pub dir_arg: String,
    /// Whether any figure (or a note why it is not drawn) was put.
    pub any: bool,
}

impl Figures<'_> {
    /// Puts `fig` with its label and the command that draws it for a paper, or, when
    /// it could not be drawn, says why.
    pub fn put(
        &mut self,
        p: &mut Page,
        fig: anyhow::Result<Figure>,
        label: &str,
        cmd: String,
    ) -> anyhow::Result<()> {
        self.any = true;
        match fig {
            Ok(f) => {
                let caption = format!(
                    "{} For a paper: <code>{}</code> (see docs/figures.md).",
                    escape(label),
                    escape(&cmd)
                );
                p.figure(&f, label, &caption)
            }
            Err(e) => {
                p.raw(&format!(
                    "<figure><figcaption>{}: not drawn: {}</figcaption></figure>\n",
                    escape(label),
                    escape(&format!("{e:#}"))
                ));
                Ok(())
            }
        }
    }
}

/// Draws each figure the folder allows; a figure that cannot be drawn says why.
fn figures(p: &mut Page, dir: &Path, s: &RunSummary, opts: &Options) -> anyhow::Result<()> {
    let d = super::command(dir).replacen("tiersim report ", "", 1);
    let mut f = Figures {
        dir,
        dir_arg: d.clone(),
        any: false,
    };
    p.figures_begin();
    let exists = |f: &str| dir.join(f).is_file();
    if exists("latency_cdf.csv") {
        f.put(
            p,
            plot::latency::figure(dir, &[]),
            "Latency CDF per histogram (latency_cdf.csv).",
            format!("tiersim plot latency-cdf {d} --out latency.svg"),
        )?;
    }
    // A training run of many epochs: bins of one mean epoch show the trend.
    let epoch = s.workload["epoch_time_s"]
        .as_f64()
        .filter(|e| *e > 0.0 && s.workload["epochs_completed"].as_u64().unwrap_or(0) >= 10);
    if exists("timeseries.csv") {
        let fig = plot::timeseries::figure_with(&plot::timeseries::TimeseriesOptions {
            input: dir.to_path_buf(),
            bin_s: epoch,
            ..Default::default()
        });
        let (how, bin) = match epoch {
            Some(e) => (
                format!(" Bins of one mean epoch ({}).", secs(e)),
                format!(" --bin {}", crate::plot::chart::short(e)),
            ),
            None => (String::new(), String::new()),
        };
        f.put(
            p,
            fig,
            &format!(
                "Bandwidth and utilisation per tier over simulated time (timeseries.csv).{how}"
            ),
            format!("tiersim plot tier-timeseries {d}{bin} --out tiers.svg [--from S --to S]"),
        )?;
    }
    if exists("training_ranks.csv") {
        f.put(p, plot::stall::figure(dir), "Training time per rank: compute, data stall, barrier wait, gradient sync, checkpoint (training_ranks.csv).", format!("tiersim plot stall {d} --out stall.svg"))?;
    }
    super::cluster::figures(p, &mut f, s, epoch)?;
    if !opts.mrc.is_empty() {
        let fig = plot::mrc::figure(&plot::mrc::MrcOptions {
            inputs: opts.mrc.clone(),
            bytes_metric: false,
            size_in_bytes: false,
            linear_x: false,
        });
        let names: Vec<String> = opts.mrc.iter().map(|m| m.display().to_string()).collect();
        f.put(
            p,
            fig,
            &format!("Miss-ratio curves ({}).", names.join(", ")),
            format!("tiersim plot mrc {} --out mrc.svg", names.join(" ")),
        )?;
    }
    p.figures_end();
    if !f.any {
        p.para("No figure applies: the folder has no latency_cdf.csv, timeseries.csv, training_ranks.csv, jobs.csv or nodes.csv.");
    }
    Ok(())
}

/// The folder's files with their sizes, linked when the page is in the folder.
fn files(p: &mut Page, dir: &Path, links: bool) {
    let mut names: Vec<(String, u64)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        e.metadata().map_or(0, |m| m.len()),
                    )
                })
                .filter(|(n, _)| !crate::atomic::is_temp(n) && n != "report.html")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let rows: Vec<Vec<Cell>> = names
        .iter()
        .map(|(n, size)| {
            vec![
                if links {
                    Cell::Html(format!("<a href=\"{0}\">{0}</a>", escape(n)))
                } else {
                    Cell::Text(n.clone())
                },
                Cell::Num(fmt_bytes(*size as f64), *size as f64),
            ]
        })
        .collect();
    p.table(&["file", "size"], &[true], &rows, false);
}
