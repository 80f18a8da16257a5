//! One `[[tiers]]` or `[[links]]` entry: a name, an optional preset, and any device
//! field overriding it. The device fields are declared once, on [`DeviceSpec`] (names,
//! units, docs); an entry is resolved by laying its fields over the preset's, as a
//! table, and reading the result as a `DeviceSpec`, so a new field needs no code here.

use super::{parse_table, ConfigError};
use crate::device::{presets, DeviceSpec};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// One `[[tiers]]` (or `[[links]]`) entry: a preset plus any overridden field.
#[derive(Clone, Debug, Deserialize, Serialize, Default, PartialEq)]
pub struct DeviceConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Eviction policy for a cache tier: `"lru"` or `{ kind = "s3fifo", ... }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction: Option<toml::Value>,
    /// A `[[links]]` name that data read from this tier crosses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Where instances of this tier or link live in a cluster: `shared` (one, the
    /// default), `node` (one per node) or, for a cache tier, `cluster` (one per node,
    /// pooled: each object cached on its owner node). See `crate::config::cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<super::cluster::Scope>,
    /// CPU work of a request through this tier or link (see `crate::cpu::cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<crate::cpu::cost::CpuCostConfig>,
    /// Device fields as written ([`DeviceSpec`] names and units), overriding the
    /// preset's. Unknown keys are rejected by [`DeviceConfig::resolve`].
    #[serde(flatten, serialize_with = "canonical_fields")]
    pub fields: toml::Table,
}

/// The entry keys besides the device fields.
const ENTRY_KEYS: &[&str] = &["name", "preset", "eviction", "link", "scope", "cpu"];

impl DeviceConfig {
    /// The preset with every given field applied; errors name `path` + field.
    ///
    /// A latency given alone sets both its random and sequential value. Without a
    /// preset, `read_latency` and `read_bandwidth` are required and the write figures
    /// default to the read ones. `source` is the preset's, marked "fields overridden"
    /// when a field other than capacity differs from the preset's value.
    pub fn resolve(&self, path: &str) -> Result<DeviceSpec, ConfigError> {
        let keys = device_keys();
        if let Some(k) = self.fields.keys().find(|k| !keys.contains(&k.as_str())) {
            let expected: Vec<String> = ENTRY_KEYS
                .iter()
                .chain(keys)
                .map(|k| format!("`{k}`"))
                .collect();
            return Err(ConfigError::new(
                format!("{path}.{k}"),
                format!(
                    "unknown field `{k}`, expected one of {}",
                    expected.join(", ")
                ),
            ));
        }
        let preset = match &self.preset {
            Some(p) => Some(
                presets::preset(p).map_err(|e| ConfigError::new(format!("{path}.preset"), e))?,
            ),
            None => None,
        };
        let mut fields = self.fields.clone();
        fill(&mut fields, "read_latency_seq", "read_latency");
        if preset.is_none() {
            if let Some(k) = ["read_latency", "read_bandwidth"]
                .into_iter()
                .find(|k| !fields.contains_key(*k))
            {
                return Err(ConfigError::new(
                    format!("{path}.{k}"),
                    format!(
                        "required when no preset is given (or name a preset: {})",
                        presets::NAMES.join(", ")
                    ),
                ));
            }
            if !fields.contains_key("write_latency") {
                fill(&mut fields, "write_latency", "read_latency");
                fill(&mut fields, "write_latency_seq", "read_latency_seq");
            }
            fill(&mut fields, "write_bandwidth", "read_bandwidth");
        }
        fill(&mut fields, "write_latency_seq", "write_latency");

        let base = preset.clone().unwrap_or_else(user_defined);
        let mut table = spec_table(&base);
        table.extend(fields);
        let mut spec: DeviceSpec = parse_table(toml::Value::Table(table), path)?;
        spec.source = match &preset {
            Some(p) if changes_preset(&spec, p) => {
                format!("{} (fields overridden in the config)", p.source)
            }
            Some(p) => p.source.clone(),
            None => base.source,
        };
        spec.validate().map_err(|e| match e.split_once(": ") {
            Some((field, msg)) => ConfigError::new(format!("{path}.{field}"), msg),
            None => ConfigError::new(path, e),
        })?;
        Ok(spec)
    }

    /// This entry with every device field written out: the preset's figures with the
    /// overrides applied, in readable exact units, the preset name kept so a reader
    /// sees where the numbers came from. It resolves to exactly the same [`DeviceSpec`]
    /// (source included) as `self`.
    pub fn resolved(&self, path: &str) -> Result<DeviceConfig, ConfigError> {
        let spec = self.resolve(path)?;
        Ok(DeviceConfig {
            fields: spec_table(&spec),
            ..self.clone()
        })
    }
}

/// Sets `to` to the value given for `from` when `to` is not given.
fn fill(fields: &mut toml::Table, to: &str, from: &str) {
    if !fields.contains_key(to) {
        if let Some(v) = fields.get(from) {
            fields.insert(to.into(), v.clone());
        }
    }
}

/// The figures of a device without a preset before its fields apply. Its latencies and
/// bandwidths are placeholders: the read ones are required and the writes default to
/// them (the bandwidths are 1 B/s, not 0, only so that this spec writes out validly).
fn user_defined() -> DeviceSpec {
    DeviceSpec {
        model: "basic".into(),
        capacity: 0,
        read_latency: 0,
        read_latency_seq: 0,
        write_latency: 0,
        write_latency_seq: 0,
        read_bandwidth: 1.0,
        write_bandwidth: 1.0,
        granularity: 1,
        channels: 1,
        read_iops: 0.0,
        write_iops: 0.0,
        max_transfer: 0,
        table: Vec::new(),
        endurance_bytes: 0.0,
        read_energy_pj_per_byte: 0.0,
        write_energy_pj_per_byte: 0.0,
        cost_per_gb: 0.0,
        source: "user-defined in the config".into(),
    }
}

/// Whether `spec` differs from `preset` in a field other than capacity (sized per
/// config) and source (derived).
fn changes_preset(spec: &DeviceSpec, preset: &DeviceSpec) -> bool {
    let same_size = DeviceSpec {
        capacity: preset.capacity,
        source: preset.source.clone(),
        ..spec.clone()
    };
    same_size != *preset
}

/// `spec` as config fields (every field but the derived `source`).
fn spec_table(spec: &DeviceSpec) -> toml::Table {
    let mut table = match toml::Value::try_from(spec) {
        Ok(toml::Value::Table(t)) => t,
        other => unreachable!("a DeviceSpec serializes to a table: {other:?}"),
    };
    table.remove("source");
    table
}

/// Writes device fields in [`DeviceSpec`]'s declaration order (a `toml::Table` is
/// sorted by name), each in its canonical form ("1024KiB" is written "1MiB", as a
/// resolved entry writes it), so two spellings of one config serialize alike: sweeps
/// identify runs by the serialized config. Fields that do not parse are written as
/// given, unknown keys after the rest.
fn canonical_fields<S: Serializer>(fields: &toml::Table, s: S) -> Result<S::Ok, S::Error> {
    let mut table = spec_table(&user_defined());
    table.extend(fields.clone());
    let canonical = parse_table::<DeviceSpec>(toml::Value::Table(table), "")
        .ok()
        .map(|spec| spec_table(&spec));
    let keys = device_keys();
    let known = keys.iter().filter_map(|k| {
        let (k, v) = fields.get_key_value(*k)?;
        Some((k, canonical.as_ref().and_then(|c| c.get(k)).unwrap_or(v)))
    });
    let other = fields.iter().filter(|(k, _)| !keys.contains(&k.as_str()));
    s.collect_map(known.chain(other))
}

/// The config names of the device fields in declaration order: read from the derived
/// `Deserialize` of [`DeviceSpec`] (the names it accepts), not listed a second time.
pub fn device_keys() -> &'static [&'static str] {
    /// A deserializer that only records the field list it is asked for.
    struct FieldNames<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for FieldNames<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("field names only"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("field names only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map
            enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = DeviceSpec::deserialize(FieldNames(&mut fields));
    fields
}
