//! Writing units: each value in the largest unit that writes it exactly ("64GiB",
//! "305ns", "6.5GB/s"), read back by the parsers to the same value; the `Serialize`
//! impls of [`Bytes`], [`Duration`] and [`Bandwidth`]; and serde adapters for structs
//! that keep plain numbers.

use super::*;

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
        use crate::config::units::{SIZE_UNITS, TIME_UNITS};
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
