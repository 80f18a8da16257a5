//! The example configs of the ML workloads load and build (and the quick ones run).

use std::path::Path;
use tiersim::config::Config;
use tiersim::model;

fn load(name: &str) -> Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join(name);
    Config::load(&path)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .0
}

#[test]
fn gemm_and_inference_examples_run() {
    for name in [
        "gemm.toml",
        "inference-llama3-8b.toml",
        "inference-prefix-cache.toml",
        "inference-weight-offload.toml",
    ] {
        let cfg = load(name);
        let mut sim = model::build(&cfg, cfg.seed).unwrap();
        assert!(sim.run().finished, "{name}");
    }
}

#[test]
fn embedding_example_builds() {
    let cfg = load("embedding-dlrm.toml");
    model::build(&cfg, cfg.seed).unwrap();
}

#[test]
fn trace_replay_example_finds_the_shared_data_or_says_where_it_looked() {
    let cfg = load("trace-replay.toml");
    // The path is relative to configs/: ../../shared/data, beside the crate.
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/cloudPhysicsIO.txt");
    match model::build(&cfg, cfg.seed) {
        Ok(_) => assert!(beside.is_file()),
        Err(e) => {
            assert!(!beside.is_file(), "{e}");
            assert_eq!(e.path, "workload.path");
            assert!(e.msg.contains("cloudPhysicsIO.txt"), "{e}");
            println!("skipped: shared data not found");
        }
    }
}
