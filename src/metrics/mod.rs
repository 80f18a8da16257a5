//! Run metrics: latency histograms (hdrhistogram, picoseconds, 3 significant digits)
//! per operation and per named quantity, and the per-tier time series.

mod series;

pub use series::{Point, Sample, TimeSeries};

/// A time-series sample of every device's counters `tiers`.
pub fn series_sample(time: crate::engine::Time, tiers: Vec<crate::device::DeviceStats>) -> Sample {
    Sample {
        time,
        tiers: tiers.iter().map(Point::from).collect(),
    }
}

use crate::engine::Time;
use crate::trace::Op;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// A histogram handle returned by [`Metrics::histogram`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistId(usize);

/// Latency summary of one histogram, in nanoseconds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_ns: f64,
    pub p50_ns: f64,
    pub p90_ns: f64,
    pub p99_ns: f64,
    pub p999_ns: f64,
    pub max_ns: f64,
}

/// All histograms of a run. Index 0 and 1 are the read and write latencies.
pub struct Metrics {
    hists: Vec<(String, Histogram<u64>)>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut m = Metrics { hists: Vec::new() };
        m.histogram("read");
        m.histogram("write");
        m
    }
}

fn new_hist() -> Histogram<u64> {
    let mut h = Histogram::new(3).expect("3 significant digits is valid");
    h.auto(true);
    h
}

impl Metrics {
    /// The handle of the histogram named `name`, created on first use.
    pub fn histogram(&mut self, name: &str) -> HistId {
        if let Some(i) = self.hists.iter().position(|(n, _)| n == name) {
            return HistId(i);
        }
        self.hists.push((name.to_string(), new_hist()));
        HistId(self.hists.len() - 1)
    }

    /// Records a duration in picoseconds.
    #[inline]
    pub fn record(&mut self, h: HistId, value: Time) {
        record(&mut self.hists[h.0].1, value);
    }

    /// Records an operation latency.
    #[inline]
    pub fn record_op(&mut self, op: Op, latency: Time) {
        let i = match op {
            Op::Read => 0,
            Op::Write => 1,
        };
        record(&mut self.hists[i].1, latency);
    }

    /// Every non-empty histogram with its summary, in creation order.
    pub fn summaries(&self) -> Vec<(String, LatencySummary)> {
        self.hists
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(n, h)| (n.clone(), summarize(h)))
            .collect()
    }

    /// The histogram named `name`, if recorded.
    pub fn get(&self, name: &str) -> Option<&Histogram<u64>> {
        self.hists.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }

    /// Non-empty histograms by name, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Histogram<u64>)> {
        self.hists
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(n, h)| (n.as_str(), h))
    }
}

/// Records into an auto-resizing histogram (which grows instead of failing).
#[inline]
fn record(h: &mut Histogram<u64>, v: u64) {
    // Auto-resize only fails past u64's range; saturate there.
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// Percentiles of a picosecond histogram in nanoseconds.
pub fn summarize(h: &Histogram<u64>) -> LatencySummary {
    let ns = |v: u64| v as f64 / 1000.0;
    LatencySummary {
        count: h.len(),
        mean_ns: h.mean() / 1000.0,
        p50_ns: ns(h.value_at_quantile(0.5)),
        p90_ns: ns(h.value_at_quantile(0.9)),
        p99_ns: ns(h.value_at_quantile(0.99)),
        p999_ns: ns(h.value_at_quantile(0.999)),
        max_ns: ns(h.max()),
    }
}
