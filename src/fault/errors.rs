//! Read errors: each attempt of a read fails with probability p (drawn from the
//! fault's own stream); a failed attempt is retried after a backoff that doubles each
//! time, up to `retries` retries, after which the read is lost. Attempts per read are
//! then truncated-geometric: mean (1 - p^(r+1)) / (1 - p), loss rate p^(r+1).

use crate::engine::{Rng, Time};
use rand::Rng as _;

/// See the module doc.
#[derive(Clone, Debug)]
pub struct ReadErrors {
    pub probability: f64,
    pub retries: u32,
    /// Wait before the first retry (doubled for each further one).
    pub backoff: Time,
    rng: Rng,
}

impl ReadErrors {
    pub fn new(probability: f64, retries: u32, backoff: Time, rng: Rng) -> Self {
        ReadErrors {
            probability,
            retries,
            backoff,
            rng,
        }
    }

    /// Whether the next attempt fails.
    #[inline]
    pub fn attempt_fails(&mut self) -> bool {
        self.probability > 0.0 && self.rng.gen::<f64>() < self.probability
    }

    /// The wait before retry number `retry` (1-based).
    pub fn backoff_before(&self, retry: u32) -> Time {
        self.backoff.saturating_mul(
            1u64.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u64::MAX),
        )
    }
}
