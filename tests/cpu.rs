//! Host CPUs as a resource, against closed forms: loader workers that preprocess on
//! fewer cores than workers run at cores / (CPU time per sample); a per-request
//! protocol cost on one core caps the request rate at 1 / cost, on a server's own
//! cores at cores / cost; a per-byte copy caps bytes/s at cores / cost per byte; the
//! unloaded latency is the device's plus the CPU's; and without CPU keys nothing
//! changes and the results carry no CPU section.

use tiersim::config::Config;

/// Runs a config; returns the full summary and the workload's tables.
fn run(text: &str) -> (serde_json::Value, Vec<(String, String)>) {
    let cfg = Config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = tiersim::model::build(&cfg, cfg.seed).unwrap_or_else(|e| panic!("{e}"));
    let out = sim.run();
    assert!(out.finished, "the workload did not finish");
    let tables = sim.workload.tables(out.end);
    (tiersim::report::summary(&sim, &out), tables)
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64()
        .unwrap_or_else(|| panic!("missing {k} in {v}"))
}

fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got / want - 1.0).abs() < tol,
        "{what}: {got} vs {want} (closed form)"
    );
}

/// One rank fed by `workers` loader workers that preprocess `prep_ms` per sample on
/// a node of `cores` cores (`""`: unlimited), from a fast disk (1 us, 100 GB/s, 64
/// channels: 1 KB reads take ~1 us), with no GPU compute: the loader is the bottleneck.
fn loader(cores: &str, workers: u32, prep_ms: f64, samples: u64) -> String {
    format!(
        r#"
        seed = 3
        {cores}
        [[tiers]]
        name = "disk"
        read_latency = "1us"
        read_bandwidth = "100GB/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = {{ samples = {samples}, size = "1KB" }}
        batch_size = 10
        workers = {workers}
        compute = {{ per_batch = "0s" }}
        preprocess_per_sample = "{prep_ms}ms"
        "#
    )
}

#[test]
fn a_host_with_fewer_cores_than_workers_is_cpu_bound() {
    // Each worker (one process) preprocesses its batch on one core; the node's cores
    // are shared first come, first served. With c cores, W workers and p of CPU per
    // sample, min(c, W) cores are busy all the time: throughput = min(c, W) / p
    // samples/s (reads take ~1 us against 10 ms of CPU per batch).
    for (cores, workers, p_ms) in [(2, 8, 1.0), (3, 8, 0.5), (4, 2, 1.0), (1, 4, 2.0)] {
        let samples = 20_000;
        let text = loader(&format!("[cpu]\ncores = {cores}"), workers, p_ms, samples);
        let (s, _) = run(&text);
        let want = cores.min(workers) as f64 / (p_ms * 1e-3);
        let got = f(&s["workload"], "samples_per_s");
        eprintln!("{cores} cores, {workers} workers, {p_ms} ms: {got} vs {want} samples/s");
        close(got, want, 0.02, "samples/s");
        // Every sample's CPU time is counted once, as preprocessing.
        let node = &s["cpu"]["nodes"][0];
        close(
            f(node, "preprocess_core_s"),
            samples as f64 * p_ms * 1e-3,
            1e-9,
            "preprocess core-s",
        );
        assert_eq!(f(node, "protocol_core_s"), 0.0);
        let util = cores.min(workers) as f64 / cores as f64;
        close(f(node, "utilisation"), util, 0.02, "utilisation");
    }
    // Unlimited cores (a `[cpu]` table without `cores`): every worker computes at once.
    let (s, _) = run(&loader("[cpu]", 8, 1.0, 20_000));
    close(f(&s["workload"], "samples_per_s"), 8e3, 0.02, "unlimited");
    assert!(s["cpu"]["nodes"][0].get("utilisation").is_none());
}

#[test]
fn without_cpu_keys_preprocessing_is_a_delay_and_no_cpu_section_appears() {
    // Today's behaviour: no `[cpu]`, no costs: W workers at 1 / p each.
    let (s, _) = run(&loader("", 8, 1.0, 20_000));
    close(f(&s["workload"], "samples_per_s"), 8e3, 0.02, "no [cpu]");
    assert!(s.get("cpu").is_none(), "no cpu section: {s}");
    // And `[cpu]` without cores gives the same figures.
    let (u, _) = run(&loader("[cpu]", 8, 1.0, 20_000));
    assert_eq!(s["workload"], u["workload"]);
    assert_eq!(s["tiers"], u["tiers"]);
}

/// `clients` closed-loop clients reading 4 KiB objects from a disk of latency 2 us,
/// 100 GB/s and 64 channels, with `cpu` on the disk and `[cpu]` as given.
fn clients(cpu_section: &str, disk_cpu: &str, clients: u32, size: &str) -> String {
    format!(
        r#"
        seed = 3
        {cpu_section}
        [[tiers]]
        name = "disk"
        read_latency = "2us"
        read_bandwidth = "100GB/s"
        channels = 64
        cpu = {disk_cpu}
        [workload]
        kind = "synthetic"
        pattern = "uniform"
        objects = 1000
        requests = 20000
        clients = {clients}
        size = "{size}"
        "#
    )
}

#[test]
fn a_per_request_protocol_cost_on_one_core_caps_iops_at_one_over_the_cost() {
    let c = 10e-6;
    // 16 clients keep the core busy: IOPS = 1 / c.
    let (s, _) = run(&clients(
        "[cpu]\ncores = 1",
        "{ per_request = \"10us\" }",
        16,
        "4KiB",
    ));
    close(
        f(&s["workload"], "throughput_requests_per_s"),
        1.0 / c,
        0.02,
        "IOPS",
    );
    let node = &s["cpu"]["nodes"][0];
    close(
        f(node, "protocol_core_s"),
        20_000.0 * c,
        1e-9,
        "protocol core-s",
    );
    close(f(node, "utilisation"), 1.0, 0.02, "utilisation");
    // Two cores: 2 / c.
    let (s, _) = run(&clients(
        "[cpu]\ncores = 2",
        "{ per_request = \"10us\" }",
        16,
        "4KiB",
    ));
    close(
        f(&s["workload"], "throughput_requests_per_s"),
        2.0 / c,
        0.02,
        "IOPS, 2 cores",
    );
    // One client: no contention; a request takes the device's latency and transfer
    // plus its CPU time: 2 us + 4096 B / 100 GB/s + 10 us.
    let (s, _) = run(&clients(
        "[cpu]\ncores = 1",
        "{ per_request = \"10us\" }",
        1,
        "4KiB",
    ));
    let latency = 2e-6 + 4096.0 / 100e9 + c;
    close(
        f(&s["workload"], "throughput_requests_per_s"),
        1.0 / latency,
        0.001,
        "IOPS, 1 client",
    );
    close(
        f(&s["latency"]["read"], "mean_ns"),
        latency * 1e9,
        0.01,
        "latency",
    );
}

#[test]
fn a_storage_server_s_own_cores_cap_iops_at_cores_over_its_cost() {
    // The requester's node has unlimited cores; the server has 2 cores at 20 us per
    // request: IOPS = 2 / 20 us = 100,000.
    let (s, _) = run(&clients(
        "",
        "{ server_cores = 2, server_per_request = \"20us\" }",
        32,
        "4KiB",
    ));
    close(
        f(&s["workload"], "throughput_requests_per_s"),
        1e5,
        0.02,
        "server IOPS",
    );
    let server = &s["cpu"]["servers"][0];
    assert_eq!(server["name"], "disk");
    close(f(server, "utilisation"), 1.0, 0.02, "server utilisation");
    // The offloaded target of the preset leaves the server's CPU idle: the kernel
    // target's cost (3.72 us a request, from its preset) caps 1 server core at
    // 1 / 3.72 us, with 16 clients on unlimited client cores.
    let (s, _) = run(&clients(
        "",
        "{ preset = \"nvmf-kernel\", per_byte = \"0s\", server_per_byte = \"0s\", server_cores = 1 }",
        16,
        "4KiB",
    ));
    close(
        f(&s["workload"], "throughput_requests_per_s"),
        1.0 / 3.721e-6,
        0.02,
        "kernel target",
    );
}

#[test]
fn a_per_byte_copy_caps_bandwidth_at_cores_over_the_cost_per_byte() {
    // 1 MiB reads copied at 0.1 ns per byte (the page-cache preset) on 1 and on 3
    // cores: bytes/s = cores / 0.1 ns = 10 GB/s per core (the disk gives 100 GB/s).
    for cores in [1u32, 3] {
        let (s, _) = run(&clients(
            &format!("[cpu]\ncores = {cores}"),
            "{ preset = \"page-cache\" }",
            16,
            "1MiB",
        ));
        let bytes_per_s = f(&s["workload"], "throughput_requests_per_s") * 1048576.0;
        close(bytes_per_s, cores as f64 * 1e10, 0.02, "copy bandwidth");
        let node = &s["cpu"]["nodes"][0];
        close(
            f(node, "copy_core_s"),
            20_000.0 * 1048576.0 * 1e-10,
            1e-9,
            "copy core-s",
        );
    }
}

#[test]
fn each_node_of_a_cluster_has_its_own_cores() {
    // Two nodes of one GPU each, 1 and 3 cores, 4 workers per rank at 1 ms a sample,
    // independent ranks: rank 0 runs at 1,000 samples/s, rank 1 at 3,000.
    let text = r#"
        seed = 3
        [cluster]
        [[cluster.nodes]]
        name = "small"
        count = 1
        cpu_cores = 1
        [[cluster.nodes]]
        name = "big"
        count = 1
        cpu_cores = 3
        [[tiers]]
        name = "disk"
        read_latency = "1us"
        read_bandwidth = "100GB/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = { samples = 24000, size = "1KB" }
        batch_size = 10
        workers = 4
        barrier = false
        compute = { per_batch = "0s" }
        preprocess_per_sample = "1ms"
    "#;
    let (s, tables) = run(text);
    let ranks = &tables
        .iter()
        .find(|(n, _)| n == "training_ranks.csv")
        .unwrap()
        .1;
    let total: Vec<f64> = ranks
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap().parse().unwrap())
        .collect();
    // 12,000 samples each.
    close(total[0], 12_000.0 / 1e3, 0.02, "rank 0 run time");
    close(total[1], 12_000.0 / 3e3, 0.02, "rank 1 run time");
    let nodes = &s["cpu"]["nodes"];
    assert_eq!(nodes[0]["group"], "small");
    assert_eq!(nodes[1]["cores"], 3);
    close(
        f(&nodes[0], "preprocess_core_s"),
        12.0,
        1e-9,
        "node 0 core-s",
    );
    close(
        f(&nodes[1], "preprocess_core_s"),
        12.0,
        1e-9,
        "node 1 core-s",
    );
}

fn parse_err(text: &str) -> String {
    match Config::parse(text) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_cpu_keys_are_errors_naming_the_key() {
    let base = |extra: &str, disk: &str| {
        format!(
            "{extra}\n[[tiers]]\nname = \"disk\"\npreset = \"nvme-tlc-pcie3\"\n{disk}\n\
             [workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 10\n\
             requests = 10\nsize = \"4KiB\"\n"
        )
    };
    let e = parse_err(&base("[cpu]\ncores = 0", ""));
    assert!(e.contains("cpu.cores") && e.contains("at least 1"), "{e}");
    let e = parse_err(&base("", "cpu = { preset = \"dpdk\" }"));
    assert!(
        e.contains("tiers[0].cpu.preset") && e.contains("nvmf-kernel"),
        "{e}"
    );
    let e = parse_err(&base("", "cpu = { server_cores = 0 }"));
    assert!(e.contains("tiers[0].cpu.server_cores"), "{e}");
    let e = parse_err(&base("[cpu]\ncores = 5000", ""));
    assert!(e.contains("cpu.cores") && e.contains("at most 4096"), "{e}");
    let e = parse_err(&base(
        "[cluster]\n[[cluster.nodes]]\ncount = 2\ncpu_cores = 0",
        "",
    ));
    assert!(e.contains("cluster.nodes[0].cpu_cores"), "{e}");
    let e = parse_err(&base("", "cpu = { per_request = \"fast\" }"));
    assert!(e.contains("per_request"), "{e}");
    let e = parse_err(&base("", "cpu = { per_reqest = \"1us\" }"));
    assert!(e.contains("per_reqest"), "{e}");
    let link = "[[links]]\nname = \"net\"\nread_latency = \"1us\"\nread_bandwidth = \"1GB/s\"\n\
                cpu = { server_cores = 2 }";
    let e = parse_err(&base(link, ""));
    assert!(e.contains("links[0].cpu.server_cores"), "{e}");
}

#[test]
fn a_nic_s_protocol_cost_is_charged_on_the_reading_node() {
    // Two nodes of one core, each with a NIC costing 10 us of CPU a request, reading a
    // shared disk; one independent rank per node, no preprocessing, no compute: each
    // node's core caps its rank at 1 / 10 us = 100,000 samples/s, and each node's
    // core-seconds are its own reads' (12,000 x 10 us).
    let text = r#"
        seed = 3
        [cpu]
        cores = 1
        [cluster]
        [[cluster.nodes]]
        count = 2
        nic = "nic"
        [[links]]
        name = "nic"
        scope = "node"
        read_latency = "1us"
        read_bandwidth = "100GB/s"
        channels = 64
        cpu = { per_request = "10us" }
        [[tiers]]
        name = "disk"
        read_latency = "1us"
        read_bandwidth = "100GB/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = { samples = 24000, size = "1KB" }
        batch_size = 10
        workers = 4
        barrier = false
        compute = { per_batch = "0s" }
    "#;
    let (s, tables) = run(text);
    let ranks = &tables
        .iter()
        .find(|(n, _)| n == "training_ranks.csv")
        .unwrap()
        .1;
    for l in ranks.lines().skip(1) {
        let total: f64 = l.split(',').nth(6).unwrap().parse().unwrap();
        close(total, 12_000.0 * 10e-6, 0.02, "rank run time");
    }
    for n in 0..2 {
        let node = &s["cpu"]["nodes"][n];
        close(
            f(node, "protocol_core_s"),
            0.12,
            1e-9,
            "node protocol core-s",
        );
    }
}

#[test]
fn result_files_carry_the_cpu_figures() {
    // Two nodes of 2 and unlimited cores, 4 workers each at 1 ms a sample.
    let text = r#"
        seed = 3
        [cluster]
        [[cluster.nodes]]
        name = "a"
        count = 1
        cpu_cores = 2
        [[cluster.nodes]]
        name = "b"
        count = 1
        [[tiers]]
        name = "disk"
        read_latency = "1us"
        read_bandwidth = "100GB/s"
        channels = 64
        [workload]
        kind = "training"
        dataset = { samples = 4000, size = "1KB" }
        batch_size = 10
        workers = 4
        compute = { per_batch = "0s" }
        preprocess_per_sample = "1ms"
    "#;
    let cfg = Config::parse(text).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    tiersim::runner::run_config(&cfg, cfg.seed, &out, &[]).unwrap();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
    let cpu = read("cpu.csv");
    let rows: Vec<Vec<&str>> = cpu.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{cpu}");
    assert_eq!(&rows[1][..4], ["node", "node0", "a", "2"]);
    // Node b: unlimited cores, no utilisation.
    assert_eq!(&rows[2][..4], ["node", "node1", "b", ""]);
    assert_eq!(rows[2][9], "");
    // 2,000 samples a node at 1 ms: 2 core-seconds each.
    for r in &rows[1..] {
        close(r[4].parse().unwrap(), 2.0, 1e-9, "busy core-s");
    }
    let nodes = read("nodes.csv");
    assert!(
        nodes
            .lines()
            .next()
            .unwrap()
            .ends_with(",cpu_cores,cpu_busy_core_s,cpu_utilisation"),
        "{nodes}"
    );
    let summary = tiersim::report::RunSummary::read(&out.join("summary.json")).unwrap();
    let c = summary.cpu.expect("a cpu section");
    // Node a is busy on both cores (the barrier waits for it): utilisation ~1.
    close(
        c.nodes[0].utilisation.unwrap(),
        1.0,
        0.02,
        "node a utilisation",
    );
    assert!(
        c.describe().contains("core-s preprocess 4.000"),
        "{}",
        c.describe()
    );
}
