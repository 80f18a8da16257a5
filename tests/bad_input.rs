//! Bad and extreme input across every subcommand, as a hostile user would give it:
//! each case must exit with an error code (not a signal: an allocation abort or a
//! panic fails the case), print exactly one `error:` line naming the key, line or
//! offset, never mention a panic, and leave its working folder exactly as it was (a
//! previous result folder included). Every case runs under an address-space limit, so
//! a case that allocates without bound aborts in the child instead of taking the
//! machine, and under `timeout`, so a hang fails the case instead of the suite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Address space a case may use, KiB (ulimit -v).
const MEMORY_LIMIT_KIB: u64 = 3 << 20;
/// Wall-clock seconds a case may take.
const TIMEOUT_S: u64 = 120;

/// A minimal valid config; each case changes one thing by string replacement.
const BASE: &str = r#"seed = 7
[sim]
#SIM
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "4MiB"
#T0
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
#T1
#LINKS
[workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 10000
requests = 20000
clients = 4
size = "4KiB"
#W
"#;

/// `BASE` with `(marker, text)` edits; a marker of "" replaces a whole line given
/// as `old=>new`.
fn config(edits: &[(&str, &str)]) -> String {
    let mut c = BASE.to_string();
    for (marker, text) in edits {
        if marker.is_empty() {
            let (old, new) = text.split_once("=>").expect("old=>new");
            assert!(c.contains(old), "{old}");
            c = c.replacen(old, new, 1);
        } else {
            c = c.replacen(marker, text, 1);
        }
    }
    c
}

fn training(extra: &str) -> String {
    format!(
        r#"[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "64MiB"
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie4"
[workload]
kind = "training"
dataset = {{ samples = 1000, size = "100KB" }}
batch_size = 8
compute = {{ per_batch = "1ms" }}
{extra}
"#
    )
}

/// A minimal valid cluster config (two nodes of two GPUs, a pooled DRAM cache, shared
/// storage behind its NIC), changed by `old=>new` edits.
const CLUSTER: &str = r#"seed = 7
[cluster]
[[cluster.nodes]]
count = 2
gpus = 2
nic = "nic"
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "64MiB"
scope = "cluster"
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
dataset = { samples = 1000, size = "100KB" }
batch_size = 8
compute = { per_batch = "1ms" }
"#;

fn cluster(edits: &[&str]) -> String {
    let mut c = CLUSTER.to_string();
    for e in edits {
        let (old, new) = e.split_once("=>").expect("old=>new");
        assert!(c.contains(old), "{old}");
        c = c.replacen(old, new, 1);
    }
    c
}

/// One case: files to write (name, bytes), the arguments, and what the one error
/// line must contain.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<String>,
    expect: Vec<&'static str>,
    /// Folders of the shared inputs copied in first (see [`inputs`]).
    copies: Vec<&'static str>,
}

fn case(name: &'static str, args: &str, expect: &[&'static str]) -> Case {
    Case {
        name,
        files: Vec::new(),
        args: args.split_whitespace().map(String::from).collect(),
        expect: expect.to_vec(),
        copies: Vec::new(),
    }
}

impl Case {
    fn file(mut self, name: &'static str, text: impl Into<Vec<u8>>) -> Self {
        self.files.push((name, text.into()));
        self
    }

    /// `run c.toml --out res` (and `check c.toml` as a second case when `check`).
    fn run_config(name: &'static str, text: String, expect: &[&'static str]) -> Case {
        case(name, "run c.toml --out res", expect).file("c.toml", text)
    }
}

/// Every file under `dir` (relative name -> bytes; folders as empty entries).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                out.insert(rel, Vec::new());
                stack.push(p);
            } else if meta.is_file() {
                out.insert(rel, std::fs::read(&p).unwrap());
            } else {
                out.insert(rel, b"(special)".to_vec());
            }
        }
    }
    out
}

/// A previous result folder `res` every case starts with (it must survive as it is).
fn previous_result(dir: &Path) {
    let res = dir.join("res");
    std::fs::create_dir_all(&res).unwrap();
    std::fs::write(res.join("summary.json"), b"{\"previous\": true}\n").unwrap();
    std::fs::write(res.join("manifest.json"), b"{}\n").unwrap();
    std::fs::write(res.join("tiers.csv"), b"name\nold\n").unwrap();
}

/// Runs `case` in a fresh folder; returns a description of what went wrong, if anything.
fn check(c: &Case, inputs: &Path) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    previous_result(dir.path());
    for f in &c.copies {
        copy_dir(&inputs.join(f), &dir.path().join(f));
    }
    for (name, bytes) in &c.files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    for n in ["zero.txt", "zero.toml"] {
        std::os::unix::fs::symlink("/dev/zero", dir.path().join(n)).unwrap();
    }
    std::fs::write(dir.path().join("afile"), b"a file, not a folder\n").unwrap();
    let before = snapshot(dir.path());
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB}; exec timeout {TIMEOUT_S} \"$@\""
        ))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_tiersim"))
        .args(&c.args)
        .current_dir(dir.path())
        .env("TERM", "dumb")
        .output()
        .expect("run tiersim");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    let mut problems = Vec::new();
    match out.status.code() {
        Some(1) | Some(2) => {}
        Some(124) => problems.push("timed out (a hang)".to_string()),
        other => problems.push(format!("exit {other:?} (a signal is an abort)")),
    }
    if stderr.contains("panicked") || stderr.contains("memory allocation") {
        problems.push("a panic or an allocation failure".into());
    }
    if errors.len() != 1 {
        problems.push(format!("{} error lines", errors.len()));
    }
    let line = errors.first().copied().unwrap_or("");
    for e in &c.expect {
        if !line.contains(e) {
            problems.push(format!("no '{e}' in the error line"));
        }
    }
    if line.len() > 600 {
        problems.push(format!("an error line of {} bytes", line.len()));
    }
    let after = snapshot(dir.path());
    if after != before {
        let changed: Vec<_> = after
            .keys()
            .chain(before.keys())
            .filter(|k| after.get(*k) != before.get(*k))
            .collect();
        problems.push(format!("the folder changed: {changed:?}"));
    }
    (!problems.is_empty())
        .then(|| format!("{}: {} -- stderr: {stderr}", c.name, problems.join("; ")))
}

fn cases() -> Vec<Case> {
    let cfg = |edits: &[(&str, &str)]| config(edits);
    let mut v = vec![
        // Checked time and size arithmetic.
        Case::run_config("latency past 2^64 ps", cfg(&[("#T1", "read_latency = \"6000h\"")]), &["tiers[1].read_latency", "the longest is"]),
        Case::run_config("latency that overflows simulated time", cfg(&[("#T1", "read_latency = \"5000h\"")]), &["simulated time passed 2^64 ps"]),
        Case::run_config("compute time that overflows simulated time", training("compute = { per_batch = \"5000h\" }").replace("compute = { per_batch = \"1ms\" }\n", ""), &["simulated time passed 2^64 ps"]),
        Case::run_config("tiny bandwidth", cfg(&[("#T1", "read_bandwidth = \"0.000000001B/s\"")]), &["tiers[1].read_bandwidth", "at least 1B/s"]),
        Case::run_config("zero bandwidth", cfg(&[("#T1", "write_bandwidth = \"0B/s\"")]), &["tiers[1].write_bandwidth"]),
        Case::run_config("huge bandwidth", cfg(&[("#T1", &format!("read_bandwidth = \"{}GB/s\"", "9".repeat(400)))]), &["tiers[1].read_bandwidth", "too large"]),
        Case::run_config("capacity past 2^64 bytes", cfg(&[("", "capacity = \"4MiB\"=>capacity = \"100000000PiB\"")]), &["tiers[0].capacity", "the largest is"]),
        Case::run_config("think time past 2^64 ps", cfg(&[("#W", "think_time = \"6000h\"")]), &["workload.think_time", "too long"]),
        Case::run_config("granularity past 4 GiB", cfg(&[("#T0", "granularity = \"8GiB\"")]), &["tiers[0].granularity"]),
        Case::run_config("zero sample interval", cfg(&[("#SIM", "sample_interval = \"0ns\"")]), &["sim.sample_interval"]),
        Case::run_config("zero duration", cfg(&[("#SIM", "duration = \"0s\"")]), &["sim.duration"]),
        Case::run_config("negative size", cfg(&[("", "size = \"4KiB\"=>size = -4096")]), &["workload.size"]),
        Case::run_config("arrival time past 2^64 ps", "[[tiers]]\nname = \"dram\"\npreset = \"ddr4-3200\"\ncapacity = \"64GiB\"\n[[tiers]]\nname = \"nvme\"\npreset = \"nvme-tlc-pcie4\"\n[workload]\nkind = \"inference\"\nmodel = \"llama3-8b\"\narrivals = \"arr.txt\"\nrequests = 2\nprompt_tokens = 16\noutput_tokens = 4\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"\n".into(), &["workload.arrivals", "line 2", "longest simulated time"]).file("arr.txt", "0.5\n1e300\n"),
        // Finite floats in their ranges.
        Case::run_config("NaN cost", cfg(&[("#T1", "cost_per_gb = nan")]), &["tiers[1].cost_per_gb", "finite"]),
        Case::run_config("negative cost", cfg(&[("#T1", "cost_per_gb = -1.5")]), &["tiers[1].cost_per_gb", "at least 0"]),
        Case::run_config("infinite read energy", cfg(&[("#T0", "read_energy_pj_per_byte = inf")]), &["tiers[0].read_energy_pj_per_byte"]),
        Case::run_config("negative write energy", cfg(&[("#T0", "write_energy_pj_per_byte = -3.0")]), &["tiers[0].write_energy_pj_per_byte"]),
        Case::run_config("negative endurance", cfg(&[("#T1", "endurance = -1")]), &["tiers[1].endurance"]),
        Case::run_config("infinite alpha", cfg(&[("", "alpha = 0.9=>alpha = inf")]), &["workload.alpha", "finite"]),
        Case::run_config("NaN alpha", cfg(&[("", "alpha = 0.9=>alpha = nan")]), &["workload.alpha"]),
        Case::run_config("negative alpha", cfg(&[("", "alpha = 0.9=>alpha = -1.0")]), &["workload.alpha"]),
        Case::run_config("read fraction above 1", cfg(&[("#W", "read_fraction = 1.5")]), &["workload.read_fraction"]),
        Case::run_config("infinite rate", cfg(&[("#W", "arrival = \"poisson\"\nrate = inf")]), &["workload.rate"]),
        Case::run_config("NaN inside an eviction table", cfg(&[("#T0", "eviction = { kind = \"s3fifo\", small_frac = nan }")]), &["tiers[0].eviction.small_frac"]),
        Case::run_config("infinite time scale", "[[tiers]]\nname = \"dram\"\npreset = \"ddr4-3200\"\ncapacity = \"4MiB\"\n[[tiers]]\nname = \"nvme\"\npreset = \"nvme-tlc-pcie4\"\n[workload]\nkind = \"trace\"\npath = \"t.txt\"\ntime_scale = -inf\n".into(), &["workload.time_scale"]).file("t.txt", "1\n2\n"),
        // Duplicate and empty names.
        Case::run_config("duplicate link names", cfg(&[("#LINKS", "[[links]]\nname = \"net\"\npreset = \"rdma-100g\"\n[[links]]\nname = \"net\"\npreset = \"wan-link\"")]), &["links[1].name", "duplicate link name 'net'"]),
        Case::run_config("empty link name", cfg(&[("#LINKS", "[[links]]\nname = \"\"\npreset = \"rdma-100g\"")]), &["links[0].name"]),
        Case::run_config("duplicate tier names", cfg(&[("", "name = \"nvme\"=>name = \"dram\"")]), &["tiers[1].name", "duplicate tier name"]),
        // Refused up front: memory the counts imply.
        Case::run_config("objects with a size table", cfg(&[("", "objects = 10000=>objects = 100000000000"), ("", "size = \"4KiB\"=>size = { dist = \"uniform\", min = \"1KiB\", max = \"8KiB\" }")]), &["workload.objects", "needs about", "--no-memory-check"]),
        Case::run_config("channels", cfg(&[("#T1", "channels = 4000000000")]), &["tiers[1].channels", "needs about"]),
        Case::run_config("training samples", training("").replace("samples = 1000, size = \"100KB\"", "samples = 4000000000, size = { dist = \"lognormal\", mean = \"100KB\", sd = \"50KB\" }"), &["workload.dataset.samples", "needs about"]),
        Case::run_config("prefetch factor", training("workers = 64\nprefetch_factor = 4000000000"), &["workload.prefetch_factor", "needs about"]),
        Case::run_config("independent ranks with a gradient sync", training("ranks = 2\nbarrier = false\nsync = { kind = \"ring\", link = \"net\", bytes = \"1MB\" }\n[[links]]\nname = \"net\"\npreset = \"rdma-100g\""), &["workload.sync", "barrier = false"]),
        Case::run_config("independent ranks with checkpoints", training("ranks = 2\nbarrier = false\ncheckpoint = { every = 10, tier = \"nvme\", bytes = \"1MB\" }"), &["workload.checkpoint", "barrier = true"]),
        Case::run_config("inference requests", "[[tiers]]\nname = \"dram\"\npreset = \"ddr4-3200\"\ncapacity = \"64GiB\"\n[[tiers]]\nname = \"nvme\"\npreset = \"nvme-tlc-pcie4\"\n[workload]\nkind = \"inference\"\nmodel = \"llama3-8b\"\nrate = 4.0\nrequests = 1000000000000\nprompt_tokens = 16\noutput_tokens = 4\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"\n".into(), &["workload.requests", "needs about"]),
        Case::run_config("clairvoyant window", training("[prefetch]\nkind = \"clairvoyant\"\nlookahead = 1000000000000"), &["prefetch.lookahead", "needs about"]),
        // Degenerate parameters that cannot terminate.
        Case::run_config("next-n depth", cfg(&[("#W", "[prefetch]\nkind = \"next-n\"\nn = 10000000000")]), &["prefetch.n", "at most"]),
        // Clusters: [cluster], node groups, scopes.
        Case::run_config("a link in cluster scope", cluster(&["scope = \"node\"=>scope = \"cluster\""]), &["links[0].scope", "\"shared\" or \"node\""]),
        Case::run_config("a scope that does not exist", cluster(&["scope = \"cluster\"=>scope = \"global\""]), &["tiers[0].scope", "global"]),
        Case::run_config("the home tier not shared", cluster(&["link = \"storage-nic\"=>link = \"storage-nic\"\nscope = \"node\""]), &["tiers[1].scope", "must be shared"]),
        Case::run_config("a node tier below a shared one", cluster(&["scope = \"cluster\"\n=>\n[[tiers]]\nname = \"nvme\"\npreset = \"nvme-tlc-pcie4\"\nscope = \"node\"\n"]), &["tiers[1].scope", "before shared", "tiers[0] 'dram'"]),
        Case::run_config("a shared tier behind a node's link", cluster(&["link = \"storage-nic\"=>link = \"nic\""]), &["tiers[1].link", "'nic' has scope = \"node\""]),
        Case::run_config("a fabric that is not a link", cluster(&["[cluster]=>[cluster]\nfabric = \"spine\""]), &["cluster.fabric", "no [[links]] entry named 'spine'"]),
        Case::run_config("a fabric in node scope", cluster(&["[cluster]=>[cluster]\nfabric = \"nic\""]), &["cluster.fabric", "scope = \"shared\""]),
        Case::run_config("an owner assignment that does not exist", cluster(&["[cluster]=>[cluster]\nowner = \"random\""]), &["cluster.owner", "random"]),
        Case::run_config("an unknown [cluster] key", cluster(&["[cluster]=>[cluster]\nnode = 4"]), &["cluster", "node"]),
        Case::run_config("a node group of no nodes", cluster(&["count = 2=>count = 0"]), &["cluster.nodes[0].count", "at least 1"]),
        Case::run_config("a negative node count", cluster(&["count = 2=>count = -2"]), &["cluster.nodes[0].count"]),
        Case::run_config("nodes without GPUs", cluster(&["gpus = 2=>gpus = 0"]), &["cluster.nodes[0].gpus", "at least 1"]),
        Case::run_config("an unknown node group key", cluster(&["gpus = 2=>gpus = 2\ncpus = 64"]), &["cluster.nodes[0]", "cpus"]),
        Case::run_config("more nodes than node ids", cluster(&["count = 2=>count = 5000"]), &["cluster.nodes", "5000 nodes", "at most 4096"]),
        Case::run_config("a NIC that is not a link", cluster(&["nic = \"nic\"=>nic = \"eth0\""]), &["cluster.nodes[0].nic", "no [[links]] entry named 'eth0'"]),
        Case::run_config("a shared link as a node's NIC", cluster(&["nic = \"nic\"=>nic = \"storage-nic\""]), &["cluster.nodes[0].nic", "scope = \"node\""]),
        Case::run_config("an intra-node link that is not a link", cluster(&["nic = \"nic\"=>nic = \"nic\"\nintra_link = \"nvlink\""]), &["cluster.nodes[0].intra_link", "'nvlink'"]),
        Case::run_config("migration on a cluster", cluster(&["seed = 7=>seed = 7\n[migration]\nkind = \"hemem\""]), &["migration", "one node"]),
        Case::run_config("ranks that are not the nodes' GPUs", cluster(&["batch_size = 8=>batch_size = 8\nranks = 8"]), &["workload.ranks", "4 GPUs"]),
        Case::run_config("a parameter server across nodes", cluster(&["compute = { per_batch = \"1ms\" }=>compute = { per_batch = \"1ms\" }\nsync = { kind = \"ps\", bytes = \"1MB\" }"]), &["workload.sync.kind", "ring"]),
        Case::run_config("a ring across nodes off their NICs", cluster(&["compute = { per_batch = \"1ms\" }=>compute = { per_batch = \"1ms\" }\nsync = { kind = \"ring\", link = \"storage-nic\", bytes = \"1MB\" }"]), &["workload.sync.link", "'nic'"]),
        Case::run_config("a ring across nodes without NICs", cluster(&["nic = \"nic\"\n=>", "compute = { per_batch = \"1ms\" }=>compute = { per_batch = \"1ms\" }\nsync = { kind = \"ring\", bytes = \"1MB\" }"]), &["workload.sync", "nic"]),
        case("check: a node tier below a shared one", "check c.toml", &["tiers[1].scope"]).file("c.toml", cluster(&["scope = \"cluster\"\n=>\n[[tiers]]\nname = \"nvme\"\npreset = \"nvme-tlc-pcie4\"\nscope = \"node\"\n"])),
        // Bounded reads of configs and lists.
        case("config from /dev/zero", "run zero.toml --out res", &["zero.toml", "line 1", "longer than"]),
        case("config with a 2 MB line", "run c.toml --out res", &["c.toml", "line 1", "longer than"]).file("c.toml", format!("seed = 1 # {}\n", "x".repeat(2 << 20))),
        case("config that is not UTF-8", "run c.toml --out res", &["c.toml", "line 2 (byte offset 9)", "not UTF-8"]).file("c.toml", b"seed = 1\n\xff\xfe\x00\x01".to_vec()),
        case("config not valid TOML", "run c.toml --out res", &["c.toml", "not valid TOML", "(line 3)"]).file("c.toml", "seed = 1\n[sim]\nduration = = 3\n"),
        Case::run_config("size file with a bad line", cfg(&[("", "size = \"4KiB\"=>size = { dist = \"empirical\", file = \"sizes.txt\" }")]), &["workload.size.file", "line 3"]).file("sizes.txt", "4096\n8192\nbig\n"),
        Case::run_config("size file from /dev/zero", cfg(&[("", "size = \"4KiB\"=>size = { dist = \"empirical\", file = \"zero.txt\" }")]), &["workload.size.file", "line 1", "longer than"]),
        // Result folders.
        case("run --out below a file", "run c.toml --out afile/out", &["--out", "afile"]).file("c.toml", config(&[])),
        case("run --out into a folder that is not a result", "run c.toml --out mine", &["--out", "no tiersim result"]).file("c.toml", config(&[])).file("mine/thesis.tex", "x"),
        // Time limits.
        case("run past --time-limit", "run c.toml --out res --time-limit 1s", &["timed out after 1s"]).file("c.toml", config(&[("", "requests = 20000=>requests = 100000000000")])),
        case("run --time-limit 0", "run c.toml --out res --time-limit 0s", &["--time-limit"]).file("c.toml", config(&[])),
        // tiersim check names the same keys.
        case("check: infinite alpha", "check c.toml", &["workload.alpha"]).file("c.toml", config(&[("", "alpha = 0.9=>alpha = inf")])),
        case("check: duplicate links", "check c.toml", &["links[1].name"]).file("c.toml", config(&[("#LINKS", "[[links]]\nname = \"l\"\npreset = \"rdma-100g\"\n[[links]]\nname = \"l\"\npreset = \"rdma-100g\"")])),
        case("check: config from /dev/zero", "check zero.toml", &["line 1"]),
        case("check: objects with a size table", "check c.toml", &["workload.objects", "needs about"]).file("c.toml", config(&[("", "objects = 10000=>objects = 100000000000"), ("", "size = \"4KiB\"=>size = { dist = \"lognormal\", mean = \"4KiB\", sd = \"1KiB\" }")])),
        // Traces: messages, line limits, hints.
        case("replay: a policy twice", "replay --trace t.txt --policy lru,lru --cache-frac 0.5", &["--policy", "'lru' is given twice"]).file("t.txt", "1\n2\n1\n"),
        case("replay: binary read as txt", "replay --trace og.bin --format txt --policy lru --cache-frac 0.5", &["og.bin", "line 1", "--format oracleGeneral"]).file("og.bin", vec![0u8, 0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 0, 16, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 1]),
        case("replay: /dev/zero as txt", "replay --trace zero.txt --policy lru --cache-frac 0.5", &["zero.txt", "line 1", "longer than"]),
        case("trace stats: binary read as csv", "trace stats og.bin --format csv", &["og.bin", "line 1", "binary"]).file("og.bin", vec![0u8, 0, 0, 1, 12, 0, 0, 0, 9, 0, 2, 0, 0, 16, 0, 0]),
        case("trace stats: a 2 MB line", "trace stats t.txt", &["t.txt", "line 2", "longer than"]).file("t.txt", format!("1\n{}\n", "7".repeat(2 << 20))),
        case("trace stats: a bad txt line", "trace stats t.txt", &["t.txt", "line 3", "expected an object id"]).file("t.txt", "1\n2\nthree\n"),
        case("trace stats: a bad csv size", "trace stats t.csv", &["t.csv", "line 3", "column 2"]).file("t.csv", "id,size\n1,4096\n2,huge\n"),
        case("trace stats: a missing file", "trace stats nothere.txt", &["nothere.txt", "No such file"]),
        case("trace convert: /dev/zero", "trace convert zero.txt out.tsb", &["zero.txt", "line 1"]),
        case("trace gen: infinite alpha", "trace gen --kind zipf --alpha inf --objects 100 --requests 100 --out g.tsb", &["alpha", "finite"]),
        case("trace gen: an interarrival that wraps", "trace gen --kind zipf --objects 100 --requests 1000000 --interarrival-ns 100000000000000 --out g.tsb", &["interarrival", "at most"]),
        case("trace gen: interarrival past 2^64 ps", "trace gen --kind uniform --objects 100 --requests 10 --interarrival-ns 18446744073709552 --out g.tsb", &["--interarrival-ns", "at most"]),
        case("trace gen: an epoch permutation too large", "trace gen --kind epoch-shuffle --objects 100000000000 --out g.tsb", &["--objects", "needs about"]),
        case("trace gen: a next-access pass too large", "trace gen --kind zipf --objects 100000000000 --requests 1000000000000 --out g.oracleGeneral.bin", &["--objects", "needs about"]),
        case("trace gen: write fraction above 1", "trace gen --kind zipf --objects 100 --requests 100 --write-frac 1.5 --out g.tsb", &["write-frac"]),
        case("trace gen: output below a file", "trace gen --kind zipf --objects 100 --requests 100 --out afile/g.tsb", &["afile", "not a folder"]),
        // Sweeps, merges, plots, validation.
        case("sweep: a plan too large", "sweep s.toml --out sw", &["s.toml", "grid", "needs about"]).file("s.toml", "base = \"c.toml\"\nrepeats = 10000000\n[grid]\n\"workload.requests\" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n").file("c.toml", config(&[])),
        case("sweep: a spec from /dev/zero", "sweep zero.toml --out sw", &["zero.toml", "line 1"]),
        case("sweep: an unknown key path", "sweep s.toml --out sw", &["workload.nosuch"]).file("s.toml", "base = \"c.toml\"\n[grid]\n\"workload.nosuch\" = [1, 2]\n").file("c.toml", config(&[])),
        case("sweep: run timeout of zero", "sweep s.toml --out sw --run-timeout 0s", &["--run-timeout"]).file("s.toml", "base = \"c.toml\"\n[grid]\n\"workload.requests\" = [10]\n").file("c.toml", config(&[])),
        case("merge: into another sweep", "merge a --out b", &["--out b", "another sweep"]),
        case("merge: into a folder of other files", "merge a --out res", &["--out res", "no plan.json"]),
        case("plot: output below a file", "plot latency-cdf pr --out afile/x.png", &["afile", "is a file, not a folder"]),
        case("plot: job-stall of a run without jobs", "plot job-stall pr --out x.png", &["jobs.csv: not found", "[[jobs]]"]),
        case("plot: node-nic of a run without nodes", "plot node-nic pr --out x.png", &["nodes.csv: not found", "[cluster]"]),
        case("plot: node-served with a bad count", "plot node-served cl --out x.png", &["nodes.csv", "line 3"]).file("cl/nodes.csv", "node,served_local,served_remote,served_shared,nic\n0,1,2,3,nic@0\n1,1,-2,3,nic@1\n"),
        case("plot: node-nic with a NIC never sampled", "plot node-nic cl --out x.png", &["timeseries.csv", "no samples of 'nic@1'"]).file("cl/nodes.csv", "node,served_local,served_remote,served_shared,nic\n0,1,2,3,nic@0\n1,1,2,3,nic@1\n").file("cl/timeseries.csv", "time_s,tier,read_bytes,write_bytes,read_bw_bytes_per_s,write_bw_bytes_per_s,utilisation\n0.1,nic@0,1,0,10,0,0.1\n"),
        case("validate: unknown check", "validate --only nosuch --out v", &["--only", "nosuch"]),
    ];
    for c in v.iter_mut() {
        c.copies = match c.name {
            n if n.starts_with("merge: into another") => vec!["a", "b"],
            n if n.starts_with("merge") => vec!["a"],
            n if n.starts_with("plot") => vec!["pr"],
            _ => vec![],
        };
    }
    v
}

/// Inputs some cases copy: sweep folders `a` and `b` of two different tiny sweeps
/// (real plan.json files), and a run folder `pr` to plot.
fn inputs(dir: &Path) {
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, config(&[("", "requests = 20000=>requests = 200")])).unwrap();
    let tiersim = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_tiersim"))
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    for (name, requests) in [("a", "[100]"), ("b", "[300]")] {
        let spec = format!("{name}.toml");
        std::fs::write(
            dir.join(&spec),
            format!("base = \"c.toml\"\n[grid]\n\"workload.requests\" = {requests}\n"),
        )
        .unwrap();
        tiersim(&["sweep", &spec, "--quiet", "--out", name]);
    }
    tiersim(&["run", "c.toml", "--quiet", "--out", "pr"]);
}

/// Copies the folder `from` to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn every_bad_input_gets_one_clear_error_and_changes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let input_dir = tempfile::tempdir().unwrap();
    inputs(input_dir.path());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c, input_dir.path()))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
