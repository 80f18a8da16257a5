//! Bounce buffers: a tier whose data reaches the requester through a faster tier (NVMe
//! data reaching a GPU through host DRAM, without GPUDirect Storage). Every byte a
//! requester reads from or writes to the bouncing tier is also written to the bounce
//! tier and read back from it once (a DMA into the buffer, a copy out of it), and
//! crosses the bounce tier's link (host DRAM's PCIe link to the GPU) in the data's
//! direction. All of it is charged at the access time and overlaps (a chunked copy
//! pipelines); the access is done when the last part is.
//!
//! Without `bounce_through` a tier's data goes to the requester directly, as
//! GPUDirect Storage moves NVMe data into GPU memory: no host DRAM traffic. Only the
//! requester's own traffic (served and pinned accesses) bounces: fills, write-backs and
//! migrations between tiers are tier-to-tier copies and do not.

use super::Hierarchy;
use crate::device::Direction;
use crate::engine::Time;
use crate::trace::Op;

impl Hierarchy {
    /// Makes instance `i`'s requester traffic bounce through the faster instance `via`.
    pub fn set_bounce(&mut self, i: usize, via: usize) {
        assert!(via < i, "a bounce buffer is a faster tier");
        if self.bounce.is_empty() {
            self.bounce = vec![None; self.tiers.len()];
        }
        self.bounce[i] = Some(via);
    }

    /// The bounce instance of instance `i`, if its traffic bounces.
    pub fn bounce_of(&self, i: usize) -> Option<usize> {
        self.bounce.get(i).copied().flatten()
    }

    /// Charges the bounce of `bytes` of instance `i`'s requester traffic at `t`: a
    /// write and a read on the bounce instance and its link. Returns when they are
    /// done (`t` when `i` does not bounce).
    pub(super) fn bounce(&mut self, i: usize, t: Time, op: Op, bytes: u64, seq: bool) -> Time {
        let Some(b) = self.bounce_of(i) else {
            return t;
        };
        let stream = self.stream;
        let via = &mut self.tiers[b];
        let written = via.device.submit_by(t, Op::Write, bytes, seq, stream);
        let read = via.device.submit_by(t, Op::Read, bytes, seq, stream);
        let mut done = written.max(read);
        if let Some(l) = via.link {
            let link = &mut self.links[l].device;
            done = done.max(link.submit_dir(t, op, bytes, seq, Direction::of(op)));
        }
        done
    }
}
