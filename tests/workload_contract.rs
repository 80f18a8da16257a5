//! The contract every registered workload keeps, run over the registry (as the
//! eviction contract test does for policies): a small config builds and runs to the
//! end, moves data through the data path (served accesses equal recorded requests),
//! writes a non-empty workload summary, and gives the same summary for the same seed.
//! A new workload fails here until it is given a small config below.

use tiersim::config::Config;
use tiersim::model;
use tiersim::report;

const TIERS: &str = r#"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "16MiB"

[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"

[[links]]
name = "net"
preset = "rdma-100g"
"#;

/// A small `[workload]` table for each registered workload.
fn small(kind: &str, dir: &std::path::Path) -> Option<String> {
    let body = match kind {
        "synthetic" => "pattern = \"zipf\"\nalpha = 0.9\nobjects = 1000\nrequests = 2000\nclients = 4\nread_fraction = 0.7\nsize = \"4KiB\"".to_string(),
        "gemm" => "m = 256\nn = 256\nk = 256\ntile = 64\nelement_bytes = 4\norder = \"ijk\"\nflops = 1e12".to_string(),
        "embedding" => "tables = 2\nrows = 5000\nrow_bytes = 128\nalpha = 1.0\nbatch_size = 32\nbatches = 10\nupdate = true".to_string(),
        "inference" => "model = \"llama3-8b\"\nrate = 50.0\nrequests = 4\nprompt_tokens = 64\noutput_tokens = 8\nprefill_per_token = \"10us\"\ndecode_per_token = \"50us\"\nmax_batch = 2\nkv_block_tokens = 16".to_string(),
        "weight-offload" => "model = \"llama3-8b\"\nweights_tier = \"nvme\"\nbatch = 2\ntokens = 2\ncompute_per_token = \"1ms\"\nprompt_tokens = 64\nkv_offload = true".to_string(),
        "zero-offload" => "params = 1e8\nlayers = 4\nseq = 128\npeak_flops = 1e14\niterations = 2\nparams_tier = \"nvme\"\ngrads_tier = \"nvme\"\noptimizer_tier = \"nvme\"".to_string(),
        "training" => "dataset = { preset = \"imagenet-1k\", samples = 2_000 }\nranks = 2\nepochs = 2\nbatch_size = 50\nworkers = 2\ncompute = { per_batch = \"2ms\" }\nparams = 1_000_000\nsync = { kind = \"ring\", link = \"net\" }".to_string(),
        "trace" => {
            let path = dir.join("small.txt");
            let ids: String = (0..3000u64).map(|i| format!("{}\n", (i * 7919) % 500)).collect();
            std::fs::write(&path, ids).unwrap();
            format!("path = \"{}\"\nformat = \"txt\"\nclients = 4\nsize = \"4KiB\"", path.display())
        }
        "dlio" => {
            // Streamed files with a read-ahead: the file-layout read path.
            let path = dir.join("small.yaml");
            std::fs::write(
                &path,
                "dataset:\n  num_files_train: 20\n  num_samples_per_file: 10\n  \
                 record_length: 30000\n  record_length_stdev: 5000\n  format: tfrecord\n\
                 reader:\n  batch_size: 4\n  read_threads: 2\n  transfer_size: 65536\n  \
                 file_shuffle: seed\n  sample_shuffle: seed\n  shuffle_size: 16\n\
                 train:\n  epochs: 2\n  computation_time: 0.001\n",
            )
            .unwrap();
            format!("yaml = \"{}\"\naccelerators = 3\nread_ahead = 2", path.display())
        }
        _ => return None,
    };
    Some(format!("{TIERS}\n[workload]\nkind = \"{kind}\"\n{body}\n"))
}

#[test]
fn every_registered_workload_runs_through_the_data_path_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let names = tiersim::workload::names();
    assert!(names.len() >= 6, "the registry lost workloads: {names:?}");
    for kind in names {
        let text = small(kind, dir.path())
            .unwrap_or_else(|| panic!("workload '{kind}' has no small config in this test"));
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let run = || {
            let mut sim = model::build(&cfg, 11).unwrap_or_else(|e| panic!("{kind}: {e}"));
            let out = sim.run();
            assert!(out.finished, "{kind}: did not finish");
            let summary = report::summary(&sim, &out);
            let served: u64 = sim.hier().tiers.iter().map(|t| t.stats.served).sum();
            let recorded: u64 = ["read", "write"]
                .iter()
                .map(|n| sim.metrics().get(n).map_or(0, |h| h.len()))
                .sum();
            (serde_json::to_string(&summary).unwrap(), served, recorded)
        };
        let (a, served, recorded) = run();
        assert!(served > 0, "{kind}: moved no data");
        assert_eq!(
            served, recorded,
            "{kind}: served accesses vs recorded requests"
        );
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert!(
            v["workload"].as_object().is_some_and(|w| !w.is_empty()),
            "{kind}: empty workload summary"
        );
        let (b, _, _) = run();
        assert_eq!(a, b, "{kind}: same config and seed, different summary");
    }
}
