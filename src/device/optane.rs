//! The Optane DC persistent-memory model (gen 1, App Direct): the basic device's
//! channels and shared data path, plus the two behaviours of Optane's write path that
//! the basic model cannot show (REFERENCES.md s1, Yang et al. FAST'20; Izraelevitz et
//! al. 2019):
//!
//! - **XPLine write combining / read-modify-write.** The media unit is the 256 B
//!   XPLine (`granularity`). A *random* write smaller than an XPLine costs a whole
//!   XPLine on the media (a 64 B random write moves 256 B: 4x amplification, so 64 B
//!   writes get a quarter of the bandwidth in useful bytes). *Sequential* writes are
//!   merged into full XPLines by the on-DIMM write-combining buffer and cost only
//!   their bytes. Reads always fetch whole XPLines.
//! - **Write bandwidth that saturates and then degrades.** Writes saturate the media
//!   by about four concurrent writers; beyond [`WRITE_KNEE`] writers, each extra
//!   writer slows the media write rate by [`WRITE_CONTENTION`] (interleaved write
//!   streams contend in the memory controller's write queues and thrash the DIMMs'
//!   combining buffers): bandwidth at 24 writers is ~9% below the peak ("then fall
//!   slightly", Izraelevitz et al. 2019). A *writer* is an independent stream (a
//!   thread, a loader worker, the migration daemon: [`DeviceModel::submit_by`]'s
//!   `stream`) with a write in flight, not a queued write: one thread with 256
//!   non-temporal stores outstanding is one stream, so a burst of queued writes from
//!   four threads runs at the four-writer bandwidth (earlier versions counted every
//!   queued write as a writer, so a burst of N writes cost ~N^2).
//!
//! Stores are acknowledged after `write_latency` (the ~94 ns ADR acknowledgement at the
//! memory controller) plus their media transfer on the shared path, which is how a full
//! write queue pushes back on writers.
//!
//! Known limits: the contention slope is a fit to "falls slightly", not to a measured
//! curve; no wear-levelling stalls (the ~50 us stall every ~15,000 overwrites of a line);
//! no address-indirection-table cache misses (~16 MB AIT cache); the 4 KB DIMM
//! interleaving is not modelled (requests see the device's aggregate bandwidth); reads
//! and writes share one data path at their own rates, with no extra read/write
//! interference; the read-modify-write charges the write media bytes only (its 256 B
//! media read is folded in, as the 4x figure does).

use super::server::Server;
use super::{DeviceModel, DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Writers in flight up to which the write bandwidth holds its peak (Izraelevitz et
/// al. 2019: writes saturate by ~4 threads).
pub const WRITE_KNEE: usize = 4;
/// Fractional slow-down of the media write rate per writer in flight beyond the knee
/// (approx.: a fit to "then fall slightly"; 24 writers run ~9% below the peak).
pub const WRITE_CONTENTION: f64 = 0.005;

/// What the report says about this model.
pub const LIMITS: &str = "write-bandwidth decline beyond 4 concurrent writers (streams, not queued writes) is a fitted slope (0.5% per writer), not a measured curve; no wear-levelling stalls, no AIT-cache misses, no 4 KB DIMM interleaving (aggregate bandwidth), RMW charges write bytes only";

/// See the module doc.
pub struct OptaneDevice {
    spec: DeviceSpec,
    server: Server,
    /// Completion times and streams of writes in flight (a min-heap).
    writes_in_flight: BinaryHeap<Reverse<(Time, u32)>>,
    /// Writes in flight per stream: its length is the number of concurrent writers.
    writers: HashMap<u32, u32>,
}

/// The registry constructor (see [`super::MODELS`]).
pub fn boxed(spec: &DeviceSpec) -> Box<dyn DeviceModel> {
    Box::new(OptaneDevice::new(spec.clone()))
}

impl OptaneDevice {
    pub fn new(spec: DeviceSpec) -> Self {
        OptaneDevice {
            server: Server::new(&spec),
            writes_in_flight: BinaryHeap::with_capacity(spec.channels as usize + 1),
            writers: HashMap::new(),
            spec,
        }
    }

    /// Media bytes of a request: whole XPLines, except combined sequential writes.
    fn media_bytes(&self, op: Op, bytes: u64, sequential: bool) -> u64 {
        match (op, sequential) {
            (Op::Write, true) => bytes,
            _ => self.spec.media_bytes(bytes),
        }
    }

    /// Streams with a write in flight at `now`, `stream` included.
    fn writers(&mut self, now: Time, stream: u32) -> usize {
        while let Some(&Reverse((t, s))) = self.writes_in_flight.peek() {
            if t > now {
                break;
            }
            self.writes_in_flight.pop();
            if let Some(n) = self.writers.get_mut(&s) {
                *n -= 1;
                if *n == 0 {
                    self.writers.remove(&s);
                }
            }
        }
        self.writers.len() + usize::from(!self.writers.contains_key(&stream))
    }
}

impl DeviceModel for OptaneDevice {
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        self.submit_by(now, op, bytes, sequential, 0)
    }

    fn submit_by(&mut self, now: Time, op: Op, bytes: u64, sequential: bool, stream: u32) -> Time {
        let media = self.media_bytes(op, bytes, sequential);
        let mut xfer = self.server.transfer(op, media);
        if op == Op::Write {
            let extra = self.writers(now, stream).saturating_sub(WRITE_KNEE) as f64;
            xfer = (xfer as f64 * (1.0 + WRITE_CONTENTION * extra)).round() as Time;
        }
        let done = self.server.serve(
            now,
            op,
            bytes,
            media,
            self.spec.latency(op, sequential),
            xfer,
        );
        if op == Op::Write {
            self.writes_in_flight.push(Reverse((done, stream)));
            *self.writers.entry(stream).or_insert(0) += 1;
        }
        done
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.server.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::presets::preset;

    #[test]
    fn small_random_writes_cost_a_whole_xpline_and_sequential_ones_do_not() {
        let mut d = OptaneDevice::new(preset("optane-pmm").unwrap());
        d.submit(0, Op::Write, 64, false);
        assert_eq!(d.stats().media_bytes_written, 256);
        d.submit(1_000_000, Op::Write, 64, true);
        assert_eq!(d.stats().media_bytes_written, 256 + 64);
    }

    #[test]
    fn writes_beyond_the_knee_slow_down() {
        let spec = preset("optane-pmm").unwrap();
        // 4 KiB at 13.9 GB/s = 294.7 ns of media time alone.
        let alone = {
            let mut d = OptaneDevice::new(spec.clone());
            d.submit(0, Op::Write, 4096, false) - spec.write_latency
        };
        // 14 writers in flight, then a 15th: 11 beyond the knee.
        let mut d = OptaneDevice::new(spec.clone());
        let mut last = 0;
        for w in 0..(WRITE_KNEE as u32 + 10) {
            last = d.submit_by(0, Op::Write, 4096, false, w);
        }
        let prev = d.submit_by(0, Op::Write, 4096, false, 99) - last;
        let expected = alone as f64 * (1.0 + WRITE_CONTENTION * 11.0);
        assert!(
            (prev as f64 - expected).abs() <= 1.0,
            "{prev} vs {expected}"
        );
    }

    #[test]
    fn queued_writes_of_few_streams_do_not_slow_down() {
        // 1,024 writes queued at once by 4 streams: every write's media time is the
        // unloaded one (4 writers is the knee), so the last ends 1,024 x 294.7 ns after
        // the acknowledgement latency, as 1,024 writes of one stream would.
        let spec = preset("optane-pmm").unwrap();
        let xfer = 4096.0 * 1e12 / spec.write_bandwidth;
        let mut d = OptaneDevice::new(spec.clone());
        let mut last = 0;
        for i in 0..1024u32 {
            last = d.submit_by(0, Op::Write, 4096, false, i % 4);
        }
        let expected = spec.write_latency as f64 + 1024.0 * xfer;
        assert!(
            (last as f64 - expected).abs() <= 1024.0,
            "{last} vs {expected}"
        );
    }
}
