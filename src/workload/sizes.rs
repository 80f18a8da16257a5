//! Object size distributions shared by workloads: fixed, uniform, lognormal or normal
//! (clamped at 1 byte, as DLIO draws record lengths) from a mean and standard
//! deviation, or empirical from a file of sizes. Each object gets one
//! size for the whole run, drawn from a named stream.

use crate::config::{Bytes, ConfigError};
use crate::engine::Rng;
use rand::Rng as _;
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use serde::{Deserialize, Serialize};

/// A size distribution as written in a config:
/// `"4KiB"`, `{ dist = "uniform", min = "1KiB", max = "8KiB" }`,
/// `{ dist = "lognormal", mean = "107.7KB", sd = "100KB" }`, `{ dist = "exponential", mean = "4KiB" }`,
/// `{ dist = "normal", mean = "146.6MB", sd = "68.3MB" }` (clamped to 1 B .. 4 GiB - 1),
/// `{ dist = "empirical", file = "sizes.txt" }` (one size in bytes per line).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum SizeSpec {
    Fixed(Bytes),
    Dist(SizeDist),
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum SizeDist {
    Fixed { value: Bytes },
    Uniform { min: Bytes, max: Bytes },
    Lognormal { mean: Bytes, sd: Bytes },
    Exponential { mean: Bytes },
    Normal { mean: Bytes, sd: Bytes },
    Empirical { file: std::path::PathBuf },
}

impl SizeSpec {
    /// An empirical size file's path (the file the workload reads), if any.
    pub fn file(&mut self) -> Option<&mut std::path::PathBuf> {
        match self {
            SizeSpec::Dist(SizeDist::Empirical { file }) => Some(file),
            _ => None,
        }
    }
}

/// A sampler built from a [`SizeSpec`].
#[derive(Clone, Debug)]
pub enum SizeSampler {
    Fixed(u32),
    Uniform(u32, u32),
    Lognormal(LogNormal<f64>),
    Exponential(Exp<f64>),
    Normal(Normal<f64>),
    Empirical(Vec<u32>),
}

impl SizeSpec {
    /// Validates and builds a sampler; errors name `path`.
    pub fn sampler(&self, path: &str) -> Result<SizeSampler, ConfigError> {
        let fit = |b: Bytes, key: &str| -> Result<u32, ConfigError> {
            if b.0 == 0 {
                return Err(ConfigError::new(
                    format!("{path}{key}"),
                    "must be greater than zero",
                ));
            }
            u32::try_from(b.0)
                .map_err(|_| ConfigError::new(format!("{path}{key}"), "objects are at most 4GiB"))
        };
        Ok(match self {
            SizeSpec::Fixed(b) | SizeSpec::Dist(SizeDist::Fixed { value: b }) => {
                SizeSampler::Fixed(fit(*b, "")?)
            }
            SizeSpec::Dist(SizeDist::Uniform { min, max }) => {
                let (lo, hi) = (fit(*min, ".min")?, fit(*max, ".max")?);
                if lo > hi {
                    return Err(ConfigError::new(
                        format!("{path}.max"),
                        "must be at least min",
                    ));
                }
                SizeSampler::Uniform(lo, hi)
            }
            SizeSpec::Dist(SizeDist::Lognormal { mean, sd }) => {
                let m = fit(*mean, ".mean")? as f64;
                let s = sd.0 as f64;
                // Moments of a lognormal: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2.
                let sigma2 = (1.0 + (s * s) / (m * m)).ln();
                let mu = m.ln() - sigma2 / 2.0;
                SizeSampler::Lognormal(
                    LogNormal::new(mu, sigma2.sqrt())
                        .map_err(|e| ConfigError::new(path, e.to_string()))?,
                )
            }
            SizeSpec::Dist(SizeDist::Normal { mean, sd }) => SizeSampler::Normal(
                Normal::new(fit(*mean, ".mean")? as f64, sd.0 as f64)
                    .map_err(|e| ConfigError::new(format!("{path}.sd"), e.to_string()))?,
            ),
            SizeSpec::Dist(SizeDist::Exponential { mean }) => SizeSampler::Exponential(
                Exp::new(1.0 / fit(*mean, ".mean")? as f64).expect("positive mean"),
            ),
            SizeSpec::Dist(SizeDist::Empirical { file }) => {
                let text = crate::trace::lines::read_text(file, 1 << 30).map_err(|e| {
                    ConfigError::new(format!("{path}.file"), format!("cannot read {e}"))
                })?;
                let mut sizes = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    let l = line.trim();
                    if l.is_empty() || l.starts_with('#') {
                        continue;
                    }
                    let v = crate::config::units::parse_size(l)
                        .ok()
                        .and_then(|v| u32::try_from(v).ok())
                        .filter(|&v| v > 0)
                        .ok_or_else(|| {
                            ConfigError::new(
                                format!("{path}.file"),
                                format!(
                                    "{} line {}: expected a size in bytes (1B to 4GiB), found {}",
                                    file.display(),
                                    i + 1,
                                    crate::trace::lines::echo(l)
                                ),
                            )
                        })?;
                    sizes.push(v);
                }
                if sizes.is_empty() {
                    return Err(ConfigError::new(
                        format!("{path}.file"),
                        format!("{} holds no sizes", file.display()),
                    ));
                }
                SizeSampler::Empirical(sizes)
            }
        })
    }
}

impl SizeSampler {
    /// Draws one size (at least 1 byte).
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        match self {
            SizeSampler::Fixed(v) => *v,
            SizeSampler::Uniform(lo, hi) => rng.gen_range(*lo..=*hi),
            SizeSampler::Lognormal(d) => d.sample(rng).round().clamp(1.0, u32::MAX as f64) as u32,
            SizeSampler::Exponential(d) => d.sample(rng).round().clamp(1.0, u32::MAX as f64) as u32,
            SizeSampler::Normal(d) => d.sample(rng).round().clamp(1.0, u32::MAX as f64) as u32,
            SizeSampler::Empirical(v) => v[rng.gen_range(0..v.len())],
        }
    }

    /// The one size when fixed.
    pub fn fixed(&self) -> Option<u32> {
        match self {
            SizeSampler::Fixed(v) => Some(*v),
            _ => None,
        }
    }

    /// How many of `sizes` (a [`table`](Self::table) of this sampler) were drawn above
    /// 4 GiB - 1 and clamped to it (lognormal and exponential tails).
    pub fn clamped(&self, sizes: &[u32]) -> u64 {
        match self {
            SizeSampler::Lognormal(_) | SizeSampler::Exponential(_) | SizeSampler::Normal(_) => {
                sizes.iter().filter(|&&s| s == u32::MAX).count() as u64
            }
            _ => 0,
        }
    }

    /// "N of M object sizes were drawn above 4 GiB and clamped to 4 GiB - 1 byte" when
    /// any were.
    pub fn clamp_warning(&self, sizes: &[u32], what: &str) -> Option<String> {
        let n = self.clamped(sizes);
        (n > 0).then(|| {
            format!(
                "{n} of {} {what} sizes were drawn above 4 GiB and clamped to 4 GiB - 1 byte \
                 (objects are at most 4 GiB): the size distribution's tail is cut",
                sizes.len()
            )
        })
    }

    /// Sizes of objects 0..n: empty when fixed (use [`fixed`](Self::fixed)).
    pub fn table(&self, n: u64, rng: &mut Rng) -> Vec<u32> {
        if self.fixed().is_some() {
            return Vec::new();
        }
        (0..n).map(|_| self.sample(rng)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lognormal_matches_its_mean_and_sd() {
        let spec = SizeSpec::Dist(SizeDist::Lognormal {
            mean: Bytes(107_700),
            sd: Bytes(100_000),
        });
        let s = spec.sampler("workload.size").unwrap();
        let mut rng = crate::engine::stream(1, "sizes");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!((mean / 107_700.0 - 1.0).abs() < 0.02, "mean {mean}");
        assert!((sd / 100_000.0 - 1.0).abs() < 0.05, "sd {sd}");
    }
}
