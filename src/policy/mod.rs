//! Policies: eviction (which object leaves a full tier), and later migration and
//! prefetching. One file per policy, each registered by name in its module's registry.

pub mod eviction;
pub mod hash;
pub mod migration;
pub mod prefetch;
