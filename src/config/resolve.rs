//! The resolved config: every component's table (each cache tier's eviction policy,
//! the workload, migration, prefetch) parsed into its declared parameters and written
//! back with `kind` first and every default filled in; `seed` and `[sim]` filled too.
//!
//! [`Config::parse`] resolves the component tables in place, so the model is built
//! from exactly what [`Config::resolved`] reports: `tiersim check` prints it as TOML,
//! manifest.json records it as JSON, and sweeps check key paths against it. The
//! resolved config is itself a valid config that runs identically (tests/params.rs).
//!
//! File paths (trace files, arrival files, empirical size files) are made absolute
//! when the config was loaded from a file (they are relative to its folder), so the
//! resolved config works wherever it is written. A config parsed from text keeps
//! paths as written (relative to the current folder, as it runs).

use super::{Config, ConfigError};
use crate::engine::MS;
use crate::policy::{eviction, migration, prefetch};
use crate::registry::{strip_nulls, to_map, to_toml, ResolveCtx};
use crate::workload;
use serde_json::{Map, Value};

/// The kind a cache tier without `eviction` uses.
pub const DEFAULT_EVICTION: &str = "lru";

impl Config {
    /// Replaces each component table by its resolved form and fills `[sim]`'s
    /// defaults; `ctx` makes relative paths absolute. Called by [`Config::parse`].
    pub(super) fn resolve_components(&mut self, ctx: &ResolveCtx) -> Result<(), ConfigError> {
        self.sim.sample_interval.get_or_insert(super::Duration(MS));
        let home = self.tiers.len().saturating_sub(1);
        for (i, t) in self.tiers.iter_mut().enumerate().take(home) {
            let path = format!("tiers[{i}].eviction");
            let v = t.eviction.take().unwrap_or_else(|| DEFAULT_EVICTION.into());
            t.eviction = Some(to_toml(eviction::REGISTRY.resolve(v, &path, ctx)?, &path)?);
        }
        if let Some(w) = self.workload.take() {
            let w = workload::REGISTRY.resolve(w, "workload", ctx)?;
            self.workload = Some(to_toml(w, "workload")?);
        }
        for (i, j) in self.jobs.iter_mut().enumerate() {
            let path = format!("jobs[{i}].workload");
            let w = workload::REGISTRY.resolve(j.workload.clone(), &path, ctx)?;
            j.workload = to_toml(w, &path)?;
        }
        if let Some(m) = self.migration.take() {
            self.migration = Some(to_toml(migration::resolve(m, ctx)?, "migration")?);
        }
        if let Some(p) = self.prefetch.take() {
            let p = prefetch::REGISTRY.resolve(p, "prefetch", ctx)?;
            self.prefetch = Some(to_toml(p, "prefetch")?);
        }
        Ok(())
    }

    /// The whole config as it runs, as JSON in config order (`seed`, `[sim]`, tiers,
    /// links, workload, migration, prefetch; each component `kind` first). Absent
    /// optional values are left out (TOML has no null).
    pub fn resolved(&self) -> Result<Value, ConfigError> {
        // Resolving a resolved table changes nothing; it restores declaration order
        // (the stored TOML tables sort their keys).
        let ctx = ResolveCtx::default();
        let mut out = Map::new();
        out.insert("seed".into(), self.seed.into());
        out.insert("sim".into(), Value::Object(to_map(&self.sim, "sim")?));
        for (key, list) in [("tiers", &self.tiers), ("links", &self.links)] {
            let mut arr = Vec::with_capacity(list.len());
            for (i, t) in list.iter().enumerate() {
                // Every device field written out (the preset's values and the
                // overrides), the preset kept so a reader sees where they came from.
                let path = format!("{key}[{i}]");
                let mut m = to_map(&t.resolved(&path)?, &path)?;
                if let Some(e) = &t.eviction {
                    let path = format!("{key}[{i}].eviction");
                    let r = eviction::REGISTRY.resolve(e.clone(), &path, &ctx)?;
                    m.insert("eviction".into(), Value::Object(r));
                }
                arr.push(Value::Object(m));
            }
            out.insert(key.into(), Value::Array(arr));
        }
        if let Some(c) = &self.cluster {
            out.insert("cluster".into(), Value::Object(to_map(c, "cluster")?));
        }
        if let Some(c) = &self.cpu {
            out.insert("cpu".into(), Value::Object(to_map(c, "cpu")?));
        }
        if let Some(w) = &self.workload {
            let w = workload::REGISTRY.resolve(w.clone(), "workload", &ctx)?;
            out.insert("workload".into(), Value::Object(w));
        }
        if !self.jobs.is_empty() {
            let mut arr = Vec::with_capacity(self.jobs.len());
            for (i, j) in self.jobs.iter().enumerate() {
                let path = format!("jobs[{i}]");
                let mut m = to_map(j, &path)?;
                let w = workload::REGISTRY.resolve(
                    j.workload.clone(),
                    &format!("{path}.workload"),
                    &ctx,
                )?;
                m.insert("workload".into(), Value::Object(w));
                arr.push(Value::Object(m));
            }
            out.insert("jobs".into(), Value::Array(arr));
        }
        if let Some(m) = &self.migration {
            out.insert(
                "migration".into(),
                Value::Object(migration::resolve(m.clone(), &ctx)?),
            );
        }
        if let Some(p) = &self.prefetch {
            let p = prefetch::REGISTRY.resolve(p.clone(), "prefetch", &ctx)?;
            out.insert("prefetch".into(), Value::Object(p));
        }
        if !self.faults.is_empty() {
            let mut arr = Vec::with_capacity(self.faults.len());
            for (i, f) in self.faults.iter().enumerate() {
                arr.push(Value::Object(to_map(f, &format!("faults[{i}]"))?));
            }
            out.insert("faults".into(), Value::Array(arr));
        }
        if let Some(r) = &self.reader {
            out.insert("reader".into(), Value::Object(to_map(r, "reader")?));
        }
        if !self.replicas.is_empty() {
            out.insert(
                "replicas".into(),
                Value::Object(to_map(&self.replicas, "replicas")?),
            );
        }
        strip_nulls(&mut out);
        Ok(Value::Object(out))
    }

    /// The files the config's components read (traces, arrival lists, size files, DLIO
    /// YAML; see [`crate::registry::ComponentParams::files`]), in config order, each once.
    pub fn input_files(&self) -> Vec<std::path::PathBuf> {
        let list = std::cell::RefCell::new(Vec::new());
        // Paths as the run opens them: against the config's folder (already absolute
        // when it was parsed from a file; as written for text, which the model also
        // resolves against `base_dir`).
        let ctx = ResolveCtx {
            base_dir: self.base_dir.as_deref(),
            inputs: Some(&list),
        };
        let tables = self
            .workload
            .iter()
            .chain(self.jobs.iter().map(|j| &j.workload));
        for w in tables {
            let _ = workload::REGISTRY.resolve(w.clone(), "workload", &ctx);
        }
        let mut files = list.into_inner();
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(f.clone()));
        files
    }

    /// [`Config::resolved`] as TOML text: a valid config that runs identically.
    pub fn resolved_toml(&self) -> Result<String, ConfigError> {
        let v = self.resolved()?;
        toml::to_string(&v).map_err(|e| ConfigError::new("", format!("cannot write TOML: {e}")))
    }
}
