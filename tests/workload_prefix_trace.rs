//! A request trace for the inference workload's prefix cache (Mooncake's JSON lines
//! and the CSV form): hits and TTFT of a hand-made trace worked out by hand, the two
//! formats give the same run, and bad lines are named by line and field.

use tiersim::config::Config;
use tiersim::model;

/// H100-like HBM (3.35 TB/s) and host DRAM behind a 35 GB/s, 1 us link (as in
/// tests/workload_prefix_cache.rs): DRAM itself is fast, the link is the bottleneck.
/// KV per token: 2 x 2 layers x 8 heads x 128 x 2 B = 8,192 B; a 16-token KV block is
/// 131,072 B; a trace hash id covers 32 tokens (2 KV blocks). The HBM level holds 2
/// blocks, the DRAM level 1 GB.
fn config(trace: &std::path::Path, format: &str, extra: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "1us"
read_bandwidth = "3350GB/s"
channels = 64
capacity = "80GB"
eviction = "lru"

[[tiers]]
name = "dram"
read_latency = "100ns"
write_latency = "100ns"
read_bandwidth = "1000GB/s"
write_bandwidth = "1000GB/s"
channels = 64
link = "pcie"

[[links]]
name = "pcie"
read_latency = "1us"
write_latency = "1us"
read_bandwidth = "35GB/s"
write_bandwidth = "35GB/s"
channels = 64

[workload]
kind = "inference"
layers = 2
kv_heads = 8
head_dim = 128
params = 1e6
prefill_per_token = "1us"
decode_per_token = "1us"
kv_block_tokens = 16
{extra}

[workload.trace]
path = "{}"
format = "{format}"
block_tokens = 32

[workload.prefix_cache]
eviction = "lru"
levels = [{{ tier = "hbm", capacity = "262144B" }}, {{ tier = "dram", capacity = "1GB" }}]
"#,
        trace.display()
    )
}

const JSONL: &str = r#"{"timestamp": 0, "input_length": 64, "output_length": 1, "hash_ids": [1, 2]}
{"timestamp": 1000, "input_length": 64, "output_length": 1, "hash_ids": [1, 3]}
{"timestamp": 2000, "input_length": 100, "output_length": 1, "hash_ids": [1, 2, 9, 10]}
{"timestamp": 3000, "input_length": 64, "output_length": 1, "hash_ids": []}
"#;

const CSV: &str = "timestamp,input_length,output_length,hash_ids
0,64,1,1 2
1000,64,1,1 3
# a comment
2000,100,1,1 2 9 10
3000,64,1,
";

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// (summary, requests.csv rows as (arrival_s, prompt, ttft_s)).
fn run(text: &str) -> (serde_json::Value, Vec<(f64, u64, f64)>) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 5).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    let tables = sim.workload.tables(out.end);
    let csv = &tables.iter().find(|(n, _)| n == "requests.csv").unwrap().1;
    let rows = csv
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[1].parse().unwrap(),
                c[2].parse().unwrap(),
                c[4].parse().unwrap(),
            )
        })
        .collect();
    (s, rows)
}

#[test]
fn shared_hash_ids_hit_and_the_ttft_is_the_load_plus_the_uncovered_prefill() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write(&dir, "t.jsonl", JSONL);
    let (s, rows) = run(&config(&trace, "mooncake", ""));
    let arrivals: Vec<f64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(arrivals, [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(
        rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        [64, 64, 100, 64]
    );
    // By hand (LRU, HBM level of 2 blocks; blocks named (id, position)):
    // 1: no hits; stores (1,0) (1,1) (2,0) (2,1): HBM keeps (2,*), (1,*) go to DRAM.
    // 2: looks up (64 - 1) / 16 = 3 blocks: (1,0) (1,1) in DRAM, (3,0) misses: 2 blocks
    //    = 262,144 B over the link, then 64 - 32 = 32 tokens of prefill. Promoting
    //    (1,*) pushes (2,*) to DRAM; storing (3,0) (3,1) pushes (1,*) back to DRAM.
    // 3: looks up (100 - 1) / 16 = 6 blocks: (1,0) (1,1) (2,0) (2,1) in DRAM, (9,0)
    //    misses: 4 blocks = 524,288 B, then 100 - 64 = 36 tokens.
    // 4: no ids, no hits: 64 tokens after the HBM-resident weights' read (2 MB).
    // The weights (2 MB in HBM, 1.6 us) are read beside the loads and hide under them.
    let load = |blocks: f64| 1e-6 + blocks * 131_072.0 / 35e9;
    let want = [
        (1, load(2.0) + 32e-6),
        (2, load(4.0) + 36e-6),
        (3, 1e-6 + 2e6 / 3350e9 + 64e-6),
    ];
    for (i, w) in want {
        let got = rows[i].2;
        assert!(
            (got / w - 1.0).abs() < 0.01,
            "request {i}: ttft {got} want {w}"
        );
    }
    let pc = &s["prefix_cache"];
    assert_eq!(pc["prompt_tokens"], 64 + 64 + 100 + 64);
    assert_eq!(pc["hit_tokens"], 32 + 64);
    let ratio = pc["hit_ratio"].as_f64().unwrap();
    assert!((ratio - 96.0 / 292.0).abs() < 1e-12, "{ratio}");
    assert_eq!(pc["levels"][1]["hit_blocks"], 6);
    assert_eq!(pc["levels"][1]["bytes_loaded"], 6 * 131_072);
    assert_eq!(pc["levels"][0]["hit_blocks"], 0);
}

#[test]
fn the_csv_form_gives_the_same_run() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(&config(&write(&dir, "t.jsonl", JSONL), "mooncake", ""));
    let b = run(&config(&write(&dir, "t.csv", CSV), "csv", ""));
    assert_eq!(a.0, b.0);
    assert_eq!(a.1, b.1);
}

#[test]
fn requests_takes_the_first_of_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write(&dir, "t.jsonl", JSONL);
    let (s, rows) = run(&config(&trace, "mooncake", "requests = 2"));
    assert_eq!(rows.len(), 2);
    assert_eq!(s["prefix_cache"]["hit_tokens"], 32);
}

fn build_err(text: &str) -> String {
    let cfg = Config::parse(text).unwrap();
    model::build(&cfg, 5).err().expect("an error").to_string()
}

#[test]
fn bad_lines_are_named_by_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"timestamp": 0, "input_length": 64, "output_length": 1, "hash_ids": [1]}"#;
    let cases = [
        (
            r#"{"timestamp": 5, "input_length": "x", "output_length": 1, "hash_ids": []}"#,
            "line 2: input_length: expected a non-negative integer",
        ),
        (
            r#"{"timestamp": 5, "input_length": 64, "hash_ids": []}"#,
            "line 2: output_length: missing",
        ),
        (
            r#"{"timestamp": 5, "input_length": 64, "output_length": 1, "hash_ids": [1, -2]}"#,
            "line 2: hash_ids[1]: expected a non-negative integer",
        ),
        (
            r#"{"timestamp": 5, "input_length": 64, "output_length": 1, "hash_ids": [1, 2, 3]}"#,
            "line 2: hash_ids: 3 ids for 64 tokens, more than ceil(64 / block_tokens 32) = 2",
        ),
        (
            r#"{"timestamp": -1, "input_length": 64, "output_length": 1}"#,
            "line 2: timestamp: expected finite, non-negative milliseconds",
        ),
        (
            r#"{"timestamp": 5, "input_length": 0, "output_length": 1}"#,
            "line 2: input_length: must be between 1",
        ),
        (r#"{"timestamp": 5, "#, "line 2: line: not a JSON object"),
    ];
    for (line, want) in cases {
        let path = write(&dir, "bad.jsonl", &format!("{good}\n{line}\n"));
        let e = build_err(&config(&path, "mooncake", ""));
        assert!(e.starts_with("workload.trace"), "{e}");
        assert!(e.contains(want), "{e}\nwanted: {want}");
    }
    let path = write(
        &dir,
        "bad.jsonl",
        &format!("{good}\n{good}\n\n{}\n", good.replace("[1]", "[1, 2, 3]")),
    );
    let e = build_err(&config(&path, "mooncake", ""));
    assert!(e.contains("line 4: hash_ids"), "{e}");
    let path = write(
        &dir,
        "bad.jsonl",
        &format!("{}\n{good}\n", good.replace(": 0,", ": 7,")),
    );
    let e = build_err(&config(&path, "mooncake", ""));
    assert!(
        e.contains("line 2: timestamp: times must not decrease"),
        "{e}"
    );
    let csv = [
        (
            "0,64,abc,1",
            "line 2: output_length: expected a non-negative integer, found",
        ),
        ("0,64", "line 2: output_length: missing column"),
        (
            "0,64,1,1 x",
            "line 2: hash_ids[1]: expected a non-negative integer",
        ),
        ("soon,64,1,", "line 2: timestamp: expected milliseconds"),
        ("0,64,1,1,2", "line 2: line: more than 4 columns"),
    ];
    for (line, want) in csv {
        let path = write(
            &dir,
            "bad.csv",
            &format!("timestamp,input_length,output_length,hash_ids\n{line}\n"),
        );
        let e = build_err(&config(&path, "csv", ""));
        assert!(e.contains(want), "{e}\nwanted: {want}");
    }
}

#[test]
fn conflicting_keys_and_bad_block_sizes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write(&dir, "t.jsonl", JSONL);
    let e = build_err(&config(&trace, "mooncake", "rate = 1.0"));
    assert!(e.starts_with("workload.rate"), "{e}");
    let e = build_err(&config(&trace, "mooncake", "prompt_tokens = 64"));
    assert!(e.starts_with("workload.prompt_tokens"), "{e}");
    let e = build_err(&config(&trace, "mooncake", "requests = 9"));
    assert!(e.contains("the trace holds only 4 requests"), "{e}");
    let text = config(&trace, "mooncake", "").replace("block_tokens = 32", "block_tokens = 24");
    let e = build_err(&text);
    assert!(e.starts_with("workload.trace.block_tokens"), "{e}");
    // Zero KV-block tokens is named (checked before the trace's multiple of it).
    let text =
        config(&trace, "mooncake", "").replace("kv_block_tokens = 16", "kv_block_tokens = 0");
    let e = build_err(&text);
    assert!(e.starts_with("workload.kv_block_tokens"), "{e}");
    let text = config(&dir.path().join("none.jsonl"), "mooncake", "");
    let e = build_err(&text);
    assert!(
        e.starts_with("workload.trace.path") && e.contains("none.jsonl"),
        "{e}"
    );
}

#[test]
fn the_example_trace_config_runs_and_hits() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("configs")
        .join("inference-prefix-trace.toml");
    let cfg = Config::load(&path).unwrap().0;
    let mut sim = model::build(&cfg, cfg.seed).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    assert_eq!(s["requests_completed"], 240);
    // Every chat's system prompt is shared: some tokens must hit.
    assert!(s["prefix_cache"]["hit_ratio"].as_f64().unwrap() > 0.0);
}
