//! Figures a reviewer accepts, checked on the rendered pixels for every plot kind, at
//! one and two paper columns, with and without titles: no series pixel (any pixel
//! that is not a shade of grey) lies outside the plot area or the legend strip, and
//! the data's maximum, known from how the test made the data, is inside the y range
//! and drawn where it belongs. Includes an ImageNet-length time series (90 epochs,
//! ~7,000 s of samples) with spikes, the case that used to leave the plot.

mod common;

use common::pixels::{assert_peak_drawn, col_of, ink_near, layouts, render_checked, row_of};
use std::path::Path;
use tiersim::plot::{
    self, latency, mrc, runs, stall, timeseries, Figure, Layout, LineChart, Series,
};

/// A 90-epoch ImageNet-like timeseries.csv: 4.096 s samples over ~7,000 s; storage
/// streams the first epoch, nvme's bandwidth saws 1.0-1.9 GB/s each 75 s epoch, dram
/// holds 1.85 GB/s with a spike every 37th sample and drops to 0 every 101st; one
/// spike of 3.1 GB/s at sample 1200 is the maximum. Returns the csv and that peak.
fn imagenet_like(dir: &Path) -> (std::path::PathBuf, (f64, f64)) {
    let mut text = String::from(
        "time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,utilisation\n",
    );
    let dt = 4.096;
    let n = (7000.0 / dt) as usize;
    for i in 1..=n {
        let t = i as f64 * dt;
        let first_epoch = t < 171.0;
        let dram = match i {
            1200 => 3.1e9,
            _ if i % 101 == 0 => 0.0,
            _ if i % 37 == 0 => 2.5e9,
            _ => 1.85e9,
        };
        let phase = (t % 75.0) / 75.0;
        let nvme = if first_epoch {
            2.2e9
        } else {
            1.0e9 + 0.9e9 * phase
        };
        let storage = if first_epoch { 2.2e9 } else { 0.0 };
        let util = |bw: f64, peak: f64| (bw / peak).min(1.0);
        for (tier, bw, peak) in [
            ("dram", dram, 200e9),
            ("nvme", nvme, 7e9),
            ("storage", storage, 6e9),
        ] {
            text += &format!("{t},{tier},0,0,{bw},0,{}\n", util(bw, peak));
        }
    }
    let csv = dir.join("timeseries.csv");
    std::fs::write(&csv, text).unwrap();
    (csv, (1200.0 * dt, 3.1))
}

#[test]
fn an_imagenet_length_time_series_stays_in_its_plot_and_shows_its_peak() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, peak) = imagenet_like(tmp.path());
    let fig = timeseries::figure(&csv).unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "imagenet time series");
        assert_eq!(r.frames.len(), 2);
        assert_peak_drawn(&r, 0, 0, peak, 0.0, "imagenet bandwidth");
        // Storage streams 2.2 of its 6 GB/s (36.7%) through the first epoch.
        assert_peak_drawn(
            &r,
            1,
            2,
            (100.0, 2.2 / 6.0 * 100.0),
            0.0,
            "imagenet utilisation",
        );
    }
    // Drawn as bins, not 1,709 raw samples per tier: the SVG's polylines hold fewer
    // points than one tier has samples, and the legend says so.
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
                .split_whitespace()
                .count()
        })
        .sum();
    assert!(
        points < 1709,
        "{points} polyline points: the samples were drawn raw"
    );
    assert!(
        svg.contains("mean, min–max per"),
        "no bin note in the legend"
    );
    assert!(svg.contains("Bandwidth per tier") && svg.contains("Utilisation per tier"));
    assert!(svg.starts_with("<svg width=\"3.500in\""), "{}", &svg[..60]);
}

#[test]
fn a_window_and_a_percentile_cut_are_shown_and_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, peak) = imagenet_like(tmp.path());
    let fig = timeseries::figure_with(&timeseries::TimeseriesOptions {
        input: csv.clone(),
        from: Some(4000.0),
        to: Some(5500.0),
        y_percentile: Some(99.0),
        bin_s: None,
    })
    .unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "windowed time series");
        assert_eq!(r.frames[0].x_range, (4000.0, 5500.0));
        // The 99th percentile of the window is dram's 2.5 GB/s spikes (1 in 37 samples
        // is 2.7% > 1%), so the axis stops below the 3.1 peak ...
        let (_, y1) = r.frames[0].y_range;
        assert!(y1 < peak.1 && y1 >= 2.5, "y top {y1}");
        // ... and a mark in dram's colour sits at the top edge above the peak.
        let top = r.frames[0].pixels.1.start;
        assert!(
            ink_near(&r, 0, (col_of(&r, 0, peak.0), top + 12), 12),
            "no cut mark above the peak"
        );
    }
    let svg = plot::svg(&fig, &Layout::default(), plot::SvgSize::Inches).unwrap();
    assert!(svg.contains("above p99 (max 3.1)"), "the cut is not stated");
    // A window that holds no sample is an error that says where the samples are.
    let e = timeseries::figure_with(&timeseries::TimeseriesOptions {
        input: csv,
        from: Some(9000.0),
        to: None,
        y_percentile: None,
        bin_s: None,
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("must be before") || e.contains("holds no sample"),
        "{e}"
    );
}

#[test]
fn a_spiky_raw_line_and_values_outside_a_fixed_range_are_clipped() {
    // 150 points alternating 0 and 100 (sharp spikes drawn raw with thick lines), on
    // a fixed y range of 0..50: half the points lie far outside it.
    let pts: Vec<(f64, f64)> = (0..150)
        .map(|i| (i as f64, if i % 2 == 0 { 0.0 } else { 100.0 }))
        .collect();
    let fig = Figure::Lines(LineChart {
        title: Some("Spikes".into()),
        series: vec![Series::line("spiky", pts.clone())],
        y_range: Some((0.0, 50.0)),
        ..Default::default()
    });
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "spikes on a fixed range");
        // The spikes above the range are marked at the top edge.
        let top = r.frames[0].pixels.1.start;
        assert!(
            ink_near(&r, 0, (col_of(&r, 0, 75.0), top + 12), 12),
            "no mark at the top"
        );
    }
    let svg = plot::svg(&fig, &Layout::default(), plot::SvgSize::Inches).unwrap();
    assert!(svg.contains("above 50 (max 100)"), "the cut is not stated");
    // The same on the data's range: the peaks are drawn.
    let fig = Figure::Lines(LineChart {
        series: vec![Series::line("spiky", pts)],
        ..Default::default()
    });
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "spikes");
        assert_peak_drawn(&r, 0, 0, (75.0, 100.0), 0.0, "spikes");
    }
}

#[test]
fn an_imagenet_length_series_drawn_raw_stays_in_its_plot() {
    // The same samples without binning: thousands of sharp turns a pixel apart.
    let tmp = tempfile::tempdir().unwrap();
    let (csv, peak) = imagenet_like(tmp.path());
    let Figure::Panels(mut panels) = timeseries::figure(&csv).unwrap() else {
        panic!("expected panels");
    };
    for p in &mut panels {
        p.bin_dense = false;
    }
    let fig = Figure::Panels(panels);
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "raw imagenet time series");
        assert_peak_drawn(&r, 0, 0, peak, 0.0, "raw imagenet bandwidth");
    }
}

#[test]
fn latency_cdfs_stay_in_their_plot() {
    let tmp = tempfile::tempdir().unwrap();
    // Four histograms spanning 100 ns to 100 s (nine decades), each a CDF from 0 to 1.
    let mut text = String::from("name,latency_ns,cumulative_fraction\n");
    for (name, scale) in [
        ("read", 100.0),
        ("write", 1e4),
        ("transfer", 1e6),
        ("training.iteration", 1e8),
    ] {
        for i in 0..=20 {
            let f = i as f64 / 20.0;
            text += &format!("{name},{},{f}\n", scale * (1.0 + 1e3 * f.powi(4)));
        }
    }
    std::fs::write(tmp.path().join("latency_cdf.csv"), text).unwrap();
    let fig = latency::figure(tmp.path(), &[]).unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "latency cdf");
        // Every CDF reaches 1 at its largest latency: training.iteration at 1e8 * 1001 ns.
        assert_peak_drawn(&r, 0, 3, ((1e8f64 * 1001.0).log10(), 1.0), 0.0, "cdf");
    }
    // Picking histograms keeps their colours: write stays colour 1.
    let fig = latency::figure(tmp.path(), &["write".to_string()]).unwrap();
    let r = render_checked(&fig, &Layout::default(), "write cdf");
    assert_peak_drawn(&r, 0, 1, ((1e4f64 * 1001.0).log10(), 1.0), 0.0, "write cdf");
    let e = latency::figure(tmp.path(), &["nope".to_string()])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no histogram 'nope'") && e.contains("read, write"),
        "{e}"
    );
}

#[test]
fn miss_ratio_curves_stay_in_their_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("replay.csv");
    let mut text =
        String::from("trace,policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio\n");
    // Miss ratio 1 at the smallest cache down to 0 at the largest: the extremes of the
    // fixed 0..1 range, where markers are widest.
    for (p, k) in [("lru", 0.0), ("fifo", 0.1), ("s3fifo", -0.1)] {
        for i in 0..=6 {
            let mr: f64 = (1.0 - i as f64 / 6.0 + k * (i % 2) as f64).clamp(0.0, 1.0);
            text += &format!("t,{p},{},1000,0,{mr},{mr}\n", 10u64.pow(i + 2));
        }
    }
    std::fs::write(&csv, text).unwrap();
    let fig = mrc::figure(&mrc::MrcOptions {
        inputs: vec![csv],
        bytes_metric: false,
        size_in_bytes: false,
        linear_x: false,
    })
    .unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "mrc");
        // All three start at (100, 1); s3fifo, drawn last, is on top.
        assert_peak_drawn(&r, 0, 2, (2.0, 1.0), 0.0, "mrc");
    }
}

#[test]
fn stall_bars_stay_in_their_plot_and_hold_the_tallest_bar() {
    let tmp = tempfile::tempdir().unwrap();
    // Rank 5's total, 10 + 9 + 1 + 2 + 0.5 = 22.5 s, is the tallest bar.
    let mut text = String::from("rank,compute_s,stall_s,barrier_s,sync_s,checkpoint_s,total_s\n");
    for r in 0..8 {
        let stall = if r == 5 { 9.0 } else { 1.0 + 0.2 * r as f64 };
        text += &format!("{r},10,{stall},1,2,0.5,0\n");
    }
    std::fs::write(tmp.path().join("training_ranks.csv"), text).unwrap();
    let fig = stall::figure(tmp.path()).unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "stall");
        // The checkpoint part (colour 4) tops rank 5's bar at 22.5 s.
        let (_, y1) = r.frames[0].y_range;
        assert!(y1 >= 22.5, "y top {y1}");
        let at = (col_of(&r, 0, 5.0), row_of(&r, 0, 22.5) + 2);
        assert!(ink_near(&r, 4, at, 3), "rank 5's bar top not at {at:?}");
    }
}

#[test]
fn sweep_lines_and_heatmaps_stay_in_their_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("index,run_id,status,error,cap,policy,alpha,hit\n");
    let mut i = 0;
    // hit = 0.2 * cap index + policy offset + alpha: the largest, 0.6 + 0.05 + 0.99, is
    // at the last capacity for lru and alpha 0.99.
    for (c, cap) in ["64MiB", "128MiB", "256MiB", "512MiB"].iter().enumerate() {
        for (p, off) in [("lru", 0.05), ("fifo", 0.0)] {
            for a in [0.8, 0.99] {
                let hit = 0.2 * c as f64 + off + a;
                text += &format!("{i},id{i},ok,,{cap},{p},{a},{hit}\n");
                i += 1;
            }
        }
    }
    let csv = tmp.path().join("runs.csv");
    std::fs::write(&csv, text).unwrap();
    let fig = runs::figure(&runs::RunsOptions {
        input: csv.clone(),
        x: "cap".into(),
        y: "hit".into(),
        series: vec!["policy".into(), "alpha".into()],
        ..Default::default()
    })
    .unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "sweep lines");
        // Series order is the runs' order: (lru, 0.8), (lru, 0.99), ...: colour 1.
        assert_peak_drawn(&r, 0, 1, (3.0, 0.6 + 0.05 + 0.99), 0.0, "sweep lines");
    }
    let fig = runs::figure(&runs::RunsOptions {
        input: csv,
        x: "cap".into(),
        y: "alpha".into(),
        heatmap: Some("hit".into()),
        ..Default::default()
    })
    .unwrap();
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "sweep heatmap");
        // The largest mean (512MiB, 0.99: (1.64 + 1.59) / 2) is viridis' yellow end.
        let at = (col_of(&r, 0, 3.3), row_of(&r, 0, 1.3));
        let i = ((at.1 as u32 * r.width + at.0 as u32) * 3) as usize;
        assert_eq!(
            &r.rgb[i..i + 3],
            &[253, 231, 37],
            "top cell not the top colour"
        );
    }
}

#[test]
fn model_against_reference_points_stay_in_their_plot() {
    // The validation figures: a line and reference crosses at the data's extremes.
    let line: Vec<(f64, f64)> = (0..=10).map(|i| (i as f64, (i * i) as f64)).collect();
    let fig = Figure::Lines(LineChart {
        title: Some("model vs reference".into()),
        series: vec![
            Series::line("model", line),
            Series::points("reference", vec![(0.0, 0.0), (10.0, 100.0), (5.0, 30.0)]),
        ],
        markers: true,
        ..Default::default()
    });
    for layout in layouts() {
        let r = render_checked(&fig, &layout, "model vs reference");
        assert_peak_drawn(&r, 0, 1, (10.0, 100.0), 0.0, "reference");
    }
}
