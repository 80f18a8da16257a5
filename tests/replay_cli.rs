//! `tiersim replay` end to end on small hand-made traces: output columns, the
//! big-object rule, Belady's backward pass, the MRC, and clear errors on bad input.

use std::path::Path;
use std::process::Command;

fn tiersim(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(args)
        .output()
        .expect("run tiersim");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_txt(dir: &Path, name: &str, ids: &[u64]) -> String {
    let path = dir.join(name);
    let text: String = ids.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// oracleGeneral records (id, size), next-access left at -1 (never).
fn write_oracle(dir: &Path, name: &str, reqs: &[(u64, u32)]) -> String {
    let path = dir.join(name);
    let mut bytes = vec![];
    for (t, &(id, size)) in reqs.iter().enumerate() {
        bytes.extend_from_slice(&(t as u32).to_le_bytes());
        bytes.extend_from_slice(&id.to_le_bytes());
        bytes.extend_from_slice(&size.to_le_bytes());
        bytes.extend_from_slice(&(-1i64).to_le_bytes());
    }
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn csv_columns_counts_and_atomic_out_file() {
    let dir = tempfile::tempdir().unwrap();
    // LRU, capacity 3, 1 2 3 1 4 2 5 1: misses 7 (only the second 1 hits, see lru.rs).
    let trace = write_txt(dir.path(), "t.txt", &[1, 2, 3, 1, 4, 2, 5, 1]);
    let out = dir.path().join("r.csv");
    let (ok, stdout, stderr) = tiersim(&[
        "replay",
        "--trace",
        &trace,
        "--policy",
        "lru,fifo",
        "--cache-size",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let mut lines = stdout.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("trace,policy,cache_size,requests,misses,miss_ratio,byte_miss_ratio"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("t.txt,lru,3,8,7,0.87500000,0.87500000"));
    // FIFO, capacity 3: 1 2 3 miss, 1 hit, 4 evicts 1, 2 hit, 5 evicts 2, 1 evicts 3:
    // 6 misses.
    assert!(lines
        .next()
        .unwrap()
        .starts_with("t.txt,fifo,3,8,6,0.75000000"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), stdout);
    // Only the result file is left behind (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn objects_larger_than_the_cache_miss_and_are_not_admitted() {
    let dir = tempfile::tempdir().unwrap();
    // Capacity 10 bytes: a(4) big(11) a(4) big(11): the big object misses twice and
    // never displaces a, which hits on its second request: 3 misses of 4,
    // bytes missed 4 + 11 + 11 = 26 of 30.
    let trace = write_oracle(
        dir.path(),
        "big.oracleGeneral.bin",
        &[(1, 4), (2, 11), (1, 4), (2, 11)],
    );
    for policy in ["lru", "fifo", "clock", "lfu", "arc", "belady"] {
        let (ok, stdout, stderr) = tiersim(&[
            "replay",
            "--trace",
            &trace,
            "--policy",
            policy,
            "--cache-size",
            "10",
        ]);
        assert!(ok, "{stderr}");
        let row = stdout.lines().nth(1).unwrap();
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!((f[3], f[4]), ("4", "3"), "{policy}: {row}");
        assert_eq!((f[8], f[9]), ("30", "26"), "{policy}: {row}");
    }
}

#[test]
fn belady_backward_pass_on_txt_matches_hand_count() {
    let dir = tempfile::tempdir().unwrap();
    // Capacity 2, 1 2 3 1 2 3 1: MIN misses 1 2 3 (evict 2), hits 1, misses 2 (evict
    // 1), hits 3, misses 1: 5 misses (see belady.rs). The txt format has no next-access
    // times, so replay computes them.
    let trace = write_txt(dir.path(), "b.txt", &[1, 2, 3, 1, 2, 3, 1]);
    let (ok, stdout, stderr) = tiersim(&[
        "replay",
        "--trace",
        &trace,
        "--policy",
        "belady",
        "--cache-size",
        "2",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("b.txt,belady,2,7,5,"));
}

#[test]
fn fractions_floor_the_distinct_count() {
    let dir = tempfile::tempdir().unwrap();
    // 7 distinct ids; 0.5 -> floor(3.5) = 3 objects.
    let trace = write_txt(dir.path(), "f.txt", &[1, 2, 3, 4, 5, 6, 7, 1]);
    let (ok, stdout, stderr) = tiersim(&[
        "replay",
        "--trace",
        &trace,
        "--policy",
        "lru",
        "--cache-frac",
        "0.5",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("f.txt,lru,3,8,8,"));
}

#[test]
fn mrc_is_plot_ready_and_matches_lru() {
    let dir = tempfile::tempdir().unwrap();
    // 1 2 3 1 2 3: reuse depths all 3. LRU misses: 6 at sizes 1 and 2, 3 at size 3
    // (the working set, the last point).
    let trace = write_txt(dir.path(), "m.txt", &[1, 2, 3, 1, 2, 3]);
    let (ok, stdout, stderr) = tiersim(&["replay", "--trace", &trace, "--mrc"]);
    assert!(ok, "{stderr}");
    let rows: Vec<&str> = stdout.lines().collect();
    assert!(rows[0].starts_with("trace,cache_size,miss_ratio,byte_miss_ratio"));
    assert_eq!(rows.len(), 4, "{stdout}");
    assert!(rows[1].starts_with("m.txt,1,1.00000000"));
    assert!(rows[2].starts_with("m.txt,2,1.00000000"));
    assert!(rows[3].starts_with("m.txt,3,0.50000000"));
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_txt(dir.path(), "e.txt", &[1, 2, 3]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--policy", "nosuch", "--cache-size", "2"],
            "known policies: lru",
        ),
        (&["--policy", "lru", "--cache-size", "0"], "greater than 0"),
        (&["--policy", "lru", "--cache-frac", "1.5"], "(0, 1]"),
        (&["--policy", "lru", "--cache-frac", "0"], "(0, 1]"),
        (
            &["--policy", "lru", "--cache-frac", "0.1"],
            "gives a cache of size 0",
        ),
        (&["--policy", "lru"], "--cache-size or --cache-frac"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["replay", "--trace", &trace];
        args.extend_from_slice(extra);
        let (ok, _, stderr) = tiersim(&args);
        assert!(!ok, "{extra:?} should fail");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
    }
    let (ok, _, stderr) = tiersim(&[
        "replay",
        "--trace",
        "/nonexistent.txt",
        "--policy",
        "lru",
        "--cache-size",
        "2",
    ]);
    assert!(!ok && stderr.contains("/nonexistent.txt"), "{stderr}");
    // A truncated oracleGeneral file: 3 whole records, then 5 stray bytes.
    let bad = write_oracle(
        dir.path(),
        "cut.oracleGeneral.bin",
        &[(1, 1), (2, 1), (3, 1)],
    );
    let mut f = std::fs::OpenOptions::new().append(true).open(&bad).unwrap();
    std::io::Write::write_all(&mut f, &[0u8; 5]).unwrap();
    let (ok, _, stderr) = tiersim(&[
        "replay",
        "--trace",
        &bad,
        "--policy",
        "lru",
        "--cache-size",
        "2",
    ]);
    assert!(!ok && stderr.contains("byte offset 72"), "{stderr}");
}

/// A policy with parameters: NAME:KEY=VALUE. 2Q at capacity 3 objects: libCacheSim's
/// A1in share is floor(0.75) = 0, so it admits nothing (3 misses); the paper's
/// variant keeps a share of 1 (1 1 1: a miss, then two hits in A1in). The policy
/// column keeps the spec. Bad specs are one-line errors naming them.
#[test]
fn policy_parameters_after_a_colon() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_txt(dir.path(), "t.txt", &[1, 1, 1]);
    let (ok, stdout, stderr) = tiersim(&[
        "replay",
        "--trace",
        &trace,
        "--policy",
        "twoq,twoq:variant=paper",
        "--cache-size",
        "3",
    ]);
    assert!(ok, "{stderr}");
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!((rows[0][1], rows[0][4]), ("twoq", "3"));
    assert_eq!((rows[1][1], rows[1][4]), ("twoq:variant=paper", "1"));
    for (spec, want) in [
        (
            "twoq:variant=lru",
            "policy 'twoq:variant=lru': variant: unknown variant `lru`",
        ),
        (
            "twoq:kin",
            "policy 'twoq:kin': expected KEY=VALUE after ':', found 'kin'",
        ),
        (
            "lirs:bogus=1",
            "policy 'lirs:bogus=1': bogus: unknown field `bogus`",
        ),
    ] {
        let (ok, _, stderr) = tiersim(&[
            "replay",
            "--trace",
            &trace,
            "--policy",
            spec,
            "--cache-size",
            "3",
        ]);
        assert!(!ok && stderr.contains(want), "{spec}: {stderr}");
    }
}
