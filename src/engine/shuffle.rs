//! Fisher-Yates shuffling that gives exactly the permutation of rand's
//! `SliceRandom::shuffle` for the same generator state, but draws each swap's index
//! some steps ahead and loads that element into the CPU cache before it is swapped.
//! The draws do not depend on the slice, so drawing them early changes no number; on
//! a slice larger than the CPU cache (a training epoch's permutation of 1.28 M ids)
//! the swaps' cache misses then overlap instead of following one another.

use crate::policy::eviction::prefetch_ptr;

/// Swaps drawn ahead of the one being done.
const AHEAD: usize = 16;

/// rand 0.8's index draw for a bound (u32 arithmetic below 2^32, as `SliceRandom`).
#[inline]
fn gen_index<R: rand::Rng + ?Sized>(rng: &mut R, ubound: usize) -> usize {
    if ubound <= u32::MAX as usize {
        rng.gen_range(0..ubound as u32) as usize
    } else {
        rng.gen_range(0..ubound)
    }
}

/// Shuffles `v` in place: the same result as `rand::seq::SliceRandom::shuffle(v, rng)`.
pub fn shuffle<T, R: rand::Rng + ?Sized>(v: &mut [T], rng: &mut R) {
    let n = v.len();
    if n < 2 {
        return;
    }
    // Step k swaps element i = n - 1 - k with a drawn j in 0..=i, for k in 0..n - 1.
    let steps = n - 1;
    let mut ring = [0usize; AHEAD];
    for (k, slot) in ring.iter_mut().enumerate().take(steps) {
        *slot = gen_index(rng, n - k);
        prefetch_ptr(v.as_ptr().wrapping_add(*slot));
    }
    for k in 0..steps {
        let j = ring[k % AHEAD];
        let ahead = k + AHEAD;
        if ahead < steps {
            let next = gen_index(rng, n - ahead);
            ring[k % AHEAD] = next;
            prefetch_ptr(v.as_ptr().wrapping_add(next));
        }
        v.swap(n - 1 - k, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::Rng as _;

    #[test]
    fn same_permutation_and_generator_state_as_rand() {
        for (seed, n) in (0..40)
            .map(|n| (n as u64, n))
            .chain([(7, 1_000), (9, 100_003)])
        {
            let mut a: Vec<u32> = (0..n as u32).collect();
            let mut b = a.clone();
            let mut ra = crate::engine::stream(seed, "shuffle-test");
            let mut rb = ra.clone();
            a.shuffle(&mut ra);
            shuffle(&mut b, &mut rb);
            assert_eq!(a, b, "n = {n}");
            // The generators are left in the same state too.
            assert_eq!(ra.gen::<u64>(), rb.gen::<u64>(), "n = {n}");
        }
    }
}
