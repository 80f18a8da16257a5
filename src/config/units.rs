//! Human units in configs: sizes ("16GiB", "4KB", 4096), durations ("305ns", "10ms")
//! and bandwidths ("6.6GB/s", "100Gb/s"). Decimal prefixes are powers of 1000, binary
//! ones (KiB, MiB, ...) powers of 1024; "b" is bits and "B" bytes.

use crate::engine::Time;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// A size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Bytes(pub u64);

/// A duration in picoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub Time);

/// A bandwidth in bytes per second.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Default)]
pub struct Bandwidth(pub f64);

/// Splits "6.6GB/s" into (6.6, "GB/s").
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let num: String = s[..end].chars().filter(|&c| c != '_').collect();
    let value: f64 = num.parse().ok()?;
    Some((value, s[end..].trim()))
}

fn size_factor(unit: &str) -> Option<f64> {
    Some(match unit {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        "KiB" => 1024.0,
        "MiB" => 1024f64.powi(2),
        "GiB" => 1024f64.powi(3),
        "TiB" => 1024f64.powi(4),
        "PiB" => 1024f64.powi(5),
        _ => return None,
    })
}

/// The integer value of "16GiB"-like text when the number has no fraction and the
/// product fits: exact where an f64 product would round (values past 2^53).
fn exact(s: &str, factor: f64) -> Option<u64> {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '_'))
        .map_or(s.len(), |(i, _)| i);
    if s[end..].starts_with('.') || factor.fract() != 0.0 || factor > u64::MAX as f64 {
        return None;
    }
    let digits: String = s[..end].chars().filter(|&c| c != '_').collect();
    digits.parse::<u64>().ok()?.checked_mul(factor as u64)
}

/// Parses a size such as "16GiB", "4KB" or "512".
pub fn parse_size(s: &str) -> Result<u64, String> {
    let err = || format!("expected a size like \"16GiB\", \"4KB\" or \"512B\", found \"{s}\"");
    let (v, unit) = split_number(s).ok_or_else(err)?;
    let f = size_factor(unit).ok_or_else(err)?;
    if let Some(b) = exact(s, f) {
        return Ok(b);
    }
    let bytes = v * f;
    if bytes.fract() != 0.0 {
        return Err(format!("size \"{s}\" is not a whole number of bytes"));
    }
    Ok(bytes as u64)
}

/// Parses a duration such as "305ns", "1.5us", "10ms" or "2s".
pub fn parse_duration(s: &str) -> Result<Time, String> {
    let err = || {
        format!("expected a duration like \"305ns\", \"92us\", \"10ms\" or \"1s\", found \"{s}\"")
    };
    let (v, unit) = split_number(s).ok_or_else(err)?;
    let ps_per_unit = match unit {
        "ps" => 1.0,
        "ns" => 1e3,
        "us" | "µs" => 1e6,
        "ms" => 1e9,
        "s" => 1e12,
        "min" => 60e12,
        "h" => 3600e12,
        _ => return Err(err()),
    };
    if let Some(t) = exact(s, ps_per_unit) {
        return Ok(t);
    }
    Ok((v * ps_per_unit).round() as Time)
}

/// Parses a bandwidth such as "6.6GB/s", "100Gb/s" or "512MiB/s", in bytes per second.
pub fn parse_bandwidth(s: &str) -> Result<f64, String> {
    let err = || format!("expected a bandwidth like \"6.6GB/s\" or \"100Gb/s\", found \"{s}\"");
    let (v, unit) = split_number(s).ok_or_else(err)?;
    let per = unit.strip_suffix("/s").ok_or_else(err)?;
    let (prefix, bits) = if let Some(p) = per.strip_suffix("iB") {
        (format!("{p}iB"), false)
    } else if let Some(p) = per.strip_suffix('B') {
        (format!("{p}B"), false)
    } else if let Some(p) = per.strip_suffix('b') {
        (format!("{p}B"), true)
    } else {
        return Err(err());
    };
    let f = size_factor(&prefix).ok_or_else(err)?;
    let bw = v * f / if bits { 8.0 } else { 1.0 };
    if bw <= 0.0 {
        return Err(format!("bandwidth \"{s}\" must be greater than zero"));
    }
    Ok(bw)
}

/// Formats bytes with a binary prefix, for terminal summaries.
pub fn fmt_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.2} {}", units[i])
    }
}

/// Formats picoseconds with a readable unit.
pub fn fmt_time(t: Time) -> String {
    let t = t as f64;
    if t < 1e3 {
        format!("{t:.0} ps")
    } else if t < 1e6 {
        format!("{:.1} ns", t / 1e3)
    } else if t < 1e9 {
        format!("{:.2} us", t / 1e6)
    } else if t < 1e12 {
        format!("{:.2} ms", t / 1e9)
    } else {
        format!("{:.3} s", t / 1e12)
    }
}

struct StrOrNum<F>(&'static str, F);

impl<'de, F: Fn(&str) -> Result<u64, String>> Visitor<'de> for StrOrNum<F> {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        (self.1)(v).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| {
            E::custom(format!(
                "expected {}, found the negative number {v}",
                self.0
            ))
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrOrNum(
            "a size like \"16GiB\" or a number of bytes",
            parse_size,
        ))
        .map(Bytes)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration like \"305ns\" or \"10ms\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
                parse_duration(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                if v == 0 {
                    Ok(0)
                } else {
                    Err(E::custom(format!(
                        "expected a duration with a unit like \"{v}ns\", found the bare number {v}"
                    )))
                }
            }
        }
        d.deserialize_any(V).map(Duration)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bandwidth like \"6.6GB/s\" or \"100Gb/s\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                parse_bandwidth(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V).map(Bandwidth)
    }
}

/// `v` written with the unit (of `units`) that gives the smallest whole number, or
/// `None` when none divides it. Ties go to the earlier unit.
fn with_unit(v: u64, units: &[(&str, u64)]) -> Option<String> {
    units
        .iter()
        .filter(|(_, f)| v.is_multiple_of(*f))
        .min_by_key(|(_, f)| v / f)
        .map(|(u, f)| format!("{}{u}", v / f))
}

/// A size as the text a config would give, parsing back to exactly the same bytes:
/// "16GiB", "8MB", "4KiB", "100B".
pub fn size_text(b: u64) -> String {
    const UNITS: &[(&str, u64)] = &[
        ("PiB", 1 << 50),
        ("PB", 1_000_000_000_000_000),
        ("TiB", 1 << 40),
        ("TB", 1_000_000_000_000),
        ("GiB", 1 << 30),
        ("GB", 1_000_000_000),
        ("MiB", 1 << 20),
        ("MB", 1_000_000),
        ("KiB", 1 << 10),
        ("KB", 1_000),
    ];
    if b == 0 {
        return "0B".into();
    }
    with_unit(b, UNITS).unwrap_or_else(|| format!("{b}B"))
}

/// A duration as the text a config would give, parsing back to exactly the same
/// picoseconds: "10ms", "1500ns", "3ps".
pub fn duration_text(t: Time) -> String {
    const UNITS: &[(&str, u64)] = &[
        ("s", 1_000_000_000_000),
        ("ms", 1_000_000_000),
        ("us", 1_000_000),
        ("ns", 1_000),
    ];
    if t == 0 {
        return "0s".into();
    }
    with_unit(t, UNITS).unwrap_or_else(|| format!("{t}ps"))
}

/// Sizes serialize as human text ([`size_text`]), which parses back exactly.
impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&size_text(self.0))
    }
}
/// Durations serialize as human text ([`duration_text`]), which parses back exactly.
impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&duration_text(self.0))
    }
}
impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}B/s", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16GiB"), Ok(16 << 30));
        assert_eq!(parse_size("4KB"), Ok(4000));
        assert_eq!(parse_size("4 KiB"), Ok(4096));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("1.5MiB"), Ok(1_572_864));
        assert!(parse_size("16GB/s")
            .unwrap_err()
            .contains("expected a size"));
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("305ns"), Ok(305_000));
        assert_eq!(parse_duration("1.5us"), Ok(1_500_000));
        assert_eq!(parse_duration("10ms"), Ok(10_000_000_000));
        assert_eq!(parse_duration("2s"), Ok(2_000_000_000_000));
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10GB").is_err());
    }

    #[test]
    fn written_units_parse_back_exactly() {
        assert_eq!(size_text(16 << 30), "16GiB");
        assert_eq!(size_text(8_000_000), "8MB");
        assert_eq!(size_text(4096), "4KiB");
        assert_eq!(size_text(107_700), "107700B");
        assert_eq!(size_text(0), "0B");
        assert_eq!(duration_text(10_000_000_000), "10ms");
        assert_eq!(duration_text(1_500_000), "1500ns");
        assert_eq!(duration_text(0), "0s");
        assert_eq!(duration_text(7), "7ps");
        // Integer text is exact past 2^53, where an f64 product would round.
        let big = (1u64 << 60) + 1;
        assert_eq!(parse_size(&format!("{big}B")), Ok(big));
        assert_eq!(parse_duration(&format!("{big}ps")), Ok(big));
        for b in [
            1,
            999,
            1000,
            1024,
            1_000_000_007,
            (1 << 53) + 1,
            u64::MAX / 1024 * 1024,
        ] {
            assert_eq!(parse_size(&size_text(b)), Ok(b), "{}", size_text(b));
        }
        for t in [1, 1_000, 999_999, 3_600_000_000_000_000, u64::MAX] {
            assert_eq!(
                parse_duration(&duration_text(t)),
                Ok(t),
                "{}",
                duration_text(t)
            );
        }
    }

    #[test]
    fn bandwidths() {
        assert_eq!(parse_bandwidth("6.6GB/s"), Ok(6.6e9));
        assert_eq!(parse_bandwidth("100Gb/s"), Ok(12.5e9));
        assert_eq!(parse_bandwidth("1MiB/s"), Ok(1_048_576.0));
        assert!(parse_bandwidth("16GiB").is_err());
    }
}
