//! Eviction policies: which object leaves a full cache tier.
//!
//! Every policy implements [`EvictionPolicy`] in its own file and is registered by
//! name in [`REGISTRY`] with its declared parameters (a serde struct such as
//! [`S3FifoParams`]: defaults and ranges in one place; see `crate::registry`); the
//! contract tests in `tests/` run over every entry.
//! Semantics follow libCacheSim: every miss inserts the object (unless it is larger
//! than the whole cache, which is counted as a miss and not admitted, or the policy
//! refuses it as libCacheSim's does), and eviction repeats until the new object fits.
//! Where a paper or an older libCacheSim differs, it is a `variant` parameter
//! (`lirs`, `twoq`: "paper"; `s3fifo`: "v0"); docs/replay.md lists them.

mod arc;
mod belady;
mod clock;
mod clock_n;
mod fifo;
mod lfu;
mod linked;
mod lirs;
mod lirs_lcs;
mod lru;
mod lru_dense;
mod lru_log;
mod minio;
mod random;
mod s3fifo;
mod shade;
mod sieve;
mod slot_index;
#[cfg(test)]
mod testutil;
mod twoq;

pub use arc::Arc;
pub use belady::Belady;
pub use clock::Clock;
pub use clock_n::{ClockN, ClockNParams};
pub use fifo::Fifo;
pub use lfu::Lfu;
pub use lirs::{Lirs, LirsParams, LirsVariant};
pub use lirs_lcs::LirsLibCacheSim;
pub use lru::Lru;
pub use minio::MinIo;
pub use random::RandomEviction;
pub use s3fifo::{S3Fifo, S3FifoParams, S3FifoVariant};
pub use shade::{importance_from_rank, Shade};
pub use sieve::Sieve;
pub use slot_index::prefetch_ptr;
pub use twoq::{TwoQ, TwoQParams, TwoQVariant};

use crate::registry::{self, ComponentParams, Entry, NoParams, Registry};
use crate::trace::Request;

/// An object pushed out of a cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Victim {
    pub id: u64,
    pub size: u32,
}

/// A cache replacement policy over objects of varying size, with capacity in bytes
/// (or in objects when every request has size 1).
pub trait EvictionPolicy: Send {
    /// The registry name (`lru`, `s3fifo`, ...).
    fn name(&self) -> &'static str;

    /// Looks `req` up; on a hit updates the policy's state and returns true. On a miss,
    /// inserts the object if it fits in the capacity at all (evicting, pushing each
    /// victim onto `evicted`), and returns false. Hashes the id once.
    fn access(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool;

    /// A hit updates state as [`access`](Self::access) does; a miss changes nothing.
    fn lookup(&mut self, req: &Request) -> bool;

    /// Inserts an object known to be absent, evicting as needed. Objects larger than
    /// the capacity are not admitted.
    fn insert(&mut self, req: &Request, evicted: &mut Vec<Victim>);

    /// [`insert`](Self::insert), then whether `req` is resident (a policy may decline
    /// it): one call on the fill path instead of two.
    #[inline]
    fn insert_admitted(&mut self, req: &Request, evicted: &mut Vec<Victim>) -> bool {
        self.insert(req, evicted);
        self.contains(req.id)
    }

    /// Removes the object if resident (migration, exclusive promotion); returns its size.
    fn remove(&mut self, id: u64) -> Option<u32>;

    /// Whether the object is resident. Changes no state.
    fn contains(&self, id: u64) -> bool;

    /// Bytes (or objects, in unit-size mode) resident.
    fn used(&self) -> u64;

    /// Capacity in bytes (or objects).
    fn capacity(&self) -> u64;

    /// Number of resident objects.
    fn len(&self) -> usize;

    /// True when nothing is resident.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A workload-supplied importance of an object (ML-aware admission such as
    /// SHADE's); policies that do not use it ignore it.
    fn set_importance(&mut self, _id: u64, _importance: f64) {}

    /// The workload numbers its objects `0..n`: index those ids in a table indexed by
    /// the id rather than a hash table (same decisions, fewer cache misses). Set once,
    /// before the first access; policies without an id index ignore it.
    fn use_dense_ids(&mut self, _n: u64) {}

    /// The workload spreads its accesses evenly over a working set far larger than the
    /// CPU cache (a training job's shuffled epochs) rather than skewing them to a hot
    /// set: a policy may pick the representation that is faster for that (same
    /// decisions). Set once, before the first access; most policies ignore it.
    fn expect_scattered_accesses(&mut self) {}

    /// The job whose lookups and inserts follow (a cache partitioned by job quotas
    /// puts that job's fills in its partition); unpartitioned policies ignore it.
    fn set_requester(&mut self, _job: u16) {}

    /// Hints that `id` is about to be accessed (policies with an index may start
    /// loading its bucket into the CPU cache). Changes no state.
    #[inline]
    fn prefetch(&self, _id: u64) {}

    /// Hints that `id` is accessed very soon: start loading its node (the bucket
    /// should already be cached by an earlier [`prefetch`](Self::prefetch)).
    #[inline]
    fn prefetch_node(&self, _id: u64) {}

    /// Accesses every request of `batch` in order, as [`access`](Self::access) does;
    /// `evicted` is cleared after each access (for callers that only count). Returns
    /// (misses, bytes missed). One virtual call per batch; the loop is compiled per
    /// policy and prefetches a few requests ahead.
    fn access_batch(&mut self, batch: &[Request], evicted: &mut Vec<Victim>) -> (u64, u64) {
        access_batch_default(self, batch, evicted)
    }
}

/// Requests ahead that [`EvictionPolicy::access_batch`] prefetches index buckets and
/// then nodes.
const PREFETCH_BUCKET_AHEAD: usize = 16;
const PREFETCH_NODE_AHEAD: usize = 6;

/// The loop behind [`EvictionPolicy::access_batch`], usable by any policy.
#[inline]
pub fn access_batch_default<P: EvictionPolicy + ?Sized>(
    p: &mut P,
    batch: &[Request],
    evicted: &mut Vec<Victim>,
) -> (u64, u64) {
    let (mut misses, mut bytes) = (0, 0);
    for (i, req) in batch.iter().enumerate() {
        if let Some(ahead) = batch.get(i + PREFETCH_BUCKET_AHEAD) {
            p.prefetch(ahead.id);
        }
        if let Some(ahead) = batch.get(i + PREFETCH_NODE_AHEAD) {
            p.prefetch_node(ahead.id);
        }
        if !p.access(req, evicted) {
            misses += 1;
            bytes += req.size as u64;
        }
        evicted.clear();
    }
    (misses, bytes)
}

/// Parameters of a policy as given in a config table (`kind` removed).
pub type Params = toml::Table;

/// Builds a policy from its parameters, capacity and seed.
pub type Constructor =
    fn(params: &Params, capacity: u64, seed: u64) -> Result<Box<dyn EvictionPolicy>, String>;

/// Parses a policy's declared parameters from its table (errors name the key).
fn parsed<P: ComponentParams>(params: &Params) -> Result<P, String> {
    registry::parse(params.clone(), "").map_err(|e| e.to_string())
}

/// Every eviction policy by name, with its declared parameters. Adding a policy: one
/// file and one line here.
pub const REGISTRY: Registry<Entry<Constructor>> = Registry {
    what: "eviction policy",
    plural: "policies",
    entries: &[
        Entry::new::<NoParams>("lru", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Lru::new(c)) as _)
        }),
        Entry::new::<NoParams>("fifo", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Fifo::new(c)) as _)
        }),
        Entry::new::<NoParams>("clock", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Clock::new(c)) as _)
        }),
        Entry::new::<NoParams>("lfu", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Lfu::new(c)) as _)
        }),
        Entry::new::<NoParams>("arc", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Arc::new(c)) as _)
        }),
        Entry::new::<S3FifoParams>("s3fifo", |p, c, _| {
            parsed::<S3FifoParams>(p).map(|q| Box::new(S3Fifo::new(c, q)) as _)
        }),
        Entry::new::<NoParams>("belady", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Belady::new(c)) as _)
        }),
        Entry::new::<TwoQParams>("twoq", |p, c, _| {
            parsed::<TwoQParams>(p).map(|q| Box::new(TwoQ::new(c, q)) as _)
        }),
        Entry::new::<NoParams>("sieve", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Sieve::new(c)) as _)
        }),
        Entry::new::<LirsParams>("lirs", |p, c, _| {
            parsed::<LirsParams>(p).map(|q| match q.variant {
                LirsVariant::Libcachesim => {
                    Box::new(LirsLibCacheSim::new(c, q.hir_frac, q.stack_frac)) as _
                }
                LirsVariant::Paper => Box::new(Lirs::new(c, q.hir_frac, q.stack_frac)) as _,
            })
        }),
        Entry::new::<NoParams>("random", |p, c, s| {
            parsed::<NoParams>(p).map(|_| Box::new(RandomEviction::new(c, s)) as _)
        }),
        Entry::new::<NoParams>("minio", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(MinIo::new(c)) as _)
        }),
        Entry::new::<ClockNParams>("clock-n", |p, c, _| {
            parsed::<ClockNParams>(p).map(|q| Box::new(ClockN::new(c, q.bits)) as _)
        }),
        Entry::new::<NoParams>("shade", |p, c, _| {
            parsed::<NoParams>(p).map(|_| Box::new(Shade::new(c)) as _)
        }),
    ],
};

/// The registered names, in registry order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.names()
}

/// Builds the policy registered as `kind`; an unknown name lists the known ones.
pub fn build(
    kind: &str,
    params: &Params,
    capacity: u64,
    seed: u64,
) -> Result<Box<dyn EvictionPolicy>, String> {
    if capacity == 0 {
        return Err("cache capacity must be greater than zero".into());
    }
    (REGISTRY.get(kind)?.build)(params, capacity, seed)
}
