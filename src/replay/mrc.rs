//! LRU miss-ratio curves in one pass, from stack distances (Mattson et al., 1970).
//!
//! LRU is a stack algorithm: a request hits in an LRU cache of capacity C exactly when
//! the object's depth in the recency stack (its own size plus the sizes of the distinct
//! objects requested since its last request) is at most C, so one pass gives the
//! misses at every size. Depths come from a Fenwick tree over last-access positions,
//! each holding its object's size: O(log n) per request. Positions are renumbered
//! (compacted) when they run out, so memory follows the distinct objects, not the
//! trace length.
//!
//! In unit-size mode the curve is exact at every size. With sizes it is exact for
//! libCacheSim's LRU as long as no object is larger than the cache (such an object is
//! not admitted by LRU, while the stack still counts it).

use crate::policy::hash::IdMap;
use crate::trace::{self, Format};
use anyhow::Result;
use std::path::Path;

/// Misses of an LRU cache of one size.
#[derive(Clone, Debug, PartialEq)]
pub struct MrcPoint {
    pub cache_size: u64,
    pub requests: u64,
    pub misses: u64,
    pub bytes_requested: u64,
    pub bytes_missed: u64,
}

impl MrcPoint {
    pub fn miss_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.misses as f64 / self.requests as f64
        }
    }
    pub fn byte_miss_ratio(&self) -> f64 {
        if self.bytes_requested == 0 {
            0.0
        } else {
            self.bytes_missed as f64 / self.bytes_requested as f64
        }
    }
}

/// The default grid: about 8 sizes per doubling, 1 up to 2^48.
pub fn default_grid() -> Vec<u64> {
    let mut g: Vec<u64> = (0..=48 * 8)
        .map(|k| 2f64.powf(k as f64 / 8.0).round() as u64)
        .collect();
    g.dedup();
    g
}

/// Fenwick tree of sizes over last-access positions, renumbered when full.
struct StackDistances {
    tree: Vec<u64>,
    /// id -> (position of its last access, its size).
    last: IdMap<(u32, u32)>,
    next_pos: usize,
    total: u64,
}

impl StackDistances {
    fn new() -> Self {
        StackDistances {
            tree: vec![0; 1 << 16],
            last: IdMap::default(),
            next_pos: 0,
            total: 0,
        }
    }

    #[inline]
    fn add(&mut self, pos: usize, delta: u64, negative: bool) {
        let mut i = pos + 1;
        while i <= self.tree.len() {
            if negative {
                self.tree[i - 1] -= delta;
            } else {
                self.tree[i - 1] += delta;
            }
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of sizes at positions 0..=pos.
    #[inline]
    fn prefix(&self, pos: usize) -> u64 {
        let mut i = pos + 1;
        let mut s = 0;
        while i > 0 {
            s += self.tree[i - 1];
            i &= i - 1;
        }
        s
    }

    /// Renumbers live positions 0.. in order, growing the tree when over half full.
    fn compact(&mut self) {
        let live = self.last.len();
        let mut cap = self.tree.len();
        while 2 * live + 1 > cap {
            cap *= 2;
        }
        let mut order: Vec<(u32, u64)> = self.last.iter().map(|(&id, &(p, _))| (p, id)).collect();
        order.sort_unstable();
        let mut values = vec![0u64; cap];
        for (new_pos, &(_, id)) in order.iter().enumerate() {
            let e = self.last.get_mut(&id).expect("live id");
            e.0 = new_pos as u32;
            values[new_pos] = e.1 as u64;
        }
        // Linear-time Fenwick construction.
        for i in 1..=cap {
            let j = i + (i & i.wrapping_neg());
            if j <= cap {
                values[j - 1] += values[i - 1];
            }
        }
        self.tree = values;
        self.next_pos = live;
    }

    /// Records an access; returns the stack depth (own size included) on a reuse.
    #[inline]
    fn access(&mut self, id: u64, size: u32) -> Option<u64> {
        if self.next_pos == self.tree.len() {
            self.compact();
        }
        let pos = self.next_pos;
        self.next_pos += 1;
        let depth = match self.last.insert(id, (pos as u32, size)) {
            Some((old, old_size)) => {
                let after = self.total - self.prefix(old as usize);
                self.add(old as usize, old_size as u64, true);
                self.total -= old_size as u64;
                Some(after)
            }
            None => None,
        };
        self.add(pos, size as u64, false);
        self.total += size as u64;
        depth
    }
}

/// LRU misses at each size of `grid` (sorted ascending, deduplicated), plus a last
/// point at the total size of all distinct objects (only cold misses remain there).
pub fn lru_mrc(
    path: &Path,
    format: Option<Format>,
    ignore_size: bool,
    grid: &[u64],
) -> Result<Vec<MrcPoint>> {
    let mut grid = grid.to_vec();
    grid.sort_unstable();
    grid.dedup();
    let mut reader = trace::open(path, format)?;
    let mut buf = Vec::with_capacity(super::BATCH);
    let mut sd = StackDistances::new();
    // Bucket k counts reuses too deep for grid[..k] (depth > grid[k-1]).
    let mut count = vec![0u64; grid.len() + 1];
    let mut bytes = vec![0u64; grid.len() + 1];
    let (mut requests, mut bytes_requested, mut cold, mut cold_bytes) = (0u64, 0u64, 0u64, 0u64);
    while super::read_batch(&mut *reader, &mut buf, super::BATCH)? > 0 {
        for r in &buf {
            let size = if ignore_size { 1 } else { r.size };
            requests += 1;
            bytes_requested += size as u64;
            match sd.access(r.id, size) {
                Some(after) => {
                    let depth = after + size as u64;
                    let k = grid.partition_point(|&c| c < depth);
                    count[k] += 1;
                    bytes[k] += size as u64;
                }
                None => {
                    cold += 1;
                    cold_bytes += size as u64;
                }
            }
        }
    }
    let working_set = sd.total;
    let mut points = Vec::with_capacity(grid.len() + 1);
    // Misses at grid[j] = cold + reuses in buckets j+1.. (deeper than grid[j]).
    let (mut m, mut b) = (cold, cold_bytes);
    let mut suffix = vec![(0u64, 0u64); grid.len() + 1];
    for k in (0..=grid.len()).rev() {
        suffix[k] = (m, b);
        m += count[k];
        b += bytes[k];
    }
    for (j, &c) in grid.iter().enumerate() {
        if c >= working_set {
            break;
        }
        let (misses, bytes_missed) = suffix[j];
        points.push(MrcPoint {
            cache_size: c,
            requests,
            misses,
            bytes_requested,
            bytes_missed,
        });
    }
    if working_set > 0 {
        points.push(MrcPoint {
            cache_size: working_set,
            requests,
            misses: cold,
            bytes_requested,
            bytes_missed: cold_bytes,
        });
    }
    Ok(points)
}

/// The CSV header of a miss-ratio curve.
pub const MRC_HEADER: &str =
    "trace,cache_size,miss_ratio,byte_miss_ratio,requests,misses,bytes_requested,bytes_missed";

/// Renders a curve as CSV, header first.
pub fn mrc_to_csv(trace: &str, points: &[MrcPoint]) -> String {
    let mut out = String::from(MRC_HEADER);
    out.push('\n');
    for p in points {
        out.push_str(&format!(
            "{},{},{:.8},{:.8},{},{},{},{}\n",
            super::csv_field(trace),
            p.cache_size,
            p.miss_ratio(),
            p.byte_miss_ratio(),
            p.requests,
            p.misses,
            p.bytes_requested,
            p.bytes_missed
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depths_by_hand_and_through_compaction() {
        // a b c a b d a: depths (own size 1 included) of the reuses:
        // a at t3: b, c since -> 3; b at t4: c, a since -> 3; a at t6: b, d since -> 3.
        let mut sd = StackDistances::new();
        let seq = [1, 2, 3, 1, 2, 4, 1];
        let d: Vec<Option<u64>> = seq
            .iter()
            .map(|&id| sd.access(id, 1).map(|a| a + 1))
            .collect();
        assert_eq!(d, vec![None, None, None, Some(3), Some(3), None, Some(3)]);
        // Force many renumberings: cycling over 5 ids, every reuse has depth 5.
        let mut sd = StackDistances::new();
        for t in 0..300_000u64 {
            let d = sd.access(t % 5, 1);
            if t >= 5 {
                assert_eq!(d, Some(4));
            }
        }
        assert_eq!(sd.tree.len(), 1 << 16);
    }

    #[test]
    fn byte_depths_count_distinct_objects_once() {
        // Sizes a=4, b=2: a b b a: a's reuse depth = 2 (b once) + 4 = 6.
        let mut sd = StackDistances::new();
        sd.access(1, 4);
        sd.access(2, 2);
        assert_eq!(sd.access(2, 2), Some(0));
        assert_eq!(sd.access(1, 4), Some(2));
    }
}
