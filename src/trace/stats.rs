//! Trace statistics in one streaming pass: counts, bytes, read/write mix, time span,
//! one-hit wonders and the reuse-interval distribution.
//!
//! Reuse is measured in requests, not distinct objects: the reuse interval of a request
//! is its index minus the index of the previous request to the same object (1 =
//! back to back). It needs one map entry per distinct object (about 32 bytes), where
//! the stack (distinct-object) distance would need a tree over all requests.
//! Percentiles come from an HDR histogram with 3 significant digits.

use super::{Op, Request, TraceError, TraceReader};
use crate::policy::hash::IdMap;
use hdrhistogram::Histogram;
use serde::Serialize;

/// Summary of one trace.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TraceStats {
    pub requests: u64,
    pub distinct_objects: u64,
    /// Sum of request sizes.
    pub total_bytes: u64,
    /// Sum over objects of the size at the object's first request.
    pub distinct_bytes: u64,
    pub reads: u64,
    pub writes: u64,
    /// Earliest and latest request time (ps).
    pub first_time_ps: u64,
    pub last_time_ps: u64,
    pub time_span_ps: u64,
    /// Objects requested exactly once.
    pub one_hit_objects: u64,
    /// one_hit_objects / distinct_objects (0 for an empty trace).
    pub one_hit_fraction: f64,
    /// Requests to an object seen before (requests - distinct_objects).
    pub reuses: u64,
    pub reuse_interval: ReuseSummary,
}

/// Percentiles of the reuse interval in requests (all 0 when nothing is reused).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReuseSummary {
    pub mean: f64,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Clone, Copy)]
struct Seen {
    last: u64,
    count: u32,
}

/// Accumulates statistics request by request.
pub struct StatsBuilder {
    stats: TraceStats,
    seen: IdMap<Seen>,
    reuse: Histogram<u64>,
    min_time: u64,
    max_time: u64,
}

impl Default for StatsBuilder {
    fn default() -> Self {
        StatsBuilder {
            stats: TraceStats::default(),
            seen: IdMap::default(),
            reuse: Histogram::new(3).expect("3 significant digits is valid"),
            min_time: u64::MAX,
            max_time: 0,
        }
    }
}

impl StatsBuilder {
    #[inline]
    pub fn add(&mut self, r: &Request) {
        let i = self.stats.requests;
        let s = &mut self.stats;
        s.requests += 1;
        s.total_bytes += r.size as u64;
        match r.op {
            Op::Read => s.reads += 1,
            Op::Write => s.writes += 1,
        }
        self.min_time = self.min_time.min(r.time);
        self.max_time = self.max_time.max(r.time);
        match self.seen.entry(r.id) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                let seen = e.get_mut();
                // `record` grows the histogram; `saturating_record` would clamp.
                let gap = i - seen.last;
                if self.reuse.record(gap).is_err() {
                    self.reuse.saturating_record(gap);
                }
                seen.last = i;
                seen.count = seen.count.saturating_add(1);
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Seen { last: i, count: 1 });
                s.distinct_bytes += r.size as u64;
            }
        }
    }

    pub fn finish(mut self) -> TraceStats {
        let s = &mut self.stats;
        s.distinct_objects = self.seen.len() as u64;
        s.one_hit_objects = self.seen.values().filter(|v| v.count == 1).count() as u64;
        s.one_hit_fraction = if s.distinct_objects == 0 {
            0.0
        } else {
            s.one_hit_objects as f64 / s.distinct_objects as f64
        };
        s.reuses = s.requests - s.distinct_objects;
        if s.requests > 0 {
            s.first_time_ps = self.min_time;
            s.last_time_ps = self.max_time;
            s.time_span_ps = self.max_time - self.min_time;
        }
        if !self.reuse.is_empty() {
            let h = &self.reuse;
            s.reuse_interval = ReuseSummary {
                mean: h.mean(),
                p10: h.value_at_quantile(0.10),
                p50: h.value_at_quantile(0.50),
                p90: h.value_at_quantile(0.90),
                p99: h.value_at_quantile(0.99),
                max: h.max(),
            };
        }
        self.stats
    }
}

/// Reads the whole trace once and summarises it.
pub fn compute(reader: &mut dyn TraceReader) -> Result<TraceStats, TraceError> {
    let mut b = StatsBuilder::default();
    let mut buf = Vec::with_capacity(1 << 14);
    while reader.read_batch(&mut buf, 1 << 14)? > 0 {
        for r in &buf {
            b.add(r);
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_trace_by_hand() {
        // ids 1 2 1 3 1 2: reuse intervals 2 (1), 2 (1), 4 (2); 3 is a one-hit wonder.
        let mut b = StatsBuilder::default();
        for (k, id) in [1u64, 2, 1, 3, 1, 2].into_iter().enumerate() {
            let mut r = Request::read(id, 10 * id as u32);
            r.time = 5 + k as u64;
            if k == 3 {
                r.op = Op::Write;
            }
            b.add(&r);
        }
        let s = b.finish();
        assert_eq!(s.requests, 6);
        assert_eq!(s.distinct_objects, 3);
        assert_eq!(s.total_bytes, 10 + 20 + 10 + 30 + 10 + 20);
        assert_eq!(s.distinct_bytes, 60);
        assert_eq!((s.reads, s.writes), (5, 1));
        assert_eq!(s.time_span_ps, 5);
        assert_eq!(s.one_hit_objects, 1);
        assert_eq!(s.reuses, 3);
        assert_eq!(s.reuse_interval.max, 4);
        assert_eq!(s.reuse_interval.p50, 2);
        assert!((s.reuse_interval.mean - 8.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn long_reuse_intervals_are_not_clamped() {
        let mut b = StatsBuilder::default();
        for id in (0..1_000_000u64).chain([0]) {
            b.add(&Request::read(id, 1));
        }
        let s = b.finish();
        // 1,000,000 within the histogram's 3 significant digits.
        let max = s.reuse_interval.max;
        assert!((max as i64 - 1_000_000).abs() <= 1000, "max {max}");
    }

    #[test]
    fn empty_trace_is_all_zero() {
        let s = StatsBuilder::default().finish();
        assert_eq!(s, TraceStats::default());
    }
}
