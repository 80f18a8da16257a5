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

/// Splits "6.6GB/s" into ("6.6", "GB/s"): the number without `_` separators, and the unit.
fn split_number(s: &str) -> (String, &str) {
    let s = s.trim();
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let num = s[..end].chars().filter(|&c| c != '_').collect();
    (num, s[end..].trim())
}

/// A decimal number as exact integers: "12.50" is (125, 1), meaning 125 / 10^1.
fn parse_decimal(num: &str) -> Option<(u128, u32)> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits_only = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits_only(int) || !digits_only(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 38 || frac.len() > 38 {
        return None; // beyond u128: no size or duration needs that many digits
    }
    let mantissa = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    Some((mantissa, frac.len() as u32))
}

/// Size units, largest first: (name, bytes).
const SIZE_UNITS: &[(&str, u64)] = &[
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
    ("B", 1),
];

/// Duration units, largest first: (name, picoseconds).
const TIME_UNITS: &[(&str, u64)] = &[
    ("h", 3_600_000_000_000_000),
    ("min", 60_000_000_000_000),
    ("s", 1_000_000_000_000),
    ("ms", 1_000_000_000),
    ("us", 1_000_000),
    ("ns", 1_000),
    ("ps", 1),
];

fn size_bytes(unit: &str) -> Option<u64> {
    match unit {
        "" => Some(1),
        "kB" => Some(1_000),
        _ => SIZE_UNITS.iter().find(|(n, _)| *n == unit).map(|&(_, f)| f),
    }
}

fn size_factor(unit: &str) -> Option<f64> {
    size_bytes(unit).map(|f| f as f64)
}

/// Parses a size such as "16GiB", "4KB" or "512", exactly (no floating point).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let err = || format!("expected a size like \"16GiB\", \"4KB\" or \"512B\", found \"{s}\"");
    let (num, unit) = split_number(s);
    let (mantissa, frac) = parse_decimal(&num).ok_or_else(err)?;
    let factor = size_bytes(unit).ok_or_else(err)?;
    let too_large = || format!("size \"{s}\" is too large: {LARGEST_SIZE}");
    let scaled = mantissa.checked_mul(factor as u128).ok_or_else(too_large)?;
    let den = 10u128.pow(frac);
    if scaled % den != 0 {
        return Err(format!("size \"{s}\" is not a whole number of bytes"));
    }
    u64::try_from(scaled / den).map_err(|_| too_large())
}

/// What the largest size is, for messages.
const LARGEST_SIZE: &str =
    "the largest is 18446744073709551615B (2^64 - 1 bytes, just under 16EiB)";

/// What the longest duration is, for messages.
pub const LONGEST_DURATION: &str =
    "the longest is 18446744.073709551615s (2^64 - 1 picoseconds, about 213 days)";

/// Parses a duration such as "305ns", "1.5us", "10ms" or "2s", exactly; a fraction of
/// a picosecond rounds to the nearest (halves up).
pub fn parse_duration(s: &str) -> Result<Time, String> {
    let err = || {
        format!("expected a duration like \"305ns\", \"92us\", \"10ms\" or \"1s\", found \"{s}\"")
    };
    let (num, unit) = split_number(s);
    let (mantissa, frac) = parse_decimal(&num).ok_or_else(err)?;
    let unit = if unit == "µs" { "us" } else { unit };
    let ps_per_unit = TIME_UNITS
        .iter()
        .find(|(n, _)| *n == unit)
        .map(|&(_, f)| f)
        .ok_or_else(err)?;
    let too_long = || format!("duration \"{s}\" is too long: {LONGEST_DURATION}");
    let scaled = mantissa
        .checked_mul(ps_per_unit as u128)
        .ok_or_else(too_long)?;
    let den = 10u128.pow(frac);
    let (q, r) = (scaled / den, scaled % den);
    let ps = if r >= den - r { q + 1 } else { q };
    u64::try_from(ps).map_err(|_| too_long())
}

/// Parses a bandwidth such as "6.6GB/s", "100Gb/s" or "512MiB/s", in bytes per second.
pub fn parse_bandwidth(s: &str) -> Result<f64, String> {
    let err = || format!("expected a bandwidth like \"6.6GB/s\" or \"100Gb/s\", found \"{s}\"");
    let (num, unit) = split_number(s);
    let v: f64 = num.parse().map_err(|_| err())?;
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
    if !bw.is_finite() {
        return Err(format!(
            "bandwidth \"{s}\" is too large: the largest is {:e}B/s",
            f64::MAX
        ));
    }
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

mod write;
pub use write::{
    as_bandwidth, as_duration, as_size, as_size_f64, as_size_u32, format_bandwidth,
    format_duration, format_size,
};

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
    fn bandwidths() {
        assert_eq!(parse_bandwidth("6.6GB/s"), Ok(6.6e9));
        assert_eq!(parse_bandwidth("100Gb/s"), Ok(12.5e9));
        assert_eq!(parse_bandwidth("1MiB/s"), Ok(1_048_576.0));
        assert!(parse_bandwidth("16GiB").is_err());
    }

    #[test]
    fn exact_parsing_beyond_f64_precision() {
        // 2^53 + 1 has no f64: read as decimal integers, it stays exact.
        assert_eq!(parse_size("9007199254740993"), Ok(9_007_199_254_740_993));
        assert_eq!(
            parse_duration("9007199254740993ps"),
            Ok(9_007_199_254_740_993)
        );
        assert!(parse_size("16EiB").is_err());
        assert!(parse_size("18446744073709551616")
            .unwrap_err()
            .contains("too large"));
        assert!(parse_size("1.5B").unwrap_err().contains("whole number"));
        // A fraction of a picosecond rounds to the nearest, halves up.
        assert_eq!(parse_duration("1.4ps"), Ok(1));
        assert_eq!(parse_duration("0.0025ns"), Ok(3));
        assert!(parse_duration("1.2.3ns").is_err());
        assert!(parse_duration(".ns").is_err());
    }
}
