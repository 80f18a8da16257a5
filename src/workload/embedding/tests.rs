//! Unit tests of the embedding workload: rank-frequency slope and the DLRM preset's
//! published lookups and distinct rows per batch.

use super::*;

/// Least-squares slope of log(count) against log(rank) over ranks 1..=top.
fn loglog_slope(counts: &[u64], top: usize) -> f64 {
    let pts: Vec<(f64, f64)> = (1..=top)
        .map(|r| ((r as f64).ln(), (counts[r - 1] as f64).ln()))
        .collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

#[test]
fn rank_frequency_follows_the_configured_exponent() {
    let tiers = ["mem".to_string()];
    for alpha in [0.8, DEFAULT_ALPHA, 1.5] {
        // Built from a [workload] table as a config would give it.
        let params: toml::Table = toml::from_str(&format!(
            "rows = 100000\ntables = 1\nrow_bytes = 64\nbatch_size = 1\nbatches = 1\nalpha = {alpha}"
        ))
        .unwrap();
        let ctx = BuildCtx {
            seed: 7,
            dataset_seed: 7,
            tiers: &tiers,
            links: &[],
            base_dir: None,
            nodes: &[],
        };
        let mut emb = Embedding::new(params, &ctx).unwrap();
        let t = &emb.tables[0];
        let mut counts = vec![0u64; t.rows as usize];
        for _ in 0..2_000_000 {
            counts[(t.rank(&mut emb.rng) - 1) as usize] += 1;
        }
        // Ranks 1..100: the expected count at rank 100 is >= 2e6 * 100^-1.5 / 2.6
        // = 770, so each point's relative noise is under 4%.
        let slope = loglog_slope(&counts, 100);
        assert!(
            (-slope / alpha - 1.0).abs() < 0.05,
            "alpha {alpha}: fitted slope {slope}"
        );
    }
}

#[test]
fn dlrm_preset_pooling_sums_to_the_published_lookups_per_sample() {
    let total: u64 = (0..DLRM_TABLES)
        .map(|i| {
            DLRM_LOOKUPS_PER_SAMPLE / DLRM_TABLES
                + u64::from(i < DLRM_LOOKUPS_PER_SAMPLE % DLRM_TABLES)
        })
        .sum();
    assert_eq!(total, DLRM_LOOKUPS_PER_SAMPLE);
    // 1.405e9 lookups per 131,072-sample batch (REFERENCES.md s3).
    let per_batch = (total * DLRM_BATCH) as f64;
    assert!((per_batch / 1.405e9 - 1.0).abs() < 0.001, "{per_batch}");
}

#[test]
fn dlrm_preset_rows_give_the_published_distinct_rows_per_batch() {
    // E[distinct] = sum_r 1 - (1 - p_r)^L per table, L = 1.405e9 / 856 draws.
    let s = DEFAULT_ALPHA;
    let n = DLRM_ROWS;
    let h: f64 = (1..=n).map(|r| (r as f64).powf(-s)).sum();
    let l = 1.405e9 / DLRM_TABLES as f64;
    let distinct: f64 = (1..=n)
        .map(|r| {
            let p = (r as f64).powf(-s) / h;
            -(l * (-p).ln_1p()).exp_m1()
        })
        .sum();
    let total = distinct * DLRM_TABLES as f64;
    assert!((total / 1.10e8 - 1.0).abs() < 0.02, "{total}");
}
