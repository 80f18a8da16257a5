//! The measured-table device model (`model = "table"`): a drive described by measured
//! points, (op, pattern, request size, queue depth) -> (bandwidth, mean latency), as
//! fio reports them (`tiersim calibrate` writes them; see docs/calibration.md).
//!
//! A request arriving while n - 1 others are in flight (n counts it too) takes
//! R(size, n), the measured mean latency of its op and pattern, interpolated:
//!
//! - in queue depth, linearly between the two measured depths around n; below the
//!   smallest measured depth, that depth's latency; beyond the largest, Qmax, the
//!   throughput holds at its measured bandwidth B: R = max(R(Qmax), n x size / B);
//! - in size, linearly between the two measured sizes around it (exact for a latency
//!   affine in size, latency + size / bandwidth); below the smallest, the smallest's
//!   latency (an IOPS-bound drive takes as long for less); beyond the largest, s_max,
//!   that size's bandwidth: R = R(s_max) x size / s_max.
//!
//! This is a load-dependent delay (the mean-value-analysis view of a load-dependent
//! server): Q closed-loop clients of one size each see n = Q, so every request takes
//! R(size, Q) and the throughput is Q x size / R(size, Q), which is exactly the
//! measured latency and bandwidth at a measured point (fio's bandwidth and mean latency
//! obey Little's law, bandwidth = Q x size / latency). A missing op or pattern falls
//! back to the other pattern of the same op, then to the other op. Requests larger than
//! `max_transfer` are split as in the basic model.
//!
//! Known limits ([`LIMITS`]): mean latency only (no distribution); requests may finish
//! out of arrival order; `channels`, `read_iops` and the bandwidth fields do not act
//! (the table holds them); reads and writes in flight count alike toward n.

use super::{DeviceModel, DeviceSpec, DeviceStats};
use crate::config::units;
use crate::engine::Time;
use crate::trace::Op;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What the report says about this model.
pub const LIMITS: &str = "load-dependent delay from measured (size, queue depth) points: mean latency only, requests may overtake, interpolated linearly between points and held at the measured bandwidth beyond the largest queue depth; reads and writes in flight count alike";

/// Read or write, as a table point names it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PointOp {
    Read,
    Write,
}

/// Random or sequential access, as a table point names it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum PointPattern {
    Random,
    Sequential,
}

/// One measured point: closed-loop requests of `size` bytes at queue depth `qd` moved
/// `bandwidth` with a mean latency (submission to completion) of `latency`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TablePoint {
    pub op: PointOp,
    pub pattern: PointPattern,
    #[serde(with = "units::as_size")]
    pub size: u64,
    pub qd: u32,
    #[serde(with = "units::as_bandwidth")]
    pub bandwidth: f64,
    #[serde(with = "units::as_duration")]
    pub latency: Time,
}

/// Checks a table's points; errors name `table[i].field`.
pub fn validate(points: &[TablePoint]) -> Result<(), String> {
    if points.is_empty() {
        return Err("table: model = \"table\" needs at least one measured point".into());
    }
    for (i, p) in points.iter().enumerate() {
        if p.qd == 0 {
            return Err(format!("table[{i}].qd: must be at least 1"));
        }
        if p.size == 0 {
            return Err(format!("table[{i}].size: must be at least 1 byte"));
        }
        if p.latency == 0 {
            return Err(format!("table[{i}].latency: must be greater than 0"));
        }
        if !(p.bandwidth >= super::MIN_BANDWIDTH && p.bandwidth.is_finite()) {
            return Err(format!(
                "table[{i}].bandwidth: must be a finite bandwidth of at least 1B/s"
            ));
        }
        if let Some(j) = points[..i]
            .iter()
            .position(|q| (q.op, q.pattern, q.size, q.qd) == (p.op, p.pattern, p.size, p.qd))
        {
            return Err(format!(
                "table[{i}]: the same op, pattern, size and qd as table[{j}]"
            ));
        }
    }
    Ok(())
}

/// The measured points of one op, pattern and size, by queue depth.
struct SizeCurve {
    size: u64,
    /// (queue depth, latency in ps), by queue depth.
    points: Vec<(f64, f64)>,
    /// Bandwidth at the largest queue depth, bytes per ps.
    peak_bytes_per_ps: f64,
}

impl SizeCurve {
    /// Latency in ps at `n` requests in flight.
    #[inline]
    fn at(&self, n: f64) -> f64 {
        let pts = &self.points;
        let (q0, r0) = pts[0];
        if n <= q0 {
            return r0;
        }
        let (qmax, rmax) = pts[pts.len() - 1];
        if n >= qmax {
            return rmax.max(n * self.size as f64 / self.peak_bytes_per_ps);
        }
        let i = pts.partition_point(|&(q, _)| q < n);
        let ((qa, ra), (qb, rb)) = (pts[i - 1], pts[i]);
        ra + (rb - ra) * (n - qa) / (qb - qa)
    }
}

/// See the module doc.
pub struct TableDevice {
    spec: DeviceSpec,
    /// Curves by size for read-random, read-sequential, write-random, write-sequential
    /// (a missing group holds its fallback's curves).
    groups: [Vec<SizeCurve>; 4],
    /// Largest measured bandwidth per op (bytes per ps), for the utilisation counter.
    peak: [f64; 2],
    /// Completion times of requests in flight (a min-heap).
    in_flight: BinaryHeap<Reverse<Time>>,
    busy_until: Time,
    stats: DeviceStats,
}

/// The registry constructor (see [`super::MODELS`]).
pub fn boxed(spec: &DeviceSpec) -> Box<dyn DeviceModel> {
    Box::new(TableDevice::new(spec.clone()))
}

fn group_index(op: PointOp, pattern: PointPattern) -> usize {
    (op == PointOp::Write) as usize * 2 + (pattern == PointPattern::Sequential) as usize
}

fn curves(points: &[TablePoint], g: usize) -> Vec<SizeCurve> {
    let mut mine: Vec<&TablePoint> = points
        .iter()
        .filter(|p| group_index(p.op, p.pattern) == g)
        .collect();
    mine.sort_by_key(|p| (p.size, p.qd));
    let mut out: Vec<SizeCurve> = Vec::new();
    for p in mine {
        let point = (p.qd as f64, p.latency as f64);
        let bytes_per_ps = p.bandwidth / 1e12;
        match out.last_mut() {
            Some(c) if c.size == p.size => {
                c.points.push(point);
                c.peak_bytes_per_ps = bytes_per_ps;
            }
            _ => out.push(SizeCurve {
                size: p.size,
                points: vec![point],
                peak_bytes_per_ps: bytes_per_ps,
            }),
        }
    }
    out
}

impl TableDevice {
    /// Builds the model from a validated spec (see [`validate`]).
    pub fn new(spec: DeviceSpec) -> Self {
        let own: [Vec<SizeCurve>; 4] = std::array::from_fn(|g| curves(&spec.table, g));
        // Fallbacks: the other pattern of the same op, then the other op's same pattern,
        // then its other pattern.
        let groups = std::array::from_fn(|g| {
            let order = [g, g ^ 1, g ^ 2, g ^ 3];
            let from = order.into_iter().find(|&h| !own[h].is_empty()).unwrap_or(g);
            curves(&spec.table, from)
        });
        let peak = [PointOp::Read, PointOp::Write].map(|op| {
            spec.table
                .iter()
                .filter(|p| p.op == op)
                .map(|p| p.bandwidth / 1e12)
                .fold(0.0, f64::max)
        });
        let peak = [
            if peak[0] > 0.0 { peak[0] } else { peak[1] },
            if peak[1] > 0.0 { peak[1] } else { peak[0] },
        ];
        TableDevice {
            in_flight: BinaryHeap::with_capacity(1024),
            groups,
            peak,
            busy_until: 0,
            stats: DeviceStats::default(),
            spec,
        }
    }

    /// Latency in ps of a request of `size` bytes in group `g` with `n` in flight.
    #[inline]
    fn latency(&self, g: usize, size: u64, n: f64) -> f64 {
        let curves = &self.groups[g];
        let i = curves.partition_point(|c| c.size < size);
        if i == 0 {
            return curves[0].at(n);
        }
        if i == curves.len() {
            let c = &curves[i - 1];
            return c.at(n) * size as f64 / c.size as f64;
        }
        let (a, b) = (&curves[i - 1], &curves[i]);
        let (ra, rb) = (a.at(n), b.at(n));
        ra + (rb - ra) * (size - a.size) as f64 / (b.size - a.size) as f64
    }

    /// Serves one device transfer of `bytes` arriving at `now`.
    fn serve(&mut self, now: Time, op: Op, bytes: u64, g: usize) -> Time {
        while let Some(&Reverse(t)) = self.in_flight.peek() {
            if t > now {
                break;
            }
            self.in_flight.pop();
        }
        let n = self.in_flight.len() as f64 + 1.0;
        let latency = super::round_ps(self.latency(g, bytes, n)).max(1);
        let done = now.saturating_add(latency);
        self.in_flight.push(Reverse(done));

        // Time above the same request's unloaded (queue depth 1) latency: its queueing.
        let idle = super::round_ps(self.latency(g, bytes, 1.0));
        let media = self.spec.media_bytes(bytes);
        let s = &mut self.stats;
        let peak = match op {
            Op::Read => {
                s.reads += 1;
                s.bytes_read += bytes;
                s.media_bytes_read += media;
                self.peak[0]
            }
            Op::Write => {
                s.writes += 1;
                s.bytes_written += bytes;
                s.media_bytes_written += media;
                self.peak[1]
            }
        };
        s.transfer_time += super::round_ps(media as f64 / peak);
        s.queue_time += latency.saturating_sub(idle) as u128;
        if now >= self.busy_until {
            s.busy_time += done - now;
        } else if done > self.busy_until {
            s.busy_time += done - self.busy_until;
        }
        self.busy_until = self.busy_until.max(done);
        done
    }
}

impl DeviceModel for TableDevice {
    fn submit(&mut self, now: Time, op: Op, bytes: u64, sequential: bool) -> Time {
        let point_op = match op {
            Op::Read => PointOp::Read,
            Op::Write => PointOp::Write,
        };
        let pattern = if sequential {
            PointPattern::Sequential
        } else {
            PointPattern::Random
        };
        let g = group_index(point_op, pattern);
        let max_transfer = self.spec.max_transfer;
        super::server::for_each_transfer(bytes, max_transfer, |piece| self.serve(now, op, piece, g))
    }

    fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    fn stats(&self) -> &DeviceStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::US;

    fn point(size: u64, qd: u32, latency: Time) -> TablePoint {
        TablePoint {
            op: PointOp::Read,
            pattern: PointPattern::Random,
            size,
            qd,
            bandwidth: qd as f64 * size as f64 * 1e12 / latency as f64,
            latency,
        }
    }

    fn device(points: Vec<TablePoint>) -> TableDevice {
        let mut spec = crate::device::presets::preset("nvme-tlc-pcie4").unwrap();
        spec.model = "table".into();
        spec.table = points;
        spec.validate().unwrap();
        TableDevice::new(spec)
    }

    #[test]
    fn interpolates_in_queue_depth_and_size_and_saturates() {
        let d = device(vec![
            point(4096, 1, 50 * US),
            point(4096, 16, 200 * US),
            point(1 << 20, 1, 1000 * US),
            point(1 << 20, 16, 10_000 * US),
        ]);
        let g = group_index(PointOp::Read, PointPattern::Random);
        // Measured points exactly; QD 8.5 halfway: 125 us.
        assert_eq!(d.latency(g, 4096, 1.0), 50e6);
        assert_eq!(d.latency(g, 4096, 8.5), 125e6);
        // Beyond QD 16 the bandwidth holds: QD 32 takes twice QD 16's latency.
        assert_eq!(d.latency(g, 4096, 32.0), 400e6);
        // Halfway in size at QD 1: (50 + 1000) / 2 us.
        let mid = 4096 + ((1 << 20) - 4096) / 2;
        assert_eq!(d.latency(g, mid, 1.0), 525e6);
        // Beyond the largest size: its bandwidth.
        assert_eq!(d.latency(g, 2 << 20, 1.0), 2000e6);
        // Writes fall back to the reads.
        let w = group_index(PointOp::Write, PointPattern::Sequential);
        assert_eq!(d.latency(w, 4096, 1.0), 50e6);
    }

    #[test]
    fn bad_points_name_the_field() {
        let mut p = point(4096, 1, 50 * US);
        p.qd = 0;
        assert!(validate(&[p]).unwrap_err().starts_with("table[0].qd:"));
        let p = point(4096, 1, 50 * US);
        assert!(validate(&[p.clone(), p])
            .unwrap_err()
            .contains("table[1]: the same"));
        assert!(validate(&[]).unwrap_err().starts_with("table:"));
    }
}
