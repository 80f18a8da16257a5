//! Embedding lookups (the sparse half of a recommendation model such as DLRM): tables
//! of `rows` rows of `row_bytes` each, every row an object; batches of `batch_size`
//! samples, each sample looking up `pooling` rows per table with power-law popularity
//! (Zipf exponent `alpha`, default 1.2 as synthetic DLRM generators use: REFERENCES.md
//! s3). K workers (`workers`) each run batches back to back: issue every lookup of the
//! batch at once (a gather), wait for the last, compute for `compute_per_batch`, and with
//! `update = true` (training) write back every distinct row the batch touched (the
//! sparse optimizer step; the worker waits for the last write), then repeat.
//!
//! Popularity: the row of rank r (1 = hottest) is row r - 1 of its table, drawn with
//! probability r^-alpha / H(rows, alpha). Table t's rows are object ids
//! `[base_t, base_t + rows_t)`, tables laid out one after another from id 0.
//! Optionally the `hot_rows` hottest rows of every table are pinned in `hot_tier` (a
//! static hot-row cache, as FAE-style systems keep popular rows in accelerator memory):
//! their lookups are served by that tier's device without going through its cache.
//!
//! Preset `dlrm` (Meta dlrm_datasets): 856 tables (the dataset's `fbgemm_t856` files),
//! 131,072-sample batches with 1.405e9 lookups per batch (REFERENCES.md s3), i.e.
//! 10,719 lookups per sample: 447 tables with pooling 13 and 409 with 12. Rows per
//! table 2,600,000: with alpha 1.2 and 1.405e9 / 856 draws per table per batch the
//! expected number of distinct rows touched is 1.10e8 per batch, the dataset's figure
//! (calibrated by the Zipf sum; a test recomputes it). Row bytes 512 (128 x fp32: approx.,
//! not in the references). Any key given beside `preset` overrides the preset.

use super::BuildCtx;
use crate::config::{parse_table, Bytes, ConfigError, Duration};
use crate::engine::{Rng, Time};
use crate::metrics::HistId;
use crate::policy::hash::IdSet;
use crate::registry::ComponentParams;
use crate::sim::{Ctx, Workload};
use crate::trace::{Op, Request};
use rand_distr::{Distribution, Zipf};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TableParams {
    rows: u64,
    row_bytes: Option<Bytes>,
    alpha: Option<f64>,
    pooling: Option<u64>,
}

/// The embedding workload's parameters. Absent table fields come from the preset
/// (`dlrm`) or the defaults in the module doc.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    preset: Option<String>,
    /// Number of identical tables (with `rows`, `row_bytes`, `alpha`, `pooling`).
    tables: Option<u64>,
    rows: Option<u64>,
    row_bytes: Option<Bytes>,
    alpha: Option<f64>,
    pooling: Option<u64>,
    /// Explicit tables, each with its own size and skew: `[[workload.table]]`.
    table: Option<Vec<TableParams>>,
    batch_size: Option<u64>,
    batches: u64,
    #[serde(default = "one")]
    workers: u32,
    #[serde(default)]
    compute_per_batch: Duration,
    /// Hottest rows of each table pinned in `hot_tier`.
    #[serde(default)]
    hot_rows: u64,
    hot_tier: Option<String>,
    /// Training: write each distinct row of a batch back after its compute.
    #[serde(default)]
    update: bool,
}

impl ComponentParams for Params {}

fn one() -> u32 {
    1
}

/// Default Zipf exponent (REFERENCES.md s3: synthetic DLRM generators use ~1.2).
pub const DEFAULT_ALPHA: f64 = 1.2;

/// Most tables accepted (each holds a sampler).
const MAX_TABLES: u64 = 1 << 20;

/// dlrm preset figures (see the module doc).
const DLRM_TABLES: u64 = 856;
const DLRM_ROWS: u64 = 2_600_000;
const DLRM_ROW_BYTES: u64 = 512;
const DLRM_BATCH: u64 = 131_072;
const DLRM_LOOKUPS_PER_SAMPLE: u64 = 10_719; // 1.405e9 / 131,072

/// One resolved table.
struct Table {
    rows: u64,
    row_bytes: u32,
    pooling: u64,
    base: u64,
    zipf: Zipf<f64>,
}

impl Table {
    /// Draws a rank in 1..=rows.
    #[inline]
    fn rank(&self, rng: &mut Rng) -> u64 {
        (self.zipf.sample(rng) as u64).clamp(1, self.rows)
    }
}

struct Worker {
    batch_start: Time,
    /// 0: waiting for lookups; 1: computing; 2: writing updated rows.
    phase: u8,
    /// The lookup stream's state at the batch's start, to replay its rows for updates.
    rng: Rng,
}

/// Reads or writes one row now: from the hot tier's device when pinned there, else
/// through the hierarchy. Returns (done, pinned).
fn row_io(ctx: &mut Ctx, hot: Option<(usize, u64)>, t: &Table, rank: u64, op: Op) -> (Time, bool) {
    match hot {
        Some((h, rows)) if rank <= rows => (ctx.pinned(h, op, t.row_bytes as u64, false), true),
        _ => {
            let req = Request {
                time: ctx.now(),
                id: t.base + rank - 1,
                size: t.row_bytes,
                op,
                next_access: u64::MAX,
            };
            (ctx.access(&req, false).done, false)
        }
    }
}

/// See the module doc.
pub struct Embedding {
    /// The first worker's actor (allocated at start); worker w is `first_actor + w`.
    first_actor: u32,
    tables: Vec<Table>,
    batch_size: u64,
    batches: u64,
    compute: Time,
    hot_rows: u64,
    hot_tier: Option<usize>,
    /// Write back every distinct row of a batch after its compute (training).
    update: bool,
    /// Rows already written in the current update (reused, cleared per batch).
    seen: IdSet,
    rows_updated: u64,
    workers: Vec<Worker>,
    rng: Rng,
    started: u64,
    completed: u64,
    lookups: u64,
    hot_hits: u64,
    hist: Option<HistId>,
}

fn err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::new(format!("workload.{key}"), msg)
}

fn row_bytes(b: Bytes, key: &str) -> Result<u32, ConfigError> {
    match u32::try_from(b.0) {
        Ok(0) => Err(err(key, "must be greater than zero")),
        Ok(v) => Ok(v),
        Err(_) => Err(err(key, "a row is at most 4GiB")),
    }
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    Ok(Box::new(Embedding::new(params, ctx)?))
}

impl Embedding {
    /// Validates the `[workload]` parameters and builds the workload.
    fn new(params: toml::Table, ctx: &BuildCtx) -> Result<Embedding, ConfigError> {
        let p: Params = parse_table(toml::Value::Table(params), "workload")?;
        let dlrm = match p.preset.as_deref() {
            None => false,
            Some("dlrm") => true,
            Some(other) => {
                return Err(err(
                    "preset",
                    format!("unknown embedding preset '{other}'; known presets: dlrm"),
                ))
            }
        };
        // (rows, row_bytes, alpha, pooling) per table, before validation, with key paths.
        let mut specs: Vec<(u64, u32, f64, u64, String)> = Vec::new();
        if let Some(list) = &p.table {
            if p.tables.is_some() || p.rows.is_some() {
                return Err(err(
                    "table",
                    "give either [[workload.table]] entries or tables/rows, not both",
                ));
            }
            for (i, t) in list.iter().enumerate() {
                let key = format!("table[{i}]");
                let rb = match t.row_bytes.or(p.row_bytes) {
                    Some(b) => row_bytes(b, &format!("{key}.row_bytes"))?,
                    None if dlrm => DLRM_ROW_BYTES as u32,
                    None => return Err(err(&format!("{key}.row_bytes"), "missing")),
                };
                let alpha = t.alpha.or(p.alpha).unwrap_or(DEFAULT_ALPHA);
                let pooling = t.pooling.or(p.pooling).unwrap_or(1);
                specs.push((t.rows, rb, alpha, pooling, key));
            }
        } else {
            let n = p.tables.or(dlrm.then_some(DLRM_TABLES)).ok_or_else(|| {
                err(
                "tables",
                "missing: give tables and rows, [[workload.table]] entries, or preset = \"dlrm\"",
            )
            })?;
            if n > MAX_TABLES {
                return Err(err("tables", format!("at most {MAX_TABLES}")));
            }
            let rows = p
                .rows
                .or(dlrm.then_some(DLRM_ROWS))
                .ok_or_else(|| err("rows", "missing (rows per table)"))?;
            let rb = match p.row_bytes {
                Some(b) => row_bytes(b, "row_bytes")?,
                None if dlrm => DLRM_ROW_BYTES as u32,
                None => return Err(err("row_bytes", "missing (bytes per row)")),
            };
            let alpha = p.alpha.unwrap_or(DEFAULT_ALPHA);
            for i in 0..n {
                // dlrm: 10,719 lookups per sample over 856 tables: the first 447 pool 13.
                let pooling = p.pooling.unwrap_or(if dlrm {
                    DLRM_LOOKUPS_PER_SAMPLE / n + u64::from(i < DLRM_LOOKUPS_PER_SAMPLE % n)
                } else {
                    1
                });
                specs.push((rows, rb, alpha, pooling, String::new()));
            }
        }
        if specs.is_empty() {
            return Err(err("tables", "must be at least 1"));
        }
        let mut tables = Vec::with_capacity(specs.len());
        let mut base = 0u64;
        for (rows, rb, alpha, pooling, key) in specs {
            let k = |f: &str| {
                if key.is_empty() {
                    f.to_string()
                } else {
                    format!("{key}.{f}")
                }
            };
            if rows == 0 {
                return Err(err(&k("rows"), "must be greater than zero"));
            }
            if !(alpha > 0.0 && alpha.is_finite()) {
                return Err(err(&k("alpha"), "must be greater than zero"));
            }
            if pooling == 0 {
                return Err(err(&k("pooling"), "must be at least 1 lookup per sample"));
            }
            let zipf = Zipf::new(rows, alpha)
                .map_err(|e| err(&k("alpha"), format!("invalid Zipf exponent {alpha}: {e}")))?;
            tables.push(Table {
                rows,
                row_bytes: rb,
                pooling,
                base,
                zipf,
            });
            base = base
                .checked_add(rows)
                .ok_or_else(|| err(&k("rows"), "too many rows in total"))?;
        }
        let batch_size = p
            .batch_size
            .or(dlrm.then_some(DLRM_BATCH))
            .ok_or_else(|| err("batch_size", "missing (samples per batch)"))?;
        if batch_size == 0 {
            return Err(err("batch_size", "must be at least 1"));
        }
        if tables.iter().any(|t| {
            batch_size
                .checked_mul(t.pooling)
                .is_none_or(|n| n > 1 << 40)
        }) {
            return Err(err(
                "batch_size",
                "batch_size x pooling must be at most 2^40",
            ));
        }
        if p.batches == 0 {
            return Err(err("batches", "must be at least 1"));
        }
        if p.workers == 0 {
            return Err(err("workers", "must be at least 1"));
        }
        let hot_tier = match (&p.hot_tier, p.hot_rows) {
            (None, 0) => None,
            (Some(_), 0) => return Err(err("hot_rows", "hot_tier needs hot_rows > 0")),
            (None, _) => Some(0),
            (Some(name), _) => Some(ctx.tiers.iter().position(|t| t == name).ok_or_else(|| {
                err(
                    "hot_tier",
                    format!("no tier named '{name}'; tiers: {}", ctx.tiers.join(", ")),
                )
            })?),
        };
        let rng = crate::engine::stream(ctx.seed, "workload.embedding");
        Ok(Embedding {
            tables,
            batch_size,
            batches: p.batches,
            compute: p.compute_per_batch.0,
            hot_rows: p.hot_rows,
            hot_tier,
            update: p.update,
            seen: IdSet::default(),
            rows_updated: 0,
            workers: (0..p.workers)
                .map(|_| Worker {
                    batch_start: 0,
                    phase: 0,
                    rng: rng.clone(),
                })
                .collect(),
            rng,
            started: 0,
            completed: 0,
            lookups: 0,
            hot_hits: 0,
            hist: None,
            first_actor: 0,
        })
    }
}

impl Embedding {
    /// Issues every lookup of one batch for worker `w` now; wakes it when the last is done.
    fn start_batch(&mut self, w: u32, ctx: &mut Ctx) {
        if self.started >= self.batches {
            return;
        }
        self.started += 1;
        let now = ctx.now();
        let wk = &mut self.workers[w as usize];
        wk.batch_start = now;
        wk.phase = 0;
        wk.rng = self.rng.clone();
        let hot = self.hot_tier.map(|h| (h, self.hot_rows));
        let mut last = now;
        for t in &self.tables {
            for _ in 0..self.batch_size * t.pooling {
                let rank = t.rank(&mut self.rng);
                let (done, pinned) = row_io(ctx, hot, t, rank, Op::Read);
                self.hot_hits += u64::from(pinned);
                last = last.max(done);
                self.lookups += 1;
            }
        }
        ctx.wake_at(last, self.first_actor + w, 0);
    }

    /// Writes back each distinct row worker `w`'s batch looked up (replaying the
    /// batch's draws), and wakes the worker when the last write is done.
    fn update_rows(&mut self, w: u32, ctx: &mut Ctx) {
        let mut rng = self.workers[w as usize].rng.clone();
        let hot = self.hot_tier.map(|h| (h, self.hot_rows));
        self.seen.clear();
        let mut last = ctx.now();
        for t in &self.tables {
            for _ in 0..self.batch_size * t.pooling {
                let rank = t.rank(&mut rng);
                if self.seen.insert(t.base + rank - 1) {
                    last = last.max(row_io(ctx, hot, t, rank, Op::Write).0);
                    self.rows_updated += 1;
                }
            }
        }
        ctx.wake_at(last, self.first_actor + w, 0);
    }
}

impl Workload for Embedding {
    fn start(&mut self, ctx: &mut Ctx) {
        self.hist = Some(ctx.histogram("batch_latency"));
        self.first_actor = ctx.new_actors(self.workers.len() as u32);
        for w in 0..self.workers.len() as u32 {
            self.start_batch(w, ctx);
        }
    }

    fn on_event(&mut self, actor: u32, _tag: u64, ctx: &mut Ctx) {
        let w = actor - self.first_actor;
        let wk = &mut self.workers[w as usize];
        if wk.phase == 0 && self.compute > 0 {
            wk.phase = 1;
            ctx.wake_in(self.compute, actor, 0);
            return;
        }
        if wk.phase <= 1 && self.update {
            wk.phase = 2;
            self.update_rows(w, ctx);
            return;
        }
        let wk = &mut self.workers[w as usize];
        let latency = ctx.now() - wk.batch_start;
        if let Some(h) = self.hist {
            ctx.record(h, latency);
        }
        self.completed += 1;
        self.start_batch(w, ctx);
    }

    fn is_done(&self) -> bool {
        self.completed >= self.batches
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.completed, self.batches))
    }

    fn dense_ids(&self) -> Option<u64> {
        // Tables laid out one after another from id 0.
        self.tables.last().map(|t| t.base + t.rows)
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let secs = crate::engine::secs(end);
        let rate = |x: u64| if secs > 0.0 { x as f64 / secs } else { 0.0 };
        serde_json::json!({
            "kind": "embedding",
            "tables": self.tables.len(),
            "rows_total": self.tables.iter().map(|t| t.rows).sum::<u64>(),
            "batches_completed": self.completed,
            "lookups": self.lookups,
            "lookups_per_s": rate(self.lookups),
            "batches_per_s": rate(self.completed),
            "hot_hits": self.hot_hits,
            "rows_updated": self.rows_updated,
            "hot_hit_ratio": if self.lookups > 0 { self.hot_hits as f64 / self.lookups as f64 } else { 0.0 },
        })
    }
}

#[cfg(test)]
mod tests;
