//! Key-path validation of a sweep spec before anything runs: every swept path must be
//! declared by the config or by the component it names (its parameter struct), read
//! from the base config resolved under each combination of the swept kinds. No model
//! is built. See docs/sweeps.md.

use super::keypath::{KeyPath, Step};
use super::plan::parse_value;
use super::spec::Spec;
use serde_json::Value;

/// The value at `path` in a resolved (JSON) config.
fn json_get<'a>(root: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(root, |cur, s| match s {
        Step::Key(k) => cur.as_object()?.get(k),
        Step::Index(i) => cur.as_array()?.get(*i),
    })
}

/// The parameter names declared by the table at `parent` in a resolved config: the
/// config's own keys, `[sim]`'s, a tier's or link's, or a component's (by its `kind`).
/// None for deeper tables (their declared defaults are in the resolved config).
fn declared_at(resolved: &Value, parent: &[Step]) -> Option<Vec<&'static str>> {
    use crate::config::{Config, DeviceConfig, SimConfig};
    use crate::policy::{eviction, migration, prefetch};
    use crate::registry::declared_fields;
    use Step::{Index, Key};
    let kind = || json_get(resolved, parent)?.get("kind")?.as_str();
    fn key(s: &Step) -> Option<&str> {
        match s {
            Key(k) => Some(k.as_str()),
            Index(_) => None,
        }
    }
    Some(match parent {
        [] => declared_fields::<Config>().to_vec(),
        [s] if key(s) == Some("sim") => declared_fields::<SimConfig>().to_vec(),
        [s, Index(_)] if matches!(key(s), Some("tiers" | "links")) => {
            declared_fields::<DeviceConfig>().to_vec()
        }
        [t, Index(_), e] if key(t) == Some("tiers") && key(e) == Some("eviction") => {
            (eviction::REGISTRY.get(kind()?).ok()?.fields)().to_vec()
        }
        [s] if key(s) == Some("workload") => {
            (crate::workload::REGISTRY.get(kind()?).ok()?.fields)().to_vec()
        }
        [s] if key(s) == Some("prefetch") => {
            (prefetch::REGISTRY.get(kind()?).ok()?.fields)().to_vec()
        }
        [s] if key(s) == Some("migration") => {
            let mut f = (migration::REGISTRY.get(kind()?).ok()?.fields)().to_vec();
            f.extend(declared_fields::<migration::OsCosts>());
            f
        }
        _ => return None,
    })
}

/// Whether a declaration names `path` in `resolved`: it is there (every declared
/// parameter with a default appears in a resolved config), or its last key is
/// declared by the table holding it (optional parameters, absent when not given).
fn declared(resolved: &Value, path: &KeyPath) -> bool {
    if json_get(resolved, &path.steps).is_some() {
        return true;
    }
    match path.steps.split_last() {
        Some((Step::Key(leaf), parent)) => json_get(resolved, parent).is_some_and(|p| {
            p.is_object()
                && declared_at(resolved, parent).is_some_and(|f| f.contains(&leaf.as_str()))
        }),
        _ => false,
    }
}

/// Whether a swept path chooses a component's kind (so other paths may be declared
/// by only some of its values): `....kind`, `tiers[i].eviction`, `workload`,
/// `migration`, `prefetch`.
fn chooses_kind(path: &KeyPath) -> bool {
    use Step::{Index, Key};
    match path.steps.as_slice() {
        [.., Key(k)] if k == "kind" => true,
        [Key(t), Index(_), Key(e)] => t == "tiers" && e == "eviction",
        [Key(k)] => matches!(k.as_str(), "workload" | "migration" | "prefetch"),
        _ => false,
    }
}

/// Most base variants (combinations of swept kinds) resolved for validation.
const MAX_VARIANTS: usize = 256;

/// The base config under each combination of the swept kind values (the base alone
/// when no kind is swept).
fn kind_variants(spec: &Spec) -> Vec<toml::Value> {
    let mut variants = vec![spec.base.clone()];
    for d in spec
        .dims
        .iter()
        .filter(|d| d.paths.iter().any(chooses_kind))
    {
        let mut next = Vec::new();
        for v in &variants {
            for row in &d.values {
                let mut w = v.clone();
                let ok = d
                    .paths
                    .iter()
                    .zip(row)
                    .all(|(p, x)| p.set(&mut w, x.clone()).is_ok());
                if ok && next.len() < MAX_VARIANTS {
                    next.push(w);
                }
            }
        }
        variants = next;
    }
    variants
}

/// Checks every swept key path against the declarations before anything runs. A path
/// is known when it is in the base config as written; or declared in the resolved
/// base under some combination of the swept kinds (see [`declared`]); or, for an
/// optional key deeper in a component (`workload.sync.servers`), the base with the
/// path's first value set resolves and holds it. Otherwise it is an error naming the
/// path. No model is built.
pub fn validate_paths(spec: &Spec) -> anyhow::Result<()> {
    if !spec.base.is_table() {
        anyhow::bail!("{}: the base config is not a table", spec.base_origin);
    }
    parse_value(&spec.base, spec.base_dir.as_deref())
        .map_err(|e| anyhow::anyhow!("{}: {e}", spec.base_origin))?;
    let variants = kind_variants(spec);
    let resolved: Vec<Value> = variants
        .iter()
        .filter_map(|v| {
            parse_value(v, spec.base_dir.as_deref())
                .ok()?
                .resolved()
                .ok()
        })
        .collect();
    for d in &spec.dims {
        for (k, path) in d.paths.iter().enumerate() {
            if path.get(&spec.base).is_some() || resolved.iter().any(|r| declared(r, path)) {
                continue;
            }
            let mut why = String::from("not declared");
            let mut known = false;
            for v in &variants {
                let mut w = v.clone();
                path.set(&mut w, d.values[0][k].clone())
                    .map_err(|e| anyhow::anyhow!("unknown key path '{path}': {e}"))?;
                match parse_value(&w, spec.base_dir.as_deref())
                    .and_then(|c| c.resolved().map_err(|e| e.to_string()))
                {
                    Ok(r) if declared(&r, path) => known = true,
                    Ok(_) => {}
                    Err(e) => why = e,
                }
                if known {
                    break;
                }
            }
            if !known {
                anyhow::bail!(
                    "unknown key path '{path}': not in the base config ({}) nor declared by \
                     the component it names ({why})",
                    spec.base_origin
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[base]
[[base.tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "1MiB"
eviction = { kind = "lru" }
[[base.tiers]]
name = "nvme"
preset = "nvme-tlc-pcie3"
[[base.links]]
name = "net"
preset = "rdma-100g"
[base.workload]
kind = "synthetic"
pattern = "uniform"
objects = 100
requests = 100
size = "4KiB"
"#;

    fn check(grid: &str) -> anyhow::Result<()> {
        let spec = Spec::parse(&format!("[grid]\n{grid}\n{BASE}"), std::path::Path::new(""))
            .map_err(anyhow::Error::msg)?;
        validate_paths(&spec)
    }

    #[test]
    fn declared_paths_pass_and_undeclared_ones_are_named() {
        // A default of the workload, absent from the base as written.
        check("\"workload.clients\" = [1, 4]").unwrap();
        // An optional parameter without a default (absent from the resolved base).
        check("\"workload.rate\" = [1000.0]").unwrap();
        // A parameter only some swept kinds declare.
        check("\"tiers[0].eviction.kind\" = [\"lru\", \"s3fifo\"]\n\"tiers[0].eviction.small_frac\" = [0.1, 0.2]").unwrap();
        // The OS costs every migration policy shares.
        check("\"migration\" = [\"hemem\", \"tpp\"]\n\"migration.page_fault\" = [\"1us\"]")
            .unwrap();
        for (grid, path) in [
            ("\"tiers[0].eviction.small_frac\" = [0.1]", "tiers[0].eviction.small_frac"),
            ("\"tiers[0].eviction.kind\" = [\"lru\", \"s3fifo\"]\n\"tiers[0].eviction.smal_frac\" = [0.1]", "tiers[0].eviction.smal_frac"),
            ("\"workload.alpah\" = [0.9]", "workload.alpah"),
            ("\"migration\" = [\"hemem\"]\n\"migration.scan_size\" = [\"1MiB\"]", "migration.scan_size"),
        ] {
            let e = check(grid).unwrap_err().to_string();
            assert!(e.starts_with(&format!("unknown key path '{path}'")), "{e}");
        }
    }
}
