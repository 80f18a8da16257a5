//! Migration policies on small synthetic page streams driven directly through the
//! hierarchy's placement path, one defining behaviour per policy, plus the engine
//! wiring (`[migration]`, the daemon event, config errors).

use tiersim::config::{Config, Inclusion};
use tiersim::datapath::DataPath;
use tiersim::device::{self, presets, DeviceSpec};
use tiersim::engine::{Time, MS, NS, SEC, US};
use tiersim::hierarchy::{Hierarchy, Tier, TierPair};
use tiersim::policy::eviction::Lru;
use tiersim::policy::migration::{
    self, Age, AgeParams, AutoNuma, AutoNumaParams, Colloid, ColloidParams, HeMem, HeMemParams,
    Memtis, MemtisParams, MigrationPolicy, OsCosts, StaticPlacement, Tpp, TppParams, FAST, SLOW,
};
use tiersim::trace::{Op, Request};

const HUGE: u32 = 2 << 20;

fn tier(name: &str, spec: DeviceSpec, cache: Option<u64>) -> Tier {
    Tier {
        name: name.into(),
        device: device::build(&spec).unwrap(),
        cache: cache.map(|c| Box::new(Lru::new(c)) as _),
        link: None,
        stats: Default::default(),
    }
}

/// DDR4 over Optane PMM, the fast tier holding `pages` pages of `size` bytes.
fn two_tiers(pages: u64, size: u32) -> DataPath {
    two_tiers_with(presets::preset("ddr4-3200").unwrap(), pages, size)
}

fn two_tiers_with(fast: DeviceSpec, pages: u64, size: u32) -> DataPath {
    let slow = presets::preset("optane-pmm").unwrap();
    DataPath::new(Hierarchy::new(
        vec![
            tier("dram", fast, Some(pages * size as u64)),
            tier("pmem", slow, None),
        ],
        vec![],
        Inclusion::Exclusive,
    ))
}

/// Runs `p`'s daemon once at `t` on the pair (tier 0, tier 1).
fn tick(p: &mut dyn MigrationPolicy, t: Time, h: &mut DataPath) -> migration::Tick {
    p.tick(t, &mut TierPair::new(h.hierarchy_mut(), 0))
}

fn access(
    h: &mut DataPath,
    p: &mut dyn MigrationPolicy,
    t: Time,
    page: u64,
    size: u32,
    op: Op,
) -> Time {
    let req = Request {
        time: t,
        id: page,
        size,
        op,
        next_access: u64::MAX,
    };
    let a = h.access_migrating(t, &req, false, p);
    a.done - t
}

fn read(h: &mut DataPath, p: &mut dyn MigrationPolicy, t: Time, page: u64, size: u32) -> Time {
    access(h, p, t, page, size, Op::Read)
}

#[test]
fn hemem_promotes_a_page_after_four_sampled_reads_demoting_cold_dram_fifo() {
    let mut h = two_tiers(2, HUGE);
    let mut p = HeMem::new(HeMemParams::default(), OsCosts::default());
    // First touch: pages 0 and 1 fill DRAM, page 2 lands in PMM.
    for page in 0..3 {
        read(&mut h, &mut p, US, page, HUGE);
    }
    assert_eq!(
        [
            h.hierarchy().locate(0),
            h.hierarchy().locate(1),
            h.hierarchy().locate(2)
        ],
        [FAST, FAST, SLOW]
    );
    // Three samples in all: not hot yet, the 10 ms tick moves nothing.
    read(&mut h, &mut p, 2 * US, 2, HUGE);
    read(&mut h, &mut p, 3 * US, 2, HUGE);
    assert_eq!(p.counts(2), Some((3, 0)));
    assert!(!p.is_hot(2));
    tick(&mut p, 10 * MS, &mut h);
    assert_eq!(h.hierarchy().locate(2), SLOW);
    assert_eq!(p.stats().promotions, 0);
    // The fourth read sample makes it hot: promoted at the next tick, and the cold
    // DRAM page allocated first (page 0) is demoted to make room.
    read(&mut h, &mut p, 11 * MS, 2, HUGE);
    assert!(p.is_hot(2));
    tick(&mut p, 20 * MS, &mut h);
    assert_eq!(
        [
            h.hierarchy().locate(0),
            h.hierarchy().locate(1),
            h.hierarchy().locate(2)
        ],
        [SLOW, FAST, FAST]
    );
    assert_eq!((p.stats().promotions, p.stats().demotions), (1, 1));
    assert_eq!(h.hierarchy().tiers[FAST].stats.migrations_in, 1);
    assert_eq!(h.hierarchy().tiers[SLOW].stats.migrations_in, 1);
    // Both moves were charged to both devices: PMM served page 2's four reads and the
    // promotion's read, and took the demotion's write; DRAM the mirror image.
    let pm = h.hierarchy().tiers[SLOW].device.stats();
    assert_eq!(pm.bytes_written, HUGE as u64);
    assert_eq!(pm.bytes_read, 5 * HUGE as u64);
    let dram = h.hierarchy().tiers[FAST].device.stats();
    assert_eq!(dram.bytes_written, HUGE as u64);
    assert_eq!(dram.bytes_read, 2 * HUGE as u64 + HUGE as u64);
    // Four write samples make a page hot too.
    let mut h = two_tiers(1, HUGE);
    let mut p = HeMem::new(HeMemParams::default(), OsCosts::default());
    for i in 0..4 {
        access(&mut h, &mut p, (i + 1) * US, 7, HUGE, Op::Write);
    }
    assert_eq!(p.counts(7), Some((0, 4)));
    assert!(p.is_hot(7));
}

#[test]
fn hemem_halves_every_count_lazily_when_one_passes_ten() {
    let mut h = two_tiers(4, HUGE);
    let mut p = HeMem::new(HeMemParams::default(), OsCosts::default());
    let mut t = US;
    for _ in 0..3 {
        read(&mut h, &mut p, t, 1, HUGE);
        t += US;
    }
    // Ten samples of page 0: at the threshold, not past it.
    for _ in 0..10 {
        read(&mut h, &mut p, t, 0, HUGE);
        t += US;
    }
    assert_eq!(p.cooling_clock(), 0);
    assert_eq!(p.counts(0), Some((10, 0)));
    // The eleventh passes 10: every count halves, page 1's lazily (3 -> 1).
    read(&mut h, &mut p, t, 0, HUGE);
    t += US;
    assert_eq!(p.cooling_clock(), 1);
    assert_eq!(p.counts(0), Some((5, 0)));
    assert_eq!(p.counts(1), Some((1, 0)));
    // One more sample of page 1 gives 2, not 4: still cold.
    read(&mut h, &mut p, t, 1, HUGE);
    assert_eq!(p.counts(1), Some((2, 0)));
    assert!(!p.is_hot(1));
}

#[test]
fn tpp_promotes_on_a_hint_fault_only_pages_already_active() {
    let size = 4096;
    let mut h = two_tiers(4, size);
    let mut p = Tpp::new(TppParams::default(), OsCosts::default());
    // Allocation watermark 1%: pages 0-2 fill the fast tier to 25% free; the 4th page
    // would leave 0% < 1%, so pages 10 and 11 are allocated in the slow tier.
    for page in [0, 1, 2, 3, 10, 11] {
        read(&mut h, &mut p, US, page, size);
    }
    assert_eq!(h.hierarchy().locate(3), SLOW);
    assert_eq!(h.hierarchy().locate(10), SLOW);
    // Their first touches set only the referenced bit (the hardware accessed bit).
    assert!(!p.is_active(10) && !p.is_active(11));
    // The 1 s NUMA scan arms the slow pages.
    tick(&mut p, SEC, &mut h);
    // Fault on page 10: inactive, so it is only marked accessed (-> active).
    let lat = read(&mut h, &mut p, SEC + MS, 10, size);
    assert!(lat >= 2 * US, "a hint fault costs 2 us");
    assert_eq!(h.hierarchy().locate(10), SLOW);
    assert!(p.is_active(10));
    tick(&mut p, 2 * SEC, &mut h);
    // Faults again: now on the active list, promoted in the fault path.
    read(&mut h, &mut p, 2 * SEC + MS, 10, size);
    assert_eq!(h.hierarchy().locate(10), FAST);
    // Page 11 faults while inactive: it is activated, not promoted.
    read(&mut h, &mut p, 2 * SEC + 2 * MS, 11, size);
    assert_eq!(h.hierarchy().locate(11), SLOW);
    assert!(p.is_active(11));
    assert_eq!(p.stats().hint_faults, 3);
    assert_eq!(p.stats().promotions, 1);
    // Fast tier full (0% free < 2%): kswapd demotes until free exceeds 2%.
    tick(&mut p, 2 * SEC + 10 * MS, &mut h);
    assert_eq!(p.stats().demotions, 1);
    assert_eq!(h.hierarchy().tiers[FAST].cache.as_ref().unwrap().len(), 3);
}

#[test]
fn memtis_hot_threshold_is_the_lowest_bin_that_fits() {
    let size = 4096;
    let mut h = two_tiers(4, size);
    let mut p = Memtis::new(MemtisParams::default(), OsCosts::default());
    // Page i is touched first in order (0-3 fill the fast tier), then brought to
    // counts 1, 2, 4, 8, 16, 16, 32: bins 0, 1, 2, 3, 4, 4, 5.
    let counts = [1u32, 2, 4, 8, 16, 16, 32];
    let mut t = US;
    for page in 0..7 {
        read(&mut h, &mut p, t, page, size);
        t += US;
    }
    for (page, &c) in counts.iter().enumerate() {
        for _ in 1..c {
            read(&mut h, &mut p, t, page as u64, size);
            t += US;
        }
    }
    let s = size as u64;
    assert_eq!(&p.histogram()[..6], &[s, s, s, s, 2 * s, s]);
    // Bins 5, 4, 3 hold 1 + 2 + 1 = 4 pages = the fast tier; adding bin 2 makes 5.
    assert_eq!(p.threshold(4 * s), 3);
    assert_eq!(p.threshold(7 * s), 0);
    assert_eq!(p.threshold(s), 5);
    tick(&mut p, 500 * MS, &mut h);
    let fast: Vec<u64> = (0..7)
        .filter(|&i| h.hierarchy().locate(i) == FAST)
        .collect();
    assert_eq!(fast, vec![3, 4, 5, 6]);
    assert_eq!((p.stats().promotions, p.stats().demotions), (3, 3));
}

#[test]
fn memtis_halves_counts_every_cooling_period_of_samples() {
    let mut h = two_tiers(4, 4096);
    let params = MemtisParams {
        cooling_samples: 10,
        ..Default::default()
    };
    let mut p = Memtis::new(params, OsCosts::default());
    for i in 0..9 {
        read(&mut h, &mut p, (i + 1) * US, 0, 4096);
    }
    assert_eq!(p.count(0), Some(9));
    read(&mut h, &mut p, 10 * US, 1, 4096);
    assert_eq!((p.count(0), p.count(1)), (Some(4), Some(0)));
    assert_eq!(p.histogram()[2], 4096);
}

#[test]
fn autonuma_promotes_only_when_hint_fault_latency_is_under_the_threshold() {
    let size = 4096;
    let mut h = two_tiers(3, size);
    let params = AutoNumaParams {
        scan_period_min: tiersim::config::Duration(10 * SEC),
        scan_period_max: tiersim::config::Duration(60 * SEC),
        ..Default::default()
    };
    let mut p = AutoNuma::new(params, OsCosts::default());
    assert_eq!(p.threshold(), SEC);
    for page in 0..5 {
        read(&mut h, &mut p, US, page, size);
    }
    assert_eq!(h.hierarchy().locate(3), SLOW);
    // The scan at 10 s arms pages 3 and 4; kswapd frees a page (full < 2% free).
    tick(&mut p, 10 * SEC, &mut h);
    assert_eq!(p.stats().demotions, 1);
    // Fault 0.5 s after the scan: under 1 s, promoted.
    let lat = read(&mut h, &mut p, 10 * SEC + 500 * MS, 3, size);
    assert!(lat >= 2 * US);
    assert_eq!(h.hierarchy().locate(3), FAST);
    // Make room again (no rescan before 20 s), then fault 1.5 s after the scan.
    tick(&mut p, 10 * SEC + 600 * MS, &mut h);
    assert!(h.hierarchy().tiers[FAST].cache.as_ref().unwrap().len() < 3);
    read(&mut h, &mut p, 11 * SEC + 500 * MS, 4, size);
    assert_eq!(h.hierarchy().locate(4), SLOW);
    assert_eq!(p.stats().hint_faults, 2);
    assert_eq!(p.stats().promotions, 1);
    // An unarmed page takes no fault.
    let lat = read(&mut h, &mut p, 11 * SEC + 600 * MS, 4, size);
    assert!(lat < US);
}

#[test]
fn colloid_moves_access_share_toward_the_tier_with_lower_loaded_latency() {
    let size = 4096;
    // Case 1: the fast tier is overloaded. One channel at 1 GB/s: 200 reads arriving
    // together queue for ~0.8 ms, while the slow tier's reads are spaced out.
    let mut fast = presets::preset("ddr4-3200").unwrap();
    fast.channels = 1;
    fast.read_bandwidth = 1e9;
    let mut h = two_tiers_with(fast, 40, size);
    let mut p = Colloid::new(ColloidParams::default(), OsCosts::default());
    let mut t = US;
    for page in 0..80 {
        read(&mut h, &mut p, t, page, size);
        t += 10 * US;
    }
    assert_eq!(
        (h.hierarchy().locate(39), h.hierarchy().locate(40)),
        (FAST, SLOW)
    );
    let burst = 10 * MS;
    for _ in 0..4 {
        for page in 0..40 {
            read(&mut h, &mut p, burst, page, size);
        }
    }
    tick(&mut p, 500 * MS, &mut h);
    let (lf, ls) = p.loaded_latency();
    assert!(lf > ls, "fast {lf} ps should be loaded above slow {ls} ps");
    let (before, after) = p.fast_share();
    // Heat: 40 fast pages x 5, 40 slow x 1 -> fast share 200/240; a 5% step of 240
    // is 12: two pages of heat 5 fit, a third does not.
    assert!((before - 200.0 / 240.0).abs() < 1e-12);
    assert!(
        (before - after - 10.0 / 240.0).abs() < 1e-12,
        "{before} -> {after}"
    );
    assert_eq!(p.stats().demotions, 2);

    // Case 2: idle devices: DRAM's 80 ns beats PMM's 305 ns, so share moves up.
    let mut h = two_tiers(40, size);
    let mut p = Colloid::new(ColloidParams::default(), OsCosts::default());
    let mut t = US;
    for page in 0..80 {
        let n = if page < 40 { 1 } else { 3 };
        for _ in 0..n {
            read(&mut h, &mut p, t, page, size);
            t += 10 * US;
        }
    }
    tick(&mut p, 500 * MS, &mut h);
    let (lf, ls) = p.loaded_latency();
    assert!(lf < ls);
    let (before, after) = p.fast_share();
    assert!((before - 40.0 / 160.0).abs() < 1e-12);
    assert!(
        after > before && after - before <= 0.05 + 1e-12,
        "{before} -> {after}"
    );
    assert!(p.stats().promotions > 0);
}

#[test]
fn static_placement_fills_the_fast_tier_at_first_touch_and_never_migrates() {
    let size = 4096;
    let mut h = two_tiers(2, size);
    let mut p = StaticPlacement::default();
    assert_eq!(p.first_tick(), None);
    let mut t = US;
    for page in 0..4 {
        read(&mut h, &mut p, t, page, size);
        t += US;
    }
    for _ in 0..100 {
        read(&mut h, &mut p, t, 3, size);
        t += US;
    }
    assert_eq!(tick(&mut p, t, &mut h).next, None);
    let loc: Vec<usize> = (0..4).map(|i| h.hierarchy().locate(i)).collect();
    assert_eq!(loc, vec![FAST, FAST, SLOW, SLOW]);
    assert_eq!(
        h.hierarchy().tiers[FAST].stats.migrations_in
            + h.hierarchy().tiers[SLOW].stats.migrations_in,
        0
    );
    assert_eq!(h.hierarchy().tiers[SLOW].stats.hits, 102);
}

#[test]
fn age_demotes_pages_older_than_max_age_and_never_promotes() {
    let size = 4096;
    let mut h = two_tiers(8, size);
    let mut p = Age::new(AgeParams::default(), OsCosts::default());
    for page in 0..4 {
        read(&mut h, &mut p, page * 300 * MS + 1, page, size);
    }
    // At 1.5 s pages born at 0 and 0.3 s are over 1 s old; 0.6 s and 0.9 s are not.
    tick(&mut p, 1500 * MS, &mut h);
    let loc: Vec<usize> = (0..4).map(|i| h.hierarchy().locate(i)).collect();
    assert_eq!(loc, vec![SLOW, SLOW, FAST, FAST]);
    for _ in 0..10 {
        read(&mut h, &mut p, 1600 * MS, 0, size);
    }
    tick(&mut p, 3 * SEC, &mut h);
    assert_eq!(h.hierarchy().locate(0), SLOW);
    assert_eq!((p.stats().promotions, p.stats().demotions), (0, 4));
}

fn config(kind: &str, extra: &str, tiers: &str) -> String {
    format!(
        r#"
seed = 7
[[tiers]]
name = "dram"
preset = "ddr4-3200"
capacity = "8MiB"
{tiers}
[[tiers]]
name = "pmem"
preset = "optane-pmm"

[workload]
kind = "synthetic"
pattern = "zipf"
alpha = 0.9
objects = 1024
requests = 3000
clients = 4
size = "2MiB"

[migration]
kind = "{kind}"
{extra}
"#
    )
}

#[test]
fn every_registered_policy_runs_in_the_engine_deterministically() {
    for name in migration::names() {
        let extra = match name {
            "autonuma" => "scan_period_min = \"1ms\"\nscan_period_max = \"10ms\"",
            "memtis" | "colloid" => "period = \"1ms\"",
            "tpp" => "scan_period = \"1ms\"",
            "age" => "max_age = \"1ms\"\nperiod = \"1ms\"",
            _ => "",
        };
        let cfg = Config::parse(&config(name, extra, "")).unwrap();
        let run = || {
            let mut sim = tiersim::model::build(&cfg, 7).unwrap();
            let out = sim.run();
            assert!(out.finished, "{name}");
            let s = tiersim::report::summary(&sim, &out);
            (s, sim.hier().tiers[0].stats.clone())
        };
        let (a, stats) = run();
        let (b, _) = run();
        assert_eq!(a, b, "{name}: same config and seed, same summary");
        assert_eq!(a["migration"]["kind"], name);
        let moved = a["migration"]["promotions"].as_u64().unwrap()
            + a["migration"]["demotions"].as_u64().unwrap();
        match name {
            "static" => assert_eq!(moved, 0),
            _ => assert!(moved > 0, "{name} moved nothing: {}", a["migration"]),
        }
        assert_eq!(
            stats.fills, 0,
            "{name}: placement mode fills nothing on a miss"
        );
        assert!(stats.hits > 0);
    }
}

#[test]
fn migration_config_errors_name_the_key() {
    let err = |text: String| match Config::parse(&text) {
        Ok(cfg) => tiersim::model::build(&cfg, 1)
            .err()
            .expect("an error")
            .to_string(),
        Err(e) => e.to_string(),
    };
    let e = err(config("nope", "", ""));
    assert!(
        e.starts_with("migration.kind") && e.contains("hemem") && e.contains("colloid"),
        "{e}"
    );
    let e = err(config("hemem", "hot_reads = 3", ""));
    assert!(e.starts_with("migration") && e.contains("hot_reads"), "{e}");
    let e = err(config("hemem", "period = \"fast\"", ""));
    assert!(e.starts_with("migration.period"), "{e}");
    let e = err(config("tpp", "page_fault = 3", ""));
    assert!(e.starts_with("migration.page_fault"), "{e}");
    // One tier leaves no pair to migrate between.
    let one = config("hemem", "", "").replacen(
        "[[tiers]]\nname = \"dram\"\npreset = \"ddr4-3200\"\ncapacity = \"8MiB\"\n",
        "",
        1,
    );
    assert!(!one.contains("dram"), "the fast tier was removed");
    let e = err(one);
    assert!(
        e.starts_with("migration") && e.contains("at least two tiers"),
        "{e}"
    );
}

#[test]
fn os_costs_follow_hemems_memsim_constants() {
    let os = OsCosts::default();
    // Walk 4 x 200 ns + shootdown 4 us + 512 x 1.5 us for a 2 MiB page.
    assert_eq!(os.move_cost(HUGE), 800 * NS + 4 * US + 512 * 1_500 * NS);
    assert_eq!(os.move_cost(4096), 800 * NS + 4 * US + 1_500 * NS);
    assert_eq!(os.hint_fault(), 2 * US);
}
