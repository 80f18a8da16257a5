//! Tiled GEMM: C = A x B with M x K, K x N and M x N matrices cut into b x b tiles,
//! each tile an object in the hierarchy. One actor (an accelerator) walks the tile
//! triples (i, j, k) in a chosen loop order (`ijk`, `ikj`, `jik`, `jki`, `kij`, `kji`);
//! each step reads tiles A[i,k], B[k,j] and C[i,j] concurrently, multiplies for
//! 2 x bi x bj x bk / `flops` seconds, then writes C[i,j] back (a read-modify-write;
//! the write is posted and the next step starts at once). With `double_buffer`, the
//! next step's tiles are read while the current step computes (as real kernels
//! overlap loads with math; this needs buffer room for two steps' tiles).
//!
//! Placement: unplaced tensors live in the home tier and reach the accelerator through
//! the cache tiers above it; `placement = { a = "cxl" }` pins a tensor in a tier, whose
//! device then serves its tiles directly (outside that tier's cache policy).
//!
//! Object ids: A tiles are `[0, Mt*Kt)` (row-major over (i, k)), B tiles follow in
//! `[Mt*Kt, Mt*Kt + Kt*Nt)` over (k, j), then C tiles over (i, j). Edge tiles are
//! smaller when a dimension is not a multiple of b.
//!
//! The textbook blocked-matmul model (Hong & Kung's I/O bound, as taught): with room
//! for three tiles, each of the (M/b)(N/b)(K/b) steps of `ijk` loads one A and one B
//! tile (2 b^2 elements) while C stays resident, so traffic from the slow memory is
//! ~2MNK/b elements (+ MN for C). With everything cached it is compulsory: each tile
//! once. `summary()` reports both figures beside the measured home-tier traffic.

use super::BuildCtx;
use crate::config::{parse_table, ConfigError};
use crate::engine::Time;
use crate::registry::ComponentParams;
use crate::sim::{Ctx, Workload};
use crate::trace::{Op, Request};
use serde::{Deserialize, Serialize};

/// The GEMM workload's parameters.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Rows of A and C, elements.
    m: u64,
    /// Columns of B and C, elements.
    n: u64,
    /// Columns of A, rows of B, elements.
    k: u64,
    /// Tile edge b in elements.
    tile: u64,
    /// Bytes per element; default 4.
    #[serde(default = "default_element_bytes")]
    element_bytes: u64,
    /// Loop order, outermost first: a permutation of `ijk`; default `ijk`.
    #[serde(default = "default_order")]
    order: String,
    /// Sustained FLOP/s of the accelerator (2 flops per multiply-add).
    flops: f64,
    /// Repeat the whole multiplication this many times (warm-cache behaviour).
    #[serde(default = "one")]
    repeats: u64,
    /// Load the next step's tiles while computing the current one.
    #[serde(default)]
    double_buffer: bool,
    /// Tensors pinned in a tier: `{ a = "dram", b = "cxl" }`.
    #[serde(default)]
    placement: Placement,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Placement {
    a: Option<String>,
    b: Option<String>,
    c: Option<String>,
}

impl ComponentParams for Params {}

fn default_element_bytes() -> u64 {
    4
}
fn default_order() -> String {
    "ijk".into()
}
fn one() -> u64 {
    1
}

/// Loop dimensions.
const I: usize = 0;
const J: usize = 1;
const K: usize = 2;

/// Tags: a tile read done, a compute done, a C write done.
const TAG_READ: u64 = 0;
const TAG_COMPUTE: u64 = 1;
const TAG_WRITE: u64 = 2;

/// Tensor indices into [`Gemm::placement`].
const TA: usize = 0;
const TB: usize = 1;
const TC: usize = 2;

/// See the module doc.
pub struct Gemm {
    /// The one actor (allocated at start).
    actor: u32,
    p: Params,
    /// Tile counts along (i, j, k).
    tiles: [u64; 3],
    /// Loop dimensions, outermost first.
    order: [usize; 3],
    /// Tier each tensor is pinned in, if any.
    placement: [Option<usize>; 3],
    /// (i, j, k) of the step being loaded (or loaded, waiting to compute).
    idx: [u64; 3],
    /// Steps whose loading has begun, and steps computed.
    loaded: u64,
    computed: u64,
    steps: u64,
    loading: bool,
    reads_pending: u32,
    computing: bool,
    /// C tile (id, bytes) of the step being computed.
    cur_c: (u64, u32),
    writes_pending: u64,
    /// When the compute unit last went idle (start of a stall).
    idle_since: Time,
    compute_time: Time,
    stall_time: Time,
    total_flops: f64,
    done: bool,
}

/// Parses a loop order such as "ikj" into dimension indices, outermost first.
fn parse_order(s: &str) -> Option<[usize; 3]> {
    let b = s.as_bytes();
    if b.len() != 3 {
        return None;
    }
    let mut out = [0; 3];
    let mut seen = [false; 3];
    for (o, c) in out.iter_mut().zip(b) {
        let d = match c {
            b'i' => I,
            b'j' => J,
            b'k' => K,
            _ => return None,
        };
        if seen[d] {
            return None;
        }
        seen[d] = true;
        *o = d;
    }
    Some(out)
}

pub fn build(params: toml::Table, ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
    let p: Params = parse_table(toml::Value::Table(params), "workload")?;
    for (key, v) in [("m", p.m), ("n", p.n), ("k", p.k)] {
        if v == 0 {
            return Err(ConfigError::new(
                format!("workload.{key}"),
                "must be greater than zero",
            ));
        }
    }
    if p.tile == 0 {
        return Err(ConfigError::new(
            "workload.tile",
            "must be greater than zero (tile edge in elements)",
        ));
    }
    let smallest = p.m.min(p.n).min(p.k);
    if p.tile > smallest {
        return Err(ConfigError::new(
            "workload.tile",
            format!(
                "tile edge {} is larger than the smallest matrix dimension {smallest}",
                p.tile
            ),
        ));
    }
    if p.element_bytes == 0 {
        return Err(ConfigError::new(
            "workload.element_bytes",
            "must be greater than zero",
        ));
    }
    if p.tile
        .checked_mul(p.tile)
        .and_then(|x| x.checked_mul(p.element_bytes))
        .is_none_or(|b| b > u32::MAX as u64)
    {
        return Err(ConfigError::new(
            "workload.tile",
            "a tile (tile^2 x element_bytes) must be at most 4GiB",
        ));
    }
    if !(p.flops > 0.0 && p.flops.is_finite()) {
        return Err(ConfigError::new(
            "workload.flops",
            "must be greater than zero (FLOP/s)",
        ));
    }
    if p.repeats == 0 {
        return Err(ConfigError::new("workload.repeats", "must be at least 1"));
    }
    let order = parse_order(&p.order).ok_or_else(|| {
        ConfigError::new(
            "workload.order",
            format!(
                "'{}' is not a loop order: use a permutation of i, j, k (ijk, ikj, jik, jki, kij, kji)",
                p.order
            ),
        )
    })?;
    let tiles = [
        p.m.div_ceil(p.tile),
        p.n.div_ceil(p.tile),
        p.k.div_ceil(p.tile),
    ];
    let per_pass = tiles[0]
        .checked_mul(tiles[1])
        .and_then(|x| x.checked_mul(tiles[2]))
        .and_then(|x| x.checked_mul(p.repeats))
        .ok_or_else(|| ConfigError::new("workload.tile", "too many tile steps"))?;
    let tier = |name: &Option<String>, key: &str| -> Result<Option<usize>, ConfigError> {
        match name {
            None => Ok(None),
            Some(n) => ctx
                .tiers
                .iter()
                .position(|t| t == n)
                .map(Some)
                .ok_or_else(|| {
                    ConfigError::new(
                        format!("workload.placement.{key}"),
                        format!("no tier named '{n}'; tiers: {}", ctx.tiers.join(", ")),
                    )
                }),
        }
    };
    let placement = [
        tier(&p.placement.a, "a")?,
        tier(&p.placement.b, "b")?,
        tier(&p.placement.c, "c")?,
    ];
    Ok(Box::new(Gemm {
        actor: 0,
        p,
        tiles,
        order,
        placement,
        idx: [0; 3],
        loaded: 0,
        computed: 0,
        steps: per_pass,
        loading: false,
        reads_pending: 0,
        computing: false,
        cur_c: (0, 0),
        writes_pending: 0,
        idle_since: 0,
        compute_time: 0,
        stall_time: 0,
        total_flops: 0.0,
        done: false,
    }))
}

impl Gemm {
    /// Edge length in elements of tile `t` along a dimension of `len` elements.
    fn edge(&self, len: u64, t: u64) -> u64 {
        (len - t * self.p.tile).min(self.p.tile)
    }

    fn a_id(&self, i: u64, k: u64) -> u64 {
        i * self.tiles[K] + k
    }
    fn b_id(&self, k: u64, j: u64) -> u64 {
        self.tiles[0] * self.tiles[K] + k * self.tiles[J] + j
    }
    fn c_id(&self, i: u64, j: u64) -> u64 {
        self.tiles[0] * self.tiles[K] + self.tiles[K] * self.tiles[J] + i * self.tiles[J] + j
    }

    /// Bytes of the tiles A[i,k], B[k,j], C[i,j] and the step's flops.
    fn step_shape(&self) -> (u32, u32, u32, f64) {
        let [i, j, k] = self.idx;
        let (bi, bj, bk) = (
            self.edge(self.p.m, i),
            self.edge(self.p.n, j),
            self.edge(self.p.k, k),
        );
        let eb = self.p.element_bytes;
        (
            (bi * bk * eb) as u32,
            (bk * bj * eb) as u32,
            (bi * bj * eb) as u32,
            2.0 * (bi * bj * bk) as f64,
        )
    }

    /// Reads or writes one tile of tensor `t`: from its pinned tier's device, or
    /// through the hierarchy. Wakes the actor with `tag` when done.
    fn tile_io(&mut self, t: usize, id: u64, bytes: u32, op: Op, tag: u64, ctx: &mut Ctx) {
        match self.placement[t] {
            Some(tier) => {
                let done = ctx.pinned(tier, op, bytes as u64, false);
                ctx.wake_at(done, self.actor, tag);
            }
            None => {
                let req = Request {
                    time: ctx.now(),
                    id,
                    size: bytes,
                    op,
                    next_access: u64::MAX,
                };
                ctx.io(&req, false, 0, tag);
            }
        }
    }

    /// Issues the reads of step `idx`.
    fn load(&mut self, ctx: &mut Ctx) {
        let [i, j, k] = self.idx;
        let (a, b, c, _) = self.step_shape();
        self.loaded += 1;
        self.loading = true;
        self.reads_pending = 3;
        self.tile_io(TA, self.a_id(i, k), a, Op::Read, TAG_READ, ctx);
        self.tile_io(TB, self.b_id(k, j), b, Op::Read, TAG_READ, ctx);
        self.tile_io(TC, self.c_id(i, j), c, Op::Read, TAG_READ, ctx);
    }

    /// Moves `idx` to the next step in loop order (innermost fastest); false when every
    /// step has been loaded.
    fn next_step(&mut self) -> bool {
        if self.loaded >= self.steps {
            return false;
        }
        for &d in self.order.iter().rev() {
            self.idx[d] += 1;
            if self.idx[d] < self.tiles[d] {
                return true;
            }
            self.idx[d] = 0;
        }
        true // a new repeat starts at (0, 0, 0)
    }

    /// Starts computing the loaded step if its tiles are in and the unit is free.
    fn try_compute(&mut self, ctx: &mut Ctx) {
        if self.computing || !self.loading || self.reads_pending > 0 {
            return;
        }
        let now = ctx.now();
        self.stall_time += now - self.idle_since;
        let [i, j, _] = self.idx;
        let (_, _, c, flops) = self.step_shape();
        self.cur_c = (self.c_id(i, j), c);
        let t = crate::engine::from_secs(flops / self.p.flops);
        self.compute_time += t;
        self.total_flops += flops;
        self.loading = false;
        self.computing = true;
        ctx.wake_in(t, self.actor, TAG_COMPUTE);
        if self.p.double_buffer && self.next_step() {
            self.load(ctx);
        }
    }

    fn check_done(&mut self) {
        self.done = self.loaded >= self.steps
            && !self.loading
            && !self.computing
            && self.writes_pending == 0;
    }

    /// Elements moved by the textbook model: 2MNK/b (A and B re-read per step) + MN.
    pub fn textbook_elements(m: u64, n: u64, k: u64, b: u64) -> f64 {
        2.0 * m as f64 * n as f64 * k as f64 / b as f64 + (m * n) as f64
    }
}

impl Workload for Gemm {
    fn start(&mut self, ctx: &mut Ctx) {
        self.actor = ctx.new_actors(1);
        self.load(ctx);
    }

    fn on_event(&mut self, _actor: u32, tag: u64, ctx: &mut Ctx) {
        match tag {
            TAG_READ => {
                self.reads_pending -= 1;
                self.try_compute(ctx);
            }
            TAG_COMPUTE => {
                self.computing = false;
                self.computed += 1;
                self.idle_since = ctx.now();
                let (id, bytes) = self.cur_c;
                self.writes_pending += 1;
                self.tile_io(TC, id, bytes, Op::Write, TAG_WRITE, ctx);
                if !self.p.double_buffer && self.next_step() {
                    self.load(ctx);
                }
                self.try_compute(ctx);
                self.check_done();
            }
            _ => {
                self.writes_pending -= 1;
                self.check_done();
            }
        }
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn dense_ids(&self) -> Option<u64> {
        // A, B and C tiles, numbered one after another from 0 (module doc).
        let [mt, nt, kt] = self.tiles;
        Some(mt * kt + kt * nt + mt * nt)
    }

    fn summary(&self, end: Time) -> serde_json::Value {
        let p = &self.p;
        let eb = p.element_bytes as f64;
        let elems = |a: u64, b: u64| (a * b) as f64;
        let compulsory = (elems(p.m, p.k) + elems(p.k, p.n) + elems(p.m, p.n)) * eb;
        let secs = crate::engine::secs(end);
        serde_json::json!({
            "kind": "gemm",
            "order": p.order,
            "tiles_m_n_k": self.tiles,
            "tile_steps": self.computed,
            "flops": self.total_flops,
            "achieved_flops_per_s": if secs > 0.0 { self.total_flops / secs } else { 0.0 },
            "compute_time_s": crate::engine::secs(self.compute_time),
            "io_stall_time_s": crate::engine::secs(self.stall_time),
            "textbook_traffic_bytes": Gemm::textbook_elements(p.m, p.n, p.k, p.tile) * eb * p.repeats as f64,
            "compulsory_traffic_bytes": compulsory,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permutation_parses_and_others_do_not() {
        for o in ["ijk", "ikj", "jik", "jki", "kij", "kji"] {
            assert!(parse_order(o).is_some(), "{o}");
        }
        for o in ["", "ij", "iij", "ijx", "ijkk"] {
            assert!(parse_order(o).is_none(), "{o}");
        }
    }
}
