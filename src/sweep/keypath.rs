//! Key paths into a TOML config (`tiers[0].capacity`, `workload.alpha`, `seed`):
//! parsing, reading and setting values in a `toml::Value`.

use std::fmt;

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A parsed key path such as `tiers[0].eviction`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPath {
    pub text: String,
    pub steps: Vec<Step>,
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl KeyPath {
    /// Parses `a.b[2].c`: keys are separated by dots, each key may be followed by any
    /// number of `[index]`. Keys are bare TOML keys (letters, digits, `_`, `-`).
    pub fn parse(text: &str) -> Result<KeyPath, String> {
        let bad = |why: &str| Err(format!("invalid key path '{text}': {why}"));
        if text.is_empty() {
            return bad("empty");
        }
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return bad("each dot-separated part starts with a bare key");
            }
            steps.push(Step::Key(key.to_string()));
            while !rest.is_empty() {
                let close = match (rest.starts_with('['), rest.find(']')) {
                    (true, Some(c)) => c,
                    _ => return bad("expected [index]"),
                };
                match rest[1..close].parse::<usize>() {
                    Ok(i) => steps.push(Step::Index(i)),
                    Err(_) => return bad("an index is a non-negative integer"),
                }
                rest = &rest[close + 1..];
            }
        }
        Ok(KeyPath {
            text: text.to_string(),
            steps,
        })
    }

    /// The value at this path, if every step exists.
    pub fn get<'a>(&self, root: &'a toml::Value) -> Option<&'a toml::Value> {
        let mut cur = root;
        for s in &self.steps {
            cur = match (s, cur) {
                (Step::Key(k), toml::Value::Table(t)) => t.get(k)?,
                (Step::Index(i), toml::Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Sets the value at this path. Missing tables on the way are created; an array
    /// index must exist, and a step into a non-table is an error naming the prefix.
    pub fn set(&self, root: &mut toml::Value, value: toml::Value) -> Result<(), String> {
        let mut cur = root;
        let mut prefix = String::new();
        for (n, s) in self.steps.iter().enumerate() {
            let last = n + 1 == self.steps.len();
            match s {
                Step::Key(k) => {
                    let here = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    let table = match cur {
                        toml::Value::Table(t) => t,
                        other => {
                            return Err(format!(
                                "{}: '{prefix}' is a {}, not a table, in the base config",
                                self.text,
                                other.type_str()
                            ))
                        }
                    };
                    if last {
                        table.insert(k.clone(), value);
                        return Ok(());
                    }
                    let next_is_index = matches!(self.steps[n + 1], Step::Index(_));
                    if !table.contains_key(k) {
                        if next_is_index {
                            return Err(format!(
                                "{}: the base config has no array '{here}'",
                                self.text
                            ));
                        }
                        table.insert(k.clone(), toml::Value::Table(toml::Table::new()));
                    }
                    cur = table.get_mut(k).expect("just checked");
                    prefix = here;
                }
                Step::Index(i) => {
                    let arr = match cur {
                        toml::Value::Array(a) => a,
                        other => {
                            return Err(format!(
                                "{}: '{prefix}' is a {}, not an array, in the base config",
                                self.text,
                                other.type_str()
                            ))
                        }
                    };
                    let len = arr.len();
                    let slot = arr.get_mut(*i).ok_or_else(|| {
                        format!(
                            "{}: index {i} is out of range: the base config's '{prefix}' has {len} entries",
                            self.text
                        )
                    })?;
                    prefix = format!("{prefix}[{i}]");
                    if last {
                        *slot = value;
                        return Ok(());
                    }
                    cur = slot;
                }
            }
        }
        Ok(())
    }

    /// The last key of the path (`capacity` for `tiers[0].capacity`).
    pub fn leaf_key(&self) -> Option<&str> {
        self.steps.iter().rev().find_map(|s| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
    }
}

/// A TOML value as a runs.csv cell: strings bare, everything else in TOML syntax.
pub fn render(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> toml::Value {
        toml::from_str("seed = 1\n[[tiers]]\nname = \"a\"\n[workload]\nkind = \"x\"\n").unwrap()
    }

    #[test]
    fn parses_keys_and_indices() {
        let p = KeyPath::parse("tiers[0].capacity").unwrap();
        assert_eq!(
            p.steps,
            vec![
                Step::Key("tiers".into()),
                Step::Index(0),
                Step::Key("capacity".into())
            ]
        );
        assert!(KeyPath::parse("a..b").is_err());
        assert!(KeyPath::parse("a[x]").is_err());
        assert!(KeyPath::parse("a[1").is_err());
    }

    #[test]
    fn sets_and_gets() {
        let mut v = base();
        let p = KeyPath::parse("tiers[0].capacity").unwrap();
        p.set(&mut v, toml::Value::String("1GiB".into())).unwrap();
        assert_eq!(p.get(&v).unwrap().as_str(), Some("1GiB"));
        let s = KeyPath::parse("sim.duration").unwrap();
        s.set(&mut v, toml::Value::String("1s".into())).unwrap();
        assert_eq!(s.get(&v).unwrap().as_str(), Some("1s"));
    }

    #[test]
    fn out_of_range_index_is_named() {
        let mut v = base();
        let e = KeyPath::parse("tiers[3].capacity")
            .unwrap()
            .set(&mut v, toml::Value::Integer(1))
            .unwrap_err();
        assert!(
            e.contains("tiers[3].capacity") && e.contains("1 entries"),
            "{e}"
        );
        let e = KeyPath::parse("seed.x")
            .unwrap()
            .set(&mut v, toml::Value::Integer(1))
            .unwrap_err();
        assert!(e.contains("not a table"), "{e}");
    }
}
