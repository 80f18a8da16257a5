//! Devices: the data that describes a memory, storage or network device
//! ([`DeviceSpec`]), the models that turn requests into service times behind the
//! [`DeviceModel`] trait (one file each, registered by name), and cited presets.

mod basic;
pub mod loaded_latency;
pub mod optane;
pub mod presets;
pub mod server;
pub mod table;

pub use basic::BasicDevice;
pub use loaded_latency::LoadedLatencyDevice;
pub use optane::OptaneDevice;
pub use table::{TableDevice, TablePoint};

use crate::config::units;
use crate::engine::Time;
use crate::trace::Op;
use serde::{Deserialize, Serialize};

/// Everything that describes a device: the one list of device fields. Presets are
/// literals of it; a config's `[[tiers]]` entry names a preset and overrides any field
/// by the name it has here (serde names: `endurance` for `endurance_bytes`), with units
/// ("64GiB", "305ns", "6.5GB/s"); in memory the fields are plain numbers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Which model serves requests (`basic`, ...): see [`MODELS`].
    pub model: String,
    /// Capacity in bytes (0 for links).
    #[serde(with = "units::as_size")]
    pub capacity: u64,
    /// Random-access read latency, picoseconds.
    #[serde(with = "units::as_duration")]
    pub read_latency: Time,
    /// Sequential read latency, picoseconds.
    #[serde(with = "units::as_duration")]
    pub read_latency_seq: Time,
    /// Random-access write latency, picoseconds.
    #[serde(with = "units::as_duration")]
    pub write_latency: Time,
    /// Sequential write latency, picoseconds.
    #[serde(with = "units::as_duration")]
    pub write_latency_seq: Time,
    /// Read bandwidth of the whole device, bytes per second.
    #[serde(with = "units::as_bandwidth")]
    pub read_bandwidth: f64,
    /// Write bandwidth of the whole device, bytes per second.
    #[serde(with = "units::as_bandwidth")]
    pub write_bandwidth: f64,
    /// Media access unit in bytes: transfers round up to it (write amplification).
    #[serde(with = "units::as_size_u32")]
    pub granularity: u32,
    /// Requests in service at once (channels, banks, queue depth).
    pub channels: u32,
    /// Read requests per second the device sustains (its IOPS limit; 0 = none): a read
    /// holds the shared data path for max(1 / read_iops, media bytes / read_bandwidth),
    /// so the smaller of the two limits wins.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub read_iops: f64,
    /// Write requests per second the device sustains (0 = none), as `read_iops`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub write_iops: f64,
    /// Largest transfer of one device request in bytes (0 = no limit): a larger request
    /// is split into transfers of at most this size, each a device request of its own
    /// (its own channel, latency, IOPS cost and counters).
    #[serde(default, skip_serializing_if = "is_zero_u64", with = "units::as_size")]
    pub max_transfer: u64,
    /// Measured (op, pattern, request size, queue depth) -> (bandwidth, mean latency)
    /// points for the `table` model (see `table.rs`); empty for the other models.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub table: Vec<TablePoint>,
    /// Bytes that may be written over the device's life (0 = unlimited).
    #[serde(rename = "endurance", with = "units::as_size_f64")]
    pub endurance_bytes: f64,
    /// Energy per byte read from the media, picojoules.
    pub read_energy_pj_per_byte: f64,
    /// Energy per byte written to the media, picojoules.
    pub write_energy_pj_per_byte: f64,
    /// Cost, US dollars per GB of capacity.
    pub cost_per_gb: f64,
    /// Where the figures come from: derived (the preset's source, marked when a config
    /// changes a field), never read from a config.
    #[serde(skip_deserializing)]
    pub source: String,
}

impl DeviceSpec {
    /// Latency of one request.
    #[inline]
    pub fn latency(&self, op: Op, sequential: bool) -> Time {
        match (op, sequential) {
            (Op::Read, false) => self.read_latency,
            (Op::Read, true) => self.read_latency_seq,
            (Op::Write, false) => self.write_latency,
            (Op::Write, true) => self.write_latency_seq,
        }
    }

    /// Bytes moved on the media for a request of `bytes`: rounded up to the granularity.
    #[inline]
    pub fn media_bytes(&self, bytes: u64) -> u64 {
        let g = self.granularity.max(1) as u64;
        if g.is_power_of_two() {
            // Every preset's granularity: a mask instead of a division per request.
            (bytes + g - 1) & !(g - 1)
        } else {
            bytes.div_ceil(g) * g
        }
    }

    /// Unloaded service time of the basic model: latency plus media bytes over the
    /// device bandwidth (at least 1 / IOPS), per transfer of at most `max_transfer`
    /// (transfers after the first wait only for the data path).
    pub fn unloaded_time(&self, op: Op, bytes: u64, sequential: bool) -> Time {
        let (bw, iops) = match op {
            Op::Read => (self.read_bandwidth, self.read_iops),
            Op::Write => (self.write_bandwidth, self.write_iops),
        };
        let per_op = if iops > 0.0 { round_ps(1e12 / iops) } else { 0 };
        let mut path = 0;
        server::for_each_transfer(bytes, self.max_transfer, |piece| {
            path += transfer_time(self.media_bytes(piece), bw).max(per_op);
            0
        });
        self.latency(op, sequential) + path
    }

    /// Checks the fields make sense; errors name the field.
    pub fn validate(&self) -> Result<(), String> {
        for (key, bw) in [
            ("read_bandwidth", self.read_bandwidth),
            ("write_bandwidth", self.write_bandwidth),
        ] {
            // Below 1 B/s a single byte takes more than 10^12 ps: no device is that
            // slow, and a few megabytes would pass the engine's 2^64 ps.
            if !(bw >= MIN_BANDWIDTH && bw.is_finite()) {
                return Err(format!(
                    "{key}: must be a finite bandwidth of at least 1B/s, got {}",
                    units::format_bandwidth(bw)
                ));
            }
        }
        for (key, v) in [
            ("endurance", self.endurance_bytes),
            ("read_energy_pj_per_byte", self.read_energy_pj_per_byte),
            ("write_energy_pj_per_byte", self.write_energy_pj_per_byte),
            ("cost_per_gb", self.cost_per_gb),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!(
                    "{key}: must be a finite number of at least 0, got {v}"
                ));
            }
        }
        for (key, v) in [
            ("read_iops", self.read_iops),
            ("write_iops", self.write_iops),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!(
                    "{key}: must be a finite number of requests per second (0 = no limit), got {v}"
                ));
            }
        }
        if self.model == "table" {
            table::validate(&self.table)?;
        } else if !self.table.is_empty() {
            return Err(format!(
                "table: measured points are read by model = \"table\" only, not by \"{}\"",
                self.model
            ));
        }
        if self.granularity == 0 {
            return Err("granularity: must be at least 1 byte".into());
        }
        if self.channels == 0 {
            return Err("channels: must be at least 1".into());
        }
        crate::registry::lookup(MODELS, &self.model, "device model", "models")
            .map(|_| ())
            .map_err(|e| format!("model: {e}"))
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

/// The smallest bandwidth a device may have, bytes per second.
pub const MIN_BANDWIDTH: f64 = 1.0;

/// Time to move `bytes` at `bandwidth` bytes per second, in picoseconds (rounded).
#[inline]
pub fn transfer_time(bytes: u64, bandwidth: f64) -> Time {
    round_ps(bytes as f64 * 1e12 / bandwidth)
}

/// Rounds a non-negative picosecond count to the nearest integer, halves up: the same
/// as `f64::round` there, without its libm call on the hot path.
#[inline]
pub fn round_ps(x: f64) -> Time {
    (x + 0.5) as Time
}

/// Cumulative counters of one device.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DeviceStats {
    pub reads: u64,
    pub writes: u64,
    /// Bytes requested.
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Bytes moved on the media (rounded up to the granularity).
    pub media_bytes_read: u64,
    pub media_bytes_written: u64,
    /// Time with at least one request in service, picoseconds.
    pub busy_time: Time,
    /// Time the data path spent transferring, picoseconds (bandwidth utilisation).
    pub transfer_time: Time,
    /// Sum over requests of time spent waiting before service, picoseconds (u128: a
    /// long backlog over millions of requests passes u64's 213 days).
    pub queue_time: u128,
}

/// A device model: turns a request arriving at `now` into its completion time,
/// queueing behind earlier requests, and keeps its counters.
pub trait DeviceModel: Send {
    /// Submits a request; returns the time its last byte is done.
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time;
    /// [`Self::submit`] by `stream`: who issues it (the requesting actor, or
    /// [`DAEMON_STREAM`] for a migration daemon). Only a model whose speed depends on
    /// how many independent streams write at once (Optane) looks at it.
    #[inline]
    fn submit_by(&mut self, now: Time, op: Op, bytes: u64, sequential: bool, _stream: u32) -> Time {
        self.submit(now, op, bytes, sequential)
    }
    fn spec(&self) -> &DeviceSpec;
    fn stats(&self) -> &DeviceStats;
}

/// The stream of a migration daemon's page copies (one kernel thread).
pub const DAEMON_STREAM: u32 = u32::MAX;

/// Builds a device model from its spec.
pub type Constructor = fn(&DeviceSpec) -> Box<dyn DeviceModel>;

/// Every device model by name. Adding a model: one file and one line here.
pub const MODELS: &[(&str, Constructor)] = &[
    ("basic", |s| Box::new(BasicDevice::new(s.clone()))),
    ("optane", optane::boxed),
    ("loaded-latency", loaded_latency::boxed),
    ("table", table::boxed),
];

/// Each model's known limits, for reports (`tiersim validate` lists them).
pub const MODEL_LIMITS: &[(&str, &str)] = &[
    ("basic", "latency + bytes over a shared data path (at least 1 / IOPS per request), FIFO queueing only: throughput against queue depth is a hard knee (a measured curve needs model = table), no loaded-latency curve, no read/write interference, no wear-levelling stalls"),
    ("optane", optane::LIMITS),
    ("loaded-latency", loaded_latency::LIMITS),
    ("table", table::LIMITS),
];

/// Builds the model named in `spec.model` (validate the spec first).
pub fn build(spec: &DeviceSpec) -> Result<Box<dyn DeviceModel>, String> {
    spec.validate()?;
    let (_, ctor) = crate::registry::lookup(MODELS, &spec.model, "device model", "models")?;
    Ok(ctor(spec))
}
