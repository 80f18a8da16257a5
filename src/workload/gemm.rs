//! Tiled GEMM: C = A x B with M x K, K x N and M x N matrices cut into b x b tiles,
//! each tile an object in the hierarchy. One actor (an accelerator) walks the tile
//! triples (i, j, k) in a chosen loop order (`ijk`, `ikj`, `jik`, `jki`, `kij`, `kji`);
//! each step reads tiles A[i,k], B[k,j] and C[i,j] concurrently, multiplies for
//! 2 x bi x bj x bk / `flops` seconds, then writes C[i,j] back (a read-modify-write;
//! the write is posted and the next step starts at once).
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
use crate::sim::{Ctx, Workload};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    m: u64,
    n: u64,
    k: u64,
    /// Tile edge b in elements.
    tile: u64,
    #[serde(default = "default_element_bytes")]
    element_bytes: u64,
    #[serde(default = "default_order")]
    order: String,
    /// Sustained FLOP/s of the accelerator (2 flops per multiply-add).
    flops: f64,
    /// Repeat the whole multiplication this many times (warm-cache behaviour).
    #[serde(default = "one")]
    repeats: u64,
}

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

/// Tags: the three reads of a step, the compute, the C write.
const TAG_READ: u64 = 0;
const TAG_COMPUTE: u64 = 1;
const TAG_WRITE: u64 = 2;

/// See the module doc.
pub struct Gemm {
    p: Params,
    /// Tile counts along (i, j, k).
    tiles: [u64; 3],
    /// Loop dimensions, outermost first.
    order: [usize; 3],
    /// Current (i, j, k) and the step counter.
    idx: [u64; 3],
    step: u64,
    steps: u64,
    /// Reads of the current step still in flight.
    reads_pending: u32,
    writes_pending: u64,
    step_start: Time,
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

pub fn build(params: toml::Table, _ctx: &BuildCtx) -> Result<Box<dyn Workload>, ConfigError> {
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
    Ok(Box::new(Gemm {
        p,
        tiles,
        order,
        idx: [0; 3],
        step: 0,
        steps: per_pass,
        reads_pending: 0,
        writes_pending: 0,
        step_start: 0,
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

    fn start_step(&mut self, ctx: &mut Ctx) {
        let [i, j, k] = self.idx;
        let (a, b, c, _) = self.step_shape();
        self.step_start = ctx.now();
        self.reads_pending = 3;
        ctx.read(self.a_id(i, k), a, 0, TAG_READ);
        ctx.read(self.b_id(k, j), b, 0, TAG_READ);
        ctx.read(self.c_id(i, j), c, 0, TAG_READ);
    }

    /// Advances (i, j, k) in loop order (innermost fastest); false after the last step.
    fn advance(&mut self) -> bool {
        self.step += 1;
        if self.step >= self.steps {
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

    /// Elements moved by the textbook model: 2MNK/b (A and B re-read per step) + MN.
    pub fn textbook_elements(m: u64, n: u64, k: u64, b: u64) -> f64 {
        2.0 * m as f64 * n as f64 * k as f64 / b as f64 + (m * n) as f64
    }
}

impl Workload for Gemm {
    fn start(&mut self, ctx: &mut Ctx) {
        self.start_step(ctx);
    }

    fn on_event(&mut self, _actor: u32, tag: u64, ctx: &mut Ctx) {
        match tag {
            TAG_READ => {
                self.reads_pending -= 1;
                if self.reads_pending == 0 {
                    self.stall_time += ctx.now() - self.step_start;
                    let (_, _, _, flops) = self.step_shape();
                    let t = crate::engine::from_secs(flops / self.p.flops);
                    self.compute_time += t;
                    self.total_flops += flops;
                    ctx.wake_in(t, 0, TAG_COMPUTE);
                }
            }
            TAG_COMPUTE => {
                let [i, j, _] = self.idx;
                let (_, _, c, _) = self.step_shape();
                self.writes_pending += 1;
                ctx.write(self.c_id(i, j), c, 0, TAG_WRITE);
                if self.advance() {
                    self.start_step(ctx);
                }
            }
            _ => {
                self.writes_pending -= 1;
                if self.step >= self.steps && self.writes_pending == 0 {
                    self.done = true;
                }
            }
        }
    }

    fn is_done(&self) -> bool {
        self.done
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
            "tile_steps": self.step.min(self.steps),
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
