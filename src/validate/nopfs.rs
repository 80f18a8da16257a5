//! NoPFS access skew (REFERENCES.md s4.2): 16 workers, 90 epochs, 1,281,167 samples
//! (ImageNet-1k) under PyTorch DistributedSampler semantics (REFERENCES.md s3: a new
//! permutation each epoch, padded to ceil(N/R) R, rank r takes idx[r::R]). Each
//! worker's count of a sample is Binomial(90, 1/16), so the expected number of samples
//! one worker reads more than 10 times is N P(X > 10) = 31,634.7 (~31,635 in the
//! references). The model figure is the mean over the 16 workers (standard error
//! ~0.15%; tolerance 1%). Epoch e's permutation comes from the named stream
//! ("validate.nopfs.epoch", e) under seed 1, as DistributedSampler seeds with seed + e.

use super::{row, CheckOutput, Env};
use rand::seq::SliceRandom;
use rayon::prelude::*;

pub const SAMPLES: usize = 1_281_167;
pub const WORKERS: usize = 16;
pub const EPOCHS: u64 = 90;

/// P(Binomial(n, p) > k), summed exactly in floating point.
pub fn binomial_tail(n: u64, p: f64, k: u64) -> f64 {
    let mut term = (1.0 - p).powi(n as i32); // P(X = 0)
    let mut cdf = 0.0;
    for j in 0..=k {
        cdf += term;
        term *= (n - j) as f64 / (j + 1) as f64 * p / (1.0 - p);
    }
    1.0 - cdf
}

/// Mean over workers of the number of samples a worker reads more than 10 times.
pub fn skewed_samples(seed: u64) -> f64 {
    let per_rank = SAMPLES.div_ceil(WORKERS);
    let total = per_rank * WORKERS;
    let mut counts = vec![0u8; WORKERS * SAMPLES];
    let mut idx: Vec<u32> = Vec::with_capacity(total);
    for e in 0..EPOCHS {
        idx.clear();
        idx.extend(0..SAMPLES as u32);
        idx.shuffle(&mut crate::engine::stream_indexed(
            seed,
            "validate.nopfs.epoch",
            e,
        ));
        let pad: Vec<u32> = idx[..total - SAMPLES].to_vec();
        idx.extend(pad);
        let idx = &idx;
        counts
            .par_chunks_mut(SAMPLES)
            .enumerate()
            .for_each(|(r, c)| {
                for &i in idx[r..].iter().step_by(WORKERS) {
                    c[i as usize] = c[i as usize].saturating_add(1);
                }
            });
    }
    let over: usize = counts
        .par_chunks(SAMPLES)
        .map(|c| c.iter().filter(|&&x| x > 10).count())
        .sum();
    over as f64 / WORKERS as f64
}

pub fn skew(_env: &Env) -> anyhow::Result<CheckOutput> {
    let reference = SAMPLES as f64 * binomial_tail(EPOCHS, 1.0 / WORKERS as f64, 10);
    Ok(CheckOutput {
        rows: vec![row(
            "nopfs-skew",
            "samples one worker reads > 10 times (16 workers, 90 epochs)",
            skewed_samples(1),
            reference,
            "samples",
            1.0,
            "Binomial(90, 1/16) tail x 1,281,167 = ~31,635, REFERENCES s4.2",
        )],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn binomial_tail_matches_the_reference_figure() {
        let t = super::binomial_tail(90, 1.0 / 16.0, 10) * super::SAMPLES as f64;
        assert!((t - 31_635.0).abs() < 1.0, "{t}");
    }
}
