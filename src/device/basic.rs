//! The basic device model: `channels` requests in service at once, each taking the
//! device's latency and then its media bytes over a shared data path at the device
//! bandwidth. Unloaded, a request costs latency + bytes / bandwidth; loaded, throughput
//! is min(channels / latency, bandwidth / bytes) and requests queue FIFO.
//!
//! Requests are served in submission order and their resources are reserved at
//! submission (a reservation model): exact for requests submitted in time order, as
//! the engine does. Known limits: no loaded-latency curve beyond queueing, no
//! read/write interference beyond sharing the data path, no wear-levelling stalls.

use super::server::Server;
use super::{DeviceModel, DeviceSpec, DeviceStats};
use crate::engine::Time;
use crate::trace::Op;

/// See the module doc.
pub struct BasicDevice {
    spec: DeviceSpec,
    server: Server,
}

impl BasicDevice {
    pub fn new(spec: DeviceSpec) -> Self {
        BasicDevice {
            server: Server::new(&spec),
            spec,
        }
    }
}

impl DeviceModel for BasicDevice {
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        let media = self.spec.media_bytes(bytes);
        let xfer = self.server.transfer(op, media);
        self.server.serve(
            now,
            op,
            bytes,
            media,
            self.spec.latency(op, sequential),
            xfer,
        )
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.server.stats
    }
}
