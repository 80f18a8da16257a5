//! One registry helper for every component chosen by name in a config: eviction,
//! migration and prefetch policies, workloads (and the lookup of device models).
//!
//! A component declares its parameters once, as a serde struct implementing
//! [`ComponentParams`]: `#[serde(deny_unknown_fields)]`, a `#[serde(default = ...)]`
//! per optional field, units in the field's doc comment, range checks in
//! [`ComponentParams::check`]. A registry [`Entry`] pairs a name with that declaration
//! and the component's constructor. From the declaration alone the registry
//!
//! - looks names up, with one error listing the known names ([`lookup`]);
//! - resolves a component's table ([`Registry::resolve`]): parse into the struct,
//!   check, and write it back with `kind` first and every default filled in. The
//!   result is itself a valid table that builds the same component, so `tiersim
//!   check`, manifest.json and sweeps all read the same declaration.

use crate::config::{parse_table, ConfigError, KindTable};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// A component's declared parameters. See the module doc.
pub trait ComponentParams: Serialize + DeserializeOwned {
    /// Checks serde cannot express (ranges, relations between fields). The error's
    /// path is relative to the component's table (`small_frac`, `sampler.buffer`).
    fn check(&self) -> Result<(), ConfigError> {
        Ok(())
    }

    /// The files the component reads (traces, arrival lists, size files, DLIO YAML).
    /// Resolving makes them absolute against the config file's folder, the way the run
    /// opens them, so a resolved config works from any folder; runs digest them into
    /// manifest.json and sweeps into run ids (an edited input is a different run).
    fn files(&mut self) -> Vec<&mut PathBuf> {
        Vec::new()
    }
}

/// The parameters of a component that takes none: any key is rejected.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl ComponentParams for NoParams {}

/// What resolving may know beyond the table itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResolveCtx<'a> {
    /// The config file's folder when the config came from a file: relative paths are
    /// made absolute against it. None keeps paths as written.
    pub base_dir: Option<&'a Path>,
    /// Where to list the files components read (see [`ComponentParams::files`]).
    pub inputs: Option<&'a RefCell<Vec<PathBuf>>>,
}

impl ResolveCtx<'_> {
    /// Resolves a file path a component reads: absolute against the config's folder,
    /// and listed in `inputs` when asked.
    pub fn file(&self, f: &mut PathBuf) {
        if let Some(base) = self.base_dir {
            *f = absolute(base, f);
        }
        if let Some(list) = self.inputs {
            list.borrow_mut().push(f.clone());
        }
    }
}

/// Resolves a component's parameter table (`kind` removed): the full table, every
/// declared field present (defaults filled), in declaration order. Errors name keys
/// under `path`.
pub type ResolveFn = fn(toml::Table, &str, &ResolveCtx) -> Result<Map<String, Value>, ConfigError>;

/// One registered component: its name, its declared parameters (through `resolve`
/// and `fields`) and its constructor `build` (whose signature each registry chooses).
pub struct Entry<B> {
    pub name: &'static str,
    pub resolve: ResolveFn,
    /// The parameter names it declares (optional ones included).
    pub fields: fn() -> &'static [&'static str],
    pub build: B,
}

impl<B> Entry<B> {
    /// An entry whose parameters are declared by `P`; `build` parses the same `P`
    /// (with [`parse`]) from the resolved table.
    pub const fn new<P: ComponentParams>(name: &'static str, build: B) -> Self {
        Entry {
            name,
            resolve: resolve_params::<P>,
            fields: declared_fields::<P>,
            build,
        }
    }

    /// An entry declared by `P` with a hand-written resolve step (for tables with
    /// nested kinds).
    pub const fn with_resolve<P: DeserializeOwned>(
        name: &'static str,
        resolve: ResolveFn,
        build: B,
    ) -> Self {
        Entry {
            name,
            resolve,
            fields: declared_fields::<P>,
            build,
        }
    }
}

/// The field names `T` declares as a struct (empty when it is not one), read from its
/// `Deserialize` implementation with a probe that deserializes nothing.
pub fn declared_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{Error, Visitor};
    type Failed = serde::de::value::Error;
    struct Probe<'a>(&'a std::cell::Cell<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Failed;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Failed> {
            Err(Failed::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Failed> {
            self.0.set(fields);
            Err(Failed::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }
    let cell = std::cell::Cell::new(&[][..]);
    let _ = T::deserialize(Probe(&cell));
    cell.get()
}

/// Anything listed by name in a registry.
pub trait Named {
    fn name(&self) -> &'static str;
}

impl<B> Named for Entry<B> {
    fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Named for (&'static str, T) {
    fn name(&self) -> &'static str {
        self.0
    }
}

/// The names of `entries`, in order.
pub fn names<E: Named>(entries: &[E]) -> Vec<&'static str> {
    entries.iter().map(Named::name).collect()
}

/// The entry named `name`, or "unknown {what} 'name'; known {plural}: a, b, ...".
pub fn lookup<'a, E: Named>(
    entries: &'a [E],
    name: &str,
    what: &str,
    plural: &str,
) -> Result<&'a E, String> {
    entries.iter().find(|e| e.name() == name).ok_or_else(|| {
        format!(
            "unknown {what} '{name}'; known {plural}: {}",
            names(entries).join(", ")
        )
    })
}

/// A registry: its entries and how to name them in messages.
pub struct Registry<E: 'static> {
    /// One entry, for messages: "eviction policy".
    pub what: &'static str,
    /// Several, for "known ...": "policies".
    pub plural: &'static str,
    pub entries: &'static [E],
}

impl<E: Named> Registry<E> {
    /// The registered names, in registry order.
    pub fn names(&self) -> Vec<&'static str> {
        names(self.entries)
    }

    /// The entry named `name` (the error lists the known names).
    pub fn get(&self, name: &str) -> Result<&'static E, String> {
        lookup(self.entries, name, self.what, self.plural)
    }
}

impl<B> Registry<Entry<B>> {
    /// Splits `kind = "..."` (or a bare kind name) from its parameters and finds the
    /// entry; an unknown kind is an error at `{path}.kind` (at `path` for a bare name).
    pub fn find(
        &self,
        value: toml::Value,
        path: &str,
    ) -> Result<(&'static Entry<B>, toml::Table), ConfigError> {
        let kind_path = if value.is_table() {
            format!("{path}.kind")
        } else {
            path.to_string()
        };
        let kt = KindTable::from_value(value, path)?;
        let entry = self
            .get(&kt.kind)
            .map_err(|e| ConfigError::new(kind_path, e))?;
        Ok((entry, kt.params))
    }

    /// The component's resolved table: `kind` first, then every declared parameter
    /// (defaults filled). Errors name keys under `path`.
    pub fn resolve(
        &self,
        value: toml::Value,
        path: &str,
        ctx: &ResolveCtx,
    ) -> Result<Map<String, Value>, ConfigError> {
        let (entry, params) = self.find(value, path)?;
        let mut out = Map::new();
        out.insert("kind".into(), entry.name.into());
        out.extend((entry.resolve)(params, path, ctx)?);
        Ok(out)
    }
}

/// Checks that `v` lies in the interval from `lo` to `hi` (each end open or closed):
/// "must be in (0, 1], got 0" at `key`.
pub fn in_interval(
    key: &str,
    v: f64,
    (lo, lo_open): (f64, bool),
    (hi, hi_open): (f64, bool),
) -> Result<(), ConfigError> {
    let above = if lo_open { v > lo } else { v >= lo };
    let below = if hi_open { v < hi } else { v <= hi };
    if above && below {
        return Ok(());
    }
    let (l, r) = (
        if lo_open { '(' } else { '[' },
        if hi_open { ')' } else { ']' },
    );
    Err(ConfigError::new(
        key,
        format!("must be in {l}{lo}, {hi}{r}, got {v}"),
    ))
}

/// Checks `lo <= v <= hi` for an integer: "must be in [1, 16], got 0" at `key`.
pub fn in_range(key: &str, v: u64, lo: u64, hi: u64) -> Result<(), ConfigError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!("must be in [{lo}, {hi}], got {v}"),
        ))
    }
}

/// `prefix.key` (either may be empty).
pub fn join(prefix: &str, key: &str) -> String {
    match (prefix.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}.{key}"),
    }
}

/// Parses and checks `P` from a parameter table; errors name keys under `path`.
pub fn parse<P: ComponentParams>(table: toml::Table, path: &str) -> Result<P, ConfigError> {
    let p: P = parse_table(toml::Value::Table(table), path)?;
    p.check()
        .map_err(|e| ConfigError::new(join(path, &e.path), e.msg))?;
    Ok(p)
}

/// The resolve step of a component declared by `P` (see [`ResolveFn`]).
pub fn resolve_params<P: ComponentParams>(
    table: toml::Table,
    path: &str,
    ctx: &ResolveCtx,
) -> Result<Map<String, Value>, ConfigError> {
    let mut p: P = parse(table, path)?;
    for f in p.files() {
        ctx.file(f);
    }
    to_map(&p, path)
}

/// `value` as a JSON object without nulls (absent optional fields), keys in
/// declaration order.
pub fn to_map<T: Serialize + ?Sized>(
    value: &T,
    path: &str,
) -> Result<Map<String, Value>, ConfigError> {
    match serde_json::to_value(value) {
        Ok(Value::Object(mut m)) => {
            strip_nulls(&mut m);
            Ok(m)
        }
        Ok(other) => Err(ConfigError::new(
            path,
            format!("parameters resolve to {other}, not a table"),
        )),
        Err(e) => Err(ConfigError::new(path, format!("cannot resolve: {e}"))),
    }
}

/// Removes null members (None fields) at every level: TOML has no null.
pub fn strip_nulls(m: &mut Map<String, Value>) {
    m.retain(|_, v| !v.is_null());
    for v in m.values_mut() {
        strip_value(v);
    }
}

fn strip_value(v: &mut Value) {
    match v {
        Value::Object(m) => strip_nulls(m),
        Value::Array(a) => a.iter_mut().for_each(strip_value),
        _ => {}
    }
}

/// A resolved JSON table as a TOML value (what constructors read).
pub fn to_toml(m: Map<String, Value>, path: &str) -> Result<toml::Value, ConfigError> {
    toml::Value::try_from(Value::Object(m))
        .map_err(|e| ConfigError::new(path, format!("cannot write as TOML: {e}")))
}

/// Makes `p` absolute against `base` when relative (canonical when it exists).
pub fn absolute(base: &Path, p: &Path) -> std::path::PathBuf {
    let joined = if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    };
    std::fs::canonicalize(&joined)
        .or_else(|_| std::path::absolute(&joined))
        .unwrap_or(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        /// Fraction of the cache, in (0, 1].
        #[serde(default = "half")]
        frac: f64,
        /// Optional count (absent: derived by the component).
        count: Option<u64>,
    }
    fn half() -> f64 {
        0.5
    }
    impl ComponentParams for Demo {
        fn check(&self) -> Result<(), ConfigError> {
            if self.frac > 0.0 && self.frac <= 1.0 {
                Ok(())
            } else {
                Err(ConfigError::new(
                    "frac",
                    format!("must be in (0, 1], got {}", self.frac),
                ))
            }
        }
    }

    const REG: Registry<Entry<()>> = Registry {
        what: "demo thing",
        plural: "things",
        entries: &[
            Entry::new::<Demo>("demo", ()),
            Entry::new::<NoParams>("plain", ()),
        ],
    };

    fn value(s: &str) -> toml::Value {
        toml::from_str::<toml::Table>(s).unwrap()["x"].clone()
    }

    #[test]
    fn resolves_kind_first_with_defaults_and_drops_absent_options() {
        let ctx = ResolveCtx::default();
        let m = REG.resolve(value("x = \"demo\""), "c", &ctx).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"kind":"demo","frac":0.5}"#
        );
        let m = REG
            .resolve(value("x = { kind = \"demo\", count = 3 }"), "c", &ctx)
            .unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"kind":"demo","frac":0.5,"count":3}"#
        );
        // Resolving a resolved table changes nothing.
        let again = REG
            .resolve(to_toml(m.clone(), "c").unwrap(), "c", &ctx)
            .unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn errors_name_the_full_key_path() {
        let ctx = ResolveCtx::default();
        let e = REG
            .resolve(
                value("x = { kind = \"demo\", frac = 0 }"),
                "tiers[0].eviction",
                &ctx,
            )
            .unwrap_err();
        assert_eq!(e.path, "tiers[0].eviction.frac");
        assert_eq!(e.msg, "must be in (0, 1], got 0");
        let e = REG
            .resolve(value("x = { kind = \"plain\", frac = 0.5 }"), "p", &ctx)
            .unwrap_err();
        assert_eq!(e.path, "p.frac");
        let e = REG.resolve(value("x = \"nope\""), "p", &ctx).unwrap_err();
        assert_eq!(e.path, "p");
        assert_eq!(
            e.msg,
            "unknown demo thing 'nope'; known things: demo, plain"
        );
        let e = REG
            .resolve(value("x = { kind = \"nope\" }"), "p", &ctx)
            .unwrap_err();
        assert_eq!(e.path, "p.kind");
    }

    #[test]
    fn declared_fields_include_optional_ones() {
        assert_eq!(declared_fields::<Demo>(), ["frac", "count"]);
        assert!(declared_fields::<NoParams>().is_empty());
        assert!(declared_fields::<u64>().is_empty());
        assert_eq!((REG.entries[0].fields)(), ["frac", "count"]);
    }

    #[test]
    fn lookup_works_on_plain_name_pairs() {
        let models: &[(&str, u8)] = &[("basic", 1), ("optane", 2)];
        assert_eq!(
            lookup(models, "optane", "device model", "models")
                .unwrap()
                .1,
            2
        );
        assert_eq!(
            lookup(models, "x", "device model", "models").unwrap_err(),
            "unknown device model 'x'; known models: basic, optane"
        );
    }
}
