//! Independent ranks (`barrier = false`): each rank computes batch after batch as soon
//! as its data is ready, with no barrier and no gradient exchange, as the emulated
//! accelerators of DLIO and MLPerf Storage do. Its epochs end on its own (each
//! re-creates the rank's loader pipeline), `max_iterations` counts the rank's own
//! iterations, and the rank finishes after its last one; the run ends when every rank
//! has finished. A rank's time is compute plus data stall up to its own finish.
//!
//! Ranks in different epochs read different orders: each rank reads through a sampler
//! holding its epoch's order. Ranks in the same epoch share one; a rank starting an
//! epoch no other rank is in takes over a sampler nobody uses (or a new one), so the
//! samplers held are the distinct epochs ranks are in (one when they keep pace).

use super::{Training, NOT_READY};
use crate::engine::Time;
use crate::sim::Ctx;

/// A rank's own place in the run (independent ranks; the barrier keeps these in the
/// job for ranks in step).
#[derive(Clone, Default)]
pub struct RankProgress {
    /// Epoch and iteration within it.
    pub epoch: u64,
    pub iter: usize,
    /// Iterations computed so far.
    pub iterations: u64,
    /// The sampler the rank reads through (0: the job's, i: `extra_samplers[i - 1]`).
    pub sampler: usize,
    /// When the current epoch began, and the rank's data stall at that point.
    pub epoch_started: Time,
    pub epoch_stall_base: Time,
    /// When the last iteration ended (the end of its compute).
    pub last_iteration_end: Time,
    /// When the rank finished its last iteration.
    pub finished_at: Option<Time>,
}

impl Training {
    /// Rank `r` finished computing a batch: its next batch, its next epoch, or its end.
    pub(super) fn on_rank_compute_done(&mut self, r: usize, ctx: &mut Ctx) {
        let now = ctx.now();
        let (bpe, ranks) = (self.batches_per_epoch, self.p.ranks);
        let rank = &mut self.ranks[r];
        let iteration = now - rank.own.last_iteration_end;
        let own = &mut rank.own;
        own.last_iteration_end = now;
        own.iterations += 1;
        own.iter += 1;
        if own.iter == bpe {
            let stall = rank.times.stall - own.epoch_stall_base;
            self.stats
                .rank_epoch_end(own.epoch, own.epoch_started, now, stall, ranks);
            own.epoch += 1;
        }
        let (epoch, iter, iterations) = (own.epoch, own.iter, own.iterations);
        self.iterations += 1;
        self.stats.record_rank_iteration(iteration, ctx);
        if epoch == self.p.epochs || iterations >= self.p.max_iterations.unwrap_or(u64::MAX) {
            self.finish_rank(r, now);
        } else if iter == bpe {
            self.begin_rank_epoch(r, ctx);
        } else {
            self.want_batch(r, iter, ctx);
        }
    }

    /// Rank `r` starts its next epoch: a fresh loader pipeline over the epoch's order.
    fn begin_rank_epoch(&mut self, r: usize, ctx: &mut Ctx) {
        let now = ctx.now();
        if r == 0 {
            self.loss_new_epoch();
        }
        self.use_sampler_of_epoch(r);
        let rank = &mut self.ranks[r];
        rank.own.iter = 0;
        rank.own.epoch_started = now;
        rank.own.epoch_stall_base = rank.times.stall;
        rank.ready.fill(NOT_READY);
        let workers = self.p.workers;
        for w in &mut self.workers[r * workers..(r + 1) * workers] {
            w.stream = Default::default();
        }
        for k in 0..self.slots.min(self.batches_per_epoch) {
            self.dispatch(r, k, ctx);
        }
        self.want_batch(r, 0, ctx);
    }

    /// Points rank `r` at a sampler holding its (new) epoch's order.
    fn use_sampler_of_epoch(&mut self, r: usize) {
        let epoch = self.ranks[r].own.epoch;
        let old = self.ranks[r].own.sampler;
        self.sampler_users[old] -= 1;
        let epoch_of = |t: &Self, i: usize| match i {
            0 => t.p.sampler.epoch(),
            i => t.extra_samplers[i - 1].epoch(),
        };
        let n = self.sampler_users.len();
        let i = match (0..n).find(|&i| epoch_of(self, i) == epoch) {
            Some(i) => i,
            None => {
                let i = match (0..n).find(|&i| self.sampler_users[i] == 0) {
                    Some(i) => i,
                    None => {
                        self.extra_samplers.push(self.p.sampler.spec().build());
                        self.sampler_users.push(0);
                        n
                    }
                };
                match i {
                    0 => self.p.sampler.set_epoch(epoch),
                    i => self.extra_samplers[i - 1].set_epoch(epoch),
                }
                i
            }
        };
        self.sampler_users[i] += 1;
        self.ranks[r].own.sampler = i;
    }

    /// Rank `r` computed its last iteration: its loader stops (batches not yet started
    /// are dropped; reads in flight complete), and the run ends with the last rank.
    fn finish_rank(&mut self, r: usize, now: Time) {
        self.ranks[r].own.finished_at = Some(now);
        let workers = self.p.workers;
        for w in &mut self.workers[r * workers..(r + 1) * workers] {
            w.queue.clear();
        }
        self.finished += 1;
        if self.finished == self.p.ranks {
            // The rank that finished last ends the run: its wait for data is the
            // job's data stall on the critical path.
            self.stats.critical_stall = self.ranks[r].times.stall;
            self.loss.stall = self.ranks[r].fault_stall;
            self.done = true;
        }
    }

    /// How long rank `r` ran: to its own finish with independent ranks, else (or if
    /// the run stopped first) to the end of the run.
    pub(super) fn rank_run_time(&self, r: usize, end: Time) -> Time {
        match self.ranks[r].own.finished_at {
            Some(t) if !self.p.barrier => t,
            _ => end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::BuildCtx;

    fn job(ranks: usize) -> Training {
        let table: toml::Table = toml::from_str(&format!(
            "dataset = {{ samples = 40, size = '1KB' }}\nranks = {ranks}\nepochs = 5\n\
             batch_size = 2\nbarrier = false\ncompute = {{ per_batch = '1ms' }}"
        ))
        .unwrap();
        let ctx = BuildCtx {
            seed: 3,
            dataset_seed: 3,
            tiers: &["disk".to_string()],
            links: &[],
            base_dir: None,
            nodes: &[],
        };
        Training::new(super::super::params::resolve(table, &ctx).unwrap(), 3)
    }

    /// Moves rank `r` into `epoch` and returns the order it now reads.
    fn enter(t: &mut Training, r: usize, epoch: u64) -> Vec<u32> {
        t.ranks[r].own.epoch = epoch;
        t.use_sampler_of_epoch(r);
        let mut v = Vec::new();
        t.sampler_of(r).rank_indices(r, &mut v);
        v
    }

    #[test]
    fn ranks_in_different_epochs_read_their_own_epoch_s_order() {
        let mut t = job(3);
        // Each rank's order in epoch e, from a fresh sampler set to e.
        let spec = t.p.sampler.spec();
        let want = |r: usize, e: u64| {
            let mut s = spec.build();
            s.set_epoch(e);
            let mut v = Vec::new();
            s.rank_indices(r, &mut v);
            v
        };
        assert_ne!(want(0, 1), want(0, 2), "epochs differ");
        assert_eq!(enter(&mut t, 0, 1), want(0, 1));
        // Rank 0 in epoch 1, ranks 1 and 2 still in epoch 0: two samplers.
        assert_eq!(t.sampler_users, vec![2, 1]);
        assert_eq!(enter(&mut t, 1, 1), want(1, 1));
        assert_eq!(t.sampler_users, vec![1, 2], "rank 1 joins rank 0's sampler");
        assert_eq!(enter(&mut t, 0, 2), want(0, 2));
        // Three epochs in flight: three samplers.
        assert_eq!(t.sampler_users, vec![1, 1, 1]);
        assert_eq!(enter(&mut t, 2, 1), want(2, 1));
        // The sampler of epoch 0 is free again; rank 2 joined epoch 1's; then rank 2
        // moves on to epoch 2, where rank 0 is.
        assert_eq!(t.sampler_users, vec![0, 2, 1]);
        assert_eq!(enter(&mut t, 2, 2), want(2, 2));
        assert_eq!(t.sampler_users, vec![0, 1, 2]);
        // Rank 0 into epoch 3: the unused sampler is taken over, none is added.
        assert_eq!(enter(&mut t, 0, 3), want(0, 3));
        assert_eq!(t.sampler_users, vec![1, 1, 1]);
        assert_eq!(t.extra_samplers.len(), 2);
    }
}
