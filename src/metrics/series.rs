//! Per-tier time series: cumulative device counters sampled at a fixed interval.
//! Cumulative samples make coarsening exact: dropping every other sample doubles the
//! interval, which keeps long runs under a fixed number of rows.

use crate::device::DeviceStats;
use crate::engine::Time;

/// At most this many samples are kept; past it the interval doubles.
pub const MAX_SAMPLES: usize = 2000;

/// One sample: the time and every tier's cumulative counters.
#[derive(Clone, Debug)]
pub struct Sample {
    pub time: Time,
    pub tiers: Vec<Point>,
}

/// The cumulative counters of one device that the series writes (a cluster samples
/// every link instance, so a sample is kept small: 24 bytes a device).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Point {
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub busy_time: Time,
}

impl From<&DeviceStats> for Point {
    fn from(s: &DeviceStats) -> Self {
        Point {
            bytes_read: s.bytes_read,
            bytes_written: s.bytes_written,
            busy_time: s.busy_time,
        }
    }
}

/// See the module doc.
#[derive(Clone, Debug)]
pub struct TimeSeries {
    pub interval: Time,
    pub samples: Vec<Sample>,
}

impl TimeSeries {
    pub fn new(interval: Time) -> Self {
        TimeSeries {
            interval: interval.max(1),
            samples: Vec::new(),
        }
    }

    /// Adds a sample taken at `time`; returns the time of the next one (`Time::MAX`
    /// when it would fall past 2^64 ps: no next sample).
    pub fn push(&mut self, time: Time, tiers: Vec<Point>) -> Time {
        self.samples.push(Sample { time, tiers });
        if self.samples.len() > MAX_SAMPLES {
            // Keep samples at even multiples of the doubled interval (time 0 included).
            let keep = self.interval.saturating_mul(2);
            self.samples.retain(|s| s.time % keep == 0);
            self.interval = keep;
        }
        let last = self.samples.last().map(|s| s.time).unwrap_or(0);
        (last / self.interval + 1).saturating_mul(self.interval)
    }

    /// CSV rows: per interval and tier, bytes moved, bandwidth and utilisation.
    pub fn to_csv(&self, names: &[String]) -> String {
        let mut out = String::from("time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,utilisation\n");
        for w in self.samples.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let dt = (b.time - a.time) as f64 / 1e12;
            for (i, name) in names.iter().enumerate() {
                let (x, y) = (&a.tiers[i], &b.tiers[i]);
                let rb = y.bytes_read - x.bytes_read;
                let wb = y.bytes_written - x.bytes_written;
                let util = ((y.busy_time - x.busy_time) as f64 / 1e12 / dt).min(1.0);
                out.push_str(&format!(
                    "{},{},{},{},{},{},{}\n",
                    b.time as f64 / 1e12,
                    name,
                    rb,
                    wb,
                    rb as f64 / dt,
                    wb as f64 / dt,
                    util
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarsening_doubles_the_interval_and_bounds_the_length() {
        let mut ts = TimeSeries::new(10);
        let mut t = 0;
        for _ in 0..5 * MAX_SAMPLES {
            t = ts.push(t, vec![]);
        }
        assert!(ts.samples.len() <= MAX_SAMPLES);
        assert!(ts.interval >= 20);
        for w in ts.samples.windows(2) {
            assert_eq!(w[1].time - w[0].time, ts.interval);
        }
    }
}
