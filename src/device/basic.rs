//! The basic device model: `channels` requests in service at once, each taking the
//! device's latency and then its media bytes over a shared data path at the device
//! bandwidth. Unloaded, a request costs latency + bytes / bandwidth; loaded, throughput
//! is min(channels / latency, bandwidth / bytes) and requests queue FIFO.
//!
//! Requests are served in submission order and their resources are reserved at
//! submission (a reservation model): exact for requests submitted in time order, as
//! the engine does. Known limits: no loaded-latency curve beyond queueing, no
//! read/write interference beyond sharing the data path, no wear-levelling stalls.

use super::{transfer_time, DeviceModel, DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// See the module doc.
pub struct BasicDevice {
    spec: DeviceSpec,
    /// When each channel frees up (a min-heap).
    channels: BinaryHeap<Reverse<Time>>,
    /// When the shared data path frees up.
    path_free: Time,
    /// End of the current busy period, for busy-time accounting.
    busy_until: Time,
    read_ps_per_byte: f64,
    write_ps_per_byte: f64,
    stats: DeviceStats,
}

impl BasicDevice {
    pub fn new(spec: DeviceSpec) -> Self {
        let channels = (0..spec.channels).map(|_| Reverse(0)).collect();
        BasicDevice {
            read_ps_per_byte: 1e12 / spec.read_bandwidth,
            write_ps_per_byte: 1e12 / spec.write_bandwidth,
            spec,
            channels,
            path_free: 0,
            busy_until: 0,
            stats: DeviceStats::default(),
        }
    }
}

impl DeviceModel for BasicDevice {
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        let media = self.spec.media_bytes(bytes);
        let xfer = match op {
            Op::Read => (media as f64 * self.read_ps_per_byte).round() as Time,
            Op::Write => (media as f64 * self.write_ps_per_byte).round() as Time,
        };
        debug_assert_eq!(
            xfer,
            transfer_time(
                media,
                if op == Op::Read {
                    self.spec.read_bandwidth
                } else {
                    self.spec.write_bandwidth
                }
            )
        );
        let Reverse(channel_free) = self.channels.pop().expect("at least one channel");
        let start = now.max(channel_free);
        let latency_done = start + self.spec.latency(op, sequential);
        let xfer_start = latency_done.max(self.path_free);
        let done = xfer_start + xfer;
        self.path_free = done;
        self.channels.push(Reverse(done));

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
        s.queue_time += (start - now) + (xfer_start - latency_done);
        if start >= self.busy_until {
            s.busy_time += done - start;
        } else if done > self.busy_until {
            s.busy_time += done - self.busy_until;
        }
        self.busy_until = self.busy_until.max(done);
        done
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.stats
    }
}
