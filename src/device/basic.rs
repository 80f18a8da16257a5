//! The basic device model: `channels` requests in service at once, each taking the
//! device's latency and then its media bytes over a shared data path at the device
//! bandwidth (at least 1 / IOPS with `read_iops`/`write_iops`), split into transfers
//! of at most `max_transfer`. Unloaded, a request costs latency + bytes / bandwidth;
//! loaded, throughput is min(channels / latency, bandwidth / bytes, IOPS) and requests
//! queue FIFO.
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
        let latency = self.spec.latency(op, sequential);
        let (spec, server) = (&self.spec, &mut self.server);
        super::server::for_each_transfer(bytes, spec.max_transfer, |piece| {
            let media = spec.media_bytes(piece);
            let xfer = server.transfer(op, media);
            server.serve(now, op, piece, media, latency, xfer)
        })
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.server.stats
    }
}
