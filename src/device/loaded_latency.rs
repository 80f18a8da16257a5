//! The loaded-latency model for DRAM: the basic device's channels and shared data path,
//! with a latency that rises with the data path's recent utilisation, like the
//! latency-vs-bandwidth tables of Intel MLC or Ramulator:
//!
//! latency(u) = latency x (1 + [`LOADED_GAIN`] x u^[`LOADED_EXPONENT`])
//!
//! where u is the fraction of time the data path spent transferring over roughly the
//! last [`WINDOW`] (an exponentially decayed average, updated at each request). The two
//! constants are fitted to the MLC loaded-latency curve of 12 x DDR4-2666 (REFERENCES.md
//! s1: 82 ns @ 1.2 GB/s, 99 @ 68, 124 @ 131, 130 @ 135.6 GB/s; peak 12 x 8 B x 2666 MT/s
//! = 256 GB/s): u = 0.27 gives +20%, u = 0.53 gives +58%, so latency reaches ~2.5x idle
//! as the data path saturates (Colloid, REFERENCES.md s2, sees 2.5x under load).
//! Queueing for the data path and for channels comes on top, as in the basic model.
//!
//! Known limits: one curve for every DRAM (fitted on one Skylake platform, all reads);
//! reads and writes load it alike (no read/write turnaround penalty, no bank or row-
//! buffer state); the utilisation is a 1 us moving average, so a burst shorter than that
//! sees less than its own load.

use super::server::Server;
use super::{DeviceModel, DeviceSpec, DeviceStats};
use crate::engine::{Time, US};
use crate::trace::Op;

/// Added latency at full utilisation, as a fraction of the idle latency (fit, see the
/// module doc).
pub const LOADED_GAIN: f64 = 1.5;
/// Exponent of the utilisation (fit, see the module doc).
pub const LOADED_EXPONENT: f64 = 1.5;
/// Time constant of the utilisation average.
pub const WINDOW: Time = US;

/// What the report says about this model.
pub const LIMITS: &str = "one latency-vs-utilisation curve (latency x (1 + 1.5 u^1.5)) fitted on one platform's MLC all-reads table; no read/write turnaround, bank or row-buffer state; utilisation is a 1 us moving average";

/// See the module doc.
pub struct LoadedLatencyDevice {
    spec: DeviceSpec,
    server: Server,
    /// Exponentially decayed sum of transfer picoseconds, and when it was last decayed.
    load: f64,
    load_at: Time,
}

/// The registry constructor (see [`super::MODELS`]).
pub fn boxed(spec: &DeviceSpec) -> Box<dyn DeviceModel> {
    Box::new(LoadedLatencyDevice::new(spec.clone()))
}

impl LoadedLatencyDevice {
    pub fn new(spec: DeviceSpec) -> Self {
        LoadedLatencyDevice {
            server: Server::new(&spec),
            spec,
            load: 0.0,
            load_at: 0,
        }
    }

    /// The data path's recent utilisation at `now` (0..=1), adding `xfer` to it.
    fn utilisation(&mut self, now: Time, xfer: Time) -> f64 {
        if now > self.load_at {
            self.load *= (-((now - self.load_at) as f64) / WINDOW as f64).exp();
            self.load_at = now;
        }
        let u = (self.load / WINDOW as f64).min(1.0);
        self.load += xfer as f64;
        u
    }
}

/// The loaded latency for an idle latency `idle` at utilisation `u`.
#[inline]
pub fn loaded(idle: Time, u: f64) -> Time {
    // u^1.5 as u sqrt(u): the exponent is fixed, and powf is a libm call per request.
    const _: () = assert!(LOADED_EXPONENT == 1.5);
    super::round_ps(idle as f64 * (1.0 + LOADED_GAIN * u * u.sqrt()))
}

impl DeviceModel for LoadedLatencyDevice {
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        let idle = self.spec.latency(op, sequential);
        super::server::for_each_transfer(bytes, self.spec.max_transfer, |piece| {
            let media = self.spec.media_bytes(piece);
            let xfer = self.server.transfer(op, media);
            let u = self.utilisation(now, xfer);
            let latency = loaded(idle, u);
            self.server.serve(now, op, piece, media, latency, xfer)
        })
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
    use crate::engine::NS;

    #[test]
    fn idle_device_has_its_idle_latency_and_the_curve_rises() {
        let spec = crate::device::presets::preset("ddr4-3200").unwrap();
        let mut d = LoadedLatencyDevice::new(spec.clone());
        // 64 B at 25.6 GB/s = 2.5 ns on the path.
        assert_eq!(d.submit(0, Op::Read, 64, false), 80 * NS + 2_500);
        assert_eq!(loaded(80 * NS, 0.0), 80 * NS);
        assert_eq!(loaded(80 * NS, 1.0), 200 * NS);
        assert!(loaded(80 * NS, 0.5) > loaded(80 * NS, 0.25));
    }
}
