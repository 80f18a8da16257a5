//! NoPFS access skew (REFERENCES.md s4.2): 16 workers, 90 epochs, 1,281,167 samples
//! (ImageNet-1k) under PyTorch DistributedSampler semantics (REFERENCES.md s3: a new
//! permutation each epoch, padded to ceil(N/R) R, rank r takes idx[r::R]). Each
//! worker's count of a sample is Binomial(90, 1/16), so the expected number of samples
//! one worker reads more than 10 times is N P(X > 10) = 31,634.7 (~31,635 in the
//! references). The model figure is the mean over the 16 workers (standard error
//! ~0.15%; tolerance 1%).
//!
//! The experiment is a user's `kind = "training"` config (`dataset = "imagenet-1k"`,
//! 16 ranks, 90 epochs, `sampler = "distributed"`) parsed with `Config::parse`; its
//! `[workload]` table is resolved by the training workload's own
//! `training::params::resolve` (what `model::build` calls), and the resulting
//! [`Sampler`] -- the object the workload asks for every read's sample id -- is stepped
//! through the 90 epochs with `set_epoch` and `index`, counting each rank's reads.
//! Epoch e's permutation is therefore the workload's: stream
//! "workload.training.sampler" seeded with seed + e, run seed 1.
//!
//! Why not `Simulation::run`: the job is 115 M reads (16 x 80,073 x 90). Through the
//! timed engine that is ~45 s of CPU on this machine (benches/README.md: the 8-rank
//! ImageNet config, the same 115 M reads, takes 44-61 s), over the whole validation's
//! ~30 s budget, and summary.json has no per-(rank, sample) read counts to read the
//! skew from. Counting straight from the sampler takes ~2 s and covers exactly the
//! sample ids the engine would read: the workload reads position p of rank r's epoch
//! as `sampler.index(r, p)` for p in 0..per_rank.

use super::{row, CheckOutput, Env};
use crate::config::{Config, KindTable};
use crate::workload::training::{params, sampler::Sampler};
use crate::workload::BuildCtx;
use rayon::prelude::*;

pub const SAMPLES: usize = 1_281_167;
pub const WORKERS: usize = 16;
pub const EPOCHS: u64 = 90;

/// The training job whose reads are counted (batch size and compute do not affect
/// which samples a rank reads).
fn config(seed: u64) -> String {
    format!(
        "seed = {seed}\n[[tiers]]\nname = \"storage\"\npreset = \"nvme-tlc-pcie4\"\n\n\
         [workload]\nkind = \"training\"\ndataset = \"imagenet-1k\"\nranks = {WORKERS}\n\
         epochs = {EPOCHS}\nbatch_size = 256\nsampler = \"distributed\"\n\
         compute = {{ per_batch = \"100ms\" }}\n"
    )
}

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

/// The training workload's sampler for the config text `toml`, built as `model::build`
/// builds it, with the config's (ranks, epochs).
pub fn training_sampler(toml: &str) -> anyhow::Result<(Sampler, usize, u64, usize)> {
    let cfg = Config::parse(toml).map_err(|e| anyhow::anyhow!("validation config: {e}"))?;
    let w = cfg
        .workload
        .clone()
        .ok_or_else(|| anyhow::anyhow!("not a one-job config"))?;
    let kt = KindTable::from_value(w, "workload")?;
    anyhow::ensure!(kt.kind == "training", "not a training config");
    let tiers: Vec<String> = cfg.tiers.iter().map(|t| t.name.clone()).collect();
    let links: Vec<String> = cfg.links.iter().map(|l| l.name.clone()).collect();
    let ctx = BuildCtx {
        seed: cfg.seed,
        dataset_seed: cfg.seed,
        tiers: &tiers,
        links: &links,
        base_dir: None,
        nodes: &[],
    };
    let p = params::resolve(kt.params, &ctx)?;
    let samples = p.dataset.samples as usize;
    Ok((p.sampler, p.ranks, p.epochs, samples))
}

/// Mean over workers of the number of samples a worker reads more than 10 times.
pub fn skewed_samples(seed: u64) -> anyhow::Result<f64> {
    let (mut sampler, ranks, epochs, n) = training_sampler(&config(seed))?;
    anyhow::ensure!(
        (ranks, epochs, n) == (WORKERS, EPOCHS, SAMPLES),
        "the config resolved to {ranks} ranks, {epochs} epochs, {n} samples"
    );
    let mut counts = vec![0u8; ranks * n];
    for e in 0..epochs {
        // The workload's order: epoch 0 is built by `Sampler::new`, later ones by
        // `set_epoch` at the start of each epoch.
        if e > 0 {
            sampler.set_epoch(e);
        }
        let s = &sampler;
        counts.par_chunks_mut(n).enumerate().for_each(|(r, c)| {
            for pos in 0..s.per_rank() {
                let i = s.index(r, pos) as usize;
                c[i] = c[i].saturating_add(1);
            }
        });
    }
    let over: usize = counts
        .par_chunks(n)
        .map(|c| c.iter().filter(|&&x| x > 10).count())
        .sum();
    Ok(over as f64 / ranks as f64)
}

pub fn skew(_env: &Env) -> anyhow::Result<CheckOutput> {
    let reference = SAMPLES as f64 * binomial_tail(EPOCHS, 1.0 / WORKERS as f64, 10);
    Ok(CheckOutput {
        rows: vec![row(
            "nopfs-skew",
            "samples one worker reads > 10 times (16 workers, 90 epochs)",
            skewed_samples(1)?,
            reference,
            "samples",
            1.0,
            "Binomial(90, 1/16) tail x 1,281,167 = ~31,635, REFERENCES s4.2; \
             the training workload's sampler from a training config",
        )],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use crate::workload::training::sampler::{Sampler, SamplerKind};

    #[test]
    fn the_config_sampler_is_pytorchs_distributed_sampler_seeded_by_the_config() {
        let text = "seed = 9\n[[tiers]]\nname = \"d\"\npreset = \"ddr4-3200\"\n[workload]\n\
                    kind = \"training\"\ndataset = { samples = 103, size = \"1KB\" }\nranks = 4\n\
                    epochs = 3\nbatch_size = 8\ncompute = {}\n";
        let (mut s, ranks, epochs, n) = super::training_sampler(text).unwrap();
        assert_eq!((ranks, epochs, n), (4, 3, 103));
        let mut want = Sampler::new(SamplerKind::Distributed, 103, 4, 9);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for e in 0..3 {
            s.set_epoch(e);
            want.set_epoch(e);
            for r in 0..4 {
                s.rank_indices(r, &mut a);
                want.rank_indices(r, &mut b);
                assert_eq!(a, b, "epoch {e} rank {r}");
            }
        }
    }

    #[test]
    fn binomial_tail_matches_the_reference_figure() {
        let t = super::binomial_tail(90, 1.0 / 16.0, 10) * super::SAMPLES as f64;
        assert!((t - 31_635.0).abs() < 1.0, "{t}");
    }
}
