//! Trace formats: the four libCacheSim encodings of cloudPhysicsIO agree, next-access
//! times computed by convert match libCacheSim's own oracleGeneral file, every writable
//! format round-trips, generators hold their invariants, and bad input names its place.

use std::path::{Path, PathBuf};
use tiersim::trace::gen::{self, GenSpec};
use tiersim::trace::{
    self, CsvSpec, Format, Op, Request, TraceError, WriteOptions, NO_NEXT_ACCESS,
};

fn shared_data() -> Option<PathBuf> {
    let dir = match std::env::var_os("TIERSIM_SHARED_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    };
    if dir.join("cloudPhysicsIO.vscsi").exists() {
        Some(dir)
    } else {
        println!("skipped: shared data not found");
        None
    }
}

fn read_all(path: &Path, format: Option<Format>) -> Result<Vec<Request>, TraceError> {
    let mut r = trace::open(path, format)?;
    let mut all = Vec::new();
    let mut buf = Vec::new();
    while r.read_batch(&mut buf, 4096)? > 0 {
        all.extend_from_slice(&buf);
    }
    Ok(all)
}

fn distinct(reqs: &[Request]) -> usize {
    reqs.iter()
        .map(|r| r.id)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

#[test]
fn libcachesim_files_agree() {
    let Some(dir) = shared_data() else { return };
    let names = [
        "cloudPhysicsIO.csv",
        "cloudPhysicsIO.txt",
        "cloudPhysicsIO.oracleGeneral.bin",
        "cloudPhysicsIO.vscsi",
    ];
    let traces: Vec<Vec<Request>> = names
        .iter()
        .map(|n| read_all(&dir.join(n), None).unwrap())
        .collect();
    // Published in shared/data/README.md: 113,872 requests over 48,974 blocks.
    for (n, t) in names.iter().zip(&traces) {
        assert_eq!(t.len(), 113_872, "{n}");
        assert_eq!(distinct(t), 48_974, "{n}");
    }
    let ids: Vec<Vec<u64>> = traces
        .iter()
        .map(|t| t.iter().map(|r| r.id).collect())
        .collect();
    for k in 1..ids.len() {
        assert!(ids[k] == ids[0], "{} and {} differ", names[0], names[k]);
    }
    // csv and vscsi carry the same op (SCSI opcode) and size per record; the csv has
    // 66,898 WRITE(10) (0x2a) and 46,974 READ(10) (0x28) lines (counted with a Python Counter over column 3).
    let (csv, vscsi) = (&traces[0], &traces[3]);
    assert!(csv
        .iter()
        .zip(vscsi)
        .all(|(a, b)| a.op == b.op && a.size == b.size));
    assert_eq!(csv.iter().filter(|r| r.op == Op::Write).count(), 66_898);
    // The first csv line is 1,5633898,2a,512,42932745; the vscsi V1 record matches.
    assert_eq!(
        (csv[0].id, csv[0].size, csv[0].op),
        (42_932_745, 512, Op::Write)
    );
    // vscsi times are microseconds: the first two records are 242,639 us apart
    // (5633898611441 - 5633898368802: ts fields at bytes 24 and 56, decoded
    // with Python struct).
    assert_eq!(vscsi[1].time - vscsi[0].time, 242_639 * 1_000_000);
}

#[test]
fn convert_computes_libcachesim_next_access_times() {
    let Some(dir) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let reference = std::fs::read(dir.join("cloudPhysicsIO.oracleGeneral.bin")).unwrap();
    for src in ["cloudPhysicsIO.vscsi", "cloudPhysicsIO.txt"] {
        let out = tmp.path().join(format!("{src}.oracleGeneral.bin"));
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
            .args(["trace", "convert"])
            .arg(dir.join(src))
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        let ours = std::fs::read(&out).unwrap();
        assert_eq!(ours.len(), reference.len());
        // Compare the raw id and next-access fields (bytes 4..12 and 16..24 of every
        // 24-byte record) with libCacheSim's file, an independent computation.
        for (k, (a, b)) in ours.chunks(24).zip(reference.chunks(24)).enumerate() {
            assert_eq!(a[4..12], b[4..12], "{src}: id of record {k}");
            assert_eq!(a[16..24], b[16..24], "{src}: next access of record {k}");
        }
    }
    // Read back, next_access is a 0-based index of a request to the same id.
    let reqs = read_all(&dir.join("cloudPhysicsIO.oracleGeneral.bin"), None).unwrap();
    for (i, r) in reqs.iter().enumerate().take(5000) {
        if r.next_access != NO_NEXT_ACCESS {
            assert!(r.next_access as usize > i);
            assert_eq!(reqs[r.next_access as usize].id, r.id);
        }
    }
}

fn sample_requests() -> Vec<Request> {
    let spec = GenSpec {
        kind: "zipf".into(),
        objects: 500,
        requests: 20_000,
        alpha: 0.9,
        write_frac: 0.3,
        seed: 11,
        interarrival_ps: 1_500_000_000, // 1.5 ms: oracleGeneral keeps whole seconds
        ..GenSpec::default()
    };
    gen::generate(&spec)
        .unwrap()
        .map(|mut r| {
            r.size = 1 + (r.id as u32 * 37) % 9000;
            r
        })
        .collect()
}

fn write_all(path: &Path, format: Option<Format>, opts: WriteOptions, reqs: &[Request]) {
    let mut w = trace::create(path, format, opts).unwrap();
    for r in reqs {
        w.write(r).unwrap();
    }
    assert_eq!(w.finish().unwrap(), reqs.len() as u64);
}

#[test]
fn every_writable_format_round_trips() {
    let reqs = sample_requests();
    let mut with_next = reqs.clone();
    trace::next_access::fill(&mut with_next);
    let tmp = tempfile::tempdir().unwrap();
    let keep = WriteOptions {
        keep_next_access: true,
        compute_next_access: false,
    };
    let compute = WriteOptions {
        keep_next_access: false,
        compute_next_access: true,
    };
    let none = WriteOptions::default();

    // tsb: exact, with and without next access.
    let p = tmp.path().join("a.tsb");
    write_all(&p, None, none, &reqs);
    assert_eq!(read_all(&p, None).unwrap(), reqs);
    write_all(&p, None, compute, &reqs);
    assert_eq!(read_all(&p, None).unwrap(), with_next);
    let p = tmp.path().join("b.bin"); // .bin: the magic says tsb
    write_all(&p, None, keep, &with_next);
    assert_eq!(Format::from_path(&p).unwrap(), Format::Tsb);
    assert_eq!(read_all(&p, None).unwrap(), with_next);

    // csv: exact, with and without next access.
    let p = tmp.path().join("c.csv");
    write_all(&p, None, none, &reqs);
    assert_eq!(read_all(&p, None).unwrap(), reqs);
    write_all(&p, None, keep, &with_next);
    assert_eq!(read_all(&p, None).unwrap(), with_next);

    // oracleGeneral: ids, sizes, next access; whole seconds; no ops.
    let p = tmp.path().join("d.oracleGeneral.bin");
    write_all(&p, None, none, &reqs);
    let back = read_all(&p, None).unwrap();
    assert_eq!(back.len(), reqs.len());
    for (a, b) in back.iter().zip(&with_next) {
        assert_eq!((a.id, a.size, a.next_access), (b.id, b.size, b.next_access));
        assert_eq!(a.time, b.time / 1_000_000_000_000 * 1_000_000_000_000);
        assert_eq!(a.op, Op::Read);
    }

    // txt: ids only.
    let p = tmp.path().join("e.txt");
    write_all(&p, None, none, &reqs);
    let back = read_all(&p, None).unwrap();
    assert!(back.iter().map(|r| r.id).eq(reqs.iter().map(|r| r.id)));
}

#[test]
fn epoch_shuffle_epochs_are_permutations() {
    let (samples, epochs) = (1000u64, 5u64);
    let spec = GenSpec {
        kind: "epoch-shuffle".into(),
        objects: samples,
        epochs,
        seed: 7,
        ..GenSpec::default()
    };
    let ids: Vec<u64> = gen::generate(&spec).unwrap().map(|r| r.id).collect();
    assert_eq!(ids.len() as u64, samples * epochs);
    let sorted: Vec<u64> = (0..samples).collect();
    let mut epochs_seen = Vec::new();
    for e in ids.chunks(samples as usize) {
        let mut s = e.to_vec();
        s.sort_unstable();
        assert_eq!(s, sorted, "an epoch is not a permutation of all samples");
        epochs_seen.push(e.to_vec());
    }
    assert_ne!(epochs_seen[0], epochs_seen[1], "epochs must be reshuffled");
    assert_ne!(epochs_seen[0], sorted, "the first epoch must be shuffled");
    let again: Vec<u64> = gen::generate(&spec).unwrap().map(|r| r.id).collect();
    assert_eq!(ids, again, "same seed, same trace");
}

fn err_text(path: &Path, format: Option<Format>) -> String {
    match read_all(path, format) {
        Ok(r) => panic!(
            "{} read {} requests, expected an error",
            path.display(),
            r.len()
        ),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_input_names_line_or_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let reqs = sample_requests();

    // Truncated records: oracleGeneral (24-byte records) cut 10 bytes into record 3.
    let p = tmp.path().join("t.oracleGeneral.bin");
    write_all(&p, None, WriteOptions::default(), &reqs[..4]);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..3 * 24 + 10]).unwrap();
    let e = err_text(&p, None);
    assert!(
        e.contains("byte offset 72") && e.contains("truncated"),
        "{e}"
    );

    // tsb cut inside record 2 of 4: the header's count says 4.
    let p = tmp.path().join("t.tsb");
    write_all(&p, None, WriteOptions::default(), &reqs[..4]);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..32 + 2 * 24 + 5]).unwrap();
    let e = err_text(&p, None);
    assert!(
        e.contains("byte offset 80") && e.contains("truncated"),
        "{e}"
    );

    // vscsi cut inside record 1 (V1, 32 bytes).
    let mut v = Vec::new();
    for lbn in [10u64, 11] {
        let mut rec = [0u8; 32];
        rec[4..8].copy_from_slice(&512u32.to_le_bytes());
        rec[12..14].copy_from_slice(&0x28u16.to_le_bytes());
        rec[14..16].copy_from_slice(&0x0100u16.to_le_bytes());
        rec[16..24].copy_from_slice(&lbn.to_le_bytes());
        v.extend_from_slice(&rec);
    }
    let p = tmp.path().join("t.vscsi");
    std::fs::write(&p, &v).unwrap();
    let ok = read_all(&p, None).unwrap();
    assert_eq!(ok.iter().map(|r| r.id).collect::<Vec<_>>(), vec![10, 11]);
    std::fs::write(&p, &v[..50]).unwrap();
    let e = err_text(&p, None);
    assert!(
        e.contains("byte offset 32") && e.contains("truncated"),
        "{e}"
    );
    std::fs::write(&p, [7u8; 64]).unwrap();
    assert!(err_text(&p, None).contains("not a vscsi trace"));

    // vscsi V2 (40-byte records: cmd u16, ver u16, sn, len, nSG u32, lbn, ts, rt u64).
    let mut v2 = Vec::new();
    for (k, lbn) in [77u64, 78, 77].into_iter().enumerate() {
        let mut rec = [0u8; 40];
        rec[0..2].copy_from_slice(&0x2au16.to_le_bytes());
        rec[2..4].copy_from_slice(&0x0200u16.to_le_bytes());
        rec[8..12].copy_from_slice(&4096u32.to_le_bytes());
        rec[16..24].copy_from_slice(&lbn.to_le_bytes());
        rec[24..32].copy_from_slice(&(1_000 + 5 * k as u64).to_le_bytes());
        v2.extend_from_slice(&rec);
    }
    let p = tmp.path().join("v2.vscsi");
    std::fs::write(&p, &v2).unwrap();
    let r = read_all(&p, None).unwrap();
    assert_eq!(r.iter().map(|q| q.id).collect::<Vec<_>>(), vec![77, 78, 77]);
    assert!(r.iter().all(|q| q.size == 4096 && q.op == Op::Write));
    assert_eq!(r[2].time, 10 * 1_000_000); // 10 us after the first record
    std::fs::write(&p, &v2[..100]).unwrap();
    let e = err_text(&p, None);
    assert!(
        e.contains("byte offset 80") && e.contains("truncated"),
        "{e}"
    );

    // Non-numeric ids: txt line 3, csv line 3 (header is line 1).
    let p = tmp.path().join("t.txt");
    std::fs::write(&p, "1\n2\nabc\n4\n").unwrap();
    let e = err_text(&p, None);
    assert!(e.contains("line 3") && e.contains("abc"), "{e}");
    let p = tmp.path().join("t.csv");
    std::fs::write(&p, "time_ps,id,size,op\n0,1,4096,read\n5,x9,4096,read\n").unwrap();
    let e = err_text(&p, None);
    assert!(e.contains("line 3") && e.contains("x9"), "{e}");

    // Wrong magic, wrong version.
    let p = tmp.path().join("m.tsb");
    write_all(&p, None, WriteOptions::default(), &reqs[..2]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[0] = b'X';
    std::fs::write(&p, &bytes).unwrap();
    let e = err_text(&p, None);
    assert!(e.contains("byte offset 0") && e.contains("magic"), "{e}");
    bytes[0] = b'T';
    bytes[8] = 9;
    std::fs::write(&p, &bytes).unwrap();
    let e = err_text(&p, None);
    assert!(
        e.contains("byte offset 8") && e.contains("version 9"),
        "{e}"
    );
    // A .bin without the magic is not guessed.
    let p = tmp.path().join("x.bin");
    std::fs::write(&p, [0u8; 48]).unwrap();
    assert!(Format::from_path(&p).is_err());

    // CSV header that does not match the columns asked for: line 1.
    let p = tmp.path().join("h.csv");
    std::fs::write(&p, "version,time,op,size,object\n1,5,2a,512,7\n").unwrap();
    let e = err_text(&p, Some(Format::Csv(Some(CsvSpec::LIBCACHESIM))));
    assert!(e.contains("line 1") && e.contains("object"), "{e}");
    let e = err_text(&p, None); // by header name: no id column
    assert!(
        e.contains("line 1") && e.contains("no object id column"),
        "{e}"
    );
    let spec = Format::from_name("csv:id=5,time=2,header=yes").unwrap();
    let e = err_text(&p, Some(spec));
    assert!(e.contains("line 1") && e.contains("column 5"), "{e}");
    // ... and with the header skipped, the same file reads.
    let spec = Format::from_name("csv:id=5,time=2,op=3,size=4,header=skip").unwrap();
    let r = read_all(&p, Some(spec)).unwrap();
    assert_eq!((r[0].id, r[0].size, r[0].op), (7, 512, Op::Write));
}

#[test]
fn empty_traces_are_valid() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["e.txt", "e.csv", "e.oracleGeneral.bin", "e.vscsi", "e.tsb"] {
        let p = tmp.path().join(name);
        std::fs::write(&p, b"").unwrap();
        assert_eq!(read_all(&p, None).unwrap().len(), 0, "{name}");
    }
    for name in ["w.tsb", "w.csv", "w.txt", "w.oracleGeneral.bin"] {
        let p = tmp.path().join(name);
        write_all(&p, None, WriteOptions::default(), &[]);
        assert_eq!(read_all(&p, None).unwrap().len(), 0, "{name}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tiersim"))
        .args(["trace", "stats"])
        .arg(tmp.path().join("w.tsb"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("empty trace: 0 requests"));
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("u.tsb");
    {
        let mut w = trace::create(&p, None, WriteOptions::default()).unwrap();
        w.write(&Request::read(1, 1)).unwrap();
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn formats_by_name_and_path() {
    let f = |n: &str| Format::from_name(n).unwrap();
    assert_eq!(f("oracleGeneral"), Format::OracleGeneral);
    assert_eq!(f("VSCSI"), Format::Vscsi);
    assert_eq!(f("lcs-csv"), Format::Csv(Some(CsvSpec::LIBCACHESIM)));
    assert!(Format::from_name("parquet").is_err());
    let p = |n: &str| Format::from_path(Path::new(n)).unwrap();
    assert_eq!(
        p("x/cloudPhysicsIO.oracleGeneral.bin"),
        Format::OracleGeneral
    );
    assert_eq!(p("a.vscsi"), Format::Vscsi);
    assert_eq!(p("a.txt"), Format::Txt);
    assert_eq!(p("a.csv"), Format::Csv(None));
    assert_eq!(p("a.tsb"), Format::Tsb);
}

#[test]
fn cli_gen_and_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("t.tsb");
    let bin = env!("CARGO_BIN_EXE_tiersim");
    let status = std::process::Command::new(bin)
        .args([
            "trace",
            "gen",
            "--kind",
            "epoch-shuffle",
            "--samples",
            "1000",
        ])
        .args(["--epochs", "5", "--seed", "7", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let o = std::process::Command::new(bin)
        .args(["trace", "stats", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // 5 epochs over N = 1000 samples of 4096 bytes: 5000 requests, no one-hit wonders.
    // A sample at position p of one epoch and q of the next is reused after
    // N - p + q requests, p and q independent and uniform on 0..N: the interval lies in
    // [1, 2N - 1] with a triangular distribution of mean and median N (sd N/sqrt(6),
    // so the mean of 4000 reuses is N within ~1%).
    assert_eq!(s["requests"], 5000);
    assert_eq!(s["distinct_objects"], 1000);
    assert_eq!(s["total_bytes"], 5000 * 4096);
    assert_eq!(s["distinct_bytes"], 1000 * 4096);
    assert_eq!(s["one_hit_objects"], 0);
    assert_eq!(s["reuses"], 4000);
    let reuse = &s["reuse_interval"];
    assert!(reuse["max"].as_u64().unwrap() <= 1999);
    assert!(reuse["max"].as_u64().unwrap() >= 1900);
    let mean = reuse["mean"].as_f64().unwrap();
    assert!((mean - 1000.0).abs() < 30.0, "mean reuse interval {mean}");
    let p50 = reuse["p50"].as_u64().unwrap() as f64;
    assert!((p50 - 1000.0).abs() < 60.0, "median reuse interval {p50}");
}

#[test]
fn stats_of_cloudphysics_match_an_independent_count() {
    let Some(dir) = shared_data() else { return };
    let mut r = trace::open(&dir.join("cloudPhysicsIO.vscsi"), None).unwrap();
    let s = trace::stats::compute(r.as_mut()).unwrap();
    // Expected values from a separate Python pass over the raw vscsi records (struct
    // unpack of len, lbn, ts; dict of last index and count per lbn; sorted gaps).
    assert_eq!(s.requests, 113_872);
    assert_eq!(s.distinct_objects, 48_974);
    assert_eq!(s.total_bytes, 4_205_978_112);
    assert_eq!(s.distinct_bytes, 2_029_769_728);
    assert_eq!((s.reads, s.writes), (46_974, 66_898));
    assert_eq!(s.one_hit_objects, 21_049);
    assert_eq!(s.reuses, 64_898);
    assert_eq!(s.time_span_ps, 7_200_089_885 * 1_000_000);
    let close = |got: u64, want: u64| (got as f64 - want as f64).abs() <= want as f64 * 2e-3;
    let ri = &s.reuse_interval;
    assert!((ri.mean - 23_104.875).abs() < 23.0, "mean {}", ri.mean);
    assert!(close(ri.p50, 10_036), "p50 {}", ri.p50);
    assert!(close(ri.p90, 59_161), "p90 {}", ri.p90);
    assert!(close(ri.max, 110_868), "max {}", ri.max);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn request() -> impl Strategy<Value = (u64, u64, u32, bool, u64)> {
        (
            0u64..1 << 40,
            any::<u64>(),
            any::<u32>(),
            any::<bool>(),
            any::<u64>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn tsb_and_csv_round_trip_any_requests(raw in proptest::collection::vec(request(), 0..100)) {
            // Times ascend from 0 (csv rebases on the first request; tsb stores as is).
            let mut t = 0u64;
            let reqs: Vec<Request> = raw
                .iter()
                .enumerate()
                .map(|(i, &(dt, id, size, write, next))| {
                    if i > 0 {
                        t += dt;
                    }
                    Request {
                        time: t,
                        id,
                        size,
                        op: if write { Op::Write } else { Op::Read },
                        next_access: next,
                    }
                })
                .collect();
            let tmp = tempfile::tempdir().unwrap();
            let keep = WriteOptions { keep_next_access: true, compute_next_access: false };
            for name in ["p.tsb", "p.csv"] {
                let p = tmp.path().join(name);
                write_all(&p, None, keep, &reqs);
                prop_assert_eq!(read_all(&p, None).unwrap(), reqs.clone());
            }
        }
    }
}
