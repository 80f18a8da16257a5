//! Full-duplex links: each direction has its own data path, channels and queue, so a
//! copy one way and a copy the other way started together both run at the full
//! one-direction speed. A half-duplex link (every link without `duplex = true`, as
//! before) is one device whose single queue both directions share.
//!
//! Direction is seen from the requester's side ([`Direction`]): data fetched toward the
//! requester (a read, a swap-in: host-to-device on a GPU's PCIe link) takes the
//! `read_*` figures, data sent away from it (a write, a write-back, a swap-out, a
//! migration down: device-to-host) the `write_*` ones. The hierarchy picks the
//! direction of every link crossing (`crate::hierarchy`). Counters: on a duplex link
//! `reads`/`bytes_read` count what went toward the requester and `writes` what went
//! away, and busy and transfer time add both directions (utilisation can reach 2).
//!
//! Known limit: real PCIe copies are not fully duplex (an A100's H2D copy drops from
//! 25.1 to ~11-16 GB/s while a D2H copy runs, NVIDIA/nvbandwidth#15, #53): this
//! model is the ideal full-duplex link; give `duplex = false` for the pessimistic
//! single-queue bound.

use super::{DeviceModel, DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;

/// Which way data crosses a link, relative to the side that asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Toward the requester: reads, fills, swap-ins (host-to-device on a GPU link).
    Toward,
    /// Away from the requester: writes, write-backs, swap-outs, migrations down.
    Away,
}

impl Direction {
    /// The direction of a request's data: a read fetches toward the requester, a
    /// write sends away from it.
    #[inline]
    pub fn of(op: Op) -> Self {
        match op {
            Op::Read => Direction::Toward,
            Op::Write => Direction::Away,
        }
    }

    /// The other direction (the far end of a route sees the data leave).
    #[inline]
    pub fn flip(self) -> Self {
        match self {
            Direction::Toward => Direction::Away,
            Direction::Away => Direction::Toward,
        }
    }
}

/// See the module doc: two devices of the same spec, one per direction.
pub struct DuplexDevice {
    spec: DeviceSpec,
    toward: Box<dyn DeviceModel>,
    away: Box<dyn DeviceModel>,
    stats: DeviceStats,
}

/// Builds a full-duplex link of `spec` (each direction a device of `spec.model`).
pub fn build(spec: &DeviceSpec) -> Result<Box<dyn DeviceModel>, String> {
    Ok(Box::new(DuplexDevice {
        spec: spec.clone(),
        toward: super::build(spec)?,
        away: super::build(spec)?,
        stats: DeviceStats::default(),
    }))
}

impl DeviceModel for DuplexDevice {
    #[inline]
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        self.submit_dir(now, op, bytes, sequential, Direction::of(op))
    }

    fn submit_dir(
        &mut self,
        now: Time,
        _op: Op,
        bytes: u64,
        sequential: bool,
        dir: Direction,
    ) -> Time {
        let done = match dir {
            Direction::Toward => self.toward.submit(now, Op::Read, bytes, sequential),
            Direction::Away => self.away.submit(now, Op::Write, bytes, sequential),
        };
        self.stats = sum(self.toward.stats(), self.away.stats());
        done
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.stats
    }
}

/// Both directions' counters added.
fn sum(a: &DeviceStats, b: &DeviceStats) -> DeviceStats {
    DeviceStats {
        reads: a.reads + b.reads,
        writes: a.writes + b.writes,
        bytes_read: a.bytes_read + b.bytes_read,
        bytes_written: a.bytes_written + b.bytes_written,
        media_bytes_read: a.media_bytes_read + b.media_bytes_read,
        media_bytes_written: a.media_bytes_written + b.media_bytes_written,
        busy_time: a.busy_time + b.busy_time,
        transfer_time: a.transfer_time + b.transfer_time,
        queue_time: a.queue_time + b.queue_time,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::US;

    #[test]
    fn directions_queue_apart() {
        let spec = crate::device::presets::preset("pcie-gen4-x16").unwrap();
        let mut d = build(&spec).unwrap();
        let bytes = 1 << 30;
        let one = 2 * US + crate::device::transfer_time(bytes, 25.1e9);
        assert_eq!(d.submit(0, Op::Write, bytes, true), one);
        assert_eq!(d.submit(0, Op::Read, bytes, true), one);
        // Same direction queues: the second read waits for the first's data.
        let two = 2 * US + 2 * crate::device::transfer_time(bytes, 25.1e9);
        assert!(d.submit(0, Op::Read, bytes, true).abs_diff(two) <= 1);
        assert_eq!((d.stats().reads, d.stats().writes), (2, 1));
    }
}
