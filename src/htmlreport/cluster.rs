//! The parts of a run's page for a cluster or several jobs: the jobs table (when,
//! how fast, stall, AU, slowdown and hit ratio per tier of each job, summary.json's
//! `jobs`), the nodes table (where each node's accesses were served, its hits and its
//! NIC's traffic, `nodes`), and their figures: data stall per job and epoch, training
//! time per job and rank, NIC bandwidth per node, accesses per node by where served.

use super::escape;
use super::page::{count, num, percent, swatched, Cell, Page};
use super::run::{secs, Figures};
use crate::config::units::{fmt_bytes, fmt_time};
use crate::plot::{self, chart::short, node_nic::MAX_LINES};
use crate::report::RunSummary;

/// The jobs table, when the run had `[[jobs]]`.
pub(super) fn jobs_section(p: &mut Page, s: &RunSummary) {
    if s.jobs.is_empty() {
        return;
    }
    p.section("jobs", "Jobs");
    let tiers: Vec<&str> = s.jobs[0].tiers.iter().map(|t| t.tier.as_str()).collect();
    let opt = |v: Option<f64>, f: fn(f64) -> Cell| v.map_or(Cell::Text("-".into()), f);
    let rows: Vec<Vec<Cell>> = s
        .jobs
        .iter()
        .enumerate()
        .map(|(k, j)| {
            let nodes: Vec<String> = j.nodes.iter().map(u16::to_string).collect();
            let rate = match (j.throughput, &j.throughput_unit) {
                (Some(v), Some(u)) => Cell::Num(format!("{} {}", short(v), u.replace('_', " ")), v),
                (Some(v), None) => num(v),
                _ => Cell::Text("-".into()),
            };
            let mut r = vec![
                Cell::Html(swatched(k, &j.name)),
                Cell::Text(j.kind.clone()),
                Cell::Text(nodes.join(" ")),
                Cell::Text(j.shared_dataset.clone().unwrap_or_else(|| "-".into())),
                Cell::Num(
                    if j.start_s == 0.0 {
                        "0 s".into()
                    } else {
                        secs(j.start_s)
                    },
                    j.start_s,
                ),
                Cell::Num(secs(j.run_time_s), j.run_time_s),
                Cell::Text(if j.finished { "yes" } else { "no" }.into()),
                rate,
                opt(j.stall_fraction, |v| {
                    Cell::Num(format!("{:.3}%", v * 100.0), v)
                }),
                opt(j.au, percent),
                opt(j.alone_run_time_s, |v| Cell::Num(secs(v), v)),
                opt(j.slowdown, |v| Cell::Num(format!("{v:.3}"), v)),
            ];
            for t in &tiers {
                let hit = j.tiers.iter().find(|x| x.tier == *t).map(|x| x.hit_ratio);
                r.push(opt(hit, percent));
            }
            r
        })
        .collect();
    let mut header = vec![
        "job",
        "kind",
        "nodes",
        "shared dataset",
        "start",
        "run time",
        "finished",
        "throughput",
        "data stall",
        "AU",
        "run time alone",
        "slowdown",
    ];
    let hit_names: Vec<String> = tiers.iter().map(|t| format!("{t} hit ratio")).collect();
    header.extend(hit_names.iter().map(String::as_str));
    p.table(&header, &[true, true, true, true], &rows, true);
    p.para(
        "Data stall: the job's stall on the critical path over its run time (training). \
         Slowdown: its run time here over its run time alone (sim.run_jobs_alone). \
         A job's colour is its line's in the data-stall figure.",
    );
}

/// The nodes table, when the run was on a cluster of more than one node.
pub(super) fn nodes_section(p: &mut Page, s: &RunSummary) {
    if s.nodes.is_empty() {
        return;
    }
    p.section("nodes", "Nodes");
    let levels: Vec<&String> = s.nodes[0].hits.keys().collect();
    let coloured = s.nodes.len() <= MAX_LINES;
    let share = |v: u64, of: u64| {
        let f = if of > 0 { v as f64 / of as f64 } else { 0.0 };
        Cell::Num(format!("{:.1}%", f * 100.0), f)
    };
    let rows: Vec<Vec<Cell>> = s
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let name = n.node.to_string();
            let served = n.served_local + n.served_remote + n.served_shared;
            let mut r = vec![
                Cell::Html(if coloured {
                    swatched(k, &name)
                } else {
                    escape(&name)
                }),
                Cell::Text(n.group.clone()),
                count(n.accesses),
                Cell::Num(fmt_bytes(n.bytes as f64), n.bytes as f64),
                share(n.served_local, served),
                share(n.served_remote, served),
                share(n.served_shared, served),
            ];
            for l in &levels {
                r.push(count(n.hits.get(*l).copied().unwrap_or(0)));
            }
            match &n.nic {
                Some(d) => r.extend([
                    Cell::Text(d.name.clone()),
                    Cell::Num(fmt_bytes(d.bytes_read as f64), d.bytes_read as f64),
                    Cell::Num(fmt_bytes(d.bytes_written as f64), d.bytes_written as f64),
                    percent(d.utilisation),
                    Cell::Num(
                        fmt_time((d.mean_queue_time_ns * 1e3).round() as u64),
                        d.mean_queue_time_ns,
                    ),
                ]),
                None => r.extend((0..5).map(|_| Cell::Text("-".into()))),
            }
            r
        })
        .collect();
    let hits: Vec<String> = levels.iter().map(|l| format!("{l} hits")).collect();
    let mut header = vec![
        "node", "group", "accesses", "bytes", "local", "remote", "shared",
    ];
    header.extend(hits.iter().map(String::as_str));
    header.extend([
        "NIC",
        "NIC read",
        "NIC written",
        "NIC util.",
        "NIC mean queue",
    ]);
    p.table(&header, &[true, true], &rows, true);
    p.para(
        "Local, remote, shared: the node's accesses served by its own tier instances, by \
         another node's instance of a cluster-scope tier (over both NICs), by a shared \
         tier (over its NIC and the fabric).",
    );
}

/// The per-job and per-node figures the folder allows; `bin_s` the tier figures' bin.
pub(super) fn figures(
    p: &mut Page,
    f: &mut Figures,
    s: &RunSummary,
    bin_s: Option<f64>,
) -> anyhow::Result<()> {
    let (dir, d) = (f.dir, f.dir_arg.clone());
    let training = s.jobs.iter().any(|j| j.kind == "training");
    if dir.join("jobs.csv").is_file() && training {
        let slowdown = if s.jobs.iter().any(|j| j.slowdown.is_some()) {
            " The legend gives each job's slowdown against running alone."
        } else {
            ""
        };
        f.put(
            p,
            plot::job_stall::figure(dir),
            &format!(
                "Data stall per training job and epoch, at each epoch's end on the run's \
                 clock (jobs.csv, job-<name>.training_epochs.csv).{slowdown}"
            ),
            format!("tiersim plot job-stall {d} --out job-stall.svg"),
        )?;
        if !dir.join("training_ranks.csv").exists() {
            f.put(
                p,
                plot::stall::figure(dir),
                "Training time per job and rank: compute, data stall, barrier wait, \
                 gradient sync, checkpoint (job-<name>.training_ranks.csv).",
                format!("tiersim plot stall {d} --out stall.svg"),
            )?;
        }
    }
    if !dir.join("nodes.csv").is_file() {
        return Ok(());
    }
    if dir.join("timeseries.csv").is_file() {
        let nics = s.nodes.iter().filter(|n| n.nic.is_some()).count();
        let how = if nics > MAX_LINES {
            format!(" The median across the {nics} nodes' NICs, the band from the least to the most loaded.")
        } else {
            String::new()
        };
        let (bin, bin_arg) = match bin_s {
            Some(e) => (
                format!(" Bins of one mean epoch ({}).", secs(e)),
                format!(" --bin {}", short(e)),
            ),
            None => (String::new(), String::new()),
        };
        let fig = plot::node_nic::figure_with(&plot::node_nic::NodeNicOptions {
            series: plot::timeseries::TimeseriesOptions {
                input: dir.to_path_buf(),
                bin_s,
                ..Default::default()
            },
            ..Default::default()
        });
        f.put(
            p,
            fig,
            &format!(
                "NIC bandwidth and utilisation per node over simulated time (nodes.csv, \
                 timeseries.csv).{how}{bin}"
            ),
            format!("tiersim plot node-nic {d}{bin_arg} --out node-nic.svg [--nodes 0,3]"),
        )?;
    }
    f.put(
        p,
        plot::node_served::figure(dir),
        "Where each node's accesses were served: its own tiers, another node's, a shared \
         tier (nodes.csv).",
        format!("tiersim plot node-served {d} --out node-served.svg"),
    )
}
