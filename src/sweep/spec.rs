//! The sweep spec file: a base config (a path relative to the spec, or an inline
//! `[base]` table), a `[grid]` of key paths to value lists (cartesian product),
//! `[[zip]]` groups of equal-length lists varied together, `repeats`, and an optional
//! `[search]` for the largest value of one integer key whose metric meets a threshold.

use super::keypath::KeyPath;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::path::Path;

/// Key paths and their value lists, in the order they appear in the file.
#[derive(Debug, Default, Clone)]
pub struct Ordered(pub Vec<(String, toml::Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of key paths to lists of values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, toml::Value>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    base: toml::Value,
    #[serde(default)]
    grid: Ordered,
    #[serde(default)]
    zip: Vec<Ordered>,
    repeats: Option<i64>,
    search: Option<RawSearch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSearch {
    key: String,
    low: i64,
    high: i64,
    metric: String,
    at_least: Option<f64>,
    at_most: Option<f64>,
}

/// `[search]`: the largest value of the integer key `key` in `low..=high` whose
/// `metric` is at least `at_least` (or at most `at_most`), by bisection assuming the
/// metric meets the threshold up to some value and not beyond (src/sweep/search.rs).
#[derive(Debug, Clone)]
pub struct Search {
    pub key: KeyPath,
    pub low: i64,
    pub high: i64,
    /// A runs.csv metric column (`workload.au`; a bare workload figure such as `au`
    /// is taken as `workload.au` when no column has that name).
    pub metric: String,
    /// The threshold and its direction (true: at least).
    pub threshold: f64,
    pub at_least: bool,
}

/// One axis of the sweep: one key path (a grid entry) or several varied together
/// (a zip group). `values[j][k]` is the j-th value of `paths[k]`.
#[derive(Debug, Clone)]
pub struct Dimension {
    pub paths: Vec<KeyPath>,
    pub values: Vec<Vec<toml::Value>>,
}

/// A parsed sweep spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The base config as a TOML value (a table).
    pub base: toml::Value,
    /// Where the base came from (a file path or "inline [base]"), for messages.
    pub base_origin: String,
    /// Grid entries first (declared order), then zip groups (declared order).
    pub dims: Vec<Dimension>,
    pub repeats: u64,
    /// The folder relative paths in the base config resolve against: the base
    /// config's own (or the spec's, for an inline `[base]`), as `tiersim run` does.
    pub base_dir: Option<std::path::PathBuf>,
    pub search: Option<Search>,
}

impl Spec {
    /// Every swept key path, in column order.
    pub fn params(&self) -> Vec<&KeyPath> {
        self.dims.iter().flat_map(|d| d.paths.iter()).collect()
    }

    /// Reads a spec file; a relative `base` path is resolved against its folder.
    pub fn load(path: &Path) -> anyhow::Result<Spec> {
        let text = crate::trace::lines::read_text(path, crate::config::MAX_CONFIG_BYTES)
            .map_err(|e| anyhow::anyhow!("cannot read the sweep spec: {e}"))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        Spec::parse(&text, dir).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses spec text; `dir` is the folder a relative `base` path starts from.
    pub fn parse(text: &str, dir: &Path) -> Result<Spec, String> {
        let raw: RawSpec =
            toml::from_str(text).map_err(|e| format!("not a valid sweep spec: {}", e.message()))?;
        let mut base_dir = Some(dir.to_path_buf());
        let (base, base_origin) = match raw.base {
            toml::Value::String(p) => {
                let full = dir.join(&p);
                let t = std::fs::read_to_string(&full)
                    .map_err(|e| format!("base: cannot read '{}': {e}", full.display()))?;
                let v: toml::Value = toml::from_str(&t).map_err(|e| {
                    format!(
                        "base: '{}' is not valid TOML: {}",
                        full.display(),
                        e.message()
                    )
                })?;
                base_dir = full.parent().map(Path::to_path_buf);
                (v, full.display().to_string())
            }
            v @ toml::Value::Table(_) => (v, "inline [base]".to_string()),
            _ => return Err("base: expected a config path or a [base] table".into()),
        };
        let repeats = match raw.repeats {
            None => 1,
            Some(n) if n >= 1 => n as u64,
            Some(n) => return Err(format!("repeats: must be at least 1, got {n}")),
        };
        let mut dims = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut key = |k: &str, at: &str| -> Result<KeyPath, String> {
            let p = KeyPath::parse(k).map_err(|e| format!("{at}: {e}"))?;
            if !seen.insert(k.to_string()) {
                return Err(format!("{at}: key path '{k}' is swept twice"));
            }
            Ok(p)
        };
        let list = |v: toml::Value, at: String| -> Result<Vec<toml::Value>, String> {
            match v {
                toml::Value::Array(a) if !a.is_empty() => Ok(a),
                toml::Value::Array(_) => Err(format!("{at}: the value list is empty")),
                _ => Err(format!("{at}: expected a list of values")),
            }
        };
        for (k, v) in raw.grid.0 {
            let path = key(&k, "grid")?;
            let vals = list(v, format!("grid.\"{k}\""))?;
            dims.push(Dimension {
                paths: vec![path],
                values: vals.into_iter().map(|x| vec![x]).collect(),
            });
        }
        for (zi, group) in raw.zip.into_iter().enumerate() {
            let at = format!("zip[{zi}]");
            if group.0.is_empty() {
                return Err(format!("{at}: an empty zip group"));
            }
            let mut paths = Vec::new();
            let mut cols: Vec<Vec<toml::Value>> = Vec::new();
            for (k, v) in group.0 {
                paths.push(key(&k, &at)?);
                let vals = list(v, format!("{at}.\"{k}\""))?;
                if let Some(first) = cols.first() {
                    if first.len() != vals.len() {
                        return Err(format!(
                            "{at}: lists of a zip group must have equal lengths: '{}' has {}, '{k}' has {}",
                            paths[0], first.len(), vals.len()
                        ));
                    }
                }
                cols.push(vals);
            }
            let n = cols[0].len();
            let values = (0..n)
                .map(|j| cols.iter().map(|c| c[j].clone()).collect())
                .collect();
            dims.push(Dimension { paths, values });
        }
        let search = match raw.search {
            None => None,
            Some(s) => {
                let path = key(&s.key, "search.key")?;
                if s.low > s.high {
                    return Err(format!(
                        "search: low ({}) must be at most high ({})",
                        s.low, s.high
                    ));
                }
                // The bisection works on low - 1 ..= high + 1.
                const BOUND: i64 = 1 << 62;
                if s.low < -BOUND || s.high > BOUND {
                    return Err(format!(
                        "search: low and high must lie within -2^62..=2^62, got {}..={}",
                        s.low, s.high
                    ));
                }
                if repeats > 1 {
                    return Err("search: repeats must be 1 (each probe is one run)".into());
                }
                let (threshold, at_least) = match (s.at_least, s.at_most) {
                    (Some(x), None) => (x, true),
                    (None, Some(x)) => (x, false),
                    _ => return Err("search: give exactly one of at_least and at_most".into()),
                };
                if !threshold.is_finite() {
                    return Err("search: the threshold must be a finite number".into());
                }
                Some(Search {
                    key: path,
                    low: s.low,
                    high: s.high,
                    metric: s.metric,
                    threshold,
                    at_least,
                })
            }
        };
        Ok(Spec {
            base,
            base_origin,
            dims,
            repeats,
            base_dir,
            search,
        })
    }

    /// Number of runs: the product of the axis lengths times `repeats` (saturating at
    /// `u64::MAX`).
    pub fn len(&self) -> u64 {
        self.dims
            .iter()
            .map(|d| d.values.len() as u64)
            .fold(self.repeats, u64::saturating_mul)
    }

    /// True when the spec expands to no run (never: every axis is non-empty).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[base]\nseed = 1\n";

    #[test]
    fn keeps_declared_order_and_counts_runs() {
        let s = Spec::parse(
            &format!(
                "repeats = 2\n[grid]\n\"z\" = [1, 2]\n\"a\" = [1, 2, 3]\n[[zip]]\nm = [1, 2]\nn = [3, 4]\n{BASE}"
            ),
            Path::new(""),
        )
        .unwrap();
        let names: Vec<String> = s.params().iter().map(|p| p.text.clone()).collect();
        assert_eq!(names, ["z", "a", "m", "n"]);
        assert_eq!(s.len(), 2 * 3 * 2 * 2);
    }

    #[test]
    fn rejects_bad_specs_with_the_key() {
        let e = Spec::parse(
            &format!("[[zip]]\nm = [1, 2]\nn = [3]\n{BASE}"),
            Path::new(""),
        )
        .unwrap_err();
        assert!(e.contains("zip[0]") && e.contains("equal lengths"), "{e}");
        let e = Spec::parse(&format!("[grid]\nx = []\n{BASE}"), Path::new("")).unwrap_err();
        assert!(e.contains("grid.\"x\"") && e.contains("empty"), "{e}");
        let e = Spec::parse(&format!("repeats = 0\n{BASE}"), Path::new("")).unwrap_err();
        assert!(e.contains("repeats"), "{e}");
        let e = Spec::parse("base = \"/nonexistent/x.toml\"\n", Path::new("")).unwrap_err();
        assert!(
            e.contains("base") && e.contains("/nonexistent/x.toml"),
            "{e}"
        );
    }
}
