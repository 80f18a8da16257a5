//! The queueing core every device model shares: `channels` requests in service at once,
//! each taking its latency and then its transfer on one shared data path, reserved in
//! submission order (requests are submitted in time order by the engine), plus the
//! device counters. Models differ only in the latency, media bytes and transfer time
//! they hand to [`Server::serve`].
//!
//! Request-dependent speed: a request holds the data path for the larger of its bytes
//! over the bandwidth and 1 / IOPS (`read_iops`, `write_iops`; the smaller limit wins),
//! and [`for_each_transfer`] splits a request larger than `max_transfer` into device
//! requests. Throughput against queue depth QD (closed loop, one request size s) is
//! then min(QD x s / (latency + path time), bandwidth, IOPS x s): linear up to the
//! knee, flat after it (the `table` model gives a measured curve instead).

use super::{DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;

/// 1 / `iops` in picoseconds, 0 for no limit (`iops` = 0).
fn ps_per_op(iops: f64) -> Time {
    if iops > 0.0 {
        super::round_ps(1e12 / iops)
    } else {
        0
    }
}

/// Splits a request of `bytes` into device transfers of at most `max_transfer` bytes
/// (0: no limit; full transfers first, the remainder last), calls `each` on every
/// transfer's size in order and returns the latest time `each` returned. A request of
/// 0 bytes is one transfer of 0 bytes. No allocation.
#[inline]
pub fn for_each_transfer(bytes: u64, max_transfer: u64, mut each: impl FnMut(u64) -> Time) -> Time {
    if max_transfer == 0 || bytes <= max_transfer {
        return each(bytes);
    }
    let mut left = bytes;
    let mut done = 0;
    while left > 0 {
        let piece = left.min(max_transfer);
        left -= piece;
        done = done.max(each(piece));
    }
    done
}

/// See the module doc.
pub struct Server {
    /// When each channel frees up, as a ring read from `next`: earliest first. A
    /// request takes the earliest free channel and holds it until its last byte is
    /// done; completions come in submission order (every request ends after the shared
    /// data path's previous reservation), so the channel it frees is the latest: the
    /// ring of free times is always sorted from `next` on, its first entry is the
    /// minimum a heap would give, and the freed channel's new time goes where the old
    /// one was taken (now the ring's last entry).
    channels: Box<[Time]>,
    next: usize,
    /// When the shared data path frees up.
    path_free: Time,
    /// End of the current busy period, for busy-time accounting.
    busy_until: Time,
    read_ps_per_byte: f64,
    write_ps_per_byte: f64,
    /// The least time a request holds the data path: 1 / IOPS (0 without a limit).
    read_ps_per_op: Time,
    write_ps_per_op: Time,
    pub stats: DeviceStats,
}

impl Server {
    pub fn new(spec: &DeviceSpec) -> Self {
        Server {
            channels: vec![0; spec.channels.max(1) as usize].into_boxed_slice(),
            next: 0,
            path_free: 0,
            busy_until: 0,
            read_ps_per_byte: 1e12 / spec.read_bandwidth,
            write_ps_per_byte: 1e12 / spec.write_bandwidth,
            read_ps_per_op: ps_per_op(spec.read_iops),
            write_ps_per_op: ps_per_op(spec.write_iops),
            stats: DeviceStats::default(),
        }
    }

    /// Time request of `media` bytes holds the data path for `op`, picoseconds: its
    /// bytes at the device's bandwidth, at least 1 / IOPS.
    #[inline]
    pub fn transfer(&self, op: Op, media: u64) -> Time {
        let (ps_per_byte, ps_per_op) = match op {
            Op::Read => (self.read_ps_per_byte, self.read_ps_per_op),
            Op::Write => (self.write_ps_per_byte, self.write_ps_per_op),
        };
        super::round_ps(media as f64 * ps_per_byte).max(ps_per_op)
    }

    /// Serves a request of `bytes` (`media` on the media) arriving at `now`: the first
    /// free channel holds it for `latency`, then the data path for `xfer`. Records the
    /// counters and returns when its last byte is done.
    #[inline]
    pub fn serve(
        &mut self,
        now: Time,
        op: Op,
        bytes: u64,
        media: u64,
        latency: Time,
        xfer: Time,
    ) -> Time {
        let next = self.next;
        let start = now.max(self.channels[next]);
        // Saturating: a completion past 2^64 ps lands at `Time::MAX`, which the event
        // queue reports as an overflow of simulated time (never a wrapped time).
        let latency_done = start.saturating_add(latency);
        let xfer_start = latency_done.max(self.path_free);
        let done = xfer_start.saturating_add(xfer);
        // The ring's last entry (the latest free time) is at most this completion.
        let n = self.channels.len();
        debug_assert!(self.channels[(next + n - 1) % n] <= done);
        self.path_free = done;
        self.channels[next] = done;
        self.next = if next + 1 == self.channels.len() {
            0
        } else {
            next + 1
        };

        let s = &mut self.stats;
        match op {
            Op::Read => {
                s.reads += 1;
                s.bytes_read += bytes;
                s.media_bytes_read += media;
            }
            Op::Write => {
                s.writes += 1;
                s.bytes_written += bytes;
                s.media_bytes_written += media;
            }
        }
        s.transfer_time += xfer;
        s.queue_time += ((start - now) + (xfer_start - latency_done)) as u128;
        if start >= self.busy_until {
            s.busy_time += done - start;
        } else if done > self.busy_until {
            s.busy_time += done - self.busy_until;
        }
        self.busy_until = self.busy_until.max(done);
        done
    }
}
