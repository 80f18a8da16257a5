//! Named random streams: each component draws from its own Xoshiro256++ generator,
//! seeded from the run seed and a stable component name, so adding a component never
//! shifts another's numbers.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator every component uses (a fixed, documented algorithm).
pub type Rng = Xoshiro256PlusPlus;

/// FNV-1a of the component name: stable across Rust versions and platforms.
fn fnv1a(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser, to spread nearby seeds apart.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The stream for component `name` under run seed `seed`.
pub fn stream(seed: u64, name: &str) -> Rng {
    Rng::seed_from_u64(mix(seed ^ mix(fnv1a(name))))
}

/// The stream for the `index`-th instance of component `name` (rank 3's jitter, ...).
pub fn stream_indexed(seed: u64, name: &str, index: u64) -> Rng {
    Rng::seed_from_u64(mix(seed ^ mix(fnv1a(name) ^ mix(index))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a1 = stream(7, "workload").next_u64();
        let a2 = stream(7, "workload").next_u64();
        let b = stream(7, "device").next_u64();
        let c = stream(8, "workload").next_u64();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, c);
        assert_ne!(
            stream_indexed(7, "rank", 0).next_u64(),
            stream_indexed(7, "rank", 1).next_u64()
        );
    }
}
