//! Arbitrary numeric parameters never panic a workload's constructor: each either
//! parses and builds or returns a ConfigError naming a `workload.` key.

use proptest::prelude::*;
use tiersim::config::Config;
use tiersim::model;

const TIERS: &str = r#"
[[tiers]]
name = "fast"
preset = "ddr4-3200"
capacity = "1MiB"
eviction = "lru"

[[tiers]]
name = "home"
preset = "nvme-tlc-pcie3"
"#;

fn check(workload: &str) {
    let text = format!("{TIERS}\n[workload]\n{workload}\n");
    // Declared parameters are checked at parse time (negative numbers), the rest when
    // the model is built.
    let result = Config::parse(&text).and_then(|cfg| model::build(&cfg, 1).map(|_| ()));
    if let Err(e) = result {
        assert!(e.path.starts_with("workload"), "{e} for {workload}");
    }
}

/// Interesting integers: zero, small, huge, negative.
fn int() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        1i64..100,
        Just(i64::MAX),
        Just(1 << 40),
        -5i64..0
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-1.0),
        Just(1e300),
        0.001f64..10.0,
        Just(1e12)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn gemm_never_panics(m in int(), n in int(), k in int(), tile in int(), eb in int(), flops in float()) {
        check(&format!("kind = \"gemm\"\nm = {m}\nn = {n}\nk = {k}\ntile = {tile}\nelement_bytes = {eb}\nflops = {flops:e}"));
    }

    #[test]
    fn embedding_never_panics(tables in int(), rows in int(), rb in int(), batch in int(), pooling in int(), alpha in float(), hot in int()) {
        check(&format!("kind = \"embedding\"\ntables = {tables}\nrows = {rows}\nrow_bytes = {rb}\nbatch_size = {batch}\npooling = {pooling}\nalpha = {alpha:e}\nbatches = 1\nhot_rows = {hot}"));
    }

    #[test]
    fn inference_never_panics(layers in int(), heads in int(), dim in int(), prompt in int(), out in int(), block in int(), rate in float(), params in float()) {
        check(&format!("kind = \"inference\"\nlayers = {layers}\nkv_heads = {heads}\nhead_dim = {dim}\nparams = {params:e}\nprompt_tokens = {prompt}\noutput_tokens = {out}\nkv_block_tokens = {block}\nrate = {rate:e}\nrequests = 1\nprefill_per_token = \"1us\"\ndecode_per_token = \"1us\""));
    }
}
