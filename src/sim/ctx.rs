//! What a workload sees while handling an event ([`Ctx`]): the clock and timers, the
//! data path (accesses, pinned accesses, link transfers), histograms, random streams
//! and actor ids; and [`ClientActors`], the actor layout of client-driven workloads.

use super::{Actors, Event};
use crate::datapath::{DataPath, Origin};
use crate::engine::{EventQueue, Rng, Time};
use crate::hierarchy::Access;
use crate::metrics::HistId;
use crate::trace::{Op, Request};

/// The actors of a client-driven workload (synthetic, trace replay): closed-loop
/// clients, and the open-loop generator and the sink its completions go to.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientActors {
    /// The first client; clients are `first..first + clients`.
    pub first: u32,
    pub generator: u32,
    pub sink: u32,
}

impl ClientActors {
    /// Allocates `clients` clients, a generator and a sink.
    pub fn allocate(ctx: &mut Ctx, clients: u32) -> Self {
        let first = ctx.new_actors(clients + 2);
        ClientActors {
            first,
            generator: first + clients,
            sink: first + clients + 1,
        }
    }
}

/// What a workload can do while handling an event: the clock and timers, reads and
/// writes through the data path (cached or pinned), link transfers, histograms,
/// random streams, fresh actor ids. Its fields are private: every byte a workload
/// moves goes through [`DataPath`], which records it.
pub struct Ctx<'a> {
    pub(super) queue: &'a mut EventQueue<Event>,
    pub(super) data: &'a mut DataPath,
    pub(super) actors: &'a mut Actors,
    pub(super) seed: u64,
    /// Added to every object id of this workload (its object namespace).
    pub(super) object_base: u64,
    /// This workload's job index (per-job counters).
    pub(super) job: u16,
    /// The nodes this workload runs on: node slot k is node `nodes[k]`.
    pub(super) nodes: &'a [u16],
    /// The workload's time origin (its job's start): it sees time from there.
    pub(super) t0: Time,
}

impl<'a> Ctx<'a> {
    /// A context for job `job` running on `nodes`, its object ids offset by
    /// `object_base` and its random streams derived from `seed` (a composite workload
    /// hands each of its jobs one).
    /// Its clock starts at `t0` (simulated time): every time it sees or gives is
    /// from there, so a job that starts late runs as if it started at 0.
    pub fn for_job<'b>(
        &'b mut self,
        job: u16,
        nodes: &'b [u16],
        object_base: u64,
        seed: u64,
        t0: Time,
    ) -> Ctx<'b> {
        Ctx {
            queue: self.queue,
            data: self.data,
            actors: self.actors,
            seed,
            object_base,
            job,
            nodes,
            t0: self.t0 + t0,
        }
    }

    /// The next actor id the engine will hand out (a composite workload routes the
    /// ids its jobs allocate by it).
    pub fn next_actor(&self) -> u32 {
        self.actors.next
    }

    /// The simulation's clock (the data path's time).
    #[inline]
    fn abs_now(&self) -> Time {
        self.queue.now()
    }

    /// The origin of a request from node slot `slot`.
    #[inline]
    fn origin(&self, slot: usize) -> Origin {
        Origin {
            node: self.nodes.get(slot).copied().unwrap_or(0),
            job: self.job,
        }
    }
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> Time {
        self.queue.now() - self.t0
    }

    /// `n` fresh actor ids for this workload; returns the first (the rest follow it).
    pub fn new_actors(&mut self, n: u32) -> u32 {
        self.actors.allocate(n)
    }

    /// Wakes `actor` with `tag` at absolute time `at`.
    #[inline]
    pub fn wake_at(&mut self, at: Time, actor: u32, tag: u64) {
        self.queue
            .schedule_at(at.saturating_add(self.t0), Event::Actor { actor, tag });
    }

    /// Wakes `actor` with `tag` after `delay`.
    #[inline]
    pub fn wake_in(&mut self, delay: Time, actor: u32, tag: u64) {
        self.queue.schedule_in(delay, Event::Actor { actor, tag });
    }

    /// Who issues the accesses that follow, until the next event (by default the
    /// actor whose event is being handled; [`Self::io`] sets the actor it wakes).
    #[inline]
    pub fn set_stream(&mut self, stream: u32) {
        self.data.set_stream(stream);
    }

    /// Reads or writes `req` through the data path now (latency recorded). Returns
    /// the serving tier and when the data is done; wakes no one.
    #[inline]
    pub fn access(&mut self, req: &Request, sequential: bool) -> Access {
        self.access_on(0, req, sequential)
    }

    /// [`Self::access`] from node slot `slot`; the serving tier is its level (config
    /// tier index).
    #[inline]
    pub fn access_on(&mut self, slot: usize, req: &Request, sequential: bool) -> Access {
        let now = self.abs_now();
        let origin = self.origin(slot);
        let mut a = if self.object_base == 0 {
            self.data.access_from(now, req, sequential, origin)
        } else {
            let mut r = *req;
            r.id = r.id.wrapping_add(self.object_base);
            self.data.access_from(now, &r, sequential, origin)
        };
        let topo = &self.data.hierarchy().topo;
        if !topo.is_flat() {
            a.tier = topo.level(a.tier);
        }
        a.done -= self.t0;
        a
    }

    /// Reads or writes every request of `reqs` now, in order (a loader worker's batch):
    /// the data path overlaps their lookups' memory latency. Returns when the last is
    /// done; wakes no one. Ids are moved into this workload's namespace in place.
    pub fn access_batch(&mut self, reqs: &mut [Request], sequential: bool) -> Time {
        self.access_batch_on(0, reqs, sequential)
    }

    /// [`Self::access_batch`] from node slot `slot`.
    pub fn access_batch_on(&mut self, slot: usize, reqs: &mut [Request], sequential: bool) -> Time {
        if self.object_base != 0 {
            for r in reqs.iter_mut() {
                r.id = r.id.wrapping_add(self.object_base);
            }
        }
        let now = self.abs_now();
        let origin = self.origin(slot);
        self.data.access_batch(now, reqs, sequential, origin) - self.t0
    }

    /// Reads or writes `req` now and wakes `actor` with `tag` when done. Returns
    /// (serving tier, completion time).
    #[inline]
    pub fn io(&mut self, req: &Request, sequential: bool, actor: u32, tag: u64) -> (usize, Time) {
        self.io_by(req, sequential, actor, actor, tag)
    }

    /// [`Self::io`] on behalf of `stream` (who issues it, when that is not the actor
    /// woken: an open-loop request is its own stream).
    #[inline]
    pub fn io_by(
        &mut self,
        req: &Request,
        sequential: bool,
        stream: u32,
        actor: u32,
        tag: u64,
    ) -> (usize, Time) {
        self.data.set_stream(stream);
        let a = self.access(req, sequential);
        self.wake_at(a.done, actor, tag);
        (a.tier, a.done)
    }

    /// Reads `size` bytes of object `id` and wakes the actor when done.
    #[inline]
    pub fn read(&mut self, id: u64, size: u32, actor: u32, tag: u64) -> Time {
        let req = Request {
            time: self.now(),
            id,
            size,
            op: Op::Read,
            next_access: u64::MAX,
        };
        self.io(&req, false, actor, tag).1
    }

    /// Writes `size` bytes of object `id` and wakes the actor when done.
    #[inline]
    pub fn write(&mut self, id: u64, size: u32, actor: u32, tag: u64) -> Time {
        let req = Request {
            time: self.now(),
            id,
            size,
            op: Op::Write,
            next_access: u64::MAX,
        };
        self.io(&req, false, actor, tag).1
    }

    /// A pinned access now: `bytes` that live in tier `tier` by construction (hot
    /// rows, a resident tile, a checkpoint) read or written there. Recorded like any
    /// access; returns when done, wakes no one.
    #[inline]
    pub fn pinned(&mut self, tier: usize, op: Op, bytes: u64, sequential: bool) -> Time {
        self.pinned_on(0, tier, op, bytes, sequential)
    }

    /// [`Self::pinned`] in node slot `slot`'s instance of tier `tier`.
    #[inline]
    pub fn pinned_on(
        &mut self,
        slot: usize,
        tier: usize,
        op: Op,
        bytes: u64,
        sequential: bool,
    ) -> Time {
        let now = self.abs_now();
        let origin = self.origin(slot);
        self.data
            .pinned_on(now, tier, op, bytes, sequential, origin)
            - self.t0
    }

    /// Sends `bytes` over link `link` now and wakes the actor when they arrive.
    pub fn transfer(&mut self, link: usize, bytes: u64, actor: u32, tag: u64) -> Time {
        let done = self.transfer_on(0, link, bytes);
        self.wake_at(done, actor, tag);
        done
    }

    /// Sends `bytes` over node slot `slot`'s instance of link `link` (a config link
    /// index) now, as `steps` back-to-back messages of `bytes / steps` (each pays the
    /// link's latency; one reservation); returns when they arrive. Wakes no one.
    pub fn transfer_steps_on(&mut self, slot: usize, link: usize, steps: u32, bytes: u64) -> Time {
        let now = self.abs_now();
        let node = self.origin(slot).node as usize;
        let l = self.data.hierarchy().topo.link_instance(link, node);
        self.data.transfer_steps(now, l, steps, bytes) - self.t0
    }

    /// Sends `bytes` over node slot `slot`'s instance of link `link` now; returns when
    /// they arrive. Wakes no one.
    pub fn transfer_on(&mut self, slot: usize, link: usize, bytes: u64) -> Time {
        let now = self.abs_now();
        let node = self.origin(slot).node as usize;
        let l = self.data.hierarchy().topo.link_instance(link, node);
        self.data.transfer(now, l, bytes) - self.t0
    }

    /// Runs `work` of `kind` on node slot `slot`'s CPU now (FIFO over its cores; at
    /// once when CPUs are not modelled); returns when it ends. Wakes no one.
    #[inline]
    pub fn cpu_on(&mut self, slot: usize, kind: crate::cpu::Work, work: Time) -> Time {
        let now = self.abs_now();
        let node = self.origin(slot).node;
        self.data.run_cpu(node, now, kind, work) - self.t0
    }

    /// Drops object `id` from every cache tier without writing it back (freed data,
    /// such as a finished request's KV cache).
    pub fn discard(&mut self, id: u64) {
        self.data.discard(id.wrapping_add(self.object_base));
    }

    /// A named random stream derived from the run seed.
    pub fn rng(&self, name: &str) -> Rng {
        crate::engine::stream(self.seed, name)
    }

    /// The handle of the histogram named `name`, created on first use.
    pub fn histogram(&mut self, name: &str) -> HistId {
        self.data.histogram(name)
    }

    /// Records a duration into a histogram.
    #[inline]
    pub fn record(&mut self, h: HistId, value: Time) {
        self.data.record(h, value);
    }
}
