//! Inference-serving workload: KV bytes per token of the model presets, TTFT and TPOT
//! at very low load against hand calculations from the device figures, SLO attainment,
//! batching, and bad parameters.

use tiersim::config::Config;
use tiersim::model;
use tiersim::workload::ModelShape;

#[test]
fn kv_cache_bytes_per_token_of_the_presets() {
    // 2 x layers x kv_heads x head_dim x 2 B (REFERENCES.md s3): 128 KB and 320 KB.
    let m8 = ModelShape::preset("llama3-8b").unwrap();
    let m70 = ModelShape::preset("llama3-70b").unwrap();
    assert_eq!(m8.kv_bytes_per_token(), 128 * 1024);
    assert_eq!(m70.kv_bytes_per_token(), 320 * 1024);
}

/// HBM-like cache tier (1 us, 1000 GB/s = 1 ps per byte) over a slow home tier
/// (10 us, 10 GB/s = 100 ps per byte), both with enough channels for every request of
/// an iteration to start at once.
fn config(workload: &str) -> String {
    format!(
        r#"
[[tiers]]
name = "hbm"
read_latency = "1us"
read_bandwidth = "1000GB/s"
channels = 64
capacity = "40GB"
eviction = "lru"

[[tiers]]
name = "ssd"
read_latency = "10us"
read_bandwidth = "10GB/s"
channels = 64

[workload]
kind = "inference"
{workload}
"#
    )
}

fn run(text: &str) -> (tiersim::sim::Simulation, serde_json::Value) {
    let cfg = Config::parse(text).unwrap();
    let mut sim = model::build(&cfg, 5).unwrap();
    let out = sim.run();
    assert!(out.finished);
    let s = sim.workload.summary(out.end);
    (sim, s)
}

/// hdrhistogram keeps 3 significant digits: compare within 0.1%.
fn close(got: u64, want: f64) -> bool {
    (got as f64 / want - 1.0).abs() < 1e-3
}

#[test]
fn ttft_and_tpot_at_very_low_load_match_the_hand_calculation() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = dir.path().join("arrivals.txt");
    // Two requests 100 s apart: each finds the server idle.
    std::fs::write(&arrivals, "# seconds\n0\n100\n").unwrap();
    let w = format!(
        "model = \"llama3-8b\"\narrivals = \"{}\"\nprompt_tokens = 128\noutput_tokens = 4\nprefill_per_token = \"100us\"\ndecode_per_token = \"1ms\"",
        arrivals.display()
    );
    let (sim, s) = run(&config(&w));
    assert_eq!(s["requests_completed"], 2);
    // Weights: 8.03e9 params x 2 B = 16.06e9 B in 32 layer objects, read at once: the
    // latency overlaps, the bytes share the device's data path.
    let w_bytes = 8.03e9 * 2.0;
    let prefill = 128.0 * 100e-6;
    // Request 1: weights stream from the 10 GB/s home tier.
    let ttft_cold = 10e-6 + w_bytes / 10e9 + prefill;
    // Request 2: weights are resident in the 1000 GB/s tier.
    let ttft_warm = 1e-6 + w_bytes / 1000e9 + prefill;
    let ttft = sim.metrics().get("ttft").unwrap();
    assert_eq!(ttft.len(), 2);
    assert!(
        close(ttft.max(), ttft_cold * 1e12),
        "{} vs {ttft_cold}",
        ttft.max()
    );
    assert!(
        close(ttft.min(), ttft_warm * 1e12),
        "{} vs {ttft_warm}",
        ttft.min()
    );
    // Decode: 128 prompt tokens fill 8 KV blocks of 16 x 128 KiB = 2 MiB, written to the
    // fast tier when the prefill ends. The first decode step's reads (weights + the 8
    // blocks) queue behind those writes on the same data path; later steps do not.
    let block = 16.0 * 131_072.0;
    let first = 1e-6 + (w_bytes + 16.0 * block) / 1000e9 + 1e-3;
    let later = 1e-6 + (w_bytes + 8.0 * block) / 1000e9 + 1e-3;
    let tpot = sim.metrics().get("tpot").unwrap();
    assert_eq!(tpot.len(), 6); // 3 decode tokens per request
    assert!(close(tpot.max(), first * 1e12), "{} vs {first}", tpot.max());
    assert!(close(tpot.min(), later * 1e12), "{} vs {later}", tpot.min());
    assert_eq!(s["kv_bytes_per_token"], 131_072);
}

#[test]
fn slo_attainment_counts_requests_meeting_both_slos() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = dir.path().join("a.txt");
    std::fs::write(&arrivals, "0\n100\n").unwrap();
    // TTFT SLO 100 ms: the cold request (1.62 s) misses it, the warm one (28.9 ms) meets
    // it; TPOT SLO 20 ms is met by both (17.1 ms per token).
    let w = format!(
        "model = \"llama3-8b\"\narrivals = \"{}\"\nprompt_tokens = 128\noutput_tokens = 4\nprefill_per_token = \"100us\"\ndecode_per_token = \"1ms\"\nttft_slo = \"100ms\"\ntpot_slo = \"20ms\"",
        arrivals.display()
    );
    let (_, s) = run(&config(&w));
    assert_eq!(s["slo_attainment"].as_f64().unwrap(), 0.5);
}

#[test]
fn batching_amortises_weight_reads_under_load() {
    // Poisson arrivals far above what batch size 1 can serve: batching 8 requests per
    // iteration reads the weights once for all of them and raises token throughput.
    let w = |batch: u32| {
        format!(
            "model = \"llama3-8b\"\nrate = 1000\nrequests = 40\nprompt_tokens = [16, 64]\noutput_tokens = 16\nprefill_per_token = \"20us\"\ndecode_per_token = \"50us\"\nmax_batch = {batch}"
        )
    };
    let (_, one) = run(&config(&w(1)));
    let (_, eight) = run(&config(&w(8)));
    assert_eq!(one["requests_completed"], 40);
    assert_eq!(eight["requests_completed"], 40);
    let (t1, t8) = (
        one["tokens_per_s"].as_f64().unwrap(),
        eight["tokens_per_s"].as_f64().unwrap(),
    );
    assert!(t8 > 3.0 * t1, "batch 8: {t8} tokens/s, batch 1: {t1}");
    assert!(eight["iterations"].as_u64() < one["iterations"].as_u64());
}

#[test]
fn impossible_parameters_name_the_key() {
    let base = "prompt_tokens = 8\noutput_tokens = 8\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"";
    for (w, key) in [
        (
            "model = \"llama3-8b\"\nrate = 0\nrequests = 1",
            "workload.rate",
        ),
        (
            "model = \"llama3-8b\"\nrate = -3\nrequests = 1",
            "workload.rate",
        ),
        ("model = \"llama3-8b\"\nrequests = 1", "workload.rate"),
        ("model = \"gpt5\"\nrate = 1\nrequests = 1", "workload.model"),
        ("rate = 1\nrequests = 1", "workload.layers"),
        (
            "model = \"llama3-8b\"\nrate = 1\nrequests = 0",
            "workload.requests",
        ),
        (
            "model = \"llama3-8b\"\nrate = 1\nrequests = 1\nmax_batch = 0",
            "workload.max_batch",
        ),
        (
            "model = \"llama3-8b\"\narrivals = \"/nonexistent/arrivals.txt\"",
            "workload.arrivals",
        ),
    ] {
        let cfg = Config::parse(&config(&format!("{w}\n{base}"))).unwrap();
        let e = model::build(&cfg, 1).err().expect(w);
        assert_eq!(e.path, key, "{w}: {e}");
    }
    let cfg = Config::parse(&config(
        "model = \"llama3-8b\"\nrate = 1\nrequests = 1\nprompt_tokens = [9, 3]\noutput_tokens = 8\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"",
    ))
    .unwrap();
    assert_eq!(
        model::build(&cfg, 1).err().unwrap().path,
        "workload.prompt_tokens"
    );
}

#[test]
fn a_bad_arrivals_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "0\n1.5\nsoon\n").unwrap();
    let w = format!(
        "model = \"llama3-8b\"\narrivals = \"{}\"\nprompt_tokens = 8\noutput_tokens = 8\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"",
        a.display()
    );
    let e = model::build(&Config::parse(&config(&w)).unwrap(), 1)
        .err()
        .unwrap();
    assert_eq!(e.path, "workload.arrivals");
    assert!(e.msg.contains("line 3"), "{e}");
}

#[test]
fn more_requests_than_arrival_times_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "0\n1\n").unwrap();
    let w = format!(
        "model = \"llama3-8b\"\narrivals = \"{}\"\nrequests = 3\nprompt_tokens = 8\noutput_tokens = 8\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\"",
        a.display()
    );
    let e = model::build(&Config::parse(&config(&w)).unwrap(), 1)
        .err()
        .unwrap();
    assert_eq!(e.path, "workload.requests");
}

#[test]
fn finished_requests_leave_no_kv_blocks_behind() {
    // 20 requests of 64 + 8 tokens: 4-5 KV blocks each are written, then freed when the
    // request ends: nothing stays dirty and nothing is written back to the home tier.
    let w = "model = \"llama3-8b\"\nrate = 50\nrequests = 20\nprompt_tokens = 64\noutput_tokens = 8\nprefill_per_token = \"10us\"\ndecode_per_token = \"10us\"\nmax_batch = 4";
    let (sim, s) = run(&config(w));
    assert_eq!(s["requests_completed"], 20);
    assert_eq!(sim.hier().dirty_objects(), 0);
    assert_eq!(sim.hier().tiers[1].device.stats().bytes_written, 0);
    // Only the 32 weight objects remain cached.
    assert_eq!(sim.hier().tiers[0].cache.as_ref().unwrap().len(), 32);
}

#[test]
fn requests_table_has_a_row_per_request() {
    let w = "model = \"llama3-8b\"\nrate = 50\nrequests = 5\nprompt_tokens = 64\noutput_tokens = 2\nprefill_per_token = \"10us\"\ndecode_per_token = \"10us\"";
    let cfg = Config::parse(&config(w)).unwrap();
    let mut sim = model::build(&cfg, 5).unwrap();
    let out = sim.run();
    let tables = sim.workload.tables(out.end);
    assert_eq!(tables[0].0, "requests.csv");
    let lines: Vec<&str> = tables[0].1.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0].starts_with("request,arrival_s"));
    // ttft <= e2e on every row.
    for l in &lines[1..] {
        let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
        assert!(f[4] > 0.0 && f[4] <= f[5], "{l}");
    }
}
