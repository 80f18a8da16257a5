//! The per-job and per-node figures (`job-stall`, `node-nic`, `node-served`, and
//! `stall` and `tier-timeseries` on cluster and jobs folders), from result folders
//! written here: each figure's data equal what the test computes from the numbers it
//! wrote, the rendered figure keeps every series pixel in its plot areas at one and
//! two columns, with and without titles, and shows its peak; a folder without the
//! table a kind needs is a one-line error naming the file and what was expected.

mod common;

use common::pixels::{assert_peak_drawn, col_of, ink_near, layouts, render_checked, row_of};
use std::path::Path;
use tiersim::plot::{
    self, job_stall, node_nic, node_served, stall, timeseries, Figure, Layout, LineChart,
};

const JOBS_HEADER: &str = "job,kind,nodes,shared_dataset,start_s,end_s,run_time_s,finished,\
throughput,throughput_unit,stall_fraction,au,alone_run_time_s,slowdown,dram_hit_ratio,dram_bytes";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn lines(fig: &Figure) -> &LineChart {
    match fig {
        Figure::Lines(c) => c,
        _ => panic!("expected a line chart"),
    }
}

fn panels(fig: &Figure) -> &[LineChart] {
    match fig {
        Figure::Panels(p) => p,
        _ => panic!("expected panels"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn assert_points(got: &[(f64, f64)], want: &[(f64, f64)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            close(g.0, w.0) && close(g.1, w.1),
            "{what}: {got:?} vs {want:?}"
        );
    }
}

/// A [[jobs]] run folder: training job `a` from 0 s (slowdown 1.25, epochs of 50 s
/// with 1, 2 and 5 s of stall per rank), training job `b` from 60 s (no slowdown
/// known, epochs of 40 s with 4 and 0.4 s), and a synthetic job `c` (no epochs).
fn jobs_folder(dir: &Path) {
    write(
        dir,
        "jobs.csv",
        &format!(
            "{JOBS_HEADER}\n\
             a,training,0 1,,0,150,150,true,10,samples_per_s,0.05,0.9,120,1.25,0.5,100\n\
             b,training,2,,60,140,80,true,10,samples_per_s,0.05,0.9,,,0.5,100\n\
             c,synthetic,3,,10,20,10,true,5,requests_per_s,,,,,0.5,100\n"
        ),
    );
    let epochs = "epoch,start_s,end_s,duration_s,mean_stall_s,stall_fraction\n";
    write(
        dir,
        "job-a.training_epochs.csv",
        &format!("{epochs}0,0,50,50,1,0.02\n1,50,100,50,2,0.04\n2,100,150,50,5,0.1\n"),
    );
    write(
        dir,
        "job-b.training_epochs.csv",
        &format!("{epochs}0,0,40,40,4,0.1\n1,40,80,40,0.4,0.01\n"),
    );
    let ranks = "rank,compute_s,stall_s,barrier_s,sync_s,checkpoint_s,total_s,stall_fraction\n";
    write(
        dir,
        "job-a.training_ranks.csv",
        &format!("{ranks}0,100,8,1,2,0,150,0.05\n1,100,9,1,2,0,150,0.06\n"),
    );
    write(
        dir,
        "job-b.training_ranks.csv",
        &format!("{ranks}0,60,4.4,1,3,0,80,0.05\n"),
    );
}

#[test]
fn job_stall_draws_each_training_jobs_epochs_on_the_run_clock() {
    let tmp = tempfile::tempdir().unwrap();
    jobs_folder(tmp.path());
    let fig = job_stall::figure(tmp.path()).unwrap();
    let c = lines(&fig);
    // x: the job's start + the epoch's end; y: mean stall / duration in percent.
    assert_eq!(c.series.len(), 2, "the synthetic job has no epochs");
    assert_eq!(c.series[0].name, "a (slowdown 1.250)");
    assert_eq!(c.series[0].colour, Some(0));
    assert_points(
        &c.series[0].points,
        &[(50.0, 2.0), (100.0, 4.0), (150.0, 10.0)],
        "job a",
    );
    assert_eq!(c.series[1].name, "b");
    assert_eq!(c.series[1].colour, Some(1));
    assert_points(&c.series[1].points, &[(100.0, 10.0), (140.0, 1.0)], "job b");
    assert!(c.title.as_deref().unwrap().contains("2 training jobs of 3"));
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "job stall");
        assert_peak_drawn(&r, 0, 0, (150.0, 10.0), 0.0, "job a's last epoch");
        assert_peak_drawn(&r, 0, 1, (100.0, 10.0), 0.0, "job b's first epoch");
    }
    // jobs.csv itself works as the input too.
    let again = job_stall::figure(&tmp.path().join("jobs.csv")).unwrap();
    assert_eq!(lines(&again).series[1].points, c.series[1].points);
}

#[test]
fn stall_draws_every_jobs_ranks_of_a_jobs_folder() {
    let tmp = tempfile::tempdir().unwrap();
    jobs_folder(tmp.path());
    let Figure::Bars(b) = stall::figure(tmp.path()).unwrap() else {
        panic!("expected bars")
    };
    assert_eq!(b.categories, ["a/0", "a/1", "b/0"]);
    assert_eq!(b.title.as_deref(), Some("Training time per job and rank"));
    let stall = b.parts.iter().find(|p| p.0 == "data stall").unwrap();
    assert_eq!(stall.2, [8.0, 9.0, 4.4]);
    for layout in layouts() {
        let r = render_checked(&Figure::Bars(b.clone()), &layout, "stall per job");
        // a/1's bar tops at 100 + 9 + 1 + 2 + 0 = 112 s with gradient sync (colour 3);
        // the checkpoint part on top is 0.
        let at = (col_of(&r, 0, 1.0), row_of(&r, 0, 112.0) + 3);
        assert!(ink_near(&r, 3, at, 3), "a/1's bar top not at {at:?}");
    }
}

#[test]
fn a_folder_without_the_table_a_kind_needs_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let one_line = |e: anyhow::Error| {
        let e = format!("{e:#}");
        assert_eq!(e.lines().count(), 1, "{e}");
        e
    };
    let e = one_line(job_stall::figure(tmp.path()).unwrap_err());
    assert!(
        e.contains("jobs.csv: not found") && e.contains("[[jobs]]"),
        "{e}"
    );
    for e in [
        node_nic::figure(tmp.path()).unwrap_err(),
        node_served::figure(tmp.path()).unwrap_err(),
    ] {
        let e = one_line(e);
        assert!(
            e.contains("nodes.csv: not found") && e.contains("[cluster]"),
            "{e}"
        );
    }
    let e = one_line(job_stall::figure(&tmp.path().join("nope")).unwrap_err());
    assert!(e.contains("not found (expected a run folder)"), "{e}");
    // A training job whose epochs table is missing is named.
    jobs_folder(tmp.path());
    std::fs::remove_file(tmp.path().join("job-b.training_epochs.csv")).unwrap();
    let e = one_line(job_stall::figure(tmp.path()).unwrap_err());
    assert!(e.contains("job-b.training_epochs.csv: not found"), "{e}");
    // Only jobs of other kinds: nothing to draw, and the kinds are named.
    write(
        tmp.path(),
        "jobs.csv",
        &format!("{JOBS_HEADER}\nc,synthetic,3,,10,20,10,true,5,requests_per_s,,,,,0.5,100\n"),
    );
    let e = one_line(job_stall::figure(tmp.path()).unwrap_err());
    assert!(
        e.contains("no training job") && e.contains("synthetic"),
        "{e}"
    );
    // A bad cell names the file and line.
    write(
        tmp.path(),
        "nodes.csv",
        "node,served_local,served_remote,served_shared,nic\n0,1,x,2,nic@0\n",
    );
    let e = one_line(node_served::figure(tmp.path()).unwrap_err());
    assert!(e.contains("nodes.csv: line 2"), "{e}");
}

/// A cluster run folder of `n` nodes, `intervals` samples 0.1 s apart: tiers dram and
/// storage, NIC `nic@i` of node i, and the shared storage-nic, in timeseries.csv as
/// tiersim writes it (tiers first, then the link instances, per interval). Node i's
/// NIC reads `bw(i, j)` bytes/s at interval j and writes 0.5 GB/s; utilisation is
/// bandwidth over 12.5 GB/s.
fn cluster_folder(dir: &Path, n: usize, intervals: usize, bw: impl Fn(usize, usize) -> f64) {
    let mut nodes = String::from(
        "node,group,accesses,bytes,served_local,served_remote,served_shared,dram_hits,nic,\
         nic_bytes_read,nic_bytes_written,nic_utilisation,nic_mean_queue_time_ns\n",
    );
    for i in 0..n {
        nodes += &format!("{i},gpu,10,10,5,3,2,5,nic@{i},0,0,0,0\n");
    }
    write(dir, "nodes.csv", &nodes);
    write(
        dir,
        "tiers.csv",
        "name,kind,reads\ndram,tier,1\nstorage,tier,1\nnic,link,1\nstorage-nic,link,1\n",
    );
    let mut ts = String::from(
        "time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,utilisation\n",
    );
    for j in 1..=intervals {
        let t = j as f64 * 0.1;
        // Tiers and the storage NIC far above any node NIC: drawn, they would show.
        for tier in ["dram", "storage"] {
            ts += &format!("{t},{tier},0,0,50e9,0,0.9\n");
        }
        for i in 0..n {
            let b = bw(i, j);
            ts += &format!("{t},nic@{i},0,0,{b},0.5e9,{}\n", (b + 0.5e9) / 12.5e9);
        }
        ts += &format!("{t},storage-nic,0,0,40e9,0,0.95\n");
    }
    write(dir, "timeseries.csv", &ts);
}

#[test]
fn node_nic_draws_a_line_per_node_and_tier_timeseries_leaves_the_nics_out() {
    let tmp = tempfile::tempdir().unwrap();
    // Node i reads (i + 1) GB/s; node 2 spikes to 9 GB/s at interval 30 (3.0 s).
    let bw = |i: usize, j: usize| {
        if i == 2 && j == 30 {
            9e9
        } else {
            (i + 1) as f64 * 1e9
        }
    };
    cluster_folder(tmp.path(), 4, 50, bw);
    let fig = node_nic::figure(tmp.path()).unwrap();
    let p = panels(&fig);
    assert_eq!(p.len(), 2);
    for i in 0..4 {
        let s = &p[0].series[i];
        assert_eq!(s.name, format!("node {i}"));
        assert_eq!(s.colour, Some(i));
        let want: Vec<(f64, f64)> = (1..=50)
            .map(|j| (j as f64 * 0.1, bw(i, j) / 1e9 + 0.5))
            .collect();
        assert_points(&s.points, &want, &format!("node {i}'s bandwidth"));
        let util: Vec<(f64, f64)> = want
            .iter()
            .map(|&(t, g)| (t, g * 1e9 / 12.5e9 * 100.0))
            .collect();
        assert_points(&p[1].series[i].points, &util, "utilisation");
    }
    assert_eq!(p[0].series.len(), 4, "only the node NICs");
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "node nic");
        assert_peak_drawn(&r, 0, 2, (3.0, 9.5), 0.0, "node 2's spike");
        assert_peak_drawn(&r, 1, 2, (3.0, 9.5 / 12.5 * 100.0), 0.0, "its utilisation");
    }
    // Picked nodes keep their colours.
    let fig = node_nic::figure_with(&node_nic::NodeNicOptions {
        series: timeseries::TimeseriesOptions {
            input: tmp.path().into(),
            ..Default::default()
        },
        nodes: vec![3, 1],
    })
    .unwrap();
    let names: Vec<(&str, Option<usize>)> = panels(&fig)[0]
        .series
        .iter()
        .map(|s| (s.name.as_str(), s.colour))
        .collect();
    assert_eq!(names, [("node 3", Some(3)), ("node 1", Some(1))]);
    let e = node_nic::figure_with(&node_nic::NodeNicOptions {
        series: timeseries::TimeseriesOptions {
            input: tmp.path().into(),
            ..Default::default()
        },
        nodes: vec![7],
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no node 7") && e.contains("nodes: 0 1 2 3"),
        "{e}"
    );
    // The tiers' figure draws the tiers only, not the link instances.
    let fig = timeseries::figure(tmp.path()).unwrap();
    let names: Vec<&str> = panels(&fig)[0]
        .series
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["dram", "storage"]);
}

#[test]
fn many_nodes_are_drawn_as_the_median_with_a_band_across_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    // 12 nodes, 3000 intervals: node i reads 0.5 (i + 1) f GB/s with f = 1 + (j mod
    // 10) / 10, so across nodes the least is 0.5 f, the most 6 f, and the median (the
    // mean of the 6th and 7th of 12) 3.25 f; node 7 spikes to 20 GB/s at interval
    // 1500, which leaves the median where it was (the 6th and 7th values stay 3 f
    // and 3.5 f).
    let f = |j: usize| 1.0 + (j % 10) as f64 / 10.0;
    let bw = |i: usize, j: usize| {
        if i == 7 && j == 1500 {
            20e9 - 0.5e9
        } else {
            0.5e9 * (i + 1) as f64 * f(j) - 0.5e9
        }
    };
    cluster_folder(tmp.path(), 12, 3000, bw);
    let fig = node_nic::figure(tmp.path()).unwrap();
    let p = panels(&fig);
    assert_eq!(p[0].series.len(), 1);
    let s = &p[0].series[0];
    assert_eq!(s.name, "median of 12 nodes");
    let want: Vec<(f64, f64)> = (1..=3000).map(|j| (j as f64 * 0.1, 3.25 * f(j))).collect();
    assert_points(&s.points, &want, "median");
    let (label, bounds) = s.spread.as_ref().expect("a band");
    assert_eq!(label, "min–max across nodes");
    let want: Vec<(f64, f64)> = (1..=3000)
        .map(|j| (0.5 * f(j), if j == 1500 { 20.0 } else { 6.0 * f(j) }))
        .collect();
    assert_points(bounds, &want, "band");
    assert!(p[0].title.as_deref().unwrap().contains("across 12 nodes"));
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "node nic spread");
        assert_peak_drawn(&r, 0, 0, (150.0, 20.0), 0.0, "node 7's spike, in the band");
    }
    // Binned: the SVG holds fewer line points than the 3000 samples, and says so.
    let svg = plot::svg(&fig, &Layout::default(), plot::SvgSize::Inches).unwrap();
    let points: usize = svg
        .split("<polyline")
        .skip(1)
        .map(|p| {
            p.split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .map(|p| p.split_whitespace().count())
        .sum();
    assert!(points < 3000, "{points} polyline points: drawn raw");
    assert!(svg.contains("mean per") && svg.contains("min–max across nodes"));
}

#[test]
fn node_served_stacks_each_nodes_accesses() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "nodes.csv",
        "node,group,accesses,bytes,served_local,served_remote,served_shared,nic\n\
         0,gpu,20000,1,12000,3000,5000,nic@0\n\
         1,gpu,3000,1,500,0,2500,nic@1\n\
         2,gpu,50000,1,0,40000,10000,nic@2\n",
    );
    let Figure::Bars(b) = node_served::figure(tmp.path()).unwrap() else {
        panic!("expected bars")
    };
    assert_eq!(b.categories, ["0", "1", "2"]);
    assert_eq!(b.y_label, "Accesses (thousands)");
    let parts: Vec<(&str, &[f64])> = b.parts.iter().map(|p| (p.0.as_str(), &p.2[..])).collect();
    assert_eq!(
        parts,
        [
            ("local", &[12.0, 0.5, 0.0][..]),
            ("remote node", &[3.0, 0.0, 40.0][..]),
            ("shared tier", &[5.0, 2.5, 10.0][..]),
        ]
    );
    let shared = b.parts[2].1;
    for layout in layouts() {
        let r = render_checked(&Figure::Bars(b.clone()), &layout, "node served");
        // Node 2's bar tops at 50 thousand with its shared part.
        let at = (col_of(&r, 0, 2.0), row_of(&r, 0, 50.0) + 3);
        assert!(
            ink_near(&r, shared, at, 3),
            "node 2's bar top not at {at:?}"
        );
    }
}
