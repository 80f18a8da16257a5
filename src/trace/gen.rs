//! Synthetic trace generators, streaming iterators of [`Request`] (constant memory
//! except epoch-shuffle, which holds its permutation: 8 bytes per sample).
//!
//! Kinds: `epoch-shuffle` (every epoch a fresh Fisher-Yates permutation of all samples,
//! as a shuffling DataLoader reads them), `sequential` (0..N in order, every epoch),
//! `uniform` (ids uniform in 0..N), `zipf` (rank r >= 1 drawn with probability
//! proportional to r^-alpha by `rand_distr::Zipf`, rejection-inversion sampling of the
//! exact distribution; id = r - 1, so id 0 is the most popular). Request i is at time
//! i x interarrival; each request is a write with probability `write_frac`.
//!
//! Ids come from `engine::stream(seed, "trace.gen")`, ops from
//! `engine::stream(seed, "trace.gen.op")`, so changing the write fraction never changes
//! the id sequence. To add a kind: one arm in [`generate`] and one name in [`KINDS`].

use super::{Op, Request, NO_NEXT_ACCESS};
use crate::engine::{stream, Rng};
use rand::Rng as _;
use rand_distr::Distribution;

/// Kinds [`generate`] knows.
pub const KINDS: &[&str] = &["epoch-shuffle", "sequential", "uniform", "zipf"];

/// Default object size in bytes: one 4 KiB page or block.
pub const DEFAULT_SIZE: u32 = 4096;

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GenSpec {
    pub kind: String,
    /// Distinct objects (samples of a dataset).
    pub objects: u64,
    /// Requests to emit (uniform, zipf).
    pub requests: u64,
    /// Passes over all objects (epoch-shuffle, sequential).
    pub epochs: u64,
    /// Zipf exponent.
    pub alpha: f64,
    /// Size of every object in bytes.
    pub size: u32,
    /// Probability that a request is a write.
    pub write_frac: f64,
    pub seed: u64,
    /// Time between consecutive requests in picoseconds.
    pub interarrival_ps: u64,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            kind: "zipf".into(),
            objects: 1000,
            requests: 10_000,
            epochs: 1,
            alpha: 1.0,
            size: DEFAULT_SIZE,
            write_frac: 0.0,
            seed: 0,
            interarrival_ps: crate::engine::US,
        }
    }
}

/// A boxed request stream.
pub type RequestStream = Box<dyn Iterator<Item = Request> + Send>;

/// The generator for `spec.kind`, or an error naming the bad parameter.
pub fn generate(spec: &GenSpec) -> Result<RequestStream, String> {
    if spec.objects == 0 {
        return Err("objects (samples) must be at least 1".into());
    }
    if !(0.0..=1.0).contains(&spec.write_frac) {
        return Err(format!("write-frac {} is not in [0, 1]", spec.write_frac));
    }
    let ids = stream(spec.seed, "trace.gen");
    let epochs_total = spec
        .objects
        .checked_mul(spec.epochs)
        .ok_or("samples x epochs overflows")?;
    if spec.kind == "zipf" && !(spec.alpha >= 0.0 && spec.alpha.is_finite()) {
        // rand_distr's sampler never returns for an infinite exponent.
        return Err(format!(
            "--alpha must be a finite number of at least 0, got {}",
            spec.alpha
        ));
    }
    let count = match spec.kind.as_str() {
        "uniform" | "zipf" => spec.requests,
        _ => epochs_total,
    };
    // The last request is at (count - 1) x interarrival: it must fit in 2^64 ps.
    if count > 1 && spec.interarrival_ps > u64::MAX / (count - 1) {
        return Err(format!(
            "--interarrival-ns {} x {} requests passes the longest trace time (2^64 - 1 ps, \
             about 213 days): at most {} for this many requests",
            spec.interarrival_ps as f64 / 1e3,
            count,
            u64::MAX / (count - 1) / crate::engine::NS
        ));
    }
    let ids: Box<dyn Iterator<Item = u64> + Send> = match spec.kind.as_str() {
        "epoch-shuffle" => Box::new(EpochShuffle::new(spec.objects, spec.epochs, ids)),
        "sequential" => Box::new((0..epochs_total).map({
            let n = spec.objects;
            move |i| i % n
        })),
        "uniform" => {
            let mut rng = ids;
            let n = spec.objects;
            Box::new((0..spec.requests).map(move |_| rng.gen_range(0..n)))
        }
        "zipf" => {
            let zipf = rand_distr::Zipf::new(spec.objects, spec.alpha).map_err(|e| {
                format!(
                    "zipf with {} objects, alpha {}: {e}",
                    spec.objects, spec.alpha
                )
            })?;
            let mut rng = ids;
            Box::new((0..spec.requests).map(move |_| zipf.sample(&mut rng) as u64 - 1))
        }
        other => {
            return Err(format!(
                "unknown generator kind '{other}'; known kinds: {}",
                KINDS.join(", ")
            ))
        }
    };
    Ok(Box::new(Stamp {
        ids,
        index: 0,
        size: spec.size,
        write_frac: spec.write_frac,
        ops: stream(spec.seed, "trace.gen.op"),
        interarrival: spec.interarrival_ps,
    }))
}

/// Turns an id stream into requests: times, sizes and ops.
struct Stamp<I> {
    ids: I,
    index: u64,
    size: u32,
    write_frac: f64,
    ops: Rng,
    interarrival: u64,
}

impl<I: Iterator<Item = u64>> Iterator for Stamp<I> {
    type Item = Request;

    fn next(&mut self) -> Option<Request> {
        let id = self.ids.next()?;
        let op = if self.write_frac > 0.0 && self.ops.gen::<f64>() < self.write_frac {
            Op::Write
        } else {
            Op::Read
        };
        let time = self.index * self.interarrival; // checked by `generate`
        self.index += 1;
        Some(Request {
            time,
            id,
            size: self.size,
            op,
            next_access: NO_NEXT_ACCESS,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ids.size_hint()
    }
}

/// Every epoch, a fresh uniformly random permutation of 0..samples (Fisher-Yates).
pub struct EpochShuffle {
    perm: Vec<u64>,
    pos: usize,
    epochs_left: u64,
    rng: Rng,
}

impl EpochShuffle {
    pub fn new(samples: u64, epochs: u64, rng: Rng) -> Self {
        EpochShuffle {
            perm: (0..samples).collect(),
            pos: samples as usize,
            epochs_left: epochs,
            rng,
        }
    }

    fn shuffle(&mut self) {
        for i in (1..self.perm.len()).rev() {
            let j = self.rng.gen_range(0..=i);
            self.perm.swap(i, j);
        }
    }
}

impl Iterator for EpochShuffle {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.pos == self.perm.len() {
            if self.epochs_left == 0 || self.perm.is_empty() {
                return None;
            }
            self.epochs_left -= 1;
            self.shuffle();
            self.pos = 0;
        }
        self.pos += 1;
        Some(self.perm[self.pos - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_counts_up_every_epoch() {
        let spec = GenSpec {
            kind: "sequential".into(),
            objects: 3,
            epochs: 2,
            ..GenSpec::default()
        };
        let ids: Vec<u64> = generate(&spec).unwrap().map(|r| r.id).collect();
        assert_eq!(ids, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn zipf_rank_one_is_most_popular_at_the_closed_form_rate() {
        // P(rank 1) = 1 / H_{n,alpha}; n = 100, alpha = 1: H_100 = 5.18738.
        let spec = GenSpec {
            kind: "zipf".into(),
            objects: 100,
            requests: 200_000,
            alpha: 1.0,
            seed: 3,
            ..GenSpec::default()
        };
        let zeros = generate(&spec).unwrap().filter(|r| r.id == 0).count();
        let p = zeros as f64 / 200_000.0;
        assert!((p - 1.0 / 5.18738).abs() < 0.005, "p(id 0) = {p}");
    }

    #[test]
    fn write_frac_does_not_change_ids() {
        let mut spec = GenSpec {
            kind: "uniform".into(),
            seed: 9,
            ..GenSpec::default()
        };
        let a: Vec<u64> = generate(&spec).unwrap().map(|r| r.id).collect();
        spec.write_frac = 0.5;
        let reqs: Vec<Request> = generate(&spec).unwrap().collect();
        let b: Vec<u64> = reqs.iter().map(|r| r.id).collect();
        assert_eq!(a, b);
        let writes = reqs.iter().filter(|r| r.op == Op::Write).count();
        assert!((4500..5500).contains(&writes), "{writes} writes of 10000");
    }

    #[test]
    fn bad_parameters_are_named() {
        let spec = GenSpec {
            kind: "nope".into(),
            ..GenSpec::default()
        };
        assert!(generate(&spec)
            .err()
            .unwrap()
            .contains("unknown generator kind"));
        let spec = GenSpec {
            objects: 0,
            ..GenSpec::default()
        };
        assert!(generate(&spec).err().unwrap().contains("objects"));
    }
}
