//! The discrete-event kernel: integer picosecond time, an event queue ordered by
//! (time, sequence number) so same-time events run in scheduling order, and named
//! seedable random streams. A run is a pure function of (config, seed).

mod queue;
mod rng;
mod shuffle;

pub use queue::EventQueue;
pub use rng::{stream, stream_indexed, Rng};
pub use shuffle::shuffle;

/// Simulated time in picoseconds: 2^64 ps is 213 days.
pub type Time = u64;

pub const PS: Time = 1;
pub const NS: Time = 1_000;
pub const US: Time = 1_000_000;
pub const MS: Time = 1_000_000_000;
pub const SEC: Time = 1_000_000_000_000;

/// Picoseconds to seconds as a float (for reporting only).
pub fn secs(t: Time) -> f64 {
    t as f64 / SEC as f64
}

/// Seconds as a float to picoseconds, rounded to nearest.
pub fn from_secs(s: f64) -> Time {
    (s * SEC as f64).round().max(0.0) as Time
}
