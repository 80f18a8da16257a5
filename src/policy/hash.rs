//! A fast, deterministic hasher for integer object ids (the Fx multiply-rotate hash).
//! SipHash's DoS resistance buys nothing in a simulator, and costs a third of the
//! replay loop's time.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Fx hasher: one multiply per word.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(K);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64)
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64)
    }
}

pub type IdBuildHasher = BuildHasherDefault<IdHasher>;
/// HashMap keyed by object id with the fast hasher.
pub type IdMap<V> = HashMap<u64, V, IdBuildHasher>;
/// HashSet of object ids with the fast hasher.
pub type IdSet = HashSet<u64, IdBuildHasher>;
