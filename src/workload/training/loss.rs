//! The training job's side of faults: samples a loader could not read. With
//! `[reader] on_loss = "skip"` a batch goes on without them (its compute covers only
//! the samples that arrived) until the epoch's skip budget is spent, after which the
//! job's reads wait for their target; `wait` and `replica` are carried out by the
//! data path. Costs one branch per batch without faults.

use super::Training;
use crate::config::faults::OnLoss;
use crate::engine::Time;
use crate::sim::Ctx;
use crate::trace::Request;

/// Samples lost per outstanding batch slot, and skips in the current epoch.
#[derive(Default)]
pub(super) struct Loss {
    /// Faults are configured (else every method returns at once).
    on: bool,
    skip: bool,
    budget: u64,
    /// This job's reads' mode while its skip budget lasts (`Skip`), then `Wait`: set
    /// around its own reads only, so other jobs' reads keep the default.
    mode: OnLoss,
    /// Per rank x slot: samples of the batch in that slot that were lost.
    lost: Vec<u32>,
    /// Per rank x slot: the span in which the batch's reads were held up by faults
    /// ((MAX, 0): they were not).
    hurt: Vec<(Time, Time)>,
    /// Time the job's iterations waited on data held up by faults, on the critical
    /// path (see [`Training::fault_stall`]).
    pub stall: Time,
    skipped_in_epoch: u64,
    /// Samples lost over the run.
    pub total: u64,
    /// Samples in files: the chunk-id span each position of the current reads
    /// needs, and the chunk ids whose reads were given up (reused buffers).
    pub spans: Vec<(u64, u64)>,
    pub lost_chunks: Vec<u64>,
}

impl Loss {
    /// Whether reads of samples in files go one by one to find lost chunks.
    #[inline]
    pub(super) fn checks_chunks(&self) -> bool {
        self.on
    }
}

impl Training {
    /// Reads the reader config once (at start).
    pub(super) fn loss_start(&mut self, ctx: &mut Ctx) {
        if let Some((on_loss, budget)) = ctx.reader() {
            self.loss = Loss {
                on: true,
                skip: on_loss == OnLoss::Skip,
                budget: budget.unwrap_or(u64::MAX),
                lost: vec![0; self.p.ranks * self.slots],
                hurt: vec![(Time::MAX, 0); self.p.ranks * self.slots],
                ..Loss::default()
            };
        }
    }

    /// A new epoch: a fresh skip budget.
    pub(super) fn loss_new_epoch(&mut self) {
        if self.loss.on && self.loss.skip {
            self.loss.skipped_in_epoch = 0;
            self.loss.mode = if self.loss.budget > 0 {
                OnLoss::Skip
            } else {
                OnLoss::Wait
            };
        }
    }

    /// Before a loader's reads: a mark to count what they lose (and a fresh span of
    /// fault hold-ups).
    #[inline]
    pub(super) fn loss_mark(&self, ctx: &mut Ctx) -> Option<u64> {
        if !self.loss.on {
            return None;
        }
        if self.loss.skip {
            ctx.set_loss_mode(Some(self.loss.mode));
        }
        ctx.take_fault_hurt();
        Some(ctx.reads_lost())
    }

    /// After rank `r`'s reads for batch `k`: notes the samples lost since `mark`
    /// (one a read given up).
    #[inline]
    pub(super) fn loss_note(&mut self, r: usize, k: usize, mark: Option<u64>, ctx: &mut Ctx) {
        let Some(m) = mark else { return };
        let lost = ctx.reads_lost() - m;
        self.loss_note_samples(r, k, mark, lost, ctx);
    }

    /// After rank `r`'s reads for batch `k` since `mark`: notes `lost` samples lost.
    pub(super) fn loss_note_samples(
        &mut self,
        r: usize,
        k: usize,
        mark: Option<u64>,
        lost: u64,
        ctx: &mut Ctx,
    ) {
        if mark.is_none() {
            return;
        }
        if self.loss.skip {
            ctx.set_loss_mode(None);
        }
        if let Some((a, b)) = ctx.take_fault_hurt() {
            let h = &mut self.loss.hurt[r * self.slots + k % self.slots];
            *h = (h.0.min(a), h.1.max(b));
        }
        if lost == 0 {
            return;
        }
        self.loss.lost[r * self.slots + k % self.slots] += lost as u32;
        self.loss.total += lost;
        self.loss.skipped_in_epoch += lost;
        if self.loss.skip && self.loss.skipped_in_epoch >= self.loss.budget {
            self.loss.mode = OnLoss::Wait;
        }
    }

    /// Samples of rank `r`'s batch `k` that were lost (the entry is consumed).
    #[inline]
    pub(super) fn loss_take(&mut self, r: usize, k: usize) -> usize {
        if !self.loss.on {
            return 0;
        }
        self.loss.hurt[r * self.slots + k % self.slots] = (Time::MAX, 0);
        std::mem::take(&mut self.loss.lost[r * self.slots + k % self.slots]) as usize
    }

    /// Reads `batch` (chunks of files) one by one from node slot `slot`, noting in
    /// `loss.lost_chunks` the chunk ids whose reads were given up; returns when the
    /// last is done (as one batch of them would).
    pub(super) fn checked_reads(
        &mut self,
        slot: usize,
        batch: &[Request],
        sequential: bool,
        ctx: &mut Ctx,
    ) -> Time {
        let mut last = ctx.now();
        for req in batch {
            let before = ctx.reads_lost();
            last = last.max(ctx.access_on(slot, req, sequential).done);
            if ctx.reads_lost() > before {
                self.loss.lost_chunks.push(req.id);
            }
        }
        last
    }

    /// The positions of the current reads (`loss.spans`) that needed a chunk whose
    /// read was given up: their samples are lost (a chunk lost takes every sample
    /// of it these reads wanted, whether their read or their buffer held it). Clears
    /// the lost chunks when none are left to check (the read-ahead's are kept for
    /// the buffer reset).
    pub(super) fn lost_in_chunks(&self) -> u64 {
        let lost = &self.loss.lost_chunks;
        if lost.is_empty() {
            return 0;
        }
        self.loss
            .spans
            .iter()
            .filter(|&&(a, b)| lost.iter().any(|&c| a <= c && c < b))
            .count() as u64
    }

    /// With faults: the data stall they caused on the critical path.
    pub(super) fn loss_stall(&self) -> Option<Time> {
        self.loss.on.then_some(self.loss.stall)
    }

    /// Rank `r` stalled on batch `k` in [since, until): the part of it during which
    /// the batch's reads were held up by faults (zero without faults). Summed per
    /// iteration for the rank that held the iteration back, this is the job's stall
    /// caused by faults on its critical path: the time an iteration's compute start
    /// was delayed by reads a fault delayed.
    #[inline]
    pub(super) fn fault_stall(&self, r: usize, k: usize, since: Time, until: Time) -> Time {
        if !self.loss.on {
            return 0;
        }
        let (a, b) = self.loss.hurt[r * self.slots + k % self.slots];
        until.min(b).saturating_sub(since.max(a))
    }
}
