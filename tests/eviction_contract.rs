//! Contract tests run over EVERY entry of `tiersim::policy::eviction::REGISTRY`, so a
//! policy is covered the moment it is registered. Random request sequences (random
//! sizes, and unit sizes) check, after every step, against an independent model of the
//! resident set built only from what the policy reports (hits, victims, length):
//! capacity is never exceeded; a hit iff the object was resident; inserts - evictions -
//! removals == len; victims were resident and are gone; the resident sizes sum to
//! used(); contains() agrees with the model for every id seen; two instances with the
//! same seed behave identically; `access` equals `lookup` then `insert` on a miss.
//! Requests carry exact next-access times (one backward pass) so Belady can run.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tiersim::policy::eviction::{build, names, EvictionPolicy, Params, Victim, REGISTRY};
use tiersim::trace::{Op, Request, NO_NEXT_ACCESS};

/// Policies that may decline a miss that would fit in an empty cache: MinIO when full,
/// SHADE on low importance, and, as libCacheSim does, S3-FIFO for an object not
/// smaller than its small queue, 2Q for one larger than A1in's share and LIRS for one
/// larger than its HIR share.
const MAY_DECLINE: &[&str] = &["minio", "shade", "s3fifo", "twoq", "lirs"];

/// libCacheSim's LIRS (the default `lirs`, src/policy/eviction/lirs_lcs.rs) evicts on
/// some hits, can bring a non-resident object back into its queue without a request
/// (a demotion of a non-resident entry, even one evicted earlier in the same request),
/// and holds objects its byte count has let go (so `used()` may exceed the capacity),
/// all as libCacheSim does. For it the model is rebuilt from `contains()` after every
/// step, and hits, `used()` and `len()` are checked against it.
fn libcachesim_lirs(name: &str, params: &Params) -> bool {
    name == "lirs" && params.get("variant").and_then(|v| v.as_str()) != Some("paper")
}

#[derive(Clone, Debug)]
enum Step {
    Access(u64),
    Remove(u64),
}

#[derive(Clone, Debug)]
struct Case {
    capacity: u64,
    /// Size of object `id`.
    sizes: Vec<u32>,
    steps: Vec<Step>,
    seed: u64,
}

fn case(max_size: u32) -> impl Strategy<Value = Case> {
    (1usize..=30, 1u64..=120, any::<u64>()).prop_flat_map(move |(n_ids, capacity, seed)| {
        let step = prop_oneof![
            9 => (0..n_ids as u64).prop_map(Step::Access),
            1 => (0..n_ids as u64).prop_map(Step::Remove),
        ];
        (
            proptest::collection::vec(1..=max_size, n_ids),
            proptest::collection::vec(step, 0..300),
        )
            .prop_map(move |(sizes, steps)| Case {
                capacity,
                sizes,
                steps,
                seed,
            })
    })
}

/// The requests of the access steps, in order, with next-access times (index of the
/// next request for the same id) from one backward pass.
fn requests(c: &Case) -> Vec<Request> {
    let mut reqs: Vec<Request> = c
        .steps
        .iter()
        .filter_map(|s| match *s {
            Step::Access(id) => Some(id),
            Step::Remove(_) => None,
        })
        .enumerate()
        .map(|(t, id)| Request {
            time: t as u64,
            id,
            size: c.sizes[id as usize],
            op: Op::Read,
            next_access: NO_NEXT_ACCESS,
        })
        .collect();
    let mut next: BTreeMap<u64, u64> = BTreeMap::new();
    for t in (0..reqs.len()).rev() {
        let id = reqs[t].id;
        reqs[t].next_access = next.insert(id, t as u64).unwrap_or(NO_NEXT_ACCESS);
    }
    reqs
}

/// Non-default parameters also put through the contract (registry name, TOML).
const VARIANTS: &[(&str, &str)] = &[
    ("twoq", "kin_frac = 0.5\nkout_frac = 0.1"),
    ("twoq", "variant = \"paper\""),
    (
        "twoq",
        "kin_frac = 0.5\nkout_frac = 0.1\nvariant = \"paper\"",
    ),
    ("lirs", "hir_frac = 0.3\nstack_frac = 0.5"),
    ("lirs", "variant = \"paper\""),
    (
        "lirs",
        "hir_frac = 0.3\nstack_frac = 0.5\nvariant = \"paper\"",
    ),
    ("s3fifo", "variant = \"v0\""),
    ("clock-n", "bits = 1"),
    ("clock-n", "bits = 5"),
];

/// Every registered policy with default parameters, then the registered variants.
fn configurations() -> Vec<(&'static str, Params)> {
    let mut v: Vec<(&'static str, Params)> = REGISTRY
        .names()
        .into_iter()
        .map(|n| (n, Params::new()))
        .collect();
    for &(n, p) in VARIANTS {
        if names().contains(&n) {
            v.push((n, p.parse().expect("variant TOML")));
        }
    }
    v
}

fn new_policy(name: &str, params: &Params, c: &Case) -> Box<dyn EvictionPolicy> {
    build(name, params, c.capacity, c.seed)
        .unwrap_or_else(|e| panic!("{name} {params}: build failed: {e}"))
}

/// Runs `c` through policy `name`, checking the contract after every step; returns
/// the hit sequence and every victim, for the determinism check.
fn run_checked(
    name: &str,
    params: &Params,
    c: &Case,
    dense_ids: Option<u64>,
) -> Result<(Vec<bool>, Vec<Victim>), TestCaseError> {
    let reqs = requests(c);
    let mut p = new_policy(name, params, c);
    if let Some(n) = dense_ids {
        p.expect_scattered_accesses();
        p.use_dense_ids(n);
    }
    prop_assert_eq!(p.name(), name, "name() differs from the registry name");
    prop_assert_eq!(p.capacity(), c.capacity);
    let mut model: BTreeMap<u64, u32> = BTreeMap::new();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let (mut inserts, mut evictions, mut removals) = (0u64, 0u64, 0u64);
    let mut hits = Vec::new();
    let mut all_victims = Vec::new();
    let mut ev = Vec::new();
    let mut next_req = reqs.iter();
    for (k, step) in c.steps.iter().enumerate() {
        match *step {
            Step::Access(id) => {
                let req = next_req.next().unwrap();
                seen.insert(id);
                let was = p.contains(id);
                let len0 = p.len();
                ev.clear();
                let hit = p.access(req, &mut ev);
                if libcachesim_lirs(name, params) {
                    prop_assert_eq!(hit, was, "step {}: hit != resident-before", k);
                    for &id in &seen {
                        if p.contains(id) {
                            model.insert(id, c.sizes[id as usize]);
                        } else {
                            model.remove(&id);
                        }
                    }
                    evictions += ev.len() as u64;
                    inserts = evictions + removals + model.len() as u64;
                    hits.push(hit);
                    all_victims.extend_from_slice(&ev);
                    prop_assert_eq!(p.len(), model.len(), "step {}", k);
                    prop_assert_eq!(p.used(), model.values().map(|&s| s as u64).sum::<u64>());
                    continue;
                }
                prop_assert_eq!(hit, was, "step {}: hit != resident-before", k);
                for v in &ev {
                    prop_assert_eq!(
                        model.remove(&v.id),
                        Some(v.size),
                        "step {}: victim {:?} was not resident with that size",
                        k,
                        v
                    );
                    prop_assert!(
                        !p.contains(v.id),
                        "step {}: victim {} still resident",
                        k,
                        v.id
                    );
                }
                let inserted = (p.len() + ev.len()) as i64 - len0 as i64;
                prop_assert!(
                    inserted == 0 || inserted == 1,
                    "step {}: len change + evictions = {}",
                    k,
                    inserted
                );
                if hit {
                    prop_assert_eq!(inserted, 0, "step {}: a hit inserted", k);
                    prop_assert!(ev.is_empty(), "step {}: a hit evicted", k);
                } else if req.size as u64 > c.capacity {
                    prop_assert!(
                        inserted == 0 && ev.is_empty(),
                        "step {}: oversize admitted",
                        k
                    );
                } else if !MAY_DECLINE.contains(&name) {
                    prop_assert_eq!(inserted, 1, "step {}: a miss was not inserted", k);
                }
                if inserted == 1 {
                    model.insert(id, req.size);
                }
                prop_assert_eq!(p.contains(id), hit || inserted == 1, "step {}", k);
                inserts += inserted as u64;
                evictions += ev.len() as u64;
                hits.push(hit);
                all_victims.extend_from_slice(&ev);
            }
            Step::Remove(id) => {
                let used0 = p.used();
                let got = p.remove(id);
                prop_assert_eq!(got, model.remove(&id), "step {}: remove({})", k, id);
                prop_assert!(!p.contains(id), "step {}: resident after remove", k);
                if libcachesim_lirs(name, params) {
                    prop_assert!(p.used() <= used0 - got.unwrap_or(0) as u64, "step {}", k);
                } else {
                    prop_assert_eq!(p.used(), used0 - got.unwrap_or(0) as u64, "step {}", k);
                }
                removals += got.is_some() as u64;
                if libcachesim_lirs(name, params) {
                    // Removing can prune other entries off its stack.
                    model.retain(|&id, _| p.contains(id));
                    inserts = evictions + removals + model.len() as u64;
                }
            }
        }
        if !libcachesim_lirs(name, params) {
            prop_assert!(p.used() <= p.capacity(), "step {}: used > capacity", k);
        }
        prop_assert_eq!(inserts - evictions - removals, p.len() as u64, "step {}", k);
        prop_assert_eq!(p.len(), model.len(), "step {}", k);
        prop_assert_eq!(
            p.used(),
            model.values().map(|&s| s as u64).sum::<u64>(),
            "step {}: used != sum of resident sizes",
            k
        );
        prop_assert_eq!(p.is_empty(), model.is_empty());
        for &id in &seen {
            prop_assert_eq!(
                p.contains(id),
                model.contains_key(&id),
                "step {}: id {}",
                k,
                id
            );
        }
    }
    Ok((hits, all_victims))
}

/// Every policy, checked, twice with the same seed: identical behaviour.
fn check_all(c: &Case) -> Result<(), TestCaseError> {
    for (name, params) in configurations() {
        let a = run_checked(name, &params, c, None)?;
        let b = run_checked(name, &params, c, None)?;
        prop_assert!(
            a == b,
            "{} {}: two runs with seed {} differ",
            name,
            params,
            c.seed
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn contract_with_variable_sizes(c in case(40)) {
        check_all(&c)?;
    }

    #[test]
    fn contract_with_unit_sizes(c in case(1)) {
        check_all(&c)?;
    }

    /// A dense id index (and the representation a policy picks for scattered
    /// accesses) changes no decision: ids below the limit go to the table indexed by
    /// id, the rest to the hash table, and every hit and victim is the same.
    #[test]
    fn dense_ids_change_no_decision(c in case(40)) {
        let limit = c.sizes.len() as u64 / 2;
        for (name, params) in configurations() {
            let hashed = run_checked(name, &params, &c, None)?;
            let dense = run_checked(name, &params, &c, Some(limit))?;
            prop_assert!(hashed == dense, "{} {}: dense ids changed the result", name, params);
        }
    }

    /// The tiered path calls `lookup` and, on a miss, `insert`; it must behave exactly
    /// like `access`. Removes are left out; every step is one request.
    #[test]
    fn access_equals_lookup_then_insert(c in case(40)) {
        let reqs = requests(&c);
        for (name, params) in configurations() {
            let mut a = new_policy(name, &params, &c);
            let mut b = new_policy(name, &params, &c);
            let (mut ev_a, mut ev_b) = (Vec::new(), Vec::new());
            // libCacheSim's LIRS reports a lookup hit's victims with the next insert.
            let deferred = libcachesim_lirs(name, &params);
            let (mut all_a, mut all_b) = (Vec::new(), Vec::new());
            for (k, req) in reqs.iter().enumerate() {
                let hit_a = a.access(req, &mut ev_a);
                let hit_b = b.lookup(req);
                if !hit_b {
                    b.insert(req, &mut ev_b);
                }
                prop_assert_eq!(hit_a, hit_b, "{}: step {}", name, k);
                if deferred {
                    all_a.append(&mut ev_a);
                    all_b.append(&mut ev_b);
                    prop_assert!(all_a.starts_with(&all_b), "{}: step {}", name, k);
                } else {
                    prop_assert_eq!(&ev_a, &ev_b, "{}: step {}", name, k);
                }
                prop_assert_eq!((a.len(), a.used()), (b.len(), b.used()), "{}: step {}", name, k);
            }
        }
    }

    /// A lookup miss changes nothing: afterwards the same accesses give the same hits
    /// as a twin that never saw the lookup.
    #[test]
    fn lookup_miss_changes_nothing(c in case(40), probe in 1000u64..1010) {
        let reqs = requests(&c);
        for (name, params) in configurations() {
            let mut a = new_policy(name, &params, &c);
            let mut b = new_policy(name, &params, &c);
            let (mut ev_a, mut ev_b) = (Vec::new(), Vec::new());
            let half = reqs.len() / 2;
            for req in &reqs[..half] {
                a.access(req, &mut ev_a);
                b.access(req, &mut ev_b);
            }
            let absent = Request::read(probe, 1);
            prop_assert!(!b.lookup(&absent), "{}: lookup of an unseen id hit", name);
            prop_assert!(!b.contains(probe));
            prop_assert_eq!((a.len(), a.used()), (b.len(), b.used()));
            for (k, req) in reqs[half..].iter().enumerate() {
                prop_assert_eq!(a.access(req, &mut ev_a), b.access(req, &mut ev_b), "{}: {}", name, k);
            }
            prop_assert_eq!(ev_a, ev_b);
        }
    }
}

#[test]
fn unknown_policy_lists_every_known_name() {
    let err = build("nope", &Params::new(), 10, 0).err().unwrap();
    assert!(err.contains("nope"), "{err}");
    for name in names() {
        assert!(err.contains(name), "'{name}' missing from: {err}");
    }
}

#[test]
fn capacity_zero_is_an_error_for_every_policy() {
    for name in names() {
        let err = build(name, &Params::new(), 0, 0).err().unwrap();
        assert!(err.contains("capacity"), "{name}: {err}");
    }
}

#[test]
fn unknown_parameter_is_an_error_for_every_policy() {
    let mut params = Params::new();
    params.insert("no_such_param".into(), toml::Value::Integer(1));
    for name in names() {
        let err = build(name, &params, 10, 0).err().unwrap();
        assert!(err.contains("no_such_param"), "{name}: {err}");
    }
}

#[test]
fn registry_names_are_unique_lower_case() {
    let mut seen = BTreeSet::new();
    for name in names() {
        assert!(seen.insert(name), "{name} registered twice");
        assert_eq!(name, name.to_ascii_lowercase());
    }
}
