//! manifest.json: everything needed to reproduce or audit a run, including the
//! wall-clock times that summary.json deliberately leaves out.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The manifest of one run.
#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tiersim_version: &'static str,
    /// `git describe`-style commit of the build, or "unknown" outside a checkout.
    pub git_commit: &'static str,
    pub seed: u64,
    /// The config with presets resolved into every device field.
    pub resolved_config: serde_json::Value,
    /// SHA-256 of each input file (the config, traces).
    pub inputs: Vec<InputDigest>,
    pub wall_clock_start: String,
    pub wall_clock_end: String,
    pub wall_clock_seconds: f64,
}

/// An input file and its SHA-256.
#[derive(Debug, Serialize)]
pub struct InputDigest {
    pub path: String,
    pub sha256: String,
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn digest(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the file at `path` as lower-case hex, read in 1 MiB pieces (traces may
/// be larger than memory).
pub fn digest_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf)? {
            0 => break,
            n => h.update(&buf[..n]),
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The build's git commit (set by build.rs).
pub fn git_commit() -> &'static str {
    option_env!("TIERSIM_GIT_COMMIT")
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}
