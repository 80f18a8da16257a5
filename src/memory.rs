//! Up-front memory estimates. Before a run, a `trace gen` or a sweep plan allocates,
//! the memory its counts imply (objects, samples, channels, loader slots, requests,
//! grid points) is estimated and compared with the memory available to the process
//! (the smallest of MemAvailable, the address-space limit and the cgroup limit); what
//! cannot fit is refused with the estimate and the key responsible, instead of
//! aborting in the allocator after eating the machine's memory. `--no-memory-check`
//! overrides. The estimates are coarse (the large tables only, at their element
//! sizes, not every byte): they catch counts that are off by orders of magnitude.

use crate::config::Config;
use serde_json::Value;

/// Bytes a cache tier keeps per object it holds (index entry and policy node).
const PER_CACHED_OBJECT: u64 = 64;
/// Bytes of a request in a loader's batch.
const PER_REQUEST: u64 = 32;

/// The large allocations of one job: (key responsible, bytes, what it is).
#[derive(Debug, Default, Clone)]
pub struct Estimate {
    items: Vec<(String, u64, String)>,
}

impl Estimate {
    /// Adds `count x each` bytes for `what`, charged to `key` (saturating).
    pub fn add(&mut self, key: &str, count: u64, each: u64, what: &str) {
        let bytes = count.saturating_mul(each);
        if bytes > 0 {
            self.items.push((key.into(), bytes, what.into()));
        }
    }

    /// The total in bytes.
    pub fn total(&self) -> u64 {
        self.items
            .iter()
            .fold(0u64, |t, (_, b, _)| t.saturating_add(*b))
    }

    /// The largest item: (key, bytes, what).
    pub fn largest(&self) -> Option<&(String, u64, String)> {
        self.items.iter().max_by_key(|(_, b, _)| *b)
    }

    /// An error when the total exceeds `available` bytes, naming the largest item.
    pub fn check_against(&self, available: Option<u64>) -> Result<(), String> {
        let (Some(avail), Some((key, bytes, what))) = (available, self.largest()) else {
            return Ok(());
        };
        let total = self.total();
        if total <= avail {
            return Ok(());
        }
        Err(format!(
            "{key}: needs about {} of memory ({} for {what}), but {} is available: \
             reduce it, or pass --no-memory-check to try anyway",
            fmt(total),
            fmt(*bytes),
            fmt(avail)
        ))
    }

    /// [`Estimate::check_against`] the memory available now.
    pub fn check(&self) -> Result<(), String> {
        self.check_against(available())
    }
}

fn fmt(b: u64) -> String {
    crate::config::units::fmt_bytes(b as f64)
}

/// Memory the process may still allocate: the smallest of MemAvailable, the
/// address-space limit (less what is mapped) and the cgroup limit (less what is used);
/// None where none is known (not Linux).
pub fn available() -> Option<u64> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let kib_field = |text: &str, key: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        let kib: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    };
    let mut limits = Vec::new();
    if let Some(m) = read("/proc/meminfo").and_then(|t| kib_field(&t, "MemAvailable:")) {
        limits.push(m);
    }
    if let Some(l) = read("/proc/self/limits") {
        let soft = |key: &str| -> Option<u64> {
            let line = l.lines().find(|x| x.starts_with(key))?;
            line[key.len()..].split_whitespace().next()?.parse().ok()
        };
        let mapped = read("/proc/self/status")
            .and_then(|t| kib_field(&t, "VmSize:"))
            .unwrap_or(0);
        if let Some(as_limit) = soft("Max address space") {
            limits.push(as_limit.saturating_sub(mapped));
        }
        if let Some(data) = soft("Max data size") {
            let data_used = read("/proc/self/status")
                .and_then(|t| kib_field(&t, "VmData:"))
                .unwrap_or(0);
            limits.push(data.saturating_sub(data_used));
        }
    }
    let cg = |f: &str| read(&format!("/sys/fs/cgroup/{f}")).and_then(|t| t.trim().parse().ok());
    if let Some(max) = cg("memory.max") {
        let used: u64 = cg("memory.current").unwrap_or(0);
        limits.push(max.saturating_sub(used));
    }
    limits.into_iter().min()
}

/// A number at a JSON pointer of the resolved config (0 when absent).
fn num(v: &Value, pointer: &str) -> u64 {
    match v.pointer(pointer) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// Whether a size spec in the resolved config is one fixed size (no per-object table).
fn fixed_size(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::String(_)) | Some(Value::Number(_)) => true,
        Some(t) => t.get("dist").and_then(Value::as_str) == Some("fixed"),
    }
}

/// The smallest object a size spec in the resolved config gives (1 when unknown).
fn min_size(v: Option<&Value>) -> u64 {
    let size = |x: Option<&Value>| match x {
        Some(Value::String(s)) => crate::config::units::parse_size(s).ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    match v {
        Some(t @ (Value::String(_) | Value::Number(_))) => size(Some(t)),
        Some(t) => size(t.get("value")).or_else(|| size(t.get("min"))),
        None => None,
    }
    .unwrap_or(1)
    .max(1)
}

/// The large allocations of a run of `cfg`.
pub fn for_config(cfg: &Config) -> Estimate {
    let mut e = Estimate::default();
    let Ok((tiers, links)) = crate::model::resolve_devices(cfg) else {
        return e;
    };
    for (key, specs) in [("tiers", &tiers), ("links", &links)] {
        for (i, s) in specs.iter().enumerate() {
            let k = format!("{key}[{i}].channels");
            e.add(&k, s.channels.into(), 16, "per-channel queues");
        }
    }
    let Ok(v) = cfg.resolved() else {
        return e;
    };
    // A node or cluster tier has an instance (and an index) per node.
    let nodes = cfg.node_count() as u64;
    let capacities: Vec<u64> = tiers[..tiers.len().saturating_sub(1)]
        .iter()
        .zip(&cfg.tiers)
        .map(|(t, c)| match c.scope.unwrap_or_default() {
            crate::config::cluster::Scope::Shared => t.capacity,
            _ => t.capacity.saturating_mul(nodes),
        })
        .collect();
    // One workload, or every job's.
    let gpus: u64 = cfg.node_list().iter().map(|n| n.gpus as u64).sum();
    if v.get("workload").is_some() {
        workload(&mut e, &v["workload"], "workload", &capacities, gpus);
    }
    if let Some(jobs) = v.get("jobs").and_then(Value::as_array) {
        for (i, j) in jobs.iter().enumerate() {
            workload(
                &mut e,
                &j["workload"],
                &format!("jobs[{i}].workload"),
                &capacities,
                gpus,
            );
        }
    }
    if let Some(p) = v.get("prefetch") {
        e.add(
            "prefetch.lookahead",
            num(p, "/lookahead"),
            24,
            "the clairvoyant window",
        );
    }
    e
}

/// The large allocations of one workload (resolved table `w` at key `prefix`), its
/// objects held in cache tiers of `capacities`; `gpus`: the default rank count.
fn workload(e: &mut Estimate, w: &Value, prefix: &str, capacities: &[u64], gpus: u64) {
    // Objects the cache tiers may come to hold: the distinct objects, at most, and at
    // most as many as fit at the smallest object size.
    let cached = |e: &mut Estimate, key: &str, distinct: u64, min_size: u64| {
        let held = capacities
            .iter()
            .map(|c| distinct.min(c / min_size.max(1)))
            .fold(0u64, u64::saturating_add);
        e.add(
            key,
            held,
            PER_CACHED_OBJECT,
            "the cache tiers' index of objects",
        )
    };
    match w["kind"].as_str().unwrap_or("") {
        "synthetic" => {
            let objects = num(w, "/objects");
            if !fixed_size(w.get("size")) {
                e.add(&format!("{prefix}.objects"), objects, 4, "per-object sizes");
            }
            let distinct = objects.min(num(w, "/requests"));
            cached(
                e,
                &format!("{prefix}.objects"),
                distinct,
                min_size(w.get("size")),
            );
            e.add(
                &format!("{prefix}.clients"),
                num(w, "/clients"),
                64,
                "clients' pending events",
            );
        }
        "training" => {
            let samples = num(w, "/dataset/samples");
            let key = &format!("{prefix}.dataset.samples");
            if !fixed_size(w.pointer("/dataset/size")) {
                e.add(key, samples, 4, "per-sample sizes");
            }
            e.add(key, samples, 8, "the sampler's order");
            let layout = ["/dataset/samples_per_file", "/dataset/format"];
            if layout.iter().any(|k| w.pointer(k).is_some()) {
                e.add(key, samples, 8, "each sample's offset in its file");
            }
            cached(e, key, samples, min_size(w.pointer("/dataset/size")));
            let ranks = w.get("ranks").and_then(|r| r.as_u64()).unwrap_or(gpus);
            let slots = ranks
                .saturating_mul(num(w, "/workers"))
                .saturating_mul(num(w, "/prefetch_factor"));
            e.add(
                &format!("{prefix}.prefetch_factor"),
                slots,
                16 + num(w, "/batch_size").saturating_mul(PER_REQUEST),
                "loader slots (ranks x workers x prefetch_factor batches)",
            );
        }
        "inference" => {
            e.add(
                &format!("{prefix}.requests"),
                num(w, "/requests"),
                256,
                "request state",
            );
        }
        "embedding" => {
            let rows = num(w, "/rows").saturating_mul(num(w, "/tables").max(1));
            cached(e, &format!("{prefix}.rows"), rows, 1);
        }
        _ => {}
    }
}

/// The large allocations of a sweep plan of `runs` runs of a base config of
/// `base_bytes` bytes (each run holds its parsed and resolved config).
pub fn for_plan(runs: u64, base_bytes: u64) -> Estimate {
    let mut e = Estimate::default();
    e.add(
        "grid",
        runs,
        16 * 1024 + 8 * base_bytes,
        "the expanded plan (a resolved config per run)",
    );
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_past_the_available_memory_names_its_largest_key() {
        let mut e = Estimate::default();
        e.add("workload.objects", 1 << 30, 4, "per-object sizes");
        e.add("tiers[0].channels", 10, 16, "queues");
        assert_eq!(e.total(), (4 << 30) + 160);
        assert!(e.check_against(Some(8 << 30)).is_ok());
        assert!(e.check_against(None).is_ok());
        let msg = e.check_against(Some(1 << 30)).unwrap_err();
        assert!(
            msg.starts_with("workload.objects: needs about 4.00 GiB"),
            "{msg}"
        );
        assert!(msg.contains("1.00 GiB is available"), "{msg}");
        e.add("x", u64::MAX, 2, "saturates");
        assert_eq!(e.total(), u64::MAX);
    }

    #[test]
    fn the_available_memory_is_known_on_linux() {
        if cfg!(target_os = "linux") {
            let a = available().expect("MemAvailable");
            assert!(a > 0);
        }
    }

    #[test]
    fn a_config_is_estimated_from_its_counts() {
        let text = |objects: u64, size: &str| {
            format!(
                "[[tiers]]\nname = \"a\"\npreset = \"ddr4-3200\"\ncapacity = \"1GiB\"\n\
                 [[tiers]]\nname = \"b\"\npreset = \"nvme-tlc-pcie4\"\n\
                 [workload]\nkind = \"synthetic\"\npattern = \"uniform\"\nobjects = {objects}\n\
                 requests = {objects}\nsize = {size}\n"
            )
        };
        let fixed = for_config(&Config::parse(&text(1000, "\"4KiB\"")).unwrap());
        let sized = for_config(
            &Config::parse(&text(
                1000,
                "{ dist = \"uniform\", min = \"1KiB\", max = \"8KiB\" }",
            ))
            .unwrap(),
        );
        // 1000 objects: 4 B each for their sizes, and one cache tier's index.
        assert_eq!(sized.total() - fixed.total(), 4000);
        assert!(fixed.total() >= 1000 * PER_CACHED_OBJECT);
        // A billion 4 KiB objects: the 1 GiB tier holds 2^18 of them at most.
        let big = for_config(&Config::parse(&text(1 << 30, "\"4KiB\"")).unwrap());
        assert!(
            big.total() < (1 << 18) * PER_CACHED_OBJECT + (1 << 20),
            "{big:?}"
        );
    }
}
