//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use tiersim::config::Config;

/// ../shared/data (or $TIERSIM_SHARED_DATA), if present.
pub fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("TIERSIM_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: shared data not found at {}", dir.display());
        None
    }
}

/// Runs a config given as TOML text and returns summary.json's value.
pub fn run_toml(text: &str, seed: u64) -> serde_json::Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("config: {e}"));
    let mut sim = tiersim::model::build(&cfg, seed).unwrap_or_else(|e| panic!("model: {e}"));
    let out = sim.run();
    tiersim::report::summary(&sim, &out)
}

pub mod pixels;
