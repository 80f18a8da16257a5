//! Where bytes move: [`Hierarchy::charge`] reserves a tier's device (and its link),
//! [`Hierarchy::charge_from`] adds a node's route, both counting the traffic by kind,
//! taking the fault path when a fault schedule is set and bouncing a requester's data
//! through host memory where a tier says so; plus pinned accesses and link transfers.

use super::{Access, Hierarchy, Traffic};
use crate::device::Direction;
use crate::engine::Time;
use crate::trace::Op;

impl Hierarchy {
    /// [`Self::charge_from`], with `FLAT` (one node: no routes) known at compile time.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn charge_via<const FLAT: bool>(
        &mut self,
        i: usize,
        t: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
        from: u16,
    ) -> Time {
        if FLAT {
            self.charge(i, t, op, bytes, sequential, kind)
        } else {
            self.charge_from(i, t, op, bytes, sequential, kind, from)
        }
    }

    /// [`Self::charge`] for data moving between node `from` and tier instance `i`: the
    /// route's links (NICs, fabric) serve it concurrently too (cut-through).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn charge_from(
        &mut self,
        i: usize,
        t: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
        from: u16,
    ) -> Time {
        if self.faults.as_deref().is_some_and(|f| f.on_access) {
            self.count_traffic(i, kind);
            let route = self.topo.route(from, i);
            let done = self.charge_faulted(i, t, op, bytes, sequential, kind, route);
            return self.bounced(i, t, op, bytes, sequential, kind, done);
        }
        let mut done = 0;
        // The requester's NIC and the fabric see the data go its way; the far node's
        // NIC sees it leave (a read) or arrive (a write) there.
        let dir = Direction::of(op);
        let [near, fabric, far] = self.topo.route(from, i);
        for (l, d) in [(near, dir), (fabric, dir), (far, dir.flip())] {
            if let Some(l) = l {
                let link = &mut self.links[l].device;
                done = done.max(link.submit_dir(t, op, bytes, sequential, d));
            }
        }
        done.max(self.charge(i, t, op, bytes, sequential, kind))
    }

    /// The one place bytes move on a tier: reserves tier `i`'s device at `t` (streamed
    /// through the tier's link if it has one) and counts the traffic by `kind`.
    /// Returns when the data is done. Data crossing a node's route is
    /// [`Self::charge_from`], which adds the route's links to this.
    #[inline]
    pub(super) fn charge(
        &mut self,
        i: usize,
        t: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
    ) -> Time {
        self.count_traffic(i, kind);
        if self.faults.as_deref().is_some_and(|f| f.on_access) {
            let done = self.charge_faulted(i, t, op, bytes, sequential, kind, [None; 3]);
            return self.bounced(i, t, op, bytes, sequential, kind, done);
        }
        let tier = &mut self.tiers[i];
        let mut done = tier.device.submit_by(t, op, bytes, sequential, self.stream);
        if let Some(l) = tier.link {
            let link = &mut self.links[l].device;
            done = done.max(link.submit_dir(t, op, bytes, sequential, Direction::of(op)));
        }
        self.bounced(i, t, op, bytes, sequential, kind, done)
    }

    /// `done`, or later when a requester's access to tier `i` bounces through host
    /// memory ([`bounce`]).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bounced(
        &mut self,
        i: usize,
        t: Time,
        op: Op,
        bytes: u64,
        sequential: bool,
        kind: Traffic,
        done: Time,
    ) -> Time {
        if kind == Traffic::Served && !self.bounce.is_empty() {
            done.max(self.bounce(i, t, op, bytes, sequential))
        } else {
            done
        }
    }

    /// Counts a charge on tier `i` by its kind.
    #[inline(always)]
    pub(super) fn count_traffic(&mut self, i: usize, kind: Traffic) {
        let stats = &mut self.tiers[i].stats;
        match kind {
            Traffic::Served => stats.served += 1,
            Traffic::Fill => stats.fills += 1,
            Traffic::WritebackIn => stats.writebacks_in += 1,
            Traffic::MigrationIn => stats.migrations_in += 1,
            Traffic::Source => {}
        }
    }

    /// A pinned access: `bytes` of data that lives in tier `i` by construction (hot
    /// embedding rows, a resident tile, a checkpoint written to its tier) are read or
    /// written there at `t`, counted as a hit and a served access.
    pub fn pinned(&mut self, i: usize, t: Time, op: Op, bytes: u64, sequential: bool) -> Access {
        self.tiers[i].stats.hits += 1;
        let done = self.charge(i, t, op, bytes, sequential, Traffic::Served);
        Access { tier: i, done }
    }

    /// Moves `bytes` over link `l` at `t` (gradient exchange, remote reads).
    pub fn transfer(&mut self, l: usize, t: Time, bytes: u64) -> Time {
        self.transfer_steps(l, t, bytes, 1)
    }

    /// Moves `bytes` over link `l` at `t` as `steps` >= 1 back-to-back messages: one
    /// reservation of all the bytes, plus the link's latency for every message after
    /// the first. Under link faults it waits for the link (see
    /// [`Hierarchy::transfer_faulted`]).
    pub fn transfer_steps(&mut self, l: usize, t: Time, bytes: u64, steps: u32) -> Time {
        if let Some(f) = self.faults.as_deref() {
            if !f.quiet(f.link_target(l)) {
                return self.transfer_faulted(l, t, bytes, steps);
            }
        }
        let dev = &mut self.links[l].device;
        let alpha = dev.spec().read_latency;
        dev.submit(t, Op::Read, bytes, true) + alpha.saturating_mul(steps as Time - 1)
    }
}
