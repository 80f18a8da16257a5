//! Exact agreement with libCacheSim (REFERENCES.md s4.8; ../shared/data/README.md): the
//! real cloudPhysicsIO trace (113,872 requests, oracleGeneral form, so Belady has next-
//! access times) replayed through each eviction policy built by name from the registry,
//! every object counted as size 1, at the cache sizes of the reference file; the miss
//! counts must equal libCacheSim's `cachesim --ignore-obj-size 1` exactly. One check per
//! policy; a policy not registered yet fails its rows with "policy not registered".
//! The reference's S3-FIFO is libCacheSim's S3FIFOv0.c (the `S3FIFO.c` of its time), so
//! `s3fifo` is checked with `variant = "v0"`; the default follows the pinned libCacheSim
//! package (tests/libcachesim_diff.rs, docs/replay.md).
//! Without the shared data (a user's clone), the checks are skipped.

use super::{missing, row, CheckOutput, Env, Row};
use crate::policy::eviction;
use crate::trace::{OracleGeneralReader, Request, TraceReader};
use std::path::PathBuf;

const TRACE: &str = "cloudPhysicsIO.oracleGeneral.bin";
const REFERENCE: &str = "libcachesim-reference-cloudPhysicsIO.csv";

/// The shared data folder: `$TIERSIM_SHARED_DATA`, else `../shared/data` from the
/// working directory or from the crate root.
pub fn shared_data() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("TIERSIM_SHARED_DATA").map(PathBuf::from),
        Some(PathBuf::from("../shared/data")),
        Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data"
        ))),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join(TRACE).is_file() && d.join(REFERENCE).is_file())
}

/// The parameters the reference's version of `policy` needs.
fn reference_params(policy: &str) -> toml::Table {
    let mut params = toml::Table::new();
    if policy == "s3fifo" {
        params.insert("variant".into(), "v0".into());
    }
    params
}

/// Misses of `policy` with room for `capacity` unit-size objects over `trace`.
fn misses(policy: &str, capacity: u64, trace: &[Request]) -> Result<u64, String> {
    let mut cache = eviction::build(policy, &reference_params(policy), capacity, 1)?;
    let mut evicted = Vec::new();
    let mut misses = 0;
    for r in trace {
        evicted.clear();
        misses += !cache.access(r, &mut evicted) as u64;
    }
    Ok(misses)
}

/// The check of `policy` against every reference row of that algorithm.
pub fn check(_env: &Env, policy: &str) -> anyhow::Result<CheckOutput> {
    let Some(dir) = shared_data() else {
        return Ok(CheckOutput {
            skipped: Some("shared data not found (set TIERSIM_SHARED_DATA)".into()),
            ..Default::default()
        });
    };
    let name = format!("libcachesim-{policy}");
    let mut reference = csv::Reader::from_path(dir.join(REFERENCE))?;
    let mut expected = Vec::new();
    for rec in reference.records() {
        let rec = rec?;
        if rec.get(1) == Some(policy) {
            let size: u64 = rec.get(2).unwrap_or("").parse()?;
            let n_miss: u64 = rec.get(5).unwrap_or("").parse()?;
            expected.push((size, n_miss));
        }
    }
    anyhow::ensure!(
        !expected.is_empty(),
        "{REFERENCE} has no rows for '{policy}'"
    );
    let quantity = |size: u64| format!("misses, cache of {size} objects");
    let src = "libCacheSim cachesim --ignore-obj-size 1 (shared/data, REFERENCES s4.8)";
    if !eviction::names().contains(&policy) {
        return Ok(CheckOutput {
            rows: expected
                .iter()
                .map(|&(s, m)| {
                    missing(
                        &name,
                        &quantity(s),
                        m as f64,
                        "misses",
                        0.0,
                        &format!("policy '{policy}' not registered"),
                    )
                })
                .collect(),
            ..Default::default()
        });
    }
    let mut reader = OracleGeneralReader::open(&dir.join(TRACE))?;
    let mut trace = Vec::new();
    while let Some(mut r) = reader.next_request()? {
        r.size = 1;
        trace.push(r);
    }
    let rows: Vec<Row> = expected
        .iter()
        .map(|&(s, m)| match misses(policy, s, &trace) {
            Ok(got) => row(
                &name,
                &quantity(s),
                got as f64,
                m as f64,
                "misses",
                0.0,
                src,
            ),
            Err(e) => missing(&name, &quantity(s), m as f64, "misses", 0.0, &e),
        })
        .collect();
    Ok(CheckOutput {
        rows,
        ..Default::default()
    })
}
