//! Every `tiersim plot` kind rendered to PNG and SVG from small CSVs written here:
//! the bitmap must have many non-white pixels and several series colours, the SVG
//! must hold drawn paths and the axis labels.

use std::path::Path;
use tiersim::plot::{self, chart::PALETTE, Figure};

/// (non-white pixels, pixels of palette colour k for each k).
fn pixels(fig: &Figure) -> (usize, Vec<usize>) {
    let (w, h, buf) = plot::render_rgb(fig).unwrap();
    assert_eq!(buf.len(), (w * h * 3) as usize);
    let mut ink = 0;
    let mut per = vec![0; PALETTE.len()];
    for p in buf.chunks(3) {
        if p != [255, 255, 255] {
            ink += 1;
        }
        for (k, c) in PALETTE.iter().enumerate() {
            if p == [c.0, c.1, c.2] {
                per[k] += 1;
            }
        }
    }
    (ink, per)
}

/// Renders to both formats and checks them; `series` = number of colours expected.
fn check(fig: &Figure, dir: &Path, name: &str, series: usize, labels: &[&str]) {
    let (w, h) = fig.size(&plot::Layout::default());
    let (ink, per) = pixels(fig);
    let total = (w * h) as usize;
    assert!(
        ink > total / 50,
        "{name}: only {ink} of {total} pixels drawn"
    );
    for (k, n) in per.iter().take(series).enumerate() {
        assert!(*n > 100, "{name}: series colour {k} has only {n} pixels");
    }
    let png = dir.join(format!("{name}.png"));
    plot::save(fig, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}: not a PNG");
    assert!(bytes.len() > 5_000, "{name}: PNG of {} bytes", bytes.len());
    let svg = dir.join(format!("{name}.svg"));
    plot::save(fig, &svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{name}: not an SVG");
    assert!(
        text.contains("<path") || text.contains("<polyline") || text.contains("<rect"),
        "{name}: nothing drawn in the SVG"
    );
    for l in labels {
        assert!(text.contains(l), "{name}: SVG lacks the label '{l}'");
    }
    // No temporary file left behind.
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        assert!(!e.file_name().to_string_lossy().contains(".tmp"));
    }
}

#[test]
fn mrc_from_replay_csv_and_from_mrc_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let replay = tmp.path().join("replay.csv");
    let mut text =
        String::from("trace,policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio\n");
    for (p, k) in [("lru", 0.0), ("fifo", 0.05)] {
        for (i, size) in [100, 1000, 10000, 100000].iter().enumerate() {
            let mr: f64 = 0.9 - 0.2 * i as f64 + k;
            text += &format!("t,{p},{size},1000,{},{mr},{mr}\n", (mr * 1000.0) as u64);
        }
    }
    std::fs::write(&replay, text).unwrap();
    let fig = plot::mrc::figure(&plot::mrc::MrcOptions {
        inputs: vec![replay],
        bytes_metric: false,
        size_in_bytes: false,
        linear_x: false,
    })
    .unwrap();
    check(
        &fig,
        tmp.path(),
        "mrc",
        2,
        &["Miss ratio", "Cache size (objects)", "lru", "fifo"],
    );

    let curve = tmp.path().join("mrc.csv");
    std::fs::write(
        &curve,
        "trace,cache_size,miss_ratio,byte_miss_ratio\nt,1000,0.8,0.8\nt,2000,0.6,0.6\nt,4000,0.3,0.3\n",
    )
    .unwrap();
    let fig = plot::mrc::figure(&plot::mrc::MrcOptions {
        inputs: vec![curve],
        bytes_metric: true,
        size_in_bytes: true,
        linear_x: false,
    })
    .unwrap();
    check(
        &fig,
        tmp.path(),
        "mrc-curve",
        1,
        &["Byte miss ratio", "Cache size (bytes)"],
    );
}

#[test]
fn latency_cdf_from_a_run_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("name,latency_ns,cumulative_fraction\n");
    for (name, scale) in [("read", 1000.0), ("write", 100.0)] {
        for i in 0..=20 {
            let f = i as f64 / 20.0;
            text += &format!("{name},{},{f}\n", scale * (1.0 + 50.0 * f * f));
        }
    }
    std::fs::write(tmp.path().join("latency_cdf.csv"), text).unwrap();
    let fig = plot::latency::figure(tmp.path(), &[]).unwrap();
    check(
        &fig,
        tmp.path(),
        "cdf",
        2,
        &[
            "Latency (log scale)",
            "Cumulative fraction",
            "read",
            "write",
        ],
    );
}

#[test]
fn tier_timeseries_panels() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,utilisation\n",
    );
    for i in 0..50 {
        let t = i as f64 * 0.001;
        text += &format!("{t},dram,1,1,{},{},{}\n", 5e9 + 1e8 * i as f64, 1e9, 0.3);
        text += &format!("{t},nvme,1,1,{},{},{}\n", 1e9, 2e8, 0.5 + 0.01 * i as f64);
    }
    let csv = tmp.path().join("timeseries.csv");
    std::fs::write(&csv, text).unwrap();
    let fig = plot::timeseries::figure(&csv).unwrap();
    check(
        &fig,
        tmp.path(),
        "timeseries",
        2,
        &[
            "Bandwidth (GB/s)",
            "Utilisation (%)",
            "Simulated time (s)",
            "dram",
            "nvme",
        ],
    );
}

#[test]
fn stall_breakdown_bars() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("training_ranks.csv"),
        "rank,compute_s,stall_s,barrier_s,sync_s,checkpoint_s,total_s,stall_fraction\n\
         0,10,2,0.5,1,0.5,14,0.14\n1,10,3,0.2,1,0.5,14.7,0.2\n2,10,1.5,0.7,1.2,0.5,13.9,0.1\n3,10,4,0.1,0.8,0.5,15.4,0.26\n",
    )
    .unwrap();
    let fig = plot::stall::figure(tmp.path()).unwrap();
    if let Figure::Bars(b) = &fig {
        let names: Vec<&str> = b.parts.iter().map(|p| p.0.as_str()).collect();
        let colours: Vec<usize> = b.parts.iter().map(|p| p.1).collect();
        assert_eq!(colours, [0, 1, 2, 3, 4]);
        assert_eq!(
            names,
            [
                "compute",
                "data stall",
                "barrier wait",
                "gradient sync",
                "checkpoint"
            ]
        );
    } else {
        panic!("expected bars");
    }
    check(
        &fig,
        tmp.path(),
        "stall",
        5,
        &["Time (s)", "Rank", "data stall", "checkpoint"],
    );
}

#[test]
fn runs_lines_and_heatmap() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "index,run_id,status,error,tiers[0].capacity,tiers[0].eviction,workload.alpha,tier.dram.hit_ratio\n",
    );
    let mut i = 0;
    for cap in ["64MiB", "128MiB", "256MiB"] {
        for (p, k) in [("lru", 0.0), ("fifo", -0.03)] {
            for a in [0.8, 0.99] {
                let hr = 0.3 + 0.1 * i as f64 / 4.0 + k + (a - 0.8);
                text += &format!("{i},id{i},ok,,{cap},{p},{a},{hr}\n");
                i += 1;
            }
        }
    }
    text += &format!("{i},id{i},failed,boom,512MiB,lru,0.8,\n");
    let csv = tmp.path().join("runs.csv");
    std::fs::write(&csv, text).unwrap();
    let fig = plot::runs::figure(&plot::runs::RunsOptions {
        input: csv.clone(),
        x: "tiers[0].capacity".into(),
        y: "tier.dram.hit_ratio".into(),
        series: vec!["tiers[0].eviction".into()],
        filters: vec![("workload.alpha".into(), "0.99".into())],
        y_label: Some("DRAM hit ratio".into()),
        ..Default::default()
    })
    .unwrap();
    // The failed run's 512MiB is not a category.
    if let Figure::Lines(c) = &fig {
        assert_eq!(
            c.x_categories.as_ref().unwrap(),
            &["64MiB", "128MiB", "256MiB"]
        );
        assert_eq!(c.series.len(), 2);
    } else {
        panic!("expected lines");
    }
    check(
        &fig,
        tmp.path(),
        "runs-lines",
        2,
        &["DRAM hit ratio", "64MiB", "lru"],
    );
    let fig = plot::runs::figure(&plot::runs::RunsOptions {
        input: csv,
        x: "tiers[0].capacity".into(),
        y: "workload.alpha".into(),
        heatmap: Some("tier.dram.hit_ratio".into()),
        filters: vec![("tiers[0].eviction".into(), "lru".into())],
        ..Default::default()
    })
    .unwrap();
    let (ink, _) = pixels(&fig);
    let (w, h) = fig.size(&plot::Layout::default());
    assert!(ink > (w * h) as usize / 3, "heatmap mostly blank");
    check(
        &fig,
        tmp.path(),
        "runs-heatmap",
        0,
        &["workload.alpha", "tier.dram.hit_ratio", "0.99"],
    );
}

#[test]
fn a_missing_column_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("runs.csv");
    std::fs::write(&csv, "index,status,a,b\n0,ok,1,2\n").unwrap();
    let e = plot::runs::figure(&plot::runs::RunsOptions {
        input: csv,
        x: "a".into(),
        y: "nope".into(),
        ..Default::default()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("no column 'nope'") && e.contains("a, b"), "{e}");
}
