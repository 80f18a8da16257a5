//! `[[tiers]]` / `[[links]]` entries: presets resolve unchanged, a resolved entry written
//! out as TOML reads back to exactly the same device, one override changes one field,
//! and a device without a preset follows its defaulting rules.

use serde::Serialize;
use tiersim::config::{device_keys, Config, DeviceConfig};
use tiersim::device::{presets, DeviceSpec};

const WORKLOAD: &str = "[workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = 10\nrequests = 10\nsize = \"4KB\"\n";

/// The resolved spec of the only tier of a config whose `[[tiers]]` body is `tier`.
fn tier(tier: &str) -> (DeviceConfig, DeviceSpec) {
    let cfg = Config::parse(&format!("[[tiers]]\nname = \"t\"\n{tier}\n{WORKLOAD}"))
        .unwrap_or_else(|e| panic!("{tier}: {e}"));
    let entry = cfg.tiers[0].clone();
    let spec = entry.resolve("tiers[0]").unwrap();
    (entry, spec)
}

fn tier_err(tier: &str) -> String {
    Config::parse(&format!("[[tiers]]\nname = \"t\"\n{tier}\n{WORKLOAD}"))
        .unwrap_err()
        .to_string()
}

/// Writes the entry resolved, as a `check` command would, and parses that text again.
fn round_trip(entry: &DeviceConfig) -> (String, DeviceSpec) {
    #[derive(Serialize)]
    struct Doc {
        tiers: Vec<DeviceConfig>,
        workload: toml::Value,
    }
    let doc = Doc {
        tiers: vec![entry.resolved("tiers[0]").unwrap()],
        workload: toml::from_str::<toml::Table>(WORKLOAD).unwrap()["workload"].clone(),
    };
    let text = toml::to_string(&doc).unwrap();
    let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let spec = cfg.tiers[0].resolve("tiers[0]").unwrap();
    (text, spec)
}

/// Field-by-field equality with floats compared bit for bit.
fn assert_same(a: &DeviceSpec, b: &DeviceSpec, what: &str) {
    assert_eq!(a, b, "{what}");
    for (x, y) in [
        (a.read_bandwidth, b.read_bandwidth),
        (a.write_bandwidth, b.write_bandwidth),
        (a.endurance_bytes, b.endurance_bytes),
        (a.read_energy_pj_per_byte, b.read_energy_pj_per_byte),
        (a.write_energy_pj_per_byte, b.write_energy_pj_per_byte),
        (a.cost_per_gb, b.cost_per_gb),
    ] {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}");
    }
}

#[test]
fn every_preset_resolves_to_itself() {
    for name in presets::NAMES {
        let (_, spec) = tier(&format!("preset = \"{name}\""));
        assert_same(&spec, &presets::preset(name).unwrap(), name);
        // Resizing is not changing the device.
        let (_, resized) = tier(&format!("preset = \"{name}\"\ncapacity = \"1MiB\""));
        assert_eq!(resized.capacity, 1 << 20);
        assert_eq!(resized.source, spec.source, "{name}");
    }
}

#[test]
fn a_resolved_entry_reads_back_to_the_same_device() {
    for name in presets::NAMES {
        let (entry, spec) = tier(&format!("preset = \"{name}\""));
        let (text, again) = round_trip(&entry);
        assert_same(&again, &spec, &text);
        assert!(text.contains(&format!("preset = \"{name}\"")), "{text}");
        assert!(!again.source.contains("overridden"), "{text}");
    }
    // Overrides, including a latency given alone, a bit rate and a fractional value.
    let (entry, spec) = tier(
        "preset = \"optane-pmm\"\nread_latency = \"250.5ns\"\nwrite_bandwidth = \"100Gb/s\"\nendurance = \"1.5PiB\"\ncost_per_gb = 0.1",
    );
    let (text, again) = round_trip(&entry);
    assert_same(&again, &spec, &text);
    assert!(spec.source.ends_with("(fields overridden in the config)"));
    assert_eq!(spec.source.matches("overridden").count(), 1);
    // Figures are written in readable units.
    for want in [
        "read_latency = \"250.5ns\"",
        "read_latency_seq = \"250.5ns\"",
        "write_latency = \"94ns\"",
        "read_bandwidth = \"39.4GB/s\"",
        "write_bandwidth = \"12.5GB/s\"",
        "capacity = \"768GiB\"",
        "endurance = \"1.5PiB\"",
    ] {
        assert!(text.contains(want), "{want} missing in\n{text}");
    }
    // A device without a preset, with odd values that have no short form.
    let (entry, spec) = tier(
        "read_latency = \"1234567ps\"\nread_bandwidth = \"1234.5678B/s\"\ncapacity = 1000001\nchannels = 3",
    );
    let (text, again) = round_trip(&entry);
    assert_same(&again, &spec, &text);
    assert_eq!(again.source, "user-defined in the config");
    assert!(!text.contains("preset"), "{text}");
}

#[test]
fn a_tier_with_eviction_and_link_round_trips_as_toml() {
    let text = format!(
        "[[tiers]]\nname = \"dram\"\npreset = \"ddr4-3200\"\ncapacity = \"1MiB\"\neviction = {{ kind = \"s3fifo\", small_frac = 0.1 }}\n\
         [[tiers]]\nname = \"remote\"\npreset = \"nvme-tlc-pcie4\"\nlink = \"net\"\n\
         [[links]]\nname = \"net\"\npreset = \"rdma-100g\"\n{WORKLOAD}"
    );
    let cfg = Config::parse(&text).unwrap();
    #[derive(Serialize)]
    struct Doc<'a> {
        tiers: Vec<DeviceConfig>,
        links: Vec<DeviceConfig>,
        workload: &'a toml::Value,
    }
    let resolve_all = |list: &[DeviceConfig], key: &str| -> Vec<DeviceConfig> {
        list.iter()
            .enumerate()
            .map(|(i, e)| e.resolved(&format!("{key}[{i}]")).unwrap())
            .collect()
    };
    let doc = Doc {
        tiers: resolve_all(&cfg.tiers, "tiers"),
        links: resolve_all(&cfg.links, "links"),
        workload: cfg.workload.as_ref().unwrap(),
    };
    let out = toml::to_string(&doc).unwrap();
    let again = Config::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(again.tiers[0].eviction, cfg.tiers[0].eviction);
    assert_eq!(again.tiers[1].link.as_deref(), Some("net"));
    let (a, b) = tiersim::model::resolve_devices(&cfg).unwrap();
    let (c, d) = tiersim::model::resolve_devices(&again).unwrap();
    assert_eq!((a, b), (c, d));
    // Fields are written in DeviceSpec's order, after the entry's own keys.
    let dram = &out[out.find("name = \"dram\"").unwrap()..];
    let pos = |k: &str| dram.find(&format!("\n{k} = ")).unwrap();
    assert!(pos("preset") < pos("model"));
    assert!(pos("model") < pos("capacity") && pos("capacity") < pos("read_latency"));
    assert!(pos("write_bandwidth") < pos("granularity"));
}

#[test]
fn one_override_changes_exactly_that_field() {
    let base = presets::preset("optane-pmm").unwrap();
    // (key, value as written, the preset with that change made by hand)
    type Edit = fn(&mut DeviceSpec);
    let cases: &[(&str, &str, Edit)] = &[
        ("model", "\"basic\"", |s| s.model = "basic".into()),
        ("capacity", "\"1GiB\"", |s| s.capacity = 1 << 30),
        // A latency given alone sets its sequential value too.
        ("read_latency", "\"1us\"", |s| {
            s.read_latency = 1_000_000;
            s.read_latency_seq = 1_000_000;
        }),
        ("read_latency_seq", "\"1us\"", |s| {
            s.read_latency_seq = 1_000_000
        }),
        ("write_latency", "\"2us\"", |s| {
            s.write_latency = 2_000_000;
            s.write_latency_seq = 2_000_000;
        }),
        ("write_latency_seq", "\"2us\"", |s| {
            s.write_latency_seq = 2_000_000
        }),
        ("read_bandwidth", "\"1GB/s\"", |s| s.read_bandwidth = 1e9),
        ("write_bandwidth", "\"8Gb/s\"", |s| s.write_bandwidth = 1e9),
        ("granularity", "\"4KiB\"", |s| s.granularity = 4096),
        ("channels", "3", |s| s.channels = 3),
        ("read_iops", "1000", |s| s.read_iops = 1000.0),
        ("write_iops", "2.5e3", |s| s.write_iops = 2500.0),
        ("max_transfer", "\"128KiB\"", |s| s.max_transfer = 128 << 10),
        // Table points are read by the table model only: the case names it too.
        (
            "table",
            "[{ op = \"read\", pattern = \"random\", size = \"4KiB\", qd = 2, bandwidth = \"1MB/s\", latency = \"3us\" }]\nmodel = \"table\"",
            |s| {
                s.model = "table".into();
                s.table = vec![tiersim::device::TablePoint {
                    op: tiersim::device::table::PointOp::Read,
                    pattern: tiersim::device::table::PointPattern::Random,
                    size: 4096,
                    qd: 2,
                    bandwidth: 1e6,
                    latency: 3_000_000,
                }];
            },
        ),
        ("endurance", "\"1PB\"", |s| s.endurance_bytes = 1e15),
        ("read_energy_pj_per_byte", "1.5", |s| {
            s.read_energy_pj_per_byte = 1.5
        }),
        ("write_energy_pj_per_byte", "2.5", |s| {
            s.write_energy_pj_per_byte = 2.5
        }),
        ("cost_per_gb", "9", |s| s.cost_per_gb = 9.0),
    ];
    // Every device field is covered: a new field must be added here.
    let covered: Vec<&str> = cases.iter().map(|c| c.0).collect();
    assert_eq!(covered, device_keys());
    for (key, value, edit) in cases {
        let (_, spec) = tier(&format!("preset = \"optane-pmm\"\n{key} = {value}"));
        let mut want = base.clone();
        edit(&mut want);
        assert_ne!(want, base, "{key}: the case must change something");
        if *key != "capacity" {
            want.source = format!("{} (fields overridden in the config)", base.source);
        }
        assert_same(&spec, &want, key);
    }
    // Restating a preset's own value is not an override.
    let (_, same) = tier("preset = \"optane-pmm\"\nread_bandwidth = \"39.4GB/s\"\nchannels = 48");
    assert_same(&same, &base, "restated");
}

#[test]
fn a_device_without_preset_defaults_writes_to_reads() {
    let (_, s) =
        tier("read_latency = \"1us\"\nread_latency_seq = \"500ns\"\nread_bandwidth = \"2GB/s\"");
    assert_eq!((s.read_latency, s.read_latency_seq), (1_000_000, 500_000));
    assert_eq!((s.write_latency, s.write_latency_seq), (1_000_000, 500_000));
    assert_eq!((s.read_bandwidth, s.write_bandwidth), (2e9, 2e9));
    assert_eq!(
        (s.model.as_str(), s.granularity, s.channels),
        ("basic", 1, 1)
    );
    assert_eq!(
        (s.capacity, s.endurance_bytes, s.cost_per_gb),
        (0, 0.0, 0.0)
    );
    // A write latency given alone sets both write values; the read ones stay.
    let (_, s) = tier("read_latency = \"1us\"\nread_bandwidth = \"2GB/s\"\nwrite_latency = \"3us\"\nwrite_bandwidth = \"1GB/s\"");
    assert_eq!(
        (s.write_latency, s.write_latency_seq),
        (3_000_000, 3_000_000)
    );
    assert_eq!((s.read_latency_seq, s.write_bandwidth), (1_000_000, 1e9));
    // Only the sequential write given: the random one still follows the read.
    let (_, s) =
        tier("read_latency = \"1us\"\nread_bandwidth = \"2GB/s\"\nwrite_latency_seq = \"4us\"");
    assert_eq!(
        (s.write_latency, s.write_latency_seq),
        (1_000_000, 4_000_000)
    );

    let e = tier_err("read_bandwidth = \"2GB/s\"");
    assert!(e.starts_with("tiers[0].read_latency: required"), "{e}");
    let e = tier_err("read_latency = \"1us\"");
    assert!(e.starts_with("tiers[0].read_bandwidth: required"), "{e}");
}

#[test]
fn bad_fields_are_named() {
    let e = tier_err("preset = \"ddr4-3200\"\nsource = \"my lab\"");
    assert!(
        e.starts_with("tiers[0].source: unknown field `source`, expected one of `name`"),
        "{e}"
    );
    let e = tier_err("preset = \"ddr4-3200\"\nread_latency = 5");
    assert!(
        e.starts_with("tiers[0].read_latency: expected a duration"),
        "{e}"
    );
    let e = tier_err("preset = \"ddr4-3200\"\nwrite_bandwidth = \"5GB\"");
    assert!(
        e.starts_with("tiers[0].write_bandwidth: expected a bandwidth"),
        "{e}"
    );
    let e = tier_err("preset = \"ddr4-3200\"\ngranularity = \"4GiB\"");
    assert!(
        e.starts_with("tiers[0].granularity: must be less than 4GiB"),
        "{e}"
    );
    let e = tier_err("preset = \"ddr4-3200\"\nchannels = 0");
    assert!(
        e.starts_with("tiers[0].channels: must be at least 1"),
        "{e}"
    );
    let e = tier_err("preset = \"ddr4-3200\"\nmodel = \"magic\"");
    assert!(e.starts_with("tiers[0].model: unknown device model"), "{e}");
}

#[test]
fn overrides_serialize_in_one_spelling() {
    // Sweeps identify a run by its serialized config: two spellings must agree.
    let (a, _) = tier("preset = \"ddr4-3200\"\ncapacity = \"1MiB\"\nread_latency = \"0.1us\"");
    let (b, _) = tier("preset = \"ddr4-3200\"\nread_latency = \"100ns\"\ncapacity = \"1024KiB\"");
    let text = toml::to_string(&a).unwrap();
    assert_eq!(text, toml::to_string(&b).unwrap());
    assert!(
        text.contains("capacity = \"1MiB\"\nread_latency = \"100ns\""),
        "{text}"
    );
    // Only the given fields are written (the resolved form is `resolved`).
    assert!(!text.contains("read_latency_seq"), "{text}");
}
