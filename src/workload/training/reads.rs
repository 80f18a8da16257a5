//! The loader's reads one sample at a time (`worker_io = "sample"`), and the reads of
//! samples in files ([`super::files`]): a batch's (or a sample's) reads are the chunks
//! its samples need that the worker's open file does not hold, then the worker's
//! read-ahead (issued, not waited for).

use super::{Training, READS_DONE, SAMPLE_DONE};
use crate::engine::Time;
use crate::sim::Ctx;
use crate::trace::{Op, Request, NO_NEXT_ACCESS};
use std::ops::Range;

impl Training {
    /// Issues the reads of positions `reads` of rank `r`'s sequence for worker `w`
    /// now; returns when the needed ones are done. With faults, the reads go one by
    /// one so that a chunk read given up loses the samples of these positions that
    /// needed it ([`Training::lost_in_chunks`]).
    pub(super) fn file_reads(&mut self, w: usize, reads: Range<usize>, ctx: &mut Ctx) -> Time {
        let files = self.p.dataset.files.clone().expect("a file layout");
        let r = w / self.p.workers;
        let k = self.workers[w].batch;
        let now = ctx.now();
        let sampler = match self.ranks[r].own.sampler {
            0 => &self.p.sampler,
            i => &self.extra_samplers[i - 1],
        };
        let stream = &mut self.workers[w].stream;
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        let mut bytes = 0;
        let checked = self.loss.checks_chunks();
        if checked {
            self.loss.spans.clear();
            self.loss.lost_chunks.clear();
        }
        for pos in reads {
            let id = sampler.index(r, pos);
            let size = self.p.dataset.size(id);
            if checked {
                self.loss.spans.push(files.sample_chunks(id, size));
            }
            bytes += files.sample_reads(id, size, stream, now, &mut batch);
        }
        let slot = self.p.rank_slots[r] as usize;
        let sequential = self.p.sampler.sequential_io();
        let mark = self.loss_mark(ctx);
        let last = if checked {
            self.checked_reads(slot, &batch, sequential, ctx)
        } else {
            ctx.access_batch_on(slot, &mut batch, sequential)
        };
        if checked {
            let lost = self.lost_in_chunks();
            self.loss_note_samples(r, k, mark, lost, ctx);
        }
        batch.clear();
        let stream = &mut self.workers[w].stream;
        let ahead = files.read_ahead(stream, now, &mut batch);
        if ahead > 0 {
            if checked {
                self.checked_reads(slot, &batch, sequential, ctx);
            } else {
                ctx.access_batch_on(slot, &mut batch, sequential);
            }
        }
        if checked && !self.loss.lost_chunks.is_empty() {
            // The worker's buffer does not hold what it could not read.
            self.workers[w].stream = super::files::Stream::default();
        }
        self.stats.bytes_read += bytes + ahead;
        self.batch = batch;
        last
    }

    /// One sample read through the hierarchy now; returns when its data is ready.
    #[inline]
    pub(super) fn read(&mut self, r: usize, pos: usize, ctx: &mut Ctx) -> Time {
        let id = self.sampler_of(r).index(r, pos);
        let now = ctx.now();
        let req = Request {
            time: now,
            id: id as u64,
            size: self.p.dataset.size(id),
            op: Op::Read,
            next_access: NO_NEXT_ACCESS,
        };
        let slot = self.p.rank_slots[r] as usize;
        let a = ctx.access_on(slot, &req, self.p.sampler.sequential_io());
        self.stats.bytes_read += req.size as u64;
        a.done
    }

    /// Sample mode: issue the worker's next read, or finish the batch's reads.
    pub(super) fn sample_step(&mut self, w: usize, ctx: &mut Ctx) {
        let actor = self.worker_actor(w);
        let (cursor, end) = (self.workers[w].cursor, self.workers[w].end);
        if cursor == end {
            ctx.wake_in(0, actor, READS_DONE);
            return;
        }
        self.workers[w].cursor += 1;
        let done = if self.p.dataset.files.is_some() {
            self.file_reads(w, cursor..cursor + 1, ctx)
        } else {
            let (r, k) = (w / self.p.workers, self.workers[w].batch);
            let mark = self.loss_mark(ctx);
            let done = self.read(r, cursor, ctx);
            self.loss_note(r, k, mark, ctx);
            done
        };
        ctx.wake_at(done, actor, SAMPLE_DONE);
    }
}
