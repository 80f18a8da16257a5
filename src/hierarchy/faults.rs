//! The fault hook of the one place bytes move ([`Hierarchy::charge`]): with a fault
//! schedule installed ([`crate::fault`]) every charge on a tier instance, its link and
//! its route's links goes through [`Hierarchy::charge_faulted`]; without one the data
//! path tests one `Option` and pays nothing else.
//!
//! A request on a target that is out waits until it is back (`wait`, and background
//! traffic always), is given up at once (`skip`, a requester's read), or goes to the
//! first copy that is up (`replica`, a tier with copies). A request whose target goes
//! out while it is in flight fails at that moment and is then handled the same way.
//! In a fail-slow window the device sees the request's bytes times the bandwidth
//! factor (so it is busy that much longer, queueing what follows) and its latency is
//! multiplied by the latency factor. A requester's read under an errors fault fails
//! with the fault's probability, is retried after a backoff, and is lost after the
//! last retry. Device time already reserved by a request that then fails is not
//! given back (the device was out anyway).

use super::topology::Route;
use super::{Hierarchy, Traffic};
use crate::config::faults::OnLoss;
use crate::device::Direction;
use crate::engine::Time;
use crate::fault::FaultState;
use crate::trace::Op;

impl Hierarchy {
    /// Installs a fault schedule (None: no faults).
    pub fn set_faults(&mut self, faults: Option<FaultState>) {
        self.faults = faults.map(Box::new);
    }

    /// The fault schedule and its counters, if any.
    pub fn faults(&self) -> Option<&FaultState> {
        self.faults.as_deref()
    }

    /// The fault schedule, mutable (the reader sets its mode on it).
    pub fn faults_mut(&mut self) -> Option<&mut FaultState> {
        self.faults.as_deref_mut()
    }

    /// Whether the last requester's read was given up (it fills nothing).
    #[inline]
    pub(crate) fn read_lost(&self) -> bool {
        self.faults.as_ref().is_some_and(|f| f.last_lost)
    }

    /// Empties node `node`'s instances of every cache tier of objects `0..ids` (a
    /// node that failed comes back with empty caches) and forgets fills in flight:
    /// every one (`all_inflight`) or those into the node's instances.
    pub fn clear_node(&mut self, node: u16, ids: u64, all_inflight: bool) {
        for i in 0..self.home() {
            let on_node = self.topo.is_flat() || self.topo.node_of(i) == node;
            if let (true, Some(c)) = (on_node, self.tiers[i].cache.as_mut()) {
                for id in 0..ids {
                    c.remove(id);
                }
            }
        }
        if all_inflight || self.topo.is_flat() {
            self.inflight.clear();
            self.inflight_until = 0;
        } else {
            let topo = &self.topo;
            self.inflight
                .retain(|&(_, i), _| topo.node_of(i as usize) != node);
        }
    }

    /// [`Hierarchy::charge`] (plus `route`'s links) under the fault schedule: see the
    /// module doc. The tier's counters are already counted.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn charge_faulted(
        &mut self,
        i: usize,
        t0: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
        route: Route,
    ) -> Time {
        let f = self.faults.as_deref_mut().expect("called with faults");
        let read = kind == Traffic::Served && op == Op::Read;
        if read {
            f.last_lost = false;
        }
        let own = self.tiers[i].link;
        let links = [own, route[0], route[1], route[2]];
        let mut t = t0;
        let mut retry = 0u32;
        let mut error_read = false;
        // The failure at this time is counted already (an in-flight failure).
        let mut counted_at = Time::MAX;
        loop {
            let mode = f.mode;
            let copies = f.copies[i];
            let (copy, mut until) = if mode == OnLoss::Replica && copies > 1 {
                let mut back = Time::MAX;
                let mut up = None;
                for c in 0..copies {
                    match f.down_until(i, c, t, false) {
                        None => {
                            up = Some(c);
                            break;
                        }
                        Some(u) => back = back.min(u),
                    }
                }
                match up {
                    Some(c) => (c, None),
                    None => (0, Some(back)),
                }
            } else {
                (0, f.down_until(i, 0, t, read && counted_at != t))
            };
            for l in links.iter().flatten() {
                if until.is_none() {
                    until = f.down_until(f.link_target(*l), 0, t, read && counted_at != t);
                }
            }
            if let Some(back) = until {
                if read && counted_at != t {
                    f.stats.reads_failed += 1;
                }
                if read && mode == OnLoss::Skip {
                    f.stats.reads_lost += 1;
                    f.last_lost = true;
                    return t;
                }
                if read {
                    f.stats.read_delay += back.saturating_sub(t);
                    f.stats.hurt(t, back);
                }
                t = back;
                continue;
            }
            // Up: serve it, slowed by any fail-slow window.
            let (lat, bw) = f.slow_factors(i, t);
            let dev = &mut self.tiers[i].device;
            let padded = pad(bytes, bw);
            let mut done = dev.submit_by(t, op, padded, sequential, self.stream);
            if lat > 1.0 {
                let extra = ((lat - 1.0) * dev.spec().latency(op, sequential) as f64).round();
                done = done.saturating_add(extra as Time);
                if read {
                    f.stats.read_delay += extra as Time;
                    f.stats.hurt(done - extra as Time, done);
                }
            }
            if read && bw > 1.0 {
                f.stats.hurt(t, done);
            }
            // The far node's NIC (the route's last link) sees the data go the other way.
            let dir = Direction::of(op);
            for (k, l) in links.iter().enumerate() {
                let Some(l) = *l else { continue };
                let lt = f.link_target(l);
                let (lat, bw) = if f.quiet(lt) {
                    (1.0, 1.0)
                } else {
                    f.slow_factors(lt, t)
                };
                let dev = &mut self.links[l].device;
                let way = if k == 3 { dir.flip() } else { dir };
                let mut d = dev.submit_dir(t, op, pad(bytes, bw), sequential, way);
                if lat > 1.0 {
                    let extra = ((lat - 1.0) * dev.spec().latency(op, sequential) as f64).round();
                    d = d.saturating_add(extra as Time);
                }
                done = done.max(d);
            }
            // In flight when its target goes out: it fails then.
            let mut fails = f.outage_starts(i, copy, t, done);
            for &l in links.iter().flatten() {
                if let Some(s) = f.outage_starts(f.link_target(l), 0, t, done) {
                    fails = Some(fails.map_or(s, |x| x.min(s)));
                }
            }
            if let Some(s) = fails {
                if read {
                    f.stats.reads_failed += 1;
                    f.stats.read_delay += s - t;
                    f.stats.hurt(t, s);
                    // Count it on the window that made it fail.
                    f.down_until(i, copy, s, true);
                    counted_at = s;
                }
                t = s;
                continue;
            }
            if read {
                let e = f.errors_at(i, t).or_else(|| {
                    links
                        .iter()
                        .flatten()
                        .find_map(|&l| f.errors_at(f.link_target(l), t))
                });
                if let Some(e) = e {
                    if !error_read {
                        error_read = true;
                        f.stats.error_reads += 1;
                    }
                    f.stats.error_attempts += 1;
                    let fault = &mut f.faults[e];
                    let errs = fault.errors.as_mut().expect("an errors fault");
                    if errs.attempt_fails() {
                        fault.reads_failed += 1;
                        fault.schedule.windows[0].hits += 1;
                        f.stats.reads_failed += 1;
                        if retry >= errs.retries {
                            f.stats.reads_lost += 1;
                            f.last_lost = true;
                            return done;
                        }
                        retry += 1;
                        let back = done.saturating_add(errs.backoff_before(retry));
                        f.stats.retries += 1;
                        f.stats.read_delay += back - t;
                        f.stats.hurt(t, back);
                        t = back;
                        continue;
                    }
                }
                if copies > 1 {
                    let c = copy as usize;
                    if f.stats.served_by_copy.len() <= c {
                        f.stats.served_by_copy.resize(c + 1, 0);
                    }
                    f.stats.served_by_copy[c] += 1;
                }
            }
            return done;
        }
    }
}

impl Hierarchy {
    /// [`Hierarchy::transfer_steps`] on a link with faults: a workload's own transfer
    /// (gradient sync) waits while the link is out and, if the link goes out while
    /// it is in flight, fails then and starts again when it is back (there is no
    /// skipping a gradient); in a fail-slow window its bytes take `bandwidth_factor`
    /// times as long and every message's latency is `latency_factor` times as long.
    #[cold]
    #[inline(never)]
    pub(super) fn transfer_faulted(&mut self, l: usize, t0: Time, bytes: u64, steps: u32) -> Time {
        let f = self.faults.as_deref_mut().expect("called with faults");
        let lt = f.link_target(l);
        let mut t = t0;
        loop {
            if let Some(back) = f.down_until(lt, 0, t, false) {
                t = back;
                continue;
            }
            let (lat, bw) = f.slow_factors(lt, t);
            let dev = &mut self.links[l].device;
            let alpha = dev.spec().read_latency;
            let first = dev.spec().latency(Op::Read, true);
            let start = dev.submit(t, Op::Read, pad(bytes, bw), true);
            let more = steps as Time - 1;
            // Fail-slow extra latency: the first message's and each later one's.
            let extra = if lat > 1.0 {
                let each = ((lat - 1.0) * alpha as f64).round() as Time;
                (((lat - 1.0) * first as f64).round() as Time)
                    .saturating_add(each.saturating_mul(more))
            } else {
                0
            };
            let done = start
                .saturating_add(alpha.saturating_mul(more))
                .saturating_add(extra);
            if let Some(s) = f.outage_starts(lt, 0, t, done) {
                t = s;
                continue;
            }
            // What faults cost it: waiting for the link, failed attempts, extra latency.
            f.stats.transfer_delay += (t - t0) + extra;
            return done;
        }
    }
}

/// `bytes` padded by a bandwidth factor (a device `factor` times slower moves them in
/// the time it moves `bytes x factor`).
#[inline]
fn pad(bytes: u64, factor: f64) -> u64 {
    if factor > 1.0 {
        (bytes as f64 * factor).round() as u64
    } else {
        bytes
    }
}
