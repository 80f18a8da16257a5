//! Prefetchers: background fills issued after each access (`none`, `next-n`,
//! `clairvoyant`). One file per prefetcher, registered by name in [`REGISTRY`] and
//! chosen by `[prefetch] kind = "..."` with its parameters beside it.
//!
//! Engine hook: after every access the hierarchy calls
//! [`Prefetcher::after_access`], which may copy objects into faster tiers with
//! [`Hierarchy::prefetch`] (charged to the source and destination devices at the
//! access's time; a later hit on the copy waits until it is ready) and drop copies it
//! no longer needs with [`Hierarchy::drop_copy`].
//!
//! A workload that knows its future (a training job: the sampler's seed gives every
//! epoch's order) implements [`FutureAccesses`] and returns it from
//! `Workload::future_accesses`; the clairvoyant prefetcher needs one.

mod clairvoyant;
mod next_n;
mod none;

pub use clairvoyant::{Clairvoyant, ClairvoyantParams};
pub use next_n::{NextN, NextNParams};
pub use none::NoPrefetch;

use crate::config::ConfigError;
use crate::engine::Time;
use crate::hierarchy::Hierarchy;
use crate::registry::{self, ComponentParams, Entry, NoParams, Registry};
use crate::trace::Request;

/// A prefetcher. See the module doc.
pub trait Prefetcher: Send {
    /// The registry name.
    fn name(&self) -> &'static str;

    /// Whether it decides every tier's contents itself (placement mode: misses fill
    /// nothing). The clairvoyant prefetcher does; next-N fills caches beside demand.
    fn places(&self) -> bool {
        false
    }

    /// Called after each access, served by `tier`, at `now`.
    fn after_access(&mut self, now: Time, req: &Request, tier: usize, hier: &mut Hierarchy);

    /// Counters for summary.json (`"prefetch"`).
    fn summary(&self) -> serde_json::Value;
}

/// The future access sequence of a workload, as (object id, size) in access order.
/// Each call starts a fresh pass from the beginning (regenerated from the seed, so
/// nothing the size of the whole run is held in memory).
pub trait FutureAccesses: Send + Sync {
    fn future_accesses(&self) -> Box<dyn Iterator<Item = (u64, u32)> + Send>;
}

/// `epochs` passes over objects `0..objects` of `size` bytes, each epoch a fresh
/// uniform permutation (Fisher-Yates) drawn from the named stream `stream` of `seed`:
/// PyTorch's shuffling sampler for one rank.
#[derive(Clone, Debug)]
pub struct EpochShuffle {
    pub objects: u64,
    pub epochs: u64,
    pub size: u32,
    pub seed: u64,
    pub stream: String,
}

impl EpochShuffle {
    /// The order of epoch `e` (every epoch draws from the same stream in turn, so an
    /// epoch's order depends on those before it: generate them in order).
    pub fn orders(&self) -> impl Iterator<Item = Vec<u64>> + Send {
        let mut rng = crate::engine::stream(self.seed, &self.stream);
        let n = self.objects;
        (0..self.epochs).map(move |_| {
            let mut v: Vec<u64> = (0..n).collect();
            rand::seq::SliceRandom::shuffle(v.as_mut_slice(), &mut rng);
            v
        })
    }
}

impl FutureAccesses for EpochShuffle {
    fn future_accesses(&self) -> Box<dyn Iterator<Item = (u64, u32)> + Send> {
        let size = self.size;
        Box::new(self.orders().flatten().map(move |id| (id, size)))
    }
}

/// What a prefetcher constructor knows about the model.
pub struct BuildCtx<'a> {
    /// Capacity of every tier above the home, fastest first.
    pub capacities: Vec<u64>,
    /// The workload's future, when it exposes one.
    pub future: Option<&'a dyn FutureAccesses>,
}

/// Builds a prefetcher from its parameters (`kind` removed); errors name keys under
/// `prefetch.`.
pub type Constructor =
    fn(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Prefetcher>, ConfigError>;

/// Every prefetcher by name, with its declared parameters. Adding one: one file and
/// one line here.
pub const REGISTRY: Registry<Entry<Constructor>> = Registry {
    what: "prefetcher",
    plural: "prefetchers",
    entries: &[
        Entry::new::<NoParams>("none", none::build),
        Entry::new::<NextNParams>("next-n", next_n::build),
        Entry::new::<ClairvoyantParams>("clairvoyant", clairvoyant::build),
    ],
};

/// The registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.names()
}

/// Builds the prefetcher described by a `[prefetch]` table.
pub fn build(value: toml::Value, ctx: &BuildCtx) -> Result<Box<dyn Prefetcher>, ConfigError> {
    let (entry, params) = REGISTRY.find(value, "prefetch")?;
    (entry.build)(params, ctx)
}

/// Parses and checks a prefetcher's declared parameters under `prefetch.`.
pub fn params<T: ComponentParams>(table: toml::Table) -> Result<T, ConfigError> {
    registry::parse(table, "prefetch")
}
