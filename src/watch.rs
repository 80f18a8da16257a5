//! Watching a running simulation from outside it: a wall-clock time limit
//! (`tiersim run --time-limit`, `tiersim sweep --run-timeout`) and progress figures for
//! a terminal bar or log lines. The event loop calls [`Watch::check`] once every
//! [`CHECK_EVERY`] events (a counter test on the hot path; the clock is read only
//! then), so watching never changes what a run computes: a run that finishes within
//! its limit gives the same bytes as an unwatched one.

use crate::engine::Time;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events between two checks (a power of two: the loop tests a mask).
pub const CHECK_EVERY: u64 = 1 << 12;

/// Why a run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// An event fell at or past 2^64 - 1 ps.
    #[error(
        "simulated time passed 2^64 ps (about 213 days), the longest the engine represents, \
         after {events} events at {at}: a latency, transfer, compute time or arrival gap \
         is too long; shorten it, or stop earlier with sim.duration"
    )]
    TimeOverflow { events: u64, at: String },
    /// The wall-clock limit passed.
    #[error("timed out after {limit} (wall clock), at simulated time {at} after {events} events")]
    TimedOut {
        limit: String,
        at: String,
        events: u64,
    },
}

/// Progress of one run, written by the event loop and read by a display thread.
#[derive(Debug, Default)]
pub struct Progress {
    sim_ps: AtomicU64,
    events: AtomicU64,
    /// Workload units done and in all (requests, iterations), 0 / 0 when unknown.
    done: AtomicU64,
    total: AtomicU64,
    /// `sim.duration` in picoseconds, 0 when none.
    duration_ps: AtomicU64,
}

/// A copy of a [`Progress`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    pub sim_ps: Time,
    pub events: u64,
    /// (done, total) workload units, when the workload counts them.
    pub units: Option<(u64, u64)>,
    /// `sim.duration`, when set.
    pub duration_ps: Option<Time>,
}

impl Snapshot {
    /// The fraction done in [0, 1]: workload units, else simulated time over
    /// `sim.duration`; None when neither is known.
    pub fn fraction(&self) -> Option<f64> {
        let by_units = self
            .units
            .filter(|&(_, t)| t > 0)
            .map(|(d, t)| d as f64 / t as f64);
        let by_time = self
            .duration_ps
            .filter(|&d| d > 0)
            .map(|d| self.sim_ps as f64 / d as f64);
        match (by_units, by_time) {
            (Some(u), Some(t)) => Some(u.max(t).min(1.0)),
            (u, t) => u.or(t).map(|f| f.min(1.0)),
        }
    }
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    fn store(&self, sim_ps: Time, events: u64, units: Option<(u64, u64)>, duration: Option<Time>) {
        self.sim_ps.store(sim_ps, Ordering::Relaxed);
        self.events.store(events, Ordering::Relaxed);
        let (d, t) = units.unwrap_or((0, 0));
        self.done.store(d, Ordering::Relaxed);
        self.total.store(t, Ordering::Relaxed);
        self.duration_ps
            .store(duration.unwrap_or(0), Ordering::Relaxed);
    }

    /// The figures as last stored.
    pub fn snapshot(&self) -> Snapshot {
        let total = self.total.load(Ordering::Relaxed);
        let duration = self.duration_ps.load(Ordering::Relaxed);
        Snapshot {
            sim_ps: self.sim_ps.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            units: (total > 0).then(|| (self.done.load(Ordering::Relaxed), total)),
            duration_ps: (duration > 0).then_some(duration),
        }
    }
}

/// What a run is watched by: an optional wall-clock limit and an optional progress
/// record. `Watch::default()` watches nothing (only simulated-time overflow is
/// checked, as always).
#[derive(Debug, Clone, Default)]
pub struct Watch {
    limit: Option<(Instant, Duration)>,
    progress: Option<Arc<Progress>>,
}

impl Watch {
    /// A watch whose limit, if any, starts now.
    pub fn new(limit: Option<Duration>, progress: Option<Arc<Progress>>) -> Self {
        Watch {
            limit: limit.map(|l| (Instant::now(), l)),
            progress,
        }
    }

    /// Records progress (at the end of a run, and through [`Watch::check`]).
    pub fn record(
        &self,
        now: Time,
        events: u64,
        units: Option<(u64, u64)>,
        duration: Option<Time>,
    ) {
        if let Some(p) = &self.progress {
            p.store(now, events, units, duration);
        }
    }

    /// Called by the event loop every [`CHECK_EVERY`] events: records progress; an
    /// error when the limit has passed.
    pub fn check(
        &self,
        now: Time,
        events: u64,
        units: Option<(u64, u64)>,
        duration: Option<Time>,
    ) -> Result<(), SimError> {
        self.record(now, events, units, duration);
        if let Some((start, limit)) = self.limit {
            if start.elapsed() >= limit {
                return Err(SimError::TimedOut {
                    limit: fmt_wall(limit),
                    at: crate::config::units::fmt_time(now),
                    events,
                });
            }
        }
        Ok(())
    }
}

/// A wall-clock duration as people write it: "90s", "1.5s", "250ms".
pub fn fmt_wall(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Parses a wall-clock limit such as "30s", "10min", "1h 30m" or "250ms" (a bare
/// number is seconds); it must be greater than zero.
pub fn parse_wall(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let d = match t.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs < 1e12 => Duration::from_secs_f64(secs),
        Ok(_) => {
            return Err(format!(
                "expected a positive time limit like \"30s\", got \"{s}\""
            ))
        }
        Err(_) => humantime::parse_duration(t).map_err(|e| {
            format!("expected a time limit like \"30s\", \"10min\" or \"1h\", got \"{s}\": {e}")
        })?,
    };
    if d.is_zero() {
        return Err(format!(
            "the time limit must be greater than zero, got \"{s}\""
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_limits_parse_with_units_or_as_seconds() {
        assert_eq!(parse_wall("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wall("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_wall("10min"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_wall("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_wall("0s").is_err());
        assert!(parse_wall("-3").is_err());
        assert!(parse_wall("inf").is_err());
        assert!(parse_wall("soon").is_err());
    }

    #[test]
    fn fraction_uses_units_or_simulated_time() {
        let s = Snapshot {
            sim_ps: 5,
            events: 1,
            units: Some((1, 4)),
            duration_ps: None,
        };
        assert_eq!(s.fraction(), Some(0.25));
        let s = Snapshot {
            units: None,
            duration_ps: Some(10),
            ..s
        };
        assert_eq!(s.fraction(), Some(0.5));
        assert_eq!(Snapshot::default().fraction(), None);
    }

    #[test]
    fn an_elapsed_limit_is_a_timeout() {
        let w = Watch::new(Some(Duration::ZERO), None);
        let e = w.check(1_000_000, 7, None, None).unwrap_err();
        assert!(e.to_string().starts_with("timed out after 0s"), "{e}");
        assert!(Watch::default().check(0, 0, None, None).is_ok());
    }
}
