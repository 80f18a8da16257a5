//! Which samples each rank reads in each epoch, in read order.
//!
//! Every sampler builds the epoch's global order of the N samples, pads it to
//! ceil(N/R) x R by wrapping from the start (PyTorch `DistributedSampler`), and splits
//! it across the R ranks, either strided (rank r takes `idx[r::R]`) or in contiguous
//! shards. Per-epoch randomness comes from the named stream
//! `workload.training.sampler` seeded with `seed + epoch`, as PyTorch seeds its
//! generator with `seed + epoch`. The order buffer is reused across epochs.
//!
//! - `distributed`: a fresh uniform permutation per epoch, strided (PyTorch
//!   `DistributedSampler(shuffle=True)`).
//! - `sequential`: 0..N, strided (`DistributedSampler(shuffle=False)`).
//! - `shuffle_buffer` (DALI-like): each rank scans a contiguous shard in file order
//!   (shards rotate by one rank per epoch, DALI's `stick_to_shard = false`) through a
//!   shuffle buffer of `buffer` samples (DALI's default 1,024, REFERENCES.md s3).
//! - `quasi_random` (FFCV-like): samples grouped in pages of consecutive ids; each page
//!   is shuffled internally, pages enter a set of `live_pages` live pages in a random
//!   order, and each sample is drawn from a random live page (FFCV's QUASI_RANDOM
//!   traversal, `generate_order_inner`; 8 MB pages, REFERENCES.md s3). Strided
//!   across ranks (an extension: FFCV's QuasiRandom rejects distributed runs).
//! - `webdataset` (WebDataset-like): shards of consecutive samples, shard order
//!   shuffled per epoch, each rank reads its contiguous run of shards sequentially
//!   into a shuffle buffer.
//! - `files` (samples in files, DLIO's `file_shuffle` and a TFRecord shuffle buffer):
//!   files of `samples_per_file` consecutive samples, their order shuffled per epoch
//!   when `file_shuffle` is on (else file order), each rank reads its contiguous run
//!   of files sequentially through a shuffle buffer of `buffer` samples (1: none).
//!
//! With a shuffle buffer of B samples, emitting a rank's j-th sample needs
//! min(B + j, n) samples read: [`Sampler::batch_reads`] maps a batch to the reads it
//! waits for. [`buffer_shuffle`] gives the emitted order itself.

use crate::engine::Rng;
use rand::seq::SliceRandom;
use rand::Rng as _;
use std::ops::Range;

/// The sampler kinds (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub enum SamplerKind {
    Distributed,
    Sequential,
    ShuffleBuffer {
        buffer: usize,
    },
    QuasiRandom {
        page_samples: usize,
        live_pages: usize,
    },
    WebDataset {
        shard_samples: usize,
        buffer: usize,
    },
    Files {
        per_file: usize,
        shuffle_files: bool,
        buffer: usize,
    },
}

/// See the module doc.
pub struct Sampler {
    kind: SamplerKind,
    n: usize,
    ranks: usize,
    per_rank: usize,
    seed: u64,
    epoch: u64,
    /// The padded global order of the current epoch (len = per_rank x ranks).
    order: Vec<u32>,
    /// Scratch: shuffled pages (quasi-random) or shard order (webdataset).
    scratch: Vec<u32>,
    /// Page order of the quasi-random traversal.
    pages: Vec<u32>,
    /// Live pages of the quasi-random traversal: (page, samples consumed).
    live: Vec<(u32, u32)>,
}

/// A sampler's construction parameters (see [`Sampler::spec`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerSpec {
    pub kind: SamplerKind,
    pub n: usize,
    pub ranks: usize,
    pub seed: u64,
}

impl SamplerSpec {
    /// A new sampler at epoch 0.
    pub fn build(&self) -> Sampler {
        Sampler::new(self.kind.clone(), self.n, self.ranks, self.seed)
    }
}

/// The random stream of epoch `epoch`: seeded with seed + epoch.
pub fn epoch_stream(seed: u64, epoch: u64) -> Rng {
    crate::engine::stream(seed.wrapping_add(epoch), "workload.training.sampler")
}

impl Sampler {
    /// A sampler over `n` samples and `ranks` ranks (both at least 1).
    pub fn new(kind: SamplerKind, n: usize, ranks: usize, seed: u64) -> Self {
        assert!(n > 0 && ranks > 0, "validated by the config");
        let per_rank = n.div_ceil(ranks);
        let mut s = Sampler {
            kind,
            n,
            ranks,
            per_rank,
            seed,
            epoch: 0,
            order: Vec::with_capacity(per_rank * ranks),
            scratch: Vec::new(),
            pages: Vec::new(),
            live: Vec::new(),
        };
        s.set_epoch(0);
        s
    }

    /// What it was built from: `spec().build()` is a new sampler at epoch 0 giving
    /// the same orders (the future-access iterator replays the run with one).
    pub fn spec(&self) -> SamplerSpec {
        SamplerSpec {
            kind: self.kind.clone(),
            n: self.n,
            ranks: self.ranks,
            seed: self.seed,
        }
    }

    /// The epoch whose order the sampler holds.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Samples each rank reads per epoch: ceil(N / R).
    #[inline]
    pub fn per_rank(&self) -> usize {
        self.per_rank
    }

    /// Whether reads follow file order (devices may serve them as sequential).
    pub fn sequential_io(&self) -> bool {
        matches!(
            self.kind,
            SamplerKind::Sequential
                | SamplerKind::ShuffleBuffer { .. }
                | SamplerKind::WebDataset { .. }
                | SamplerKind::Files { .. }
        )
    }

    /// The shuffle buffer in samples (1 when the sampler has none).
    pub fn buffer(&self) -> usize {
        match self.kind {
            SamplerKind::ShuffleBuffer { buffer }
            | SamplerKind::WebDataset { buffer, .. }
            | SamplerKind::Files { buffer, .. } => buffer.max(1),
            _ => 1,
        }
    }

    /// Builds the order of `epoch` (reusing the buffers).
    pub fn set_epoch(&mut self, epoch: u64) {
        self.epoch = epoch;
        let n = self.n;
        let mut rng = epoch_stream(self.seed, epoch);
        self.order.clear();
        match self.kind {
            SamplerKind::Distributed => {
                self.order.extend(0..n as u32);
                crate::engine::shuffle(&mut self.order, &mut rng);
            }
            SamplerKind::Sequential | SamplerKind::ShuffleBuffer { .. } => {
                self.order.extend(0..n as u32)
            }
            SamplerKind::QuasiRandom {
                page_samples,
                live_pages,
            } => self.quasi_random(page_samples.max(1), live_pages.max(1), &mut rng),
            SamplerKind::WebDataset { shard_samples, .. } => {
                let s = shard_samples.max(1);
                self.scratch.clear();
                self.scratch.extend(0..n.div_ceil(s) as u32);
                self.scratch.shuffle(&mut rng);
                for &shard in &self.scratch {
                    let lo = shard as usize * s;
                    self.order.extend(lo as u32..(lo + s).min(n) as u32);
                }
            }
            SamplerKind::Files {
                per_file,
                shuffle_files,
                ..
            } => {
                let s = per_file.max(1);
                self.scratch.clear();
                self.scratch.extend(0..n.div_ceil(s) as u32);
                if shuffle_files {
                    self.scratch.shuffle(&mut rng);
                }
                for &file in &self.scratch {
                    let lo = file as usize * s;
                    self.order.extend(lo as u32..(lo + s).min(n) as u32);
                }
            }
        }
        // Pad to ceil(N/R) x R by wrapping from the start (PyTorch DistributedSampler).
        for j in n..self.per_rank * self.ranks {
            let v = self.order[j % n];
            self.order.push(v);
        }
    }

    /// FFCV's quasi-random traversal into `order`.
    fn quasi_random(&mut self, p: usize, live_pages: usize, rng: &mut Rng) {
        let n = self.n;
        let pages = n.div_ceil(p);
        // Samples of each page, shuffled within the page.
        self.scratch.clear();
        self.scratch.extend(0..n as u32);
        for chunk in self.scratch.chunks_mut(p) {
            chunk.shuffle(rng);
        }
        self.pages.clear();
        self.pages.extend(0..pages as u32);
        self.pages.shuffle(rng);
        self.live.clear();
        let mut next = 0;
        for _ in 0..n {
            while next < pages && self.live.len() < live_pages {
                self.live.push((self.pages[next], 0));
                next += 1;
            }
            let i = rng.gen_range(0..self.live.len());
            let (page, used) = self.live[i];
            let lo = page as usize * p;
            self.order.push(self.scratch[lo + used as usize]);
            let len = (lo + p).min(n) - lo;
            if used as usize + 1 == len {
                self.live.swap_remove(i);
            } else {
                self.live[i].1 += 1;
            }
        }
    }

    /// The sample at position `pos` (0..per_rank) of rank `rank`'s read sequence.
    #[inline]
    pub fn index(&self, rank: usize, pos: usize) -> u32 {
        match self.kind {
            SamplerKind::ShuffleBuffer { .. } => {
                let shard = (rank + self.epoch as usize) % self.ranks;
                self.order[shard * self.per_rank + pos]
            }
            SamplerKind::WebDataset { .. } | SamplerKind::Files { .. } => {
                self.order[rank * self.per_rank + pos]
            }
            _ => self.order[pos * self.ranks + rank],
        }
    }

    /// Rank `rank`'s read sequence of the current epoch, into `out`.
    pub fn rank_indices(&self, rank: usize, out: &mut Vec<u32>) {
        out.clear();
        out.extend((0..self.per_rank).map(|p| self.index(rank, p)));
    }

    /// Positions in a rank's read sequence that batch `k` (of `batch` samples) waits
    /// for: with a shuffle buffer of B, batch k ends once min(B - 1 + (k+1) b, n)
    /// samples are read.
    #[inline]
    pub fn batch_reads(&self, k: usize, batch: usize) -> Range<usize> {
        let b = self.buffer();
        let end = |k: usize| (b - 1 + (k + 1) * batch).min(self.per_rank);
        let start = if k == 0 { 0 } else { end(k - 1) };
        start..end(k)
    }
}

/// Emits `input` (a read sequence) through a shuffle buffer of `buffer` samples, as DALI
/// and WebDataset do: fill the buffer, then each incoming sample replaces a random
/// buffered one, which is emitted; at the end the buffer drains in random order.
/// Emitting the j-th sample needs min(buffer + j, n) samples read.
pub fn buffer_shuffle(input: &[u32], buffer: usize, rng: &mut Rng, out: &mut Vec<u32>) {
    out.clear();
    let b = buffer.max(1).min(input.len());
    let mut buf: Vec<u32> = input[..b].to_vec();
    for &x in &input[b..] {
        let i = rng.gen_range(0..buf.len());
        out.push(buf[i]);
        buf[i] = x;
    }
    buf.shuffle(rng);
    out.extend_from_slice(&buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_permutation(v: &[u32], n: usize) -> bool {
        let mut seen = vec![false; n];
        v.len() == n
            && v.iter()
                .all(|&x| (x as usize) < n && !std::mem::replace(&mut seen[x as usize], true))
    }

    fn kinds() -> Vec<SamplerKind> {
        vec![
            SamplerKind::Distributed,
            SamplerKind::Sequential,
            SamplerKind::ShuffleBuffer { buffer: 16 },
            SamplerKind::QuasiRandom {
                page_samples: 7,
                live_pages: 3,
            },
            SamplerKind::WebDataset {
                shard_samples: 10,
                buffer: 8,
            },
            SamplerKind::Files {
                per_file: 7,
                shuffle_files: true,
                buffer: 1,
            },
            SamplerKind::Files {
                per_file: 3,
                shuffle_files: false,
                buffer: 5,
            },
        ]
    }

    #[test]
    fn every_epoch_of_every_sampler_covers_all_samples_once_before_padding() {
        for kind in kinds() {
            let n = 103;
            let mut s = Sampler::new(kind.clone(), n, 1, 5);
            let mut v = Vec::new();
            for e in 0..5 {
                s.set_epoch(e);
                s.rank_indices(0, &mut v);
                assert!(is_permutation(&v, n), "{kind:?} epoch {e}");
            }
        }
    }

    #[test]
    fn ranks_together_read_every_sample_and_the_padding_wraps() {
        for kind in kinds() {
            let (n, r) = (103, 4); // 104 = 26 x 4: one padded sample
            let mut s = Sampler::new(kind.clone(), n, r, 9);
            s.set_epoch(3);
            let mut all = Vec::new();
            let mut v = Vec::new();
            for rank in 0..r {
                s.rank_indices(rank, &mut v);
                assert_eq!(v.len(), 26);
                all.extend_from_slice(&v);
            }
            let mut counts = vec![0; n];
            all.iter().for_each(|&x| counts[x as usize] += 1);
            assert!(counts.iter().all(|&c| c >= 1), "{kind:?}");
            assert_eq!(counts.iter().filter(|&&c| c == 2).count(), 1, "{kind:?}");
        }
    }

    #[test]
    fn sequential_matches_pytorch_distributed_sampler_without_shuffle() {
        // N = 10, R = 4: total 12, indices 0..10 then 0, 1 wrapped; rank r takes idx[r::4].
        let s = Sampler::new(SamplerKind::Sequential, 10, 4, 1);
        let mut v = Vec::new();
        let want: [&[u32]; 4] = [&[0, 4, 8], &[1, 5, 9], &[2, 6, 0], &[3, 7, 1]];
        for (r, w) in want.iter().enumerate() {
            s.rank_indices(r, &mut v);
            assert_eq!(&v[..], *w, "rank {r}");
        }
    }

    #[test]
    fn distributed_strides_a_padded_permutation_seeded_by_seed_plus_epoch() {
        let (n, r, seed) = (10, 4, 3);
        let mut s = Sampler::new(SamplerKind::Distributed, n, r, seed);
        for epoch in 0..4 {
            s.set_epoch(epoch);
            // The independent rule: perm = shuffle(0..N) with the seed + epoch stream,
            // indices = perm + perm[..2], rank r gets indices[r::R].
            let mut perm: Vec<u32> = (0..n as u32).collect();
            perm.shuffle(&mut epoch_stream(seed, epoch));
            let mut idx = perm.clone();
            idx.extend_from_slice(&perm[..2]);
            let mut v = Vec::new();
            for rank in 0..r {
                s.rank_indices(rank, &mut v);
                let want: Vec<u32> = idx.iter().skip(rank).step_by(r).copied().collect();
                assert_eq!(v, want);
            }
        }
        // Same seed and epoch: same order; different epoch: a different one.
        let a = Sampler::new(SamplerKind::Distributed, 1000, 1, 3);
        let mut b = Sampler::new(SamplerKind::Distributed, 1000, 1, 2);
        b.set_epoch(1); // seed 2 + epoch 1 == seed 3 + epoch 0, as in PyTorch
        let (mut va, mut vb) = (Vec::new(), Vec::new());
        a.rank_indices(0, &mut va);
        b.rank_indices(0, &mut vb);
        assert_eq!(va, vb);
    }

    #[test]
    fn buffer_shuffle_is_a_permutation_and_never_emits_unread_samples() {
        let input: Vec<u32> = (0..500).collect();
        let mut rng = crate::engine::stream(1, "t");
        let mut out = Vec::new();
        for b in [1, 2, 16, 499, 500, 1000] {
            buffer_shuffle(&input, b, &mut rng, &mut out);
            assert!(is_permutation(&out, 500), "buffer {b}");
            // Output j may only be a sample among the first min(b + j, n) read.
            for (j, &x) in out.iter().enumerate() {
                assert!((x as usize) < (b + j).min(500), "buffer {b} pos {j}");
            }
        }
        buffer_shuffle(&input, 1, &mut rng, &mut out);
        assert_eq!(out, input);
    }

    #[test]
    fn files_keep_a_file_s_samples_together_and_shuffle_only_the_file_order() {
        let (n, per_file) = (20, 4);
        let mut v = Vec::new();
        let s = Sampler::new(
            SamplerKind::Files {
                per_file,
                shuffle_files: false,
                buffer: 1,
            },
            n,
            2,
            1,
        );
        // Unshuffled: rank 0 reads files 0-2 (samples 0..10: files 0, 1 and half of
        // 2), rank 1 the rest, in order.
        s.rank_indices(0, &mut v);
        assert_eq!(v, (0..10).collect::<Vec<u32>>());
        let mut s = Sampler::new(
            SamplerKind::Files {
                per_file,
                shuffle_files: true,
                buffer: 1,
            },
            n,
            1,
            1,
        );
        s.set_epoch(2);
        s.rank_indices(0, &mut v);
        // Every file's samples are consecutive and in order; the file order is a
        // permutation other than the identity for this seed.
        for chunk in v.chunks(per_file) {
            assert_eq!(chunk[0] as usize % per_file, 0);
            assert!(chunk.windows(2).all(|w| w[1] == w[0] + 1), "{v:?}");
        }
        assert_ne!(v, (0..n as u32).collect::<Vec<u32>>());
    }

    #[test]
    fn batch_reads_follow_the_buffer_rule() {
        let s = Sampler::new(SamplerKind::ShuffleBuffer { buffer: 10 }, 100, 1, 1);
        // Batch 0 of 8 emits samples 0..8; the last needs min(10 + 7, 100) = 17 reads.
        assert_eq!(s.batch_reads(0, 8), 0..17);
        assert_eq!(s.batch_reads(1, 8), 17..25);
        assert_eq!(s.batch_reads(11, 8), 97..100);
        assert_eq!(s.batch_reads(12, 8), 100..100);
        let d = Sampler::new(SamplerKind::Distributed, 100, 1, 1);
        assert_eq!(d.batch_reads(3, 8), 24..32);
        assert_eq!(d.batch_reads(12, 8), 96..100);
    }
}
