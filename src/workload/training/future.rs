//! The training job's future accesses, for clairvoyant (NoPFS) prefetching
//! (`Workload::future_accesses`, REFERENCES.md s3): the sampler is seeded with
//! seed + epoch, so every read of the job is known before it starts.
//!
//! Order (canonical, as NoPFS assumes): epoch by epoch, iteration by iteration, and
//! within an iteration rank-major: each rank's reads for its batch k, in the job's
//! turns (see the module doc of [`super`]): in epoch e from rank e mod R to rank
//! R - 1, then from rank 0 (with a node's ranks only, in that order).
//! A batch's reads are the positions [`Sampler::batch_reads`] gives (with a shuffle
//! buffer, the reads the buffer needs, not the emitted order), in read order. The job
//! issues batches from several loader workers and ranks side by side, so the real
//! interleaving can differ by a few batches from this order when one loader finishes
//! before another; the clairvoyant prefetcher matches reads within its window.
//! Only the iterations the job computes are included (`epochs`, cut at
//! `max_iterations`); batches a loader prefetched past the last one are not.
//!
//! Each call to `future_accesses` starts a fresh pass: a new sampler at epoch 0
//! (the same code as the job's, [`SamplerSpec::build`]) regenerates one epoch's order
//! at a time, so a pass holds one epoch's order (4 bytes per sample), never the run.

use super::dataset::Dataset;
use super::sampler::{Sampler, SamplerSpec};
use crate::policy::prefetch::FutureAccesses;

/// The job's access sequence (see the module doc).
#[derive(Clone)]
pub struct TrainingFuture {
    pub sampler: SamplerSpec,
    pub dataset: Dataset,
    pub epochs: u64,
    pub max_iterations: Option<u64>,
    pub batch: usize,
    pub batches_per_epoch: usize,
    /// Only the reads of ranks `first..end` (a node's ranks), if set; every rank's
    /// otherwise.
    pub ranks: Option<(usize, usize)>,
}

impl TrainingFuture {
    /// A fresh pass as a concrete iterator.
    pub fn iter(&self) -> FutureIter {
        let sampler = self.sampler.build();
        let limit = self.max_iterations.unwrap_or(u64::MAX);
        let empty = self.batches_per_epoch == 0 || self.epochs == 0 || limit == 0;
        let reads = sampler.batch_reads(0, self.batch);
        let (first_rank, end_rank) = self.ranks.unwrap_or((0, self.sampler.ranks));
        FutureIter {
            ranks: end_rank,
            first_rank,
            all_ranks: self.sampler.ranks,
            turn: 0,
            dataset: self.dataset.clone(),
            epochs: self.epochs,
            batch: self.batch,
            batches_per_epoch: self.batches_per_epoch,
            iterations_left: limit,
            epoch: 0,
            k: 0,
            rank: first_rank,
            pos: reads.start,
            end: if empty { reads.start } else { reads.end },
            done: empty,
            sampler,
        }
    }
}

impl FutureAccesses for TrainingFuture {
    fn future_accesses(&self) -> Box<dyn Iterator<Item = (u64, u32)> + Send> {
        Box::new(self.iter())
    }
}

/// One pass over the job's reads: (sample id, size).
pub struct FutureIter {
    sampler: Sampler,
    dataset: Dataset,
    /// The ranks read: `first_rank..ranks`, of `all_ranks`.
    ranks: usize,
    first_rank: usize,
    all_ranks: usize,
    /// The current batch's place in the ranks' order (0 for the first rank read).
    turn: usize,
    epochs: u64,
    batch: usize,
    batches_per_epoch: usize,
    /// Iterations still to run after the current one.
    iterations_left: u64,
    epoch: u64,
    /// Iteration within the epoch, rank, and the read positions left of its batch.
    k: usize,
    rank: usize,
    pos: usize,
    end: usize,
    done: bool,
}

impl FutureIter {
    /// The first of the ranks read in the current epoch's turns: the turns start at
    /// rank e mod R, so the ranks read go from there (if one of them) to the last,
    /// then from the first.
    fn first_in_turn(&self) -> usize {
        let f = (self.epoch % self.all_ranks as u64) as usize;
        if f > self.first_rank && f < self.ranks {
            f
        } else {
            self.first_rank
        }
    }

    /// Moves to the next (rank, iteration, epoch); false at the end of the run.
    fn advance(&mut self) -> bool {
        self.turn += 1;
        self.rank += 1;
        if self.rank == self.ranks {
            self.rank = self.first_rank;
        }
        if self.turn == self.ranks - self.first_rank {
            self.turn = 0;
            self.k += 1;
            self.iterations_left -= 1;
            if self.iterations_left == 0 {
                return false;
            }
            if self.k == self.batches_per_epoch {
                self.k = 0;
                self.epoch += 1;
                if self.epoch == self.epochs {
                    return false;
                }
                self.sampler.set_epoch(self.epoch);
            }
            self.rank = self.first_in_turn();
        }
        let reads = self.sampler.batch_reads(self.k, self.batch);
        self.pos = reads.start;
        self.end = reads.end;
        true
    }
}

impl Iterator for FutureIter {
    type Item = (u64, u32);

    #[inline]
    fn next(&mut self) -> Option<(u64, u32)> {
        while self.pos == self.end {
            if self.done || !self.advance() {
                self.done = true;
                return None;
            }
        }
        let id = self.sampler.index(self.rank, self.pos);
        self.pos += 1;
        Some((id as u64, self.dataset.size(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Bytes;
    use crate::workload::sizes::SizeSpec;
    use crate::workload::training::dataset::{DatasetSpec, DatasetTable};
    use crate::workload::training::sampler::{epoch_stream, SamplerKind};
    use rand::seq::SliceRandom;

    fn future(kind: SamplerKind, n: usize, ranks: usize, batch: usize) -> TrainingFuture {
        let spec = DatasetSpec::Table(DatasetTable {
            preset: None,
            samples: Some(n as u64),
            size: Some(SizeSpec::Fixed(Bytes(100))),
            ..Default::default()
        });
        let per_rank = n.div_ceil(ranks);
        TrainingFuture {
            sampler: SamplerSpec {
                kind,
                n,
                ranks,
                seed: 5,
            },
            dataset: Dataset::build(&spec, 1, "workload.dataset").unwrap(),
            epochs: 2,
            max_iterations: None,
            batch,
            batches_per_epoch: per_rank.div_ceil(batch),
            ranks: None,
        }
    }

    #[test]
    fn distributed_future_is_iteration_then_rank_major_over_seed_plus_epoch_permutations() {
        // N = 10, R = 2, batch 3: each rank reads 5 samples per epoch, batches of 3
        // then 2. Independently: perm_e = shuffle(0..10) with the seed + e stream,
        // rank r reads perm_e[r::2]; the ranks take turns from rank e mod 2, so the
        // job's order is, in epoch 0, batch 0 of rank 0, batch 0 of rank 1, batch 1 of
        // rank 0, batch 1 of rank 1, and in epoch 1 the same with rank 1 first.
        let f = future(SamplerKind::Distributed, 10, 2, 3);
        let mut want = Vec::new();
        for e in 0..2 {
            let mut perm: Vec<u64> = (0..10).collect();
            perm.shuffle(&mut epoch_stream(5, e));
            let rank = |r: usize| -> Vec<u64> { perm.iter().skip(r).step_by(2).copied().collect() };
            let (r0, r1) = if e == 0 {
                (rank(0), rank(1))
            } else {
                (rank(1), rank(0))
            };
            want.extend_from_slice(&r0[..3]);
            want.extend_from_slice(&r1[..3]);
            want.extend_from_slice(&r0[3..]);
            want.extend_from_slice(&r1[3..]);
        }
        let got: Vec<(u64, u32)> = f.future_accesses().collect();
        assert_eq!(got.iter().map(|a| a.0).collect::<Vec<_>>(), want);
        assert!(got.iter().all(|a| a.1 == 100));
        // Every pass starts afresh and gives the same sequence.
        assert_eq!(f.future_accesses().collect::<Vec<_>>(), got);
        // Cut at 3 iterations: epoch 0 (2 iterations) and epoch 1's first batch.
        let mut g = f.clone();
        g.max_iterations = Some(3);
        let cut: Vec<u64> = g.future_accesses().map(|a| a.0).collect();
        assert_eq!(cut, want[..10 + 6]);
    }

    #[test]
    fn a_node_s_future_follows_the_ranks_turns() {
        // N = 40, R = 4, batch 2: 10 samples, 5 batches a rank per epoch, 4 epochs.
        // The node holds ranks 1 and 2. In epoch e the ranks take turns from rank
        // e mod 4, so the node's ranks come as 1, 2 except in epoch 2 (2, 3, 0, 1).
        let mut f = future(SamplerKind::Distributed, 40, 4, 2);
        f.epochs = 4;
        f.ranks = Some((1, 3));
        let mut want = Vec::new();
        let mut s = Sampler::new(SamplerKind::Distributed, 40, 4, 5);
        let mut reads = Vec::new();
        for e in 0..4u64 {
            s.set_epoch(e);
            let order = if e == 2 { [2, 1] } else { [1, 2] };
            for k in 0..5usize {
                for r in order {
                    s.rank_indices(r, &mut reads);
                    want.extend(reads[2 * k..2 * k + 2].iter().map(|&x| x as u64));
                }
            }
        }
        let got: Vec<u64> = f.future_accesses().map(|a| a.0).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn shuffle_buffer_future_follows_the_reads_the_buffer_needs() {
        // One rank, 20 samples in file order through a buffer of 8, batches of 4:
        // batch 0 waits for 8 - 1 + 4 = 11 reads, batches 1 and 2 for 4 more each,
        // batch 3 for the last 1 and batch 4 for none: every epoch reads 0..20 in
        // file order.
        let f = future(SamplerKind::ShuffleBuffer { buffer: 8 }, 20, 1, 4);
        let got: Vec<u64> = f.future_accesses().map(|a| a.0).collect();
        let want: Vec<u64> = (0..20).chain(0..20).collect();
        assert_eq!(got, want);
    }
}
