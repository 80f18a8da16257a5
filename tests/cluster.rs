//! Clusters against closed forms: MinIO caches on N nodes in node and cluster scope
//! (storage reads per epoch, the share of reads served by another node over two
//! NICs), N nodes sharing one storage server's NIC (aggregate and per-node
//! throughput), the hierarchical ring all-reduce (and the flat ring with one GPU a
//! node), the invariants of a cluster-scope cache under every eviction policy, and a
//! one-node [cluster] that is the single-node config.

use tiersim::config::Config;
use tiersim::sim::Simulation;

/// Builds and runs a config; returns the simulation and summary.json's value.
fn run(text: &str) -> (Simulation, serde_json::Value) {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("config: {e}\n{text}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("model: {e}"));
    let out = sim.run();
    assert!(out.finished, "the job did not finish");
    let summary = tiersim::report::summary(&sim, &out);
    (sim, summary)
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

fn u(v: &serde_json::Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

/// The entry named `name` of summary `s`'s `tiers` or `links`.
fn named<'a>(s: &'a serde_json::Value, list: &str, name: &str) -> &'a serde_json::Value {
    s[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {list} entry '{name}'"))
}

fn within(got: f64, want: f64, tol: f64, what: &str) {
    eprintln!("{what}: {got} vs {want}");
    assert!(
        (got / want - 1.0).abs() <= tol,
        "{what}: {got} vs {want} (tolerance {tol})"
    );
}

// ---------------------------------------------------------------------------------
// MinIO on N nodes

const N: u64 = 4;
const GPUS: u64 = 2;
const D: u64 = 40_000;
const SIZE: u64 = 10_000;
/// Each node's cache holds f = 0.1 of the dataset: 4,000 samples of 10 KB.
const F: f64 = 0.1;
const EPOCHS: u64 = 4;

/// N nodes of 2 GPUs, each with a MinIO DRAM cache of f D in `scope`, over a shared
/// storage server behind its NIC; a training job over all ranks, no sync.
fn minio_config(scope: &str, epochs: u64, eviction: &str) -> String {
    format!(
        r#"
seed = 11
[cluster]
fabric = "spine"
[[cluster.nodes]]
count = {N}
gpus = {GPUS}
nic = "nic"

[[tiers]]
name = "dram"
read_latency = "100ns"
read_bandwidth = "100GB/s"
channels = 64
scope = "{scope}"
eviction = {eviction}
capacity = "{cap}"

[[tiers]]
name = "storage"
read_latency = "50us"
read_bandwidth = "20GB/s"
channels = 256
link = "storage-nic"

[[links]]
name = "nic"
scope = "node"
read_latency = "2us"
read_bandwidth = "12.5GB/s"
channels = 64

[[links]]
name = "storage-nic"
read_latency = "2us"
read_bandwidth = "25GB/s"
channels = 64

[[links]]
name = "spine"
read_latency = "1us"
read_bandwidth = "100GB/s"
channels = 64

[workload]
kind = "training"
dataset = {{ samples = {D}, size = "{SIZE}B" }}
epochs = {epochs}
batch_size = 10
workers = 2
compute = {{ per_batch = "1ms" }}
"#,
        cap = (F * (D * SIZE) as f64) as u64,
    )
}

/// Storage reads and the summary of a MinIO run.
fn minio_run(scope: &str, epochs: u64) -> (f64, serde_json::Value) {
    let (_, s) = run(&minio_config(scope, epochs, "\"minio\""));
    (f(named(&s, "tiers", "storage"), "reads"), s)
}

#[test]
fn minio_first_epoch_reads_every_sample_from_storage_once() {
    // Nothing is cached before the first epoch, and it reads each sample once (D is a
    // multiple of the 8 ranks: no padding): exactly D storage reads in either scope.
    for scope in ["node", "cluster"] {
        let (reads, s) = minio_run(scope, 1);
        assert_eq!(reads as u64, D, "{scope}");
        assert_eq!(u(named(&s, "tiers", "dram"), "hits"), 0, "{scope}");
    }
}

#[test]
fn minio_node_scope_reads_one_minus_f_of_the_dataset_from_storage_per_epoch() {
    // Each node's MinIO cache keeps the first f D samples it reads (all distinct, as
    // f D <= D/N) and never evicts. A later epoch gives each node a uniformly random
    // D/N of the D samples, of which a fraction f is in its cache: f D hits in all,
    // so (1 - f) D storage reads per epoch after the first.
    let (reads, s) = minio_run("node", EPOCHS);
    let later = (reads - D as f64) / (EPOCHS - 1) as f64;
    within(
        later,
        (1.0 - F) * D as f64,
        0.01,
        "node scope: storage reads per epoch",
    );
    // Every hit is on the reader's own node: nothing crosses a NIC twice.
    for n in s["nodes"].as_array().unwrap() {
        assert_eq!(u(n, "served_remote"), 0);
    }
}

#[test]
fn minio_cluster_scope_reads_one_minus_n_f_and_n_minus_1_f_crosses_two_nics() {
    // The pooled cache holds each sample on its hash owner: every owner owns ~D/N
    // samples (>= f D, as N f <= 1) and keeps the first f D of them that any node
    // reads, so the pool holds N f D distinct samples after the first epoch. Every
    // later epoch reads each sample once: exactly N f D hits, (1 - N f) D storage reads.
    let (reads, s) = minio_run("cluster", EPOCHS);
    let nf = N as f64 * F;
    let later = (reads - D as f64) / (EPOCHS - 1) as f64;
    within(
        later,
        (1.0 - nf) * D as f64,
        0.01,
        "cluster scope: storage reads per epoch",
    );

    // A cached sample's reader in a later epoch is any of the N nodes (the shuffle is
    // independent of the owner hash): another node with probability (N-1)/N, so a
    // fraction N f (N-1)/N = (N-1) f of the reads is served remotely (none in the
    // first epoch, which hits nothing).
    let nodes = s["nodes"].as_array().unwrap();
    assert_eq!(nodes.len() as u64, N);
    let remote: u64 = nodes.iter().map(|n| u(n, "served_remote")).sum();
    let later_reads = ((EPOCHS - 1) * D) as f64;
    let want_remote = (N - 1) as f64 * F;
    within(
        remote as f64 / later_reads,
        want_remote,
        0.01,
        "cluster scope: fraction of reads served by another node",
    );
    // Each node reads its D/N share of every epoch, split by where it was served.
    for n in nodes {
        assert_eq!(u(n, "accesses"), EPOCHS * D / N);
        assert_eq!(
            u(n, "served_local") + u(n, "served_remote") + u(n, "served_shared"),
            u(n, "accesses")
        );
    }

    // A remote read crosses the reader's NIC and the owner's NIC; a storage read the
    // reader's NIC only (the storage side's NIC is its tier's own link); the fills of
    // the first epoch are writes. So the nodes' NICs read, over the run,
    //   SIZE x (D + (E-1)(1 - N f) D + 2 (E-1)(N-1) f D)  bytes
    // (first epoch from storage, later misses from storage, remote hits twice).
    let e1 = (EPOCHS - 1) as f64;
    let d = D as f64;
    let want_nic = SIZE as f64 * (d + e1 * (1.0 - nf) * d + 2.0 * e1 * (N - 1) as f64 * F * d);
    let nic_read: f64 = nodes.iter().map(|n| f(&n["nic"], "bytes_read")).sum();
    within(nic_read, want_nic, 0.01, "bytes read over the nodes' NICs");
    assert_eq!(nic_read, f(named(&s, "links", "nic"), "bytes_read"));
    // The storage side's NIC carries the storage reads alone.
    assert_eq!(
        f(named(&s, "links", "storage-nic"), "bytes_read"),
        reads * SIZE as f64
    );
}

// ---------------------------------------------------------------------------------
// One storage server's NIC shared by N nodes

#[test]
fn n_nodes_share_the_storage_nic_bandwidth_evenly() {
    // Storage (20 GB/s) behind a NIC of B = 1 GB/s, nodes with 12.5 GB/s NICs, no
    // cache, and 512 reads of 100 KB in flight at all times (8 ranks x 4 workers x 2
    // batches x 8 samples) with 10 us of compute per batch: the storage NIC is the
    // bottleneck and is never idle, so the nodes read D bytes in D / B seconds (plus
    // one request's latency), B in all and B / N each (a shared FIFO link serves the
    // symmetric nodes alike).
    let b = 1e9;
    let text = format!(
        r#"
seed = 2
[cluster]
[[cluster.nodes]]
count = {N}
gpus = {GPUS}
nic = "nic"
[[tiers]]
name = "storage"
read_latency = "50us"
read_bandwidth = "20GB/s"
channels = 256
link = "storage-nic"
[[links]]
name = "nic"
scope = "node"
read_latency = "2us"
read_bandwidth = "12.5GB/s"
channels = 64
[[links]]
name = "storage-nic"
read_latency = "2us"
read_bandwidth = "1GB/s"
channels = 64
[workload]
kind = "training"
dataset = {{ samples = 16000, size = "100KB" }}
epochs = 1
batch_size = 8
workers = 4
prefetch_factor = 2
compute = {{ per_batch = "10us" }}
"#
    );
    let (_, s) = run(&text);
    let t = f(&s, "simulated_time_s");
    let storage_bytes = f(named(&s, "tiers", "storage"), "bytes_read");
    assert_eq!(storage_bytes, 16000.0 * 100e3);
    within(storage_bytes / t, b, 0.02, "aggregate read throughput");
    let nodes = s["nodes"].as_array().unwrap();
    assert_eq!(nodes.len() as u64, N);
    for n in nodes {
        let got = f(&n["nic"], "bytes_read") / t;
        within(got, b / N as f64, 0.05, "one node's read throughput");
    }
}

// ---------------------------------------------------------------------------------
// The hierarchical ring

/// `m` nodes of `g` GPUs; an intra-node link (alpha 2 us, 300 GB/s) when `g > 1`;
/// NICs of alpha 5 us, 100 Gb/s; S = 100 MB; 50 ms of compute so the 1 KB batches are
/// read long before each collective starts (idle links).
fn ring_config(m: u32, g: u32) -> String {
    let intra = if g > 1 { "intra_link = \"nvlink\"" } else { "" };
    format!(
        r#"
seed = 4
[cluster]
[[cluster.nodes]]
count = {m}
gpus = {g}
nic = "nic"
{intra}
[[tiers]]
name = "storage"
read_latency = "1us"
read_bandwidth = "10GB/s"
channels = 64
[[links]]
name = "nic"
scope = "node"
read_latency = "5us"
read_bandwidth = "100Gb/s"
channels = 64
[[links]]
name = "nvlink"
scope = "node"
read_latency = "2us"
read_bandwidth = "300GB/s"
channels = 64
[workload]
kind = "training"
dataset = {{ samples = {samples}, size = "1KB" }}
epochs = 1
batch_size = 1
workers = 1
compute = {{ per_batch = "50ms" }}
[workload.sync]
kind = "ring"
bytes = "100MB"
"#,
        samples = 10 * m * g,
    )
}

/// Mean sync time (exact, from the workload) and the `training.sync` histogram's mean
/// (its 3 significant digits), seconds.
fn sync_times(text: &str) -> (f64, f64, u64) {
    let (_, s) = run(text);
    let w = &s["workload"];
    let hist = &s["latency"]["training.sync"];
    (
        f(w, "mean_sync_ms") * 1e-3,
        f(hist, "mean_ns") * 1e-9,
        u(hist, "count"),
    )
}

#[test]
fn hierarchical_ring_takes_its_alpha_beta_time_on_idle_links() {
    // T = 2(g-1)(alpha_i + S/(g B_i)) + 2(M-1) alpha_n + 2(M-1)/M S/B_n: a
    // reduce-scatter and an all-gather of g-1 steps of S/g inside each node, and a
    // ring all-reduce of 2(M-1) steps of S/M across the nodes.
    let (s, bi, ai, bn, an) = (1e8, 300e9, 2e-6, 12.5e9, 5e-6);
    for (m, g) in [(4u32, 4u32), (2, 8), (8, 2)] {
        let (mf, gf) = (m as f64, g as f64);
        let want = 2.0 * (gf - 1.0) * (ai + s / (gf * bi))
            + 2.0 * (mf - 1.0) * an
            + 2.0 * (mf - 1.0) / mf * s / bn;
        let (mean, hist, count) = sync_times(&ring_config(m, g));
        assert_eq!(count, 10, "one collective per iteration");
        within(mean, want, 1e-6, &format!("M = {m}, g = {g}: mean sync"));
        within(
            hist,
            want,
            2e-3,
            &format!("M = {m}, g = {g}: training.sync"),
        );
    }
}

#[test]
fn with_one_gpu_a_node_the_ring_is_the_flat_ring_of_references_s3() {
    // REFERENCES.md s3 / s4 item 4: T = 2(N-1) alpha + 2 (N-1)/N S/B; N = 8,
    // S = 100 MB, B = 100 Gb/s, alpha = 5 us: 14.07 ms.
    let want: f64 = 2.0 * 7.0 * 5e-6 + 2.0 * 7.0 / 8.0 * 1e8 / 12.5e9;
    assert!((want * 1e3 - 14.07).abs() < 1e-9);
    let (mean, hist, _) = sync_times(&ring_config(8, 1));
    within(mean, want, 1e-6, "flat ring: mean sync");
    within(hist, want, 2e-3, "flat ring: training.sync");
}

// ---------------------------------------------------------------------------------
// Every eviction policy in cluster scope

/// Every node with a small DRAM cache (node scope) over its share of a pooled cache
/// (cluster scope), both under `eviction`, over shared storage; `d` samples, 2 epochs.
fn pool_config(eviction: &str, inclusion: &str, d: u64) -> String {
    minio_config("node", 2, &format!("\"{eviction}\""))
        .replace(
            "seed = 11\n",
            &format!("seed = 11\n[sim]\ninclusion = \"{inclusion}\"\n"),
        )
        .replace(&format!("samples = {D}"), &format!("samples = {d}"))
        // DRAM: 0.05 of the dataset per node; the pool: 0.2 per node, 0.8 in all.
        .replace(
            &format!("capacity = \"{}\"", (F * (D * SIZE) as f64) as u64),
            &format!(
                "capacity = \"{}\"\n\n[[tiers]]\nname = \"pool\"\nread_latency = \"10us\"\n\
                 read_bandwidth = \"5GB/s\"\nchannels = 64\ncapacity = \"{}\"\n\
                 scope = \"cluster\"\neviction = \"{eviction}\"",
                d * SIZE / 20,
                d * SIZE / 5
            ),
        )
}

#[test]
fn a_cluster_scope_cache_keeps_its_invariants_under_every_eviction_policy() {
    // Under every registered policy, inclusive and exclusive: each node's instance of
    // the pooled cache holds only samples that node owns (one held elsewhere would be
    // cached twice, or demoted to the wrong node); storage reads are at least the
    // distinct samples and equal the pool's misses; each node's accesses split into
    // local, remote and shared and add up to the samples read; the pool instances'
    // hits are the nodes' remote reads plus their local ones beyond DRAM hits.
    let d = 10_000u64;
    let mut filled_pools = 0;
    let policies = tiersim::policy::eviction::names();
    for &name in &policies {
        for inclusion in ["inclusive", "exclusive"] {
            let what = format!("{name}, {inclusion}");
            let (sim, s) = run(&pool_config(name, inclusion, d));
            let h = sim.hier();
            let pool = &h.topo.levels[1];
            assert_eq!(pool.name, "pool");
            let mut resident = 0;
            for n in 0..N as usize {
                let c = h.tiers[pool.first + n].cache.as_ref().unwrap();
                resident += c.len();
                let foreign = (0..d)
                    .filter(|&id| c.contains(id) && h.topo.owner(id) != n)
                    .count();
                assert_eq!(
                    foreign, 0,
                    "{what}: node {n} caches samples it does not own"
                );
            }
            let dram = named(&s, "tiers", "dram");
            let pool_s = named(&s, "tiers", "pool");
            // (Exclusive under MinIO: DRAM never evicts, so nothing reaches the pool.)
            let entered = u(pool_s, "fills") + u(pool_s, "writebacks_in");
            assert_eq!(resident > 0, entered > 0, "{what}: {resident} resident");
            filled_pools += (resident > 0) as usize;
            let storage = u(named(&s, "tiers", "storage"), "reads");
            assert!(storage >= d, "{what}: {storage} storage reads");
            assert_eq!(storage, u(pool_s, "misses"), "{what}");
            assert_eq!(u(dram, "hits") + u(dram, "misses"), 2 * d, "{what}");
            assert_eq!(
                u(pool_s, "hits") + u(pool_s, "misses"),
                u(dram, "misses"),
                "{what}"
            );
            let nodes = s["nodes"].as_array().unwrap();
            let (mut accesses, mut local, mut remote) = (0, 0, 0);
            for n in nodes {
                let a = u(n, "accesses");
                assert_eq!(
                    u(n, "served_local") + u(n, "served_remote") + u(n, "served_shared"),
                    a,
                    "{what}"
                );
                accesses += a;
                local += u(n, "served_local");
                remote += u(n, "served_remote");
            }
            assert_eq!(accesses, 2 * d, "{what}");
            assert_eq!(
                local + remote,
                u(dram, "hits") + u(pool_s, "hits"),
                "{what}"
            );
        }
    }
    // Every inclusive run fills its pool.
    assert!(
        filled_pools >= policies.len(),
        "{filled_pools} pools filled"
    );
}

// ---------------------------------------------------------------------------------
// One node

#[test]
fn a_one_node_cluster_is_the_single_node_config() {
    // A [cluster] of one node (its cache and NIC in node scope, the ranks its GPUs)
    // is laid out as the config without [cluster]: the same tiers and figures.
    let plain = r#"
seed = 9
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "20MB"
eviction = "lru"
[[tiers]]
name = "storage"
preset = "nvme-tlc-pcie4"
link = "net"
[[links]]
name = "net"
preset = "rdma-100g"
[workload]
kind = "training"
dataset = { samples = 2000, size = "100KB" }
ranks = 2
epochs = 2
batch_size = 8
workers = 2
compute = { per_batch = "2ms" }
params = 1000000
[workload.sync]
kind = "ring"
link = "net"
"#;
    let one = plain
        .replace(
            "seed = 9\n",
            "seed = 9\n[cluster]\n[[cluster.nodes]]\ncount = 1\ngpus = 2\nnic = \"nic\"\n",
        )
        .replace("eviction = \"lru\"", "eviction = \"lru\"\nscope = \"node\"")
        .replace(
            "[workload]",
            "[[links]]\nname = \"nic\"\npreset = \"rdma-100g\"\nscope = \"node\"\n[workload]",
        )
        .replace("ranks = 2\n", "");
    let (_, a) = run(plain);
    let (_, b) = run(&one);
    for key in ["tiers", "workload", "latency", "simulated_time_ps"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    // The one node's NIC carries nothing: nothing leaves the node.
    assert_eq!(a["links"][0], b["links"][0]);
    assert_eq!(u(&b["links"][1], "reads") + u(&b["links"][1], "writes"), 0);
}
