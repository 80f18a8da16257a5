//! The loader's reads when samples live in files ([`super::files`]): a batch's (or a
//! sample's) reads are the chunks its samples need that the worker's open file does
//! not hold, then the worker's read-ahead (issued, not waited for).

use super::Training;
use crate::engine::Time;
use crate::sim::Ctx;
use std::ops::Range;

impl Training {
    /// Issues the reads of positions `reads` of rank `r`'s sequence for worker `w`
    /// now; returns when the needed ones are done.
    pub(super) fn file_reads(&mut self, w: usize, reads: Range<usize>, ctx: &mut Ctx) -> Time {
        let files = self.p.dataset.files.clone().expect("a file layout");
        let r = w / self.p.workers;
        let now = ctx.now();
        let sampler = match self.ranks[r].own.sampler {
            0 => &self.p.sampler,
            i => &self.extra_samplers[i - 1],
        };
        let stream = &mut self.workers[w].stream;
        let mut batch = std::mem::take(&mut self.batch);
        batch.clear();
        let mut bytes = 0;
        for pos in reads {
            let id = sampler.index(r, pos);
            bytes += files.sample_reads(id, self.p.dataset.size(id), stream, now, &mut batch);
        }
        let slot = self.p.rank_slots[r] as usize;
        let sequential = self.p.sampler.sequential_io();
        let last = ctx.access_batch_on(slot, &mut batch, sequential);
        batch.clear();
        let ahead = files.read_ahead(stream, now, &mut batch);
        if ahead > 0 {
            ctx.access_batch_on(slot, &mut batch, sequential);
        }
        self.stats.bytes_read += bytes + ahead;
        self.batch = batch;
        last
    }
}
