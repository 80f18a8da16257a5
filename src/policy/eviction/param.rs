//! Reading an eviction policy's parameters from its config table: known keys only,
//! numbers in range, and errors that name the policy and the key.

use super::Params;

/// Rejects keys outside `known`.
pub(crate) fn only_keys(kind: &str, params: &Params, known: &[&str]) -> Result<(), String> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(format!(
            "eviction policy '{kind}' has no parameter '{k}'; its parameters: {}",
            known.join(", ")
        )),
    }
}

/// A number `key` in `[lo, hi]` (`lo` excluded when `lo_open`), `default` when absent.
pub(crate) fn fraction(
    kind: &str,
    params: &Params,
    key: &str,
    default: f64,
    (lo, lo_open, hi): (f64, bool, f64),
) -> Result<f64, String> {
    let v = match params.get(key) {
        None => return Ok(default),
        Some(toml::Value::Float(f)) => *f,
        Some(toml::Value::Integer(i)) => *i as f64,
        Some(other) => {
            return Err(format!(
                "eviction policy '{kind}': parameter '{key}' must be a number, got {other}"
            ))
        }
    };
    let ok = v <= hi && if lo_open { v > lo } else { v >= lo };
    if !ok {
        let open = if lo_open { '(' } else { '[' };
        return Err(format!(
            "eviction policy '{kind}': parameter '{key}' must be in {open}{lo}, {hi}], got {v}"
        ));
    }
    Ok(v)
}

/// An integer `key` in `[lo, hi]`, `default` when absent.
pub(crate) fn integer(
    kind: &str,
    params: &Params,
    key: &str,
    default: i64,
    (lo, hi): (i64, i64),
) -> Result<i64, String> {
    match params.get(key) {
        None => Ok(default),
        Some(toml::Value::Integer(i)) if (lo..=hi).contains(i) => Ok(*i),
        Some(other) => Err(format!(
            "eviction policy '{kind}': parameter '{key}' must be an integer in [{lo}, {hi}], got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Params {
        s.parse().unwrap()
    }

    #[test]
    fn reads_defaults_values_and_names_bad_keys() {
        let p = table("a = 0.5\nb = 3");
        assert_eq!(fraction("x", &p, "a", 0.1, (0.0, true, 1.0)), Ok(0.5));
        assert_eq!(fraction("x", &p, "z", 0.1, (0.0, true, 1.0)), Ok(0.1));
        assert_eq!(integer("x", &p, "b", 2, (1, 8)), Ok(3));
        let e = fraction("x", &table("a = 0"), "a", 0.1, (0.0, true, 1.0)).unwrap_err();
        assert!(e.contains("'a'") && e.contains("(0, 1]"), "{e}");
        let e = integer("x", &table("b = 9"), "b", 2, (1, 8)).unwrap_err();
        assert!(e.contains("'b'"), "{e}");
        let e = only_keys("x", &p, &["a"]).unwrap_err();
        assert!(e.contains("'b'") && e.contains("'x'"), "{e}");
    }
}
