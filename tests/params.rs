//! Declared component parameters end to end: every example config resolves (`tiersim
//! check`) into a config that runs to byte-identical results; manifest.json records
//! the resolved parameters; every registered component resolves idempotently, builds
//! from its resolved table and rejects unknown keys naming the full key path.

use std::path::{Path, PathBuf};
use std::process::Command;
use tiersim::config::{Config, Duration};
use tiersim::policy::{eviction, migration, prefetch};
use tiersim::registry::{to_toml, ResolveCtx};

const BIN: &str = env!("CARGO_BIN_EXE_tiersim");

fn configs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 9,
        "example configs missing from {}",
        dir.display()
    );
    v
}

/// summary.json of running `cfg` into `out`.
fn summary(cfg: &Config, out: &Path) -> Vec<u8> {
    tiersim::runner::run_config(cfg, cfg.seed, out, &[]).unwrap();
    std::fs::read(out.join("summary.json")).unwrap()
}

/// `path` parsed as written, without resolving its component tables: the model's
/// constructors read the tables the author wrote (so a lossy resolve step, which the
/// resolved config's own run would share, shows up as a difference).
fn as_written(path: &Path) -> Config {
    let text = std::fs::read_to_string(path).unwrap();
    let mut cfg: Config = tiersim::config::parse_table(toml::from_str(&text).unwrap(), "").unwrap();
    cfg.base_dir = path.parent().map(Path::to_path_buf);
    cfg
}

/// The trace-replay example needs the shared data beside the crate.
fn needs_missing_data(cfg: &Config) -> bool {
    let Some(w) = &cfg.workload else {
        return false;
    };
    w.get("kind").and_then(|k| k.as_str()) == Some("trace")
        && !Path::new(w["path"].as_str().unwrap()).is_file()
}

#[test]
fn every_example_config_resolves_to_a_config_that_runs_identically() {
    let tmp = tempfile::tempdir().unwrap();
    for path in configs() {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let orig = Config::load(&path).unwrap().0;
        let mut written = as_written(&path);
        if needs_missing_data(&orig) {
            println!("skipped {name}: shared data not found");
            continue;
        }
        let text = orig.resolved_toml().unwrap();
        // Written elsewhere than configs/: relative paths must still resolve.
        let elsewhere = tmp.path().join(format!("{name}-resolved"));
        std::fs::create_dir_all(&elsewhere).unwrap();
        let rpath = elsewhere.join("r.toml");
        std::fs::write(&rpath, &text).unwrap();
        let (mut again, _) =
            Config::load(&rpath).unwrap_or_else(|e| panic!("{name}: resolved config: {e}\n{text}"));
        // Resolving is idempotent: the resolved config resolves to itself.
        assert_eq!(
            again.resolved_toml().unwrap(),
            text,
            "{name}: resolving twice differs"
        );
        assert_eq!(again.resolved().unwrap(), orig.resolved().unwrap());
        if name == "imagenet-resnet50" {
            // 40 s in release for the whole job: compare the first 2 simulated
            // seconds (data loading, compute, ring all-reduce all under way).
            for c in [&mut written, &mut again] {
                c.sim.duration = Some(Duration(2_000_000_000_000));
            }
        }
        let a = summary(&written, &tmp.path().join(format!("{name}-a")));
        let b = summary(&again, &tmp.path().join(format!("{name}-b")));
        assert!(a == b, "{name}: summary.json differs after check");
    }
}

/// A two-tier config with `eviction` on the cache tier.
fn small(eviction: &str, extra: &str) -> String {
    format!(
        r#"
seed = 3
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1MiB"
eviction = {eviction}
[[tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[workload]
kind = "synthetic"
pattern = "zipf"
objects = 2000
requests = 5000
size = "4KiB"
{extra}
"#
    )
}

#[test]
fn manifest_records_resolved_parameters_of_a_bare_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config::parse(&small("\"s3fifo\"", "")).unwrap();
    tiersim::runner::run_config(&cfg, cfg.seed, tmp.path(), &[]).unwrap();
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("manifest.json")).unwrap()).unwrap();
    let e = &m["resolved_config"]["tiers"][0]["eviction"];
    // S3-FIFO's published defaults (Yang et al., SOSP '23; libCacheSim's S3FIFO.c):
    // small queue 10% of the cache, ghost 90%, move to main after 2 hits.
    assert_eq!(e["kind"], "s3fifo");
    assert_eq!(e["small_frac"], 0.1);
    assert_eq!(e["ghost_frac"], 0.9);
    assert_eq!(e["move_to_main_threshold"], 2);
    // The workload's defaults too: closed loop, one client, reads only, Zipf 0.99.
    let w = &m["resolved_config"]["workload"];
    assert_eq!(w["arrival"], "closed");
    assert_eq!(w["clients"], 1);
    assert_eq!(w["read_fraction"], 1.0);
    assert_eq!(w["alpha"], 0.99);
    // The cache tier left without a policy gets LRU, written out.
    let cfg = Config::parse(&small("\"lru\"", "")).unwrap();
    let r = cfg.resolved().unwrap();
    assert_eq!(
        r["tiers"][0]["eviction"],
        serde_json::json!({ "kind": "lru" })
    );
    assert!(
        r["tiers"][1].get("eviction").is_none(),
        "the home tier evicts nothing"
    );
}

#[test]
fn spellings_of_one_config_resolve_alike() {
    let bare = Config::parse(&small("\"s3fifo\"", "")).unwrap();
    let full = Config::parse(&small(
        "{ kind = \"s3fifo\", small_frac = 0.1, ghost_frac = 0.9, move_to_main_threshold = 2 }",
        "clients = 1\nread_fraction = 1\nthink_time = \"0ns\"",
    ))
    .unwrap();
    assert_eq!(bare.resolved().unwrap(), full.resolved().unwrap());
    let other = Config::parse(&small("{ kind = \"s3fifo\", small_frac = 0.2 }", "")).unwrap();
    assert_ne!(bare.resolved().unwrap(), other.resolved().unwrap());
}

#[test]
fn unknown_keys_and_ranges_name_the_full_key_path() {
    let err = |eviction: &str, extra: &str| Config::parse(&small(eviction, extra)).unwrap_err();
    let e = err("{ kind = \"s3fifo\", small_frac = 0 }", "");
    assert_eq!(e.path, "tiers[0].eviction.small_frac");
    assert_eq!(e.msg, "must be in (0, 1), got 0");
    let e = err("{ kind = \"s3fifo\", smal_frac = 0.2 }", "");
    assert_eq!(e.path, "tiers[0].eviction.smal_frac");
    assert!(
        e.msg.contains("small_frac"),
        "the message lists the declared keys: {e}"
    );
    let e = err("{ kind = \"lru\", small_frac = 0.2 }", "");
    assert_eq!(e.path, "tiers[0].eviction.small_frac");
    let e = err("{ kind = \"twoq\", kin_frac = 1.5 }", "");
    assert_eq!(
        e.to_string(),
        "tiers[0].eviction.kin_frac: must be in (0, 1], got 1.5"
    );
    let e = err("{ kind = \"clock-n\", bits = 17 }", "");
    assert_eq!(
        e.to_string(),
        "tiers[0].eviction.bits: must be in [1, 16], got 17"
    );
    let e = err("\"nosuch\"", "");
    assert_eq!(e.path, "tiers[0].eviction");
    assert!(e.msg.contains("known policies: lru, fifo"), "{e}");
    let e = err("\"lru\"", "[migration]\nkind = \"hemem\"\nperiod = \"0s\"");
    assert_eq!(e.to_string(), "migration.period: must be greater than zero");
    let e = err(
        "\"lru\"",
        "[migration]\nkind = \"tpp\"\npage_faults = \"1us\"",
    );
    assert_eq!(e.path, "migration.page_faults");
    let e = err("\"lru\"", "[prefetch]\nkind = \"next-n\"\nn = 0");
    assert_eq!(e.to_string(), "prefetch.n: must be at least 1");
    let e = err("\"lru\"", "[prefetch]\nkind = \"none\"\nn = 1");
    assert_eq!(e.path, "prefetch.n");
    let e = err("\"lru\"", "colour = 1");
    assert_eq!(e.path, "workload.colour");
}

/// Every entry of a registry, resolved from its bare kind with `extra` parameters.
fn resolve_all<B>(
    reg: &tiersim::registry::Registry<tiersim::registry::Entry<B>>,
    path: &str,
) -> Vec<(&'static str, serde_json::Map<String, serde_json::Value>)> {
    reg.names()
        .into_iter()
        .map(|n| {
            let r = reg
                .resolve(n.into(), path, &ResolveCtx::default())
                .unwrap_or_else(|e| panic!("{n}: {e}"));
            (n, r)
        })
        .collect()
}

#[test]
fn every_eviction_policy_resolves_idempotently_and_builds_from_it() {
    for (name, r) in resolve_all(&eviction::REGISTRY, "e") {
        assert_eq!(r["kind"], name);
        // Every declared parameter has a default, so every one is written out.
        let fields = (eviction::REGISTRY.get(name).unwrap().fields)();
        assert_eq!(r.len(), 1 + fields.len(), "{name}: {r:?}");
        let v = to_toml(r.clone(), "e").unwrap();
        let again = eviction::REGISTRY
            .resolve(v.clone(), "e", &ResolveCtx::default())
            .unwrap();
        assert_eq!(again, r, "{name}");
        let mut params = v.as_table().unwrap().clone();
        params.remove("kind");
        let p = eviction::build(name, &params, 1000, 1).unwrap();
        assert_eq!(p.name(), name);
        params.insert("no_such_key".into(), 1.into());
        let e = eviction::build(name, &params, 1000, 1).err().unwrap();
        assert!(e.starts_with("no_such_key: unknown field"), "{name}: {e}");
    }
}

#[test]
fn every_migration_policy_and_prefetcher_resolves_idempotently_and_builds() {
    for name in migration::names() {
        let r = migration::resolve(name.into(), &ResolveCtx::default()).unwrap();
        let fields = (migration::REGISTRY.get(name).unwrap().fields)();
        // kind, the policy's parameters, the five OS costs (all have defaults).
        assert_eq!(r.len(), 1 + fields.len() + 5, "{name}: {r:?}");
        assert_eq!(r["page_fault"], "2us");
        let v = to_toml(r.clone(), "m").unwrap();
        let again = migration::resolve(v.clone(), &Default::default());
        assert_eq!(again.unwrap(), r, "{name}");
        // The constructor reads the same declaration: it builds from the resolved table.
        let ctx = migration::BuildCtx {
            seed: 1,
            fast_capacity: 1 << 20,
        };
        let p = migration::build(v, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(p.name(), name);
    }
    for (name, r) in resolve_all(&prefetch::REGISTRY, "prefetch") {
        let v = to_toml(r.clone(), "p").unwrap();
        let again = prefetch::REGISTRY
            .resolve(v.clone(), "prefetch", &Default::default())
            .unwrap();
        assert_eq!(again, r, "{name}");
        let ctx = prefetch::BuildCtx {
            capacities: vec![1 << 20],
            future: None,
        };
        match prefetch::build(v, &ctx) {
            Ok(p) => assert_eq!(p.name(), name),
            // Its parameters parsed; it needs a workload that knows its future.
            Err(e) => assert_eq!((name, e.path.as_str()), ("clairvoyant", "prefetch.kind")),
        }
    }
}

fn tiersim(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

#[test]
fn check_prints_a_runnable_config_and_names_bad_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.toml");
    std::fs::write(&good, small("\"s3fifo\"", "")).unwrap();
    let o = tiersim(&["check", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let printed = Config::parse(&text).unwrap();
    let original = Config::parse(&small("\"s3fifo\"", "")).unwrap();
    assert_eq!(printed.resolved().unwrap(), original.resolved().unwrap());
    assert!(text.contains("small_frac = 0.1"), "{text}");

    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, small("{ kind = \"s3fifo\", ghost_frac = -1 }", "")).unwrap();
    let o = tiersim(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("tiers[0].eviction.ghost_frac"), "{err}");
    // A cross reference only the model checks (a sync link that does not exist).
    std::fs::write(
        &bad,
        small("\"lru\"", "").replace(
            "kind = \"synthetic\"\npattern = \"zipf\"\nobjects = 2000\nrequests = 5000\nsize = \"4KiB\"",
            "kind = \"training\"\ndataset = { samples = 100, size = \"1KB\" }\nbatch_size = 10\ncompute = { per_batch = \"1ms\" }\nsync = { kind = \"ring\", link = \"eth\", bytes = \"1MB\" }",
        ),
    )
    .unwrap();
    let o = tiersim(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("workload.sync.link"));
}

#[test]
fn relative_paths_become_absolute_in_the_resolved_config() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cfg");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/t.txt"), "1\n2\n1\n").unwrap();
    let text = small("\"lru\"", "").replace(
        "kind = \"synthetic\"\npattern = \"zipf\"\nobjects = 2000\nrequests = 5000\nsize = \"4KiB\"",
        "kind = \"trace\"\npath = \"data/t.txt\"\nsize = \"4KiB\"",
    );
    std::fs::write(dir.join("c.toml"), &text).unwrap();
    let (cfg, _) = Config::load(&dir.join("c.toml")).unwrap();
    let r = cfg.resolved().unwrap();
    let p = PathBuf::from(r["workload"]["path"].as_str().unwrap());
    assert!(p.is_absolute(), "{}", p.display());
    assert_eq!(p, std::fs::canonicalize(dir.join("data/t.txt")).unwrap());
    // Parsed from text (no file): paths stay as written.
    let cfg = Config::parse(&text).unwrap();
    assert_eq!(cfg.resolved().unwrap()["workload"]["path"], "data/t.txt");
}
