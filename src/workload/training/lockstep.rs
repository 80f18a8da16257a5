//! Ranks in lockstep (`barrier = true`, the default): after computing, each rank waits
//! at the barrier for the slowest; the last to arrive starts the gradient exchange
//! over its link ([`super::sync`]: a chain of messages, or the hierarchical ring's
//! phases across the nodes of a cluster), and, every k iterations, a checkpoint is
//! written ([`super::checkpoint`]); then every rank takes its next batch.

use super::checkpoint::CheckpointMode;
use super::{
    Training, CKPT_DONE, CKPT_START, SYNC_MESSAGE_DONE, SYNC_OVERHEAD_DONE, SYNC_PHASE_DONE,
};
use crate::engine::Time;
use crate::sim::Ctx;
use crate::trace::Op;

impl Training {
    /// Rank `r` finished computing: wait at the barrier; the last one starts the sync.
    pub(super) fn on_compute_done(&mut self, r: usize, ctx: &mut Ctx) {
        let now = ctx.now();
        self.ranks[r].arrived_at = now;
        self.arrived += 1;
        if self.arrived < self.p.ranks {
            return;
        }
        self.arrived = 0;
        // Rank r arrived last: it held the iteration back, and its wait for data is
        // the iteration's data stall on the critical path (the others' barrier wait
        // is compute imbalance or their own earlier data).
        self.stats.critical_stall += self.ranks[r].iteration_stall;
        self.loss.stall += self.ranks[r].iteration_fault_stall;
        for rank in &mut self.ranks {
            rank.times.barrier += now - rank.arrived_at;
            rank.iteration_stall = 0;
            rank.iteration_fault_stall = 0;
        }
        self.sync_start = now;
        match &self.p.sync.cluster {
            Some(_) => {
                self.sync_steps_left = 3;
                self.sync_phase(ctx);
            }
            None => {
                self.sync_steps_left = self.p.sync.steps;
                self.sync_step(SYNC_MESSAGE_DONE, ctx);
            }
        }
    }

    /// The hierarchical ring's next phase on every node (see [`sync`]); wakes the
    /// sync actor when the slowest node is done, or finishes the collective.
    pub(super) fn sync_phase(&mut self, ctx: &mut Ctx) {
        let ring = self.p.sync.cluster.as_ref().expect("a cluster ring");
        while self.sync_steps_left > 0 {
            let (intra, steps, bytes) =
                ring.phases(self.p.sync.bytes)[3 - self.sync_steps_left as usize];
            self.sync_steps_left -= 1;
            let link = if intra { ring.intra } else { Some(ring.nic) };
            let (Some(link), true) = (link, steps > 0) else {
                continue;
            };
            let start = ctx.now() + self.p.sync.overhead * steps as Time;
            let mut done = start;
            for slot in 0..ring.nodes as usize {
                done =
                    done.max(ctx.transfer_steps_on(slot, link, steps, bytes) + start - ctx.now());
            }
            ctx.wake_at(done, self.sync_actor(), SYNC_PHASE_DONE);
            return;
        }
        self.sync_done(ctx);
    }

    /// The collective's next message (after its software overhead, if any).
    pub(super) fn sync_step(&mut self, tag: u64, ctx: &mut Ctx) {
        if self.sync_steps_left == 0 {
            self.sync_done(ctx);
            return;
        }
        if tag == SYNC_MESSAGE_DONE && self.p.sync.overhead > 0 {
            ctx.wake_in(self.p.sync.overhead, self.sync_actor(), SYNC_OVERHEAD_DONE);
            return;
        }
        self.sync_steps_left -= 1;
        let link = self.p.sync.link.expect("a sync with steps has a link");
        let sync = self.sync_actor();
        ctx.transfer(link, self.p.sync.step_bytes, sync, SYNC_MESSAGE_DONE);
    }

    fn sync_done(&mut self, ctx: &mut Ctx) {
        let now = ctx.now();
        let d = now - self.sync_start;
        for rank in &mut self.ranks {
            rank.times.sync += d;
        }
        self.stats
            .record_iteration(now - self.last_iteration_end, d, ctx);
        self.last_iteration_end = now;
        self.iterations += 1;
        match self.p.checkpoint.clone() {
            Some(c) if self.iterations.is_multiple_of(c.every) => {
                self.ckpt_blocked_since = now;
                match c.mode {
                    CheckpointMode::Blocking => {
                        let done = self.write_checkpoint(ctx);
                        ctx.wake_at(done, self.ckpt_actor(), CKPT_DONE);
                    }
                    CheckpointMode::Background if self.ckpt_busy_until > now => {
                        ctx.wake_at(self.ckpt_busy_until, self.ckpt_actor(), CKPT_START);
                    }
                    CheckpointMode::Background => {
                        self.write_checkpoint(ctx);
                        self.next_iteration(ctx);
                    }
                }
            }
            _ => self.next_iteration(ctx),
        }
    }

    fn write_checkpoint(&mut self, ctx: &mut Ctx) -> Time {
        let c = self.p.checkpoint.as_ref().expect("checkpointing");
        let now = ctx.now();
        let done = ctx.pinned(c.tier, Op::Write, c.bytes, true);
        self.stats.checkpoints += 1;
        self.stats.checkpoint_write += done - now;
        self.ckpt_busy_until = done;
        self.ckpt_written = [self.ckpt_written[1], (done, self.iterations)];
        done
    }

    pub(super) fn on_checkpoint(&mut self, tag: u64, ctx: &mut Ctx) {
        if tag == CKPT_START {
            self.write_checkpoint(ctx);
        }
        let blocked = ctx.now() - self.ckpt_blocked_since;
        for rank in &mut self.ranks {
            rank.times.checkpoint += blocked;
        }
        self.next_iteration(ctx);
    }

    fn next_iteration(&mut self, ctx: &mut Ctx) {
        self.iter += 1;
        if self.iter == self.batches_per_epoch {
            self.stats.epoch_end(ctx.now(), self.p.ranks);
            self.epoch += 1;
        }
        let limit = self.p.max_iterations.unwrap_or(u64::MAX);
        if self.epoch == self.p.epochs || self.iterations >= limit {
            self.done = true;
            return;
        }
        if self.iter == self.batches_per_epoch {
            self.begin_epoch(ctx);
        } else {
            for j in 0..self.p.ranks {
                let r = self.rank_in_turn(j);
                self.want_batch(r, self.iter, ctx);
            }
        }
    }
}
