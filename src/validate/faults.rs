//! Fault checks: the checkpoint interval that gives the best goodput under node
//! failures. A training job of fixed-length iterations writes a blocking checkpoint
//! of cost C every k iterations on a node that fails with exponential times between
//! failures of mean M (restart delay 0); it resumes from its last checkpoint. A sweep
//! over the interval tau = k x iteration measures goodput; the time per useful second
//! 1 / goodput is fitted with a + b / tau + c tau (the shape of the first-order waste
//! C / tau + tau / 2M) and its minimum sqrt(b / c) is compared with Young's
//! sqrt(2 C M) (within 10%) and with the range from Daly's higher-order optimum
//! (FGCS 2006, eq. 37) to Young's. Every interval sees the same failure times (the
//! failures come from the fault's own random stream), so the sweep compares the
//! intervals on common random numbers. REFERENCES.md s5.

use super::{row, run_toml, CheckOutput, Env, Row};

/// Young's optimum sqrt(2 C M).
pub fn young(c: f64, m: f64) -> f64 {
    (2.0 * c * m).sqrt()
}

/// Daly's eq. 37: sqrt(2 C M) [1 + (1/3) sqrt(C / 2M) + (1/9) (C / 2M)] - C for
/// C < 2M, else M.
pub fn daly(c: f64, m: f64) -> f64 {
    if c >= 2.0 * m {
        return m;
    }
    let x = c / (2.0 * m);
    young(c, m) * (1.0 + x.sqrt() / 3.0 + x / 9.0) - c
}

/// Goodput (iterations per second) of the job with checkpoints every `every`
/// iterations of `iter_s` seconds, checkpoint cost `c_s`, node MTBF `m_s`, run for
/// about `failures` failures.
fn goodput(every: u64, iter_s: f64, c_s: f64, m_s: f64, failures: f64) -> anyhow::Result<f64> {
    let iterations = (failures * m_s / iter_s).round() as u64;
    let toml = format!(
        r#"
        [[tiers]]
        name = "disk"
        read_latency = "1ns"
        read_latency_seq = "1ns"
        read_bandwidth = "1000GB/s"
        write_latency = "0ns"
        write_latency_seq = "0ns"
        write_bandwidth = "1GB/s"
        [workload]
        kind = "training"
        dataset = {{ samples = 64, size = "1B" }}
        batch_size = 1
        epochs = 1000000000
        max_iterations = {iterations}
        compute = {{ per_batch = "{iter_s}s" }}
        checkpoint = {{ every = {every}, tier = "disk", bytes = "{}B" }}
        [[faults]]
        kind = "node_failure"
        node = 0
        mtbf = "{m_s}s"
        "#,
        (c_s * 1e9).round() as u64
    );
    let s = run_toml(&toml, 11)?;
    super::num(&s, "/workload/restarts/goodput_iterations_per_s")
}

/// Least-squares fit of y = a + b / x + c x; returns (a, b, c).
#[allow(clippy::needless_range_loop)] // a 3 x 4 matrix reads best by index
fn fit(points: &[(f64, f64)]) -> (f64, f64, f64) {
    // Normal equations for the basis (1, 1/x, x).
    let mut m = [[0.0f64; 4]; 3];
    for &(x, y) in points {
        let f = [1.0, 1.0 / x, x];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += f[i] * f[j];
            }
            m[i][3] += f[i] * y;
        }
    }
    // Gauss-Jordan elimination with partial pivoting.
    for col in 0..3 {
        let p = (col..3)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .expect("three rows");
        m.swap(col, p);
        for r in 0..3 {
            if r != col {
                let k = m[r][col] / m[col][col];
                for j in col..4 {
                    m[r][j] -= k * m[col][j];
                }
            }
        }
    }
    (m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2])
}

/// One (M, C) pair: rows for the fitted optimum against Young and Daly's range.
fn pair(m_s: f64, c_s: f64, iter_s: f64, failures: f64) -> anyhow::Result<Vec<Row>> {
    let y = young(c_s, m_s);
    let d = daly(c_s, m_s);
    let mut points = Vec::new();
    let mut best = (0.0, 0.0);
    for k in 0..12 {
        // Intervals from 0.4 to 2.5 times Young's, geometrically spaced.
        let tau = y * 0.4 * (2.5f64 / 0.4).powf(k as f64 / 11.0);
        let every = ((tau / iter_s).round() as u64).max(1);
        let g = goodput(every, iter_s, c_s, m_s, failures)?;
        let tau = every as f64 * iter_s;
        points.push((tau, 1.0 / (g * iter_s)));
        if g > best.1 {
            best = (tau, g);
        }
    }
    let (_, b, c) = fit(&points);
    let opt = if b > 0.0 && c > 0.0 {
        (b / c).sqrt()
    } else {
        f64::NAN
    };
    let what = format!("M {m_s} s, C {c_s} s");
    let check = "checkpoint-interval";
    let (lo, hi) = (d.min(y), d.max(y));
    let mid = (lo + hi) / 2.0;
    // Daly's range [lo, hi] as a band around its middle, plus 10% either side.
    let band = (((hi - lo) / 2.0 + 0.1 * hi) / mid * 1000.0).round() / 10.0;
    Ok(vec![
        row(
            check,
            &format!("best interval vs Young, {what}"),
            opt,
            y,
            "s",
            10.0,
            &format!(
                "Young sqrt(2CM); fitted over 12 intervals (best measured {:.0} s)",
                best.0
            ),
        ),
        row(
            check,
            &format!("best interval vs Daly..Young, {what}"),
            opt,
            mid,
            "s",
            band,
            &format!("Daly eq. 37 gives {d:.0} s, Young {y:.0} s (REFERENCES s5)"),
        ),
    ])
}

/// See the module doc.
pub fn checkpoint_interval(_env: &Env) -> anyhow::Result<CheckOutput> {
    let mut rows = pair(2_000.0, 20.0, 10.0, 1_000.0)?;
    rows.extend(pair(5_000.0, 60.0, 25.0, 1_000.0)?);
    Ok(CheckOutput {
        rows,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_recovers_a_known_curve_and_daly_is_below_young_for_small_c() {
        let pts: Vec<(f64, f64)> = (1..20)
            .map(|k| {
                let x = k as f64 * 10.0;
                (x, 1.0 + 20.0 / x + x / 4000.0)
            })
            .collect();
        let (a, b, c) = fit(&pts);
        assert!((a - 1.0).abs() < 1e-9 && (b - 20.0).abs() < 1e-9 && (c - 2.5e-4).abs() < 1e-12);
        assert!((young(20.0, 2000.0) - 282.842_712).abs() < 1e-5);
        let d = daly(20.0, 2000.0);
        assert!(d < young(20.0, 2000.0) && d > 250.0, "{d}");
        assert_eq!(daly(5.0, 1.0), 1.0);
    }
}
