//! Clairvoyant (NoPFS) prefetching on a cluster: one prefetcher per node, each knowing
//! only its node's ranks' future reads and loading into its node's instance of each
//! tier (the owner's for a cluster-scope cache), over the node's NIC.

use serde_json::Value;
use tiersim::config::Config;

fn run(text: &str) -> Value {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished);
    tiersim::report::summary(&sim, &out)
}

fn u(v: &Value, k: &str) -> u64 {
    v.pointer(k)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no integer at {k}"))
}

/// 4 nodes x 2 GPUs; a DRAM cache per node of `scope`; 100,000 samples of 100 KB on
/// shared storage behind its NIC; 3 epochs.
fn config(scope: &str) -> String {
    format!(
        r#"
        seed = 3
        [cluster]
        [[cluster.nodes]]
        count = 4
        gpus = 2
        nic = "nic"
        [[tiers]]
        name = "dram"
        preset = "ddr4-3200"
        capacity = "2GiB"
        scope = "{scope}"
        [[tiers]]
        name = "storage"
        preset = "nvme-tlc-pcie4"
        link = "storage-nic"
        [[links]]
        name = "nic"
        preset = "rdma-100g"
        scope = "node"
        [[links]]
        name = "storage-nic"
        preset = "rdma-100g"
        [workload]
        kind = "training"
        dataset = {{ samples = 100000, size = "100KB" }}
        epochs = 3
        batch_size = 32
        workers = 4
        compute = {{ per_batch = "10ms" }}
        [prefetch]
        kind = "clairvoyant"
        "#
    )
}

#[test]
fn each_node_prefetches_its_own_future_into_its_own_cache() {
    for scope in ["node", "cluster"] {
        let s = run(&config(scope));
        let per_node = s["prefetch"]["per_node"]
            .as_array()
            .expect("a prefetcher per node");
        assert_eq!(per_node.len(), 4);
        let mut loads = 0;
        for (n, p) in per_node.iter().enumerate() {
            // Its future is exactly its ranks' reads in order: no read it sees is out
            // of its sequence (with the whole job's sequence, 3/4 of them would be).
            assert_eq!(u(p, "/unmatched"), 0, "{scope}: node {n}");
            assert!(u(p, "/mismatches") * 100 < 75_000, "{scope}: node {n}: {p}");
            loads += u(p, "/loads") + u(p, "/staged_fills");
        }
        // Every byte storage reads is a prefetch load or a demand read it served
        // (fixed 100 KB samples).
        let storage_reads = u(&s, "/tiers/1/reads");
        assert_eq!(storage_reads, loads + u(&s, "/tiers/1/served"), "{scope}");
        // Every read (8 ranks x 12,500 samples x 3 epochs) was served somewhere, and
        // mostly from DRAM.
        let dram = u(&s, "/tiers/0/served");
        assert_eq!(dram + u(&s, "/tiers/1/served"), 300_000, "{scope}");
        assert!(dram > 290_000, "{scope}: {dram} DRAM hits");
        // Each node's NIC carried at least its own loads' bytes.
        for (n, p) in per_node.iter().enumerate() {
            let nic = u(&s, &format!("/nodes/{n}/nic/bytes_read"));
            let own = u(p, "/loads") + u(p, "/staged_fills");
            assert!(
                nic >= own * 100_000,
                "{scope}: node {n} NIC {nic} < {own} loads"
            );
        }
    }
}
