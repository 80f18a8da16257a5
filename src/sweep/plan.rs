//! Expansion of a spec into runs: key-path validation before anything runs (in
//! `validate.rs`), the cartesian product in a stable order, derived repeat seeds, and
//! run ids.
//!
//! - Order (the "expansion index"): nested loops over the axes in spec order, the
//!   first grid key varying slowest, zip groups after the grid keys, repeats innermost.
//! - Repeat seeds: with `repeats = N > 1`, repeat r of a grid point whose config seed
//!   is s runs with seed_r = (first 8 bytes of SHA-256("tiersim.sweep.repeat/{s}/{r}")
//!   read big-endian) >> 1 (63 bits, so it fits a TOML integer). With N = 1 the seed is
//!   the config's own.
//! - Run id: the first 16 hex digits of SHA-256 of the canonical JSON (keys sorted,
//!   no whitespace) of the resolved config (`runner::resolved_config`: every default
//!   filled in, presets resolved, seed included). When the config reads files (a
//!   trace, arrival list, size file or DLIO YAML), the hashed JSON is
//!   `{"config": <resolved>, "inputs": [<SHA-256 of each file>]}` instead, so an edited
//!   input is a new run that `--resume` does not skip. A combination that does not parse
//!   gets the hash of its unparsed config instead and is recorded as failed without
//!   running.

use super::keypath::render;
use super::spec::Spec;
pub use super::validate::validate_paths;
use crate::config::Config;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One run of the sweep.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub index: usize,
    pub id: String,
    pub repeat: u64,
    pub seed: u64,
    /// The swept values, rendered as runs.csv cells, in column order.
    pub params: Vec<String>,
    /// The config to run, or why the combination is invalid.
    pub config: Result<Config, String>,
}

/// The expanded sweep.
#[derive(Debug, Clone)]
pub struct Plan {
    pub params: Vec<String>,
    pub repeats: u64,
    pub runs: Vec<PlannedRun>,
}

/// Seed of repeat `r` of a grid point with config seed `seed` (see the module doc).
pub fn repeat_seed(seed: u64, r: u64) -> u64 {
    let d = Sha256::digest(format!("tiersim.sweep.repeat/{seed}/{r}").as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) >> 1
}

/// JSON with every object's keys sorted, written without whitespace.
pub fn canonical_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            x => x.clone(),
        }
    }
    serde_json::to_string(&sort(v)).expect("JSON values serialize")
}

/// First 16 hex digits of SHA-256 of `text`.
pub fn short_hash(text: &str) -> String {
    crate::report::digest(text.as_bytes())[..16].to_string()
}

/// Parses a config value the way `tiersim run` parses a file in folder `dir` (the
/// base config's, against which its relative paths resolve).
pub(super) fn parse_value(
    v: &toml::Value,
    dir: Option<&std::path::Path>,
) -> Result<Config, String> {
    let text = toml::to_string(v).map_err(|e| format!("cannot serialize the config: {e}"))?;
    Config::parse_in(&text, dir).map_err(|e| e.to_string())
}

/// The grid points of `spec` in expansion order: the base with each point's values
/// set, and the values as runs.csv cells.
pub(super) fn grid_points(spec: &Spec) -> anyhow::Result<Vec<(toml::Value, Vec<String>)>> {
    let lens: Vec<usize> = spec.dims.iter().map(|d| d.values.len()).collect();
    let points: usize = lens
        .iter()
        .try_fold(1usize, |p, &n| p.checked_mul(n))
        .filter(|p| p.checked_mul(spec.repeats as usize).is_some())
        .ok_or_else(|| anyhow::anyhow!("the grid has more runs than this machine can count"))?;
    let mut out = Vec::with_capacity(points.min(1 << 16));
    for p in 0..points {
        // Mixed-radix digits of p, the last axis varying fastest.
        let mut digits = vec![0; lens.len()];
        let mut rest = p;
        for (a, &n) in lens.iter().enumerate().rev() {
            digits[a] = rest % n;
            rest /= n;
        }
        let mut value = spec.base.clone();
        let mut cells = Vec::new();
        for (d, &j) in spec.dims.iter().zip(&digits) {
            for (path, v) in d.paths.iter().zip(&d.values[j]) {
                path.set(&mut value, v.clone())
                    .map_err(|e| anyhow::anyhow!("unknown key path '{path}': {e}"))?;
                cells.push(render(v));
            }
        }
        out.push((value, cells));
    }
    Ok(out)
}

/// Runs planned so far, and the index of each run id (two runs resolving to one
/// config are an error).
#[derive(Default)]
pub(super) struct Planner {
    pub runs: Vec<PlannedRun>,
    seen: std::collections::HashMap<String, usize>,
    /// SHA-256 of each input file read so far (each file is read once per plan).
    digests: std::collections::HashMap<std::path::PathBuf, String>,
}

impl Planner {
    /// Plans repeat `r` (of `repeats`) of the config `value` with swept values `cells`.
    pub fn add(
        &mut self,
        spec: &Spec,
        params: &[String],
        value: &toml::Value,
        cells: &[String],
        r: u64,
    ) -> anyhow::Result<&PlannedRun> {
        let mut v = value.clone();
        let mut config = parse_value(&v, spec.base_dir.as_deref());
        if spec.repeats > 1 {
            if let Ok(c) = &config {
                let s = repeat_seed(c.seed, r);
                v.as_table_mut()
                    .expect("table")
                    .insert("seed".into(), toml::Value::Integer(s as i64));
                config = parse_value(&v, spec.base_dir.as_deref());
            }
        }
        let resolved = config
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|c| crate::runner::resolved_config(c, c.seed).map_err(|e| format!("{e:#}")));
        let (id, config) = match resolved {
            Ok(json) => {
                let files = config.as_ref().map(Config::input_files).unwrap_or_default();
                let json = if files.is_empty() {
                    json
                } else {
                    let sums: Vec<Value> = files.iter().map(|f| self.digest(f).into()).collect();
                    json!({ "config": json, "inputs": sums })
                };
                (short_hash(&canonical_json(&json)), config)
            }
            Err(e) => {
                let raw = serde_json::to_value(&v).unwrap_or(Value::Null);
                let id = short_hash(&canonical_json(&json!({ "unparsed_config": raw })));
                (id, Err(e))
            }
        };
        let index = self.runs.len();
        if let Some(&other) = self.seen.get(&id) {
            anyhow::bail!(
                "runs {other} and {index} resolve to the same config (id {id}): {} / {}",
                describe(params, &self.runs[other].params),
                describe(params, cells)
            );
        }
        self.seen.insert(id.clone(), index);
        let seed = config
            .as_ref()
            .map(|c| c.seed)
            .unwrap_or_else(|_| v.get("seed").and_then(|s| s.as_integer()).unwrap_or(0) as u64);
        self.runs.push(PlannedRun {
            index,
            id,
            repeat: r,
            seed,
            params: cells.to_vec(),
            config,
        });
        Ok(&self.runs[index])
    }

    /// The file's SHA-256, or why it cannot be read (the run then fails when it builds).
    fn digest(&mut self, f: &std::path::Path) -> String {
        self.digests
            .entry(f.to_path_buf())
            .or_insert_with(|| {
                crate::report::manifest::digest_file(f)
                    .unwrap_or_else(|e| format!("unreadable: {e}"))
            })
            .clone()
    }
}

/// Expands the spec into its runs (after [`validate_paths`]). Two runs with the same
/// resolved config are an error naming both.
pub fn expand(spec: &Spec) -> anyhow::Result<Plan> {
    validate_paths(spec)?;
    let params: Vec<String> = spec.params().iter().map(|p| p.text.clone()).collect();
    let mut planner = Planner::default();
    for (value, cells) in grid_points(spec)? {
        for r in 0..spec.repeats {
            planner.add(spec, &params, &value, &cells, r)?;
        }
    }
    Ok(Plan {
        params,
        repeats: spec.repeats,
        runs: planner.runs,
    })
}

/// `a=1, b=lru` for messages.
pub fn describe(params: &[String], cells: &[String]) -> String {
    params
        .iter()
        .zip(cells)
        .map(|(p, c)| format!("{p}={c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Plan {
    /// The plan.json form: everything merge needs to rebuild runs.csv (no configs,
    /// no clock).
    pub fn to_file(&self) -> PlanFile {
        PlanFile {
            format: PLAN_FORMAT.into(),
            params: self.params.clone(),
            repeats: self.repeats,
            runs: self
                .runs
                .iter()
                .map(|r| PlanEntry {
                    index: r.index,
                    id: r.id.clone(),
                    repeat: r.repeat,
                    seed: r.seed,
                    params: r.params.clone(),
                    error: r.config.as_ref().err().cloned(),
                })
                .collect(),
        }
    }
}

/// The `format` of plan.json.
pub const PLAN_FORMAT: &str = "tiersim-sweep-plan/1";

/// plan.json: the expanded sweep without configs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct PlanFile {
    pub format: String,
    pub params: Vec<String>,
    pub repeats: u64,
    pub runs: Vec<PlanEntry>,
}

/// One run in plan.json; `error` is set when the combination is invalid.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct PlanEntry {
    pub index: usize,
    pub id: String,
    pub repeat: u64,
    pub seed: u64,
    pub params: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl PlanFile {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("serializable") + "\n"
    }

    /// Reads `dir/plan.json`.
    pub fn load(dir: &std::path::Path) -> anyhow::Result<(PlanFile, Vec<u8>)> {
        let path = dir.join("plan.json");
        let bytes = std::fs::read(&path).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot read ({e}); is this a sweep output folder?",
                path.display()
            )
        })?;
        let plan: PlanFile = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: not a sweep plan: {e}", path.display()))?;
        if plan.format != PLAN_FORMAT {
            anyhow::bail!("{}: unknown plan format '{}'", path.display(), plan.format);
        }
        Ok((plan, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[{"q":1,"p":2}],"x":0.5}}"#).unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":0.5,"y":[{"p":2,"q":1}]},"b":1}"#
        );
    }

    #[test]
    fn repeat_seeds_follow_the_documented_hash() {
        // `echo -n tiersim.sweep.repeat/42/1 | sha256sum` starts 222d19b6b2424bf6;
        // 0x222d19b6b2424bf6 >> 1 = 1231326421853480443.
        assert_eq!(repeat_seed(42, 1), 1_231_326_421_853_480_443);
        assert_ne!(repeat_seed(42, 0), repeat_seed(42, 1));
    }

    const BASE: &str = r#"
[base]
seed = 5
[[base.tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1MiB"
[[base.tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[base.workload]
kind = "synthetic"
pattern = "uniform"
objects = 100
requests = 100
size = "4KiB"
"#;

    fn plan(body: &str) -> anyhow::Result<Plan> {
        let spec = Spec::parse(&format!("{body}\n{BASE}"), std::path::Path::new("")).unwrap();
        expand(&spec)
    }

    #[test]
    fn expands_grid_zip_and_repeats_in_order_with_stable_ids() {
        let body = r#"
repeats = 2
[grid]
"tiers[0].eviction" = ["lru", "fifo"]
[[zip]]
"tiers[0].capacity" = ["1MiB", "2MiB"]
"workload.objects" = [100, 200]
"#;
        let p = plan(body).unwrap();
        assert_eq!(p.runs.len(), 8);
        let cells: Vec<String> = p.runs.iter().map(|r| r.params.join("/")).collect();
        assert_eq!(
            cells,
            [
                "lru/1MiB/100",
                "lru/1MiB/100",
                "lru/2MiB/200",
                "lru/2MiB/200",
                "fifo/1MiB/100",
                "fifo/1MiB/100",
                "fifo/2MiB/200",
                "fifo/2MiB/200"
            ]
        );
        for r in &p.runs {
            assert_eq!(r.seed, repeat_seed(5, r.repeat));
            assert_eq!(r.config.as_ref().unwrap().seed, r.seed);
            assert_eq!(r.id.len(), 16);
            assert!(r.id.chars().all(|c| c.is_ascii_hexdigit()));
        }
        let again = plan(body).unwrap();
        let ids = |p: &Plan| p.runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&p), ids(&again));
        let unique: std::collections::HashSet<_> = ids(&p).into_iter().collect();
        assert_eq!(unique.len(), 8);
    }

    #[test]
    fn two_spellings_of_one_config_are_an_error() {
        let e = plan("[grid]\n\"tiers[0].capacity\" = [\"1MiB\", \"1024KiB\"]")
            .unwrap_err()
            .to_string();
        assert!(e.contains("runs 0 and 1 resolve to the same config"), "{e}");
    }

    #[test]
    fn an_invalid_combination_is_a_failed_run_not_an_error() {
        let p = plan("[grid]\n\"tiers[0].capacity\" = [\"0B\", \"2MiB\"]").unwrap();
        let e = p.runs[0].config.as_ref().unwrap_err();
        assert!(e.contains("tiers[0].capacity"), "{e}");
        assert!(p.runs[1].config.is_ok());
        assert_eq!(p.to_file().runs[0].error.as_deref(), Some(e.as_str()));
    }
}
