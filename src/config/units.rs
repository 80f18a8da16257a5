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
    let scaled = mantissa
        .checked_mul(factor as u128)
        .ok_or_else(|| format!("size \"{s}\" is too large"))?;
    let den = 10u128.pow(frac);
    if scaled % den != 0 {
        return Err(format!("size \"{s}\" is not a whole number of bytes"));
    }
    u64::try_from(scaled / den).map_err(|_| format!("size \"{s}\" is too large"))
}

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
    let too_long = || format!("duration \"{s}\" is too long");
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

/// Significant digits of a decimal number: "3.840" has 3, "0.05" has 1.
fn significant_digits(num: &str) -> usize {
    let digits: String = num.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len()
}

/// `n / d` as an exact decimal ("1.5"), or `None` if it needs more than 40 decimals.
fn exact_decimal(n: u128, d: u128) -> Option<String> {
    let mut out = (n / d).to_string();
    let mut r = n % d;
    if r != 0 {
        out.push('.');
    }
    for _ in 0..40 {
        if r == 0 {
            return Some(out);
        }
        r *= 10; // r < d <= 3.6e15: no overflow
        out.push(char::from(b'0' + (r / d) as u8));
        r %= d;
    }
    (r == 0).then_some(out)
}

/// Units outside the decimal series (KiB, MiB, ...; min, h): a second family.
fn other_family(unit: &str) -> bool {
    unit.ends_with("iB") || unit == "min" || unit == "h"
}

/// The readable form among `(number, unit)` candidates, largest unit first: in each
/// family (decimal units; binary units or min/h) the largest unit that parses back to
/// the same value, then of the two the one with fewer significant digits, the decimal
/// one on ties ("64GiB", not "68.719476736GB"; "4KB", not "3.90625KiB"; "25.6GB/s",
/// not "25000000KiB/s").
fn most_readable<'a>(
    candidates: impl Iterator<Item = (String, &'a str)>,
    round_trips: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut best: [Option<(usize, String)>; 2] = [None, None];
    for (num, unit) in candidates {
        let family = usize::from(other_family(unit));
        if best[family].is_none() {
            let text = format!("{num}{unit}");
            if round_trips(&text) {
                best[family] = Some((significant_digits(&num), text));
            }
        }
    }
    let [decimal, other] = best;
    match (decimal, other) {
        (Some(d), Some(o)) => Some(if o.0 < d.0 { o.1 } else { d.1 }),
        (d, o) => d.or(o).map(|(_, text)| text),
    }
}

/// A size in the largest unit that writes it exactly: "64GiB", "3.84TB", "4097B".
/// [`parse_size`] reads it back to the same number of bytes.
pub fn format_size(bytes: u64) -> String {
    let candidates = SIZE_UNITS
        .iter()
        .filter(|&&(_, f)| bytes >= f)
        .filter_map(|&(unit, f)| exact_decimal(bytes.into(), f.into()).map(|n| (n, unit)));
    most_readable(candidates, |t| parse_size(t) == Ok(bytes)).unwrap_or_else(|| "0B".into())
}

/// A duration in the largest unit that writes it exactly: "305ns", "7.191us", "25ms".
/// [`parse_duration`] reads it back to the same number of picoseconds.
pub fn format_duration(ps: Time) -> String {
    if ps == 0 {
        return "0s".into();
    }
    let candidates = TIME_UNITS
        .iter()
        .filter(|&&(_, f)| ps >= f)
        .filter_map(|&(unit, f)| exact_decimal(ps.into(), f.into()).map(|n| (n, unit)));
    most_readable(candidates, |t| parse_duration(t) == Ok(ps)).unwrap_or_else(|| format!("{ps}ps"))
}

/// A bandwidth in the largest unit that writes it exactly: "6.5GB/s", "819.2MB/s".
/// [`parse_bandwidth`] reads it back to the same `f64`, bit for bit; a value no unit
/// writes exactly falls back to bytes per second with every digit ("1234.5678B/s").
pub fn format_bandwidth(bytes_per_s: f64) -> String {
    let exact = |t: &str| parse_bandwidth(t).map(f64::to_bits) == Ok(bytes_per_s.to_bits());
    let fallback = format!("{bytes_per_s}B/s");
    if !(bytes_per_s.is_finite() && bytes_per_s > 0.0) {
        return fallback;
    }
    let candidates = SIZE_UNITS
        .iter()
        .filter(|&&(_, f)| bytes_per_s >= f as f64)
        .filter_map(|&(unit, f)| {
            // The shortest rounding of the value in this unit that parses back exactly.
            let v = bytes_per_s / f as f64;
            (0..=17).find_map(|decimals| {
                let num = format!("{v:.decimals$}");
                let num = if num.contains('.') {
                    num.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    num
                };
                exact(&format!("{num}{unit}/s")).then_some((num, unit))
            })
        });
    most_readable(candidates, |t| exact(&format!("{t}/s")))
        .map(|t| format!("{t}/s"))
        .unwrap_or(fallback)
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_size(self.0))
    }
}
impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(self.0))
    }
}
impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_bandwidth(self.0))
    }
}

/// `#[serde(with = "...")]` adapters: a struct keeps plain numbers in memory (`u64`
/// bytes and picoseconds, `f64` bytes per second: no wrapper on hot paths) and reads and
/// writes them with units ("64GiB", "305ns", "6.5GB/s"), exactly.
pub mod as_size {
    use super::*;
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        Bytes(*v).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        Bytes::deserialize(d).map(|b| b.0)
    }
}

/// A size held as `u32` (an access granularity).
pub mod as_size_u32 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        Bytes(u64::from(*v)).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let b = Bytes::deserialize(d)?.0;
        u32::try_from(b).map_err(|_| de::Error::custom("must be less than 4GiB"))
    }
}

/// A size held as `f64` (an endurance in bytes): written as a size when it is a whole
/// number of bytes (it always is when read from a size), else as a plain number.
pub mod as_size_f64 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.fract() == 0.0 && *v >= 0.0 && *v < 18_446_744_073_709_551_616.0 {
            Bytes(*v as u64).serialize(s)
        } else {
            s.serialize_f64(*v)
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = f64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size like \"16GiB\" or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                parse_size(v).map(|b| b as f64).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                u64::try_from(v).map(|b| b as f64).map_err(|_| {
                    E::custom(format!("expected a size, found the negative number {v}"))
                })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                if v >= 0.0 && v.is_finite() {
                    Ok(v)
                } else {
                    Err(E::custom(format!("expected a size, found {v}")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration held as `u64` picoseconds.
pub mod as_duration {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Time, s: S) -> Result<S::Ok, S::Error> {
        Duration(*v).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        Duration::deserialize(d).map(|t| t.0)
    }
}

/// A bandwidth held as `f64` bytes per second.
pub mod as_bandwidth {
    use super::*;
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        Bandwidth(*v).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Bandwidth::deserialize(d).map(|b| b.0)
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

    #[test]
    fn readable_forms() {
        // Each expected string is the figure as a person would write it.
        assert_eq!(format_size(64 << 30), "64GiB");
        assert_eq!(format_size(3_840_000_000_000), "3.84TB");
        assert_eq!(format_size(4000), "4KB");
        assert_eq!(format_size(4096), "4KiB");
        assert_eq!(format_size(1_572_864), "1.5MiB");
        assert_eq!(format_size(4097), "4.097KB");
        assert_eq!(format_size((1 << 20) + 1), "1.048577MB");
        assert_eq!(format_size(768 << 30), "768GiB");
        assert_eq!(format_size(1_000_000_000_000_000), "1PB");
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_duration(305_000), "305ns");
        assert_eq!(format_duration(92_000_000), "92us");
        assert_eq!(format_duration(7_191_000), "7.191us");
        assert_eq!(format_duration(25_000_000_000), "25ms");
        assert_eq!(format_duration(90_000_000_000_000), "90s");
        assert_eq!(format_duration(7_200_000_000_000_000), "2h");
        assert_eq!(format_duration(120_000_000_000_000), "2min");
        assert_eq!(format_duration(150_000_000_000_000), "150s");
        assert_eq!(format_duration(1), "1ps");
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_bandwidth(6.5e9), "6.5GB/s");
        assert_eq!(format_bandwidth(25.6 * 1e9), "25.6GB/s");
        assert_eq!(format_bandwidth(200e3 * 4096.0), "819.2MB/s");
        assert_eq!(format_bandwidth(64.0 * 1024f64.powi(3)), "64GiB/s");
        assert_eq!(format_bandwidth(0.46 * 38.4 * 1e9), "17.664GB/s");
        assert_eq!(format_bandwidth(585e3 * 4096.0), "2.39616GB/s");
        assert_eq!(format_bandwidth(1.0 / 3.0), format!("{}B/s", 1.0 / 3.0));
    }

    mod round_trip {
        use super::super::*;
        use proptest::prelude::*;

        /// A value written the way configs write them: a few digits in some unit.
        fn nice_text() -> impl Strategy<Value = (u64, u32, usize)> {
            (1u64..1_000_000, 0u32..6, 0usize..SIZE_UNITS.len())
        }

        fn decimal(mantissa: u64, decimals: u32) -> String {
            let d = 10u64.pow(decimals);
            format!(
                "{}.{:0w$}",
                mantissa / d,
                mantissa % d,
                w = decimals as usize
            )
        }

        proptest! {
            #[test]
            fn sizes(b in any::<u64>()) {
                prop_assert_eq!(parse_size(&format_size(b)), Ok(b));
            }

            #[test]
            fn durations(t in any::<u64>()) {
                prop_assert_eq!(parse_duration(&format_duration(t)), Ok(t));
            }

            #[test]
            fn bandwidths(x in any::<f64>().prop_filter("positive", |x| x.is_finite() && *x > 0.0)) {
                prop_assert_eq!(parse_bandwidth(&format_bandwidth(x)).map(f64::to_bits), Ok(x.to_bits()));
            }

            #[test]
            fn written_values((m, k, u) in nice_text()) {
                let text = format!("{}{}", decimal(m, k), SIZE_UNITS[u].0);
                if let Ok(b) = parse_size(&text) {
                    prop_assert_eq!(parse_size(&format_size(b)), Ok(b));
                }
                let x = parse_bandwidth(&format!("{text}/s")).unwrap();
                prop_assert_eq!(parse_bandwidth(&format_bandwidth(x)).map(f64::to_bits), Ok(x.to_bits()));
                let (unit, _) = TIME_UNITS[u % TIME_UNITS.len()];
                // (beyond 5,124 hours a duration does not fit: skip those)
                if let Ok(t) = parse_duration(&format!("{}{unit}", decimal(m, k))) {
                    prop_assert_eq!(parse_duration(&format_duration(t)), Ok(t));
                }
            }
        }
    }
}
