//! Embedding-lookup workload: a static cache of the hottest rows gets the hit ratio the
//! Zipf CDF predicts, batch metrics, the dlrm preset, and bad parameters.

use tiersim::config::Config;
use tiersim::model;

fn config(workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "64MiB"
eviction = "lru"

[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"

[workload]
kind = "embedding"
{workload}
"#
    )
}

fn run(
    text: &str,
) -> (
    tiersim::sim::Simulation,
    tiersim::sim::Outcome,
    serde_json::Value,
) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 3).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    (sim, out, s)
}

/// Generalised harmonic number H(n, s) = sum_{r=1}^{n} r^-s.
fn harmonic(n: u64, s: f64) -> f64 {
    (1..=n).map(|r| (r as f64).powf(-s)).sum()
}

#[test]
fn hot_row_cache_hit_ratio_matches_the_zipf_cdf() {
    let (rows, hot, alpha) = (100_000u64, 1_000u64, 1.2);
    let w = format!(
        "tables = 1\nrows = {rows}\nrow_bytes = 256\nalpha = {alpha}\nbatch_size = 1000\nbatches = 200\nhot_rows = {hot}\nhot_tier = \"dram\""
    );
    let (_, _, s) = run(&config(&w));
    let lookups = s["lookups"].as_u64().unwrap();
    assert_eq!(lookups, 200 * 1000);
    // P(rank <= hot) = H(hot, alpha) / H(rows, alpha): the Zipf CDF.
    let p = harmonic(hot, alpha) / harmonic(rows, alpha);
    let got = s["hot_hit_ratio"].as_f64().unwrap();
    // A binomial proportion over 200,000 draws: 4 standard deviations.
    let tol = 4.0 * (p * (1.0 - p) / lookups as f64).sqrt();
    assert!(
        (got - p).abs() < tol,
        "hit ratio {got}, Zipf CDF {p}, tol {tol}"
    );
}

#[test]
fn per_table_skew_changes_the_hit_ratio_per_table() {
    // Two tables, the second nearly uniform: the hot-row hit ratio is the mean of the
    // two tables' CDFs (equal pooling).
    let w = r#"
batch_size = 500
batches = 200
hot_rows = 100
[[workload.table]]
rows = 10000
row_bytes = 128
alpha = 1.5
[[workload.table]]
rows = 10000
row_bytes = 128
alpha = 0.1
"#;
    let (_, _, s) = run(&config(w));
    let p = 0.5 * (harmonic(100, 1.5) / harmonic(10_000, 1.5))
        + 0.5 * (harmonic(100, 0.1) / harmonic(10_000, 0.1));
    let n = s["lookups"].as_u64().unwrap() as f64;
    let got = s["hot_hit_ratio"].as_f64().unwrap();
    assert!((got - p).abs() < 4.0 * (0.25 / n).sqrt(), "{got} vs {p}");
}

#[test]
fn workers_batches_and_latency_histogram() {
    let w = "tables = 4\nrows = 50000\nrow_bytes = 128\npooling = 2\nbatch_size = 64\nbatches = 40\nworkers = 4\ncompute_per_batch = \"200us\"";
    let (sim, out, s) = run(&config(w));
    assert_eq!(s["batches_completed"], 40);
    assert_eq!(s["lookups"], 40 * 64 * 4 * 2);
    let h = sim.metrics().get("batch_latency").unwrap();
    assert_eq!(h.len(), 40);
    // Every batch includes its compute time.
    assert!(h.min() >= 200_000_000 - 200_000, "{}", h.min());
    let rate = s["lookups_per_s"].as_f64().unwrap();
    let expect = (40 * 64 * 4 * 2) as f64 / (out.end as f64 / 1e12);
    assert!((rate / expect - 1.0).abs() < 1e-9);
}

#[test]
fn dlrm_preset_runs_with_a_small_batch() {
    let w = "preset = \"dlrm\"\nbatch_size = 2\nbatches = 2\nworkers = 2";
    let (_, _, s) = run(&config(w));
    assert_eq!(s["tables"], 856);
    // 10,719 lookups per sample (1.405e9 per 131,072-sample batch, REFERENCES.md s3).
    assert_eq!(s["lookups"], 2 * 2 * 10_719);
    assert_eq!(s["rows_total"], 856u64 * 2_600_000);
}

#[test]
fn impossible_parameters_name_the_key() {
    for (w, key) in [
        ("tables = 0\nrows = 10\nrow_bytes = 8\nbatch_size = 1\nbatches = 1", "workload.tables"),
        ("tables = 1\nrows = 0\nrow_bytes = 8\nbatch_size = 1\nbatches = 1", "workload.rows"),
        ("tables = 1\nrows = 10\nrow_bytes = 0\nbatch_size = 1\nbatches = 1", "workload.row_bytes"),
        ("tables = 1\nrows = 10\nrow_bytes = 8\nbatch_size = 0\nbatches = 1", "workload.batch_size"),
        ("tables = 1\nrows = 10\nrow_bytes = 8\nbatch_size = 1\nbatches = 1\nalpha = -1", "workload.alpha"),
        ("tables = 1\nrows = 10\nrow_bytes = 8\nbatch_size = 1\nbatches = 1\nworkers = 0", "workload.workers"),
        ("tables = 1\nrows = 10\nrow_bytes = 8\nbatch_size = 1\nbatches = 1\nhot_rows = 2\nhot_tier = \"hbm\"", "workload.hot_tier"),
        ("preset = \"dlrm2\"\nbatches = 1", "workload.preset"),
        ("batch_size = 1\nbatches = 1\n[[workload.table]]\nrows = 0\nrow_bytes = 8", "workload.table[0].rows"),
    ] {
        let cfg = Config::parse(&config(w)).unwrap();
        let e = model::build(&cfg, 1).err().expect(w);
        assert_eq!(e.path, key, "{w}: {e}");
    }
}

#[test]
fn updates_write_back_each_distinct_row_of_a_batch() {
    // 50 batches of 100 lookups over 1,000 rows (alpha 1.2), 2 workers, rows written
    // back after compute. Expected distinct rows per batch: sum_r 1 - (1 - p_r)^100.
    let w = "tables = 1\nrows = 1000\nrow_bytes = 64\nbatch_size = 100\nbatches = 50\nworkers = 2\ncompute_per_batch = \"10us\"\nupdate = true";
    let (sim, _, s) = run(&config(w));
    let updated = s["rows_updated"].as_u64().unwrap();
    let h = harmonic(1000, 1.2);
    let distinct: f64 = (1..=1000)
        .map(|r| 1.0 - (1.0 - (r as f64).powf(-1.2) / h).powi(100))
        .sum();
    let expect = 50.0 * distinct;
    assert!(
        (updated as f64 / expect - 1.0).abs() < 0.05,
        "{updated} rows updated, expected {expect}"
    );
    // Every update is a write through the hierarchy (none pinned here).
    let writes = sim.metrics().get("write").unwrap().len();
    assert_eq!(writes, updated);
    assert_eq!(s["lookups"], 50 * 100);
}
