//! The queueing core every device model shares: `channels` requests in service at once,
//! each taking its latency and then its transfer on one shared data path, reserved in
//! submission order (requests are submitted in time order by the engine), plus the
//! device counters. Models differ only in the latency, media bytes and transfer time
//! they hand to [`Server::serve`].

use super::{DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;

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
            stats: DeviceStats::default(),
        }
    }

    /// Time to move `media` bytes at the device's bandwidth for `op`, picoseconds.
    #[inline]
    pub fn transfer(&self, op: Op, media: u64) -> Time {
        let ps_per_byte = match op {
            Op::Read => self.read_ps_per_byte,
            Op::Write => self.write_ps_per_byte,
        };
        super::round_ps(media as f64 * ps_per_byte)
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
