//! The data-parallel training job: R ranks (GPUs) in lockstep, each fed by W loader
//! workers, with gradient sync and a barrier after every iteration and optional
//! checkpoints ([`lockstep`]); or, with `barrier = false`, R independent ranks
//! ([`independent`]).
//!
//! Per rank and iteration: the GPU waits for its next batch (the data stall, as
//! DS-Analyzer defines it: GPU idle waiting for data), computes (per batch plus per
//! sample, plus straggler jitter), then waits at the barrier for the slowest rank; the
//! gradient exchange then runs over its link ([`sync`]) and, every k iterations, a
//! checkpoint is written ([`checkpoint`]). Batches come back in order.
//!
//! Loader (PyTorch DataLoader semantics, REFERENCES.md s3): batch i of an epoch goes
//! to worker i mod W; prefetch_factor x W batches are outstanding per rank, and
//! consuming batch i hands batch i + prefetch_factor x W to its worker. A worker loads
//! its batches one at a time; each new epoch starts a fresh pipeline (the iterator
//! is re-created), so the first batches of an epoch stall. With `worker_io = "batch"`
//! (default) a worker issues all reads of a batch back to back and wakes once, when
//! the last completes; `"sample"` reads one sample at a time. Either way every sample
//! is one access through the hierarchy, or, when samples live in files, the chunks of
//! its file it needs ([`files`]). Optional CPU preprocessing per sample follows the
//! reads, on one of the node's cores (`crate::cpu`).
//!
//! Fair turns: when every rank takes or issues a batch at the same instant (at the
//! start of an epoch, or after a barrier), the ranks go in order from rank e mod R in
//! epoch e. On a device saturated all the time each loader issues its next batch when
//! its previous one arrives, so a FIFO device keeps the order of the epoch's first
//! batches for the whole epoch anyway (a convoy); rotating the order per epoch gives
//! every rank every place once in R epochs, so no rank is systematically served last.
//!
//! The job's whole read sequence, for clairvoyant prefetching, is replayed lazily from
//! the seeded sampler by [`future`] (`Workload::future_accesses`).
//!
//! Actor ids: rank r is r; worker w of rank r is R + r W + w; the collective and the
//! checkpoint writer have their own ids. The hot path allocates nothing.

pub mod checkpoint;
pub mod dataset;
pub mod files;
pub mod future;
mod independent;
mod lockstep;
mod loss;
pub mod params;
mod reads;
mod report;
pub mod sampler;
pub mod sync;

use crate::config::ConfigError;
use crate::engine::{Rng, Time};
use crate::sim::{Ctx, Workload};
use crate::trace::Request;
use params::{Jitter, Resolved, WorkerIo};
use rand_distr::Distribution;
use sampler::Sampler;
use std::collections::VecDeque;

/// Worker tags: the batch's reads are done; its preprocessing is done; one sample read.
const READS_DONE: u64 = 0;
const PREP_DONE: u64 = 1;
const SAMPLE_DONE: u64 = 2;
/// Sync tags: a message arrived (or the collective starts); a message's overhead passed.
const SYNC_MESSAGE_DONE: u64 = 0;
const SYNC_OVERHEAD_DONE: u64 = 1;
/// A phase of the hierarchical ring is done on every node.
const SYNC_PHASE_DONE: u64 = 2;
/// Checkpoint tags: a blocking write finished; a background write may now start.
const CKPT_DONE: u64 = 0;
const CKPT_START: u64 = 1;
const NOT_READY: Time = Time::MAX;

/// Per-rank time accounting (picoseconds); the parts sum to the run's end time.
#[derive(Clone, Default)]
pub struct RankTimes {
    pub compute: Time,
    pub stall: Time,
    pub barrier: Time,
    pub sync: Time,
    pub checkpoint: Time,
}

struct Rank {
    times: RankTimes,
    rng: Rng,
    /// When each outstanding batch became ready (slot = batch mod prefetch x W).
    ready: Vec<Time>,
    /// The batch this rank is stalled on, and since when.
    waiting: Option<(usize, Time)>,
    arrived_at: Time,
    /// Data stall in the current iteration.
    iteration_stall: Time,
    /// Data stall caused by faults: in the current iteration, and in all.
    iteration_fault_stall: Time,
    fault_stall: Time,
    /// Independent ranks only: the rank's own place in the run ([`independent`]).
    own: independent::RankProgress,
}

struct Worker {
    queue: VecDeque<usize>,
    busy: bool,
    batch: usize,
    /// Sample mode: next read position and end of the batch's reads.
    cursor: usize,
    end: usize,
    /// The file the worker has open (samples in files).
    stream: files::Stream,
}

/// See the module doc.
pub struct Training {
    p: Resolved,
    ranks: Vec<Rank>,
    workers: Vec<Worker>,
    slots: usize,
    batches_per_epoch: usize,
    epoch: u64,
    /// Iteration within the epoch that every rank is on.
    iter: usize,
    iterations: u64,
    arrived: usize,
    sync_start: Time,
    sync_steps_left: u32,
    last_iteration_end: Time,
    ckpt_busy_until: Time,
    ckpt_blocked_since: Time,
    done: bool,
    /// A loader worker's batch of reads (reused: no allocation per batch).
    batch: Vec<Request>,
    /// The first of this job's actors (allocated at start): ranks, then loader
    /// workers, then the sync and checkpoint actors.
    first_actor: u32,
    stats: report::Stats,
    /// The whole job's reads, regenerated on demand for clairvoyant prefetching.
    future: future::TrainingFuture,
    /// Independent ranks in different epochs read through more samplers than
    /// `p.sampler` (sampler i > 0 is `extra_samplers[i - 1]`).
    extra_samplers: Vec<Sampler>,
    /// Ranks reading through each sampler (independent ranks).
    sampler_users: Vec<u32>,
    /// Ranks that finished their run (independent ranks).
    finished: usize,
    /// Samples lost to faults ([`loss`]).
    loss: loss::Loss,
    /// The last two checkpoints: (when written, iterations they hold).
    ckpt_written: [(Time, u64); 2],
}

pub fn build(params: toml::Table, ctx: &super::BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    Ok(Box::new(Training::new(
        params::resolve(params, ctx)?,
        ctx.seed,
    )))
}

impl Training {
    /// A training job from resolved parameters.
    pub fn new(p: Resolved, seed: u64) -> Self {
        let slots = p.prefetch * p.workers;
        let p_ranks = p.ranks;
        let per_rank = p.sampler.per_rank();
        let batches_per_epoch = if p.drop_last {
            per_rank / p.batch
        } else {
            per_rank.div_ceil(p.batch)
        };
        let ranks = (0..p.ranks)
            .map(|r| Rank {
                times: RankTimes::default(),
                rng: crate::engine::stream_indexed(seed, "workload.training.jitter", r as u64),
                ready: vec![NOT_READY; slots],
                waiting: None,
                arrived_at: 0,
                iteration_stall: 0,
                iteration_fault_stall: 0,
                fault_stall: 0,
                own: independent::RankProgress::default(),
            })
            .collect();
        let workers = (0..p.ranks * p.workers)
            .map(|_| Worker {
                queue: VecDeque::with_capacity(p.prefetch + 1),
                busy: false,
                batch: 0,
                cursor: 0,
                end: 0,
                stream: files::Stream::default(),
            })
            .collect();
        let future = future::TrainingFuture {
            sampler: p.sampler.spec(),
            dataset: p.dataset.clone(),
            epochs: p.epochs,
            max_iterations: p.max_iterations,
            batch: p.batch,
            batches_per_epoch,
            ranks: None,
        };
        Training {
            stats: report::Stats::new(p.ranks),
            future,
            p,
            ranks,
            workers,
            slots,
            batches_per_epoch,
            epoch: 0,
            iter: 0,
            iterations: 0,
            arrived: 0,
            sync_start: 0,
            sync_steps_left: 0,
            last_iteration_end: 0,
            ckpt_busy_until: 0,
            ckpt_blocked_since: 0,
            done: false,
            first_actor: 0,
            batch: Vec::new(),
            extra_samplers: Vec::new(),
            sampler_users: vec![p_ranks as u32],
            finished: 0,
            loss: loss::Loss::default(),
            ckpt_written: [(0, 0); 2],
        }
    }

    /// Per-rank time accounting so far.
    pub fn rank_times(&self) -> impl Iterator<Item = &RankTimes> {
        self.ranks.iter().map(|r| &r.times)
    }

    /// The sampler rank `r` reads through (its epoch's order).
    #[inline]
    fn sampler_of(&self, r: usize) -> &Sampler {
        match self.ranks[r].own.sampler {
            0 => &self.p.sampler,
            i => &self.extra_samplers[i - 1],
        }
    }

    /// The `j`-th rank to take or issue its batch when all ranks do at once: the
    /// order starts from rank e mod R in epoch e (see the module doc).
    #[inline]
    fn rank_in_turn(&self, j: usize) -> usize {
        let r = (self.epoch % self.p.ranks as u64) as usize + j;
        if r >= self.p.ranks {
            r - self.p.ranks
        } else {
            r
        }
    }

    /// Samples in batch `k` of a rank's epoch.
    fn batch_len(&self, k: usize) -> usize {
        self.p
            .batch
            .min(self.p.sampler.per_rank() - k * self.p.batch)
    }

    fn begin_epoch(&mut self, ctx: &mut Ctx) {
        if self.epoch > 0 {
            self.p.sampler.set_epoch(self.epoch);
        }
        self.iter = 0;
        self.stats.epoch_start(ctx.now());
        self.loss_new_epoch();
        for r in 0..self.p.ranks {
            self.ranks[r].ready.fill(NOT_READY);
        }
        // A fresh pipeline opens its files anew.
        for w in &mut self.workers {
            w.stream = files::Stream::default();
        }
        // Batch-major: every rank's batch 0 is issued before anyone's batch 1, as the
        // ranks' loaders start side by side (rank-major order would favour rank 0),
        // starting from rank e mod R in epoch e.
        let ranks = self.p.ranks;
        for k in 0..self.slots.min(self.batches_per_epoch) {
            for j in 0..ranks {
                let r = self.rank_in_turn(j);
                self.dispatch(r, k, ctx);
            }
        }
        for j in 0..ranks {
            let r = self.rank_in_turn(j);
            self.want_batch(r, 0, ctx);
        }
    }

    fn dispatch(&mut self, r: usize, k: usize, ctx: &mut Ctx) {
        let w = r * self.p.workers + k % self.p.workers;
        self.workers[w].queue.push_back(k);
        if !self.workers[w].busy {
            self.worker_next(w, ctx);
        }
    }

    fn worker_actor(&self, w: usize) -> u32 {
        self.first_actor + (self.p.ranks + w) as u32
    }

    /// The actor of rank `r`'s compute.
    fn rank_actor(&self, r: usize) -> u32 {
        self.first_actor + r as u32
    }

    /// The gradient-sync actor.
    fn sync_actor(&self) -> u32 {
        self.first_actor + (self.p.ranks + self.workers.len()) as u32
    }

    /// The checkpoint actor.
    fn ckpt_actor(&self) -> u32 {
        self.sync_actor() + 1
    }

    /// Starts the worker's next queued batch, if any.
    fn worker_next(&mut self, w: usize, ctx: &mut Ctx) {
        let Some(k) = self.workers[w].queue.pop_front() else {
            self.workers[w].busy = false;
            return;
        };
        let reads = self.p.sampler.batch_reads(k, self.p.batch);
        let actor = self.worker_actor(w);
        let worker = &mut self.workers[w];
        worker.busy = true;
        worker.batch = k;
        worker.cursor = reads.start;
        worker.end = reads.end;
        if reads.is_empty() {
            ctx.wake_in(0, actor, READS_DONE);
            return;
        }
        match self.p.worker_io {
            WorkerIo::Batch if self.p.dataset.files.is_some() => {
                let last = self.file_reads(w, reads, ctx);
                ctx.wake_at(last, actor, READS_DONE);
            }
            WorkerIo::Batch => {
                // The whole batch at once: the data path overlaps the lookups.
                let r = w / self.p.workers;
                let now = ctx.now();
                let mut batch = std::mem::take(&mut self.batch);
                let sampler = self.sampler_of(r);
                let ids = reads.map(|pos| sampler.index(r, pos));
                let bytes = self.p.dataset.read_requests(ids, now, &mut batch);
                self.stats.bytes_read += bytes;
                let slot = self.p.rank_slots[r] as usize;
                let mark = self.loss_mark(ctx);
                let last = ctx.access_batch_on(slot, &mut batch, self.p.sampler.sequential_io());
                self.loss_note(r, k, mark, ctx);
                self.batch = batch;
                ctx.wake_at(last, actor, READS_DONE);
            }
            WorkerIo::Sample => self.sample_step(w, ctx),
        }
    }

    fn on_worker(&mut self, w: usize, tag: u64, ctx: &mut Ctx) {
        match tag {
            SAMPLE_DONE => self.sample_step(w, ctx),
            READS_DONE if self.p.preprocess > 0 => {
                // A worker (one process) preprocesses on one core of its rank's node.
                let n = self.batch_len(self.workers[w].batch) as Time;
                let slot = self.p.rank_slots[w / self.p.workers] as usize;
                let work = n.saturating_mul(self.p.preprocess);
                let done = ctx.cpu_on(slot, crate::cpu::Work::Preprocess, work);
                ctx.wake_at(done, self.worker_actor(w), PREP_DONE);
            }
            _ => {
                let (r, k) = (w / self.p.workers, self.workers[w].batch);
                self.ranks[r].ready[k % self.slots] = ctx.now();
                self.worker_next(w, ctx);
                if let Some((want, since)) = self.ranks[r].waiting {
                    if want == k {
                        self.ranks[r].waiting = None;
                        let stall = ctx.now() - since;
                        let by_faults = self.fault_stall(r, k, since, ctx.now());
                        let rank = &mut self.ranks[r];
                        rank.times.stall += stall;
                        rank.iteration_stall += stall;
                        rank.iteration_fault_stall += by_faults;
                        rank.fault_stall += by_faults;
                        self.stats.epoch_stall += stall;
                        self.start_compute(r, k, ctx);
                    }
                }
            }
        }
    }

    /// Rank `r` is ready for batch `k`: compute now, or stall until it is loaded.
    fn want_batch(&mut self, r: usize, k: usize, ctx: &mut Ctx) {
        if self.ranks[r].ready[k % self.slots] != NOT_READY {
            self.start_compute(r, k, ctx);
        } else {
            self.ranks[r].waiting = Some((k, ctx.now()));
        }
    }

    fn start_compute(&mut self, r: usize, k: usize, ctx: &mut Ctx) {
        // Before the slot is handed to batch k + slots: its lost samples are k's.
        let lost = self.loss_take(r, k);
        self.ranks[r].ready[k % self.slots] = NOT_READY;
        if k + self.slots < self.batches_per_epoch {
            self.dispatch(r, k + self.slots, ctx);
        }
        let n = self.batch_len(k).saturating_sub(lost) as Time;
        let rank = &mut self.ranks[r];
        let jitter = match &self.p.jitter {
            Jitter::None => 0,
            Jitter::Exponential(d) => d.sample(&mut rank.rng).round() as Time,
            Jitter::Lognormal(d) => d.sample(&mut rank.rng).round() as Time,
        };
        // Saturating: past 2^64 ps the engine stops with an overflow error.
        let c = self
            .p
            .per_batch
            .saturating_add(n.saturating_mul(self.p.per_sample))
            .saturating_add(jitter);
        rank.times.compute = rank.times.compute.saturating_add(c);
        self.stats.samples += n;
        ctx.wake_in(c, self.rank_actor(r), 0);
    }
}

impl Workload for Training {
    fn start(&mut self, ctx: &mut Ctx) {
        self.first_actor = ctx.new_actors((self.p.ranks + self.workers.len() + 2) as u32);
        self.loss_start(ctx);
        if self.batches_per_epoch == 0 {
            self.done = true;
            return;
        }
        self.begin_epoch(ctx);
    }

    fn on_event(&mut self, actor: u32, tag: u64, ctx: &mut Ctx) {
        let local = (actor - self.first_actor) as usize;
        let (ranks, workers) = (self.p.ranks, self.workers.len());
        match local {
            r if r < ranks && self.p.barrier => self.on_compute_done(r, ctx),
            r if r < ranks => self.on_rank_compute_done(r, ctx),
            w if w < ranks + workers => self.on_worker(w - ranks, tag, ctx),
            s if s == ranks + workers && tag == SYNC_PHASE_DONE => self.sync_phase(ctx),
            s if s == ranks + workers => self.sync_step(tag, ctx),
            _ => self.on_checkpoint(tag, ctx),
        }
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn dense_ids(&self) -> Option<u64> {
        match &self.p.dataset.files {
            Some(f) => Some(f.chunks()),
            None => Some(self.p.dataset.samples),
        }
    }

    fn progress(&self) -> Option<(u64, u64)> {
        let all = (self.batches_per_epoch as u64).saturating_mul(self.p.epochs);
        let total = self.p.max_iterations.map_or(all, |m| m.min(all));
        // Independent ranks count every rank's iterations: progress is their mean.
        let done = if self.p.barrier {
            self.iterations
        } else {
            self.iterations / self.p.ranks as u64
        };
        Some((done.min(total), total))
    }

    fn warnings(&self) -> Vec<String> {
        let clamp = self.p.dataset.clamp_warning.iter();
        clamp.chain(&self.p.notes).cloned().collect()
    }

    fn scattered_accesses(&self) -> bool {
        // Every epoch reads every sample once, in a fresh random order.
        true
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        report::summary(self, end)
    }

    fn tables(&self, end: Time) -> Vec<(String, String)> {
        report::tables(self, end)
    }

    fn future_accesses(&self) -> Option<&dyn crate::policy::prefetch::FutureAccesses> {
        // Reads of samples in files depend on what each worker's open file holds.
        self.p.dataset.files.is_none().then_some(&self.future as _)
    }

    fn checkpointed_iterations(&self, now: Time) -> u64 {
        let [older, last] = self.ckpt_written;
        if last.0 <= now {
            last.1
        } else {
            older.1
        }
    }

    fn future_accesses_on(
        &self,
        slot: usize,
    ) -> Option<Box<dyn crate::policy::prefetch::FutureAccesses>> {
        self.p.dataset.files.as_ref().map_or(Some(()), |_| None)?;
        let first = self.p.rank_slots.iter().position(|&s| s as usize == slot)?;
        let end = first
            + self.p.rank_slots[first..]
                .iter()
                .take_while(|&&s| s as usize == slot)
                .count();
        let mut f = self.future.clone();
        f.ranks = Some((first, end));
        Some(Box::new(f))
    }
}
