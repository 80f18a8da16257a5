//! Reading fio's JSON output (`fio --output-format=json`): each job's op, access
//! pattern, block size, queue depth, bandwidth, IOPS and mean latency. Options come from
//! the job's `job options` over the file's `global options`, with fio's defaults
//! (bs 4k, iodepth 1, numjobs 1, ioengine psync). Errors name the file and the JSON
//! path of what was expected; jobs that cannot become a table point (mixed read/write,
//! trims, block-size ranges, failed jobs) are skipped with the reason.

use crate::device::table::{PointOp, PointPattern};
use serde_json::Value;

/// One measured fio job (one direction of it).
#[derive(Clone, Debug, PartialEq)]
pub struct FioJob {
    /// The file it came from, as given.
    pub file: String,
    pub name: String,
    /// fio's `rw` as written (`randread`, `read`, ...).
    pub rw: String,
    pub op: PointOp,
    pub pattern: PointPattern,
    /// Bytes per request.
    pub block_size: u64,
    /// Requests in flight: iodepth (1 for synchronous engines) x numjobs.
    pub qd: u32,
    /// Bytes per second.
    pub bandwidth: f64,
    pub iops: f64,
    /// Mean latency from submission to completion (fio's `lat_ns`), nanoseconds.
    pub mean_latency_ns: f64,
    /// The `size` option (bytes), if given.
    pub size: Option<u64>,
}

/// What one fio JSON file held: its jobs, and the jobs skipped with why.
#[derive(Debug, Default)]
pub struct FioRun {
    pub jobs: Vec<FioJob>,
    pub skipped: Vec<String>,
}

/// fio's synchronous engines: one request in flight per job whatever the iodepth.
const SYNC_ENGINES: &[&str] = &["sync", "psync", "vsync", "pvsync", "pvsync2"];

/// Parses a fio size ("4k", "1M", "4096", "64KiB"): fio's default base of 1024 for
/// every prefix.
pub fn parse_fio_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..end].parse().ok()?;
    let unit = s[end..].to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i').to_string();
    let mult: u64 = match unit.as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Parses the text of one fio JSON output; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<FioRun, String> {
    // fio may print warnings before its JSON: start at the first `{`.
    let start = text.find('{').ok_or_else(|| {
        format!("{file}: no JSON object found (expected the output of `fio --output-format=json`)")
    })?;
    let root: Value = serde_json::from_str(&text[start..]).map_err(|e| {
        format!("{file}: not valid JSON (expected the output of `fio --output-format=json`): {e}")
    })?;
    let jobs = root.get("jobs").and_then(Value::as_array).ok_or_else(|| {
        format!("{file}: no `jobs` array (expected the output of `fio --output-format=json`)")
    })?;
    let global = root.get("global options").and_then(Value::as_object);
    let mut run = FioRun::default();
    for (i, job) in jobs.iter().enumerate() {
        let at = format!("{file}: jobs[{i}]");
        let name = job
            .get("jobname")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}.jobname: expected a string"))?
            .to_string();
        let local = job.get("job options").and_then(Value::as_object);
        let option = |key: &str| -> Option<String> {
            let v = local
                .and_then(|o| o.get(key))
                .or_else(|| global.and_then(|o| o.get(key)))?;
            Some(match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
        };
        let skip = |why: &str| format!("{file}: job \"{name}\": {why}");
        if job.get("error").and_then(Value::as_i64).unwrap_or(0) != 0 {
            run.skipped.push(skip("fio reported an error for it"));
            continue;
        }
        let rw = option("rw")
            .or_else(|| option("readwrite"))
            .unwrap_or_else(|| "read".into());
        let rw_kind = rw.split(':').next().unwrap_or("").trim().to_string();
        let (op, pattern) = match rw_kind.as_str() {
            "read" => (PointOp::Read, PointPattern::Sequential),
            "randread" => (PointOp::Read, PointPattern::Random),
            "write" => (PointOp::Write, PointPattern::Sequential),
            "randwrite" => (PointOp::Write, PointPattern::Random),
            other => {
                run.skipped.push(skip(&format!(
                    "rw={other}: only pure read, randread, write or randwrite jobs are fitted"
                )));
                continue;
            }
        };
        if option("bsrange").is_some() || option("bssplit").is_some() {
            run.skipped.push(skip(
                "bsrange/bssplit: only one block size per job is fitted",
            ));
            continue;
        }
        let bs_text = option("bs")
            .or_else(|| option("blocksize"))
            .unwrap_or_else(|| "4k".into());
        let parts: Vec<&str> = bs_text.split(',').collect();
        let bs_part = match op {
            PointOp::Write if parts.len() > 1 && !parts[1].trim().is_empty() => parts[1],
            _ => parts[0],
        };
        let block_size = parse_fio_size(bs_part)
            .filter(|&b| b > 0)
            .ok_or_else(|| format!("{at}: bs = \"{bs_text}\": expected a block size like 4k"))?;
        let count = |key: &str| -> Result<u32, String> {
            match option(key) {
                None => Ok(1),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{at}: {key} = \"{v}\": expected a whole number >= 1")),
            }
        };
        let iodepth = count("iodepth")?;
        let numjobs = count("numjobs")?;
        let engine = option("ioengine").unwrap_or_else(|| "psync".into());
        let per_job = if SYNC_ENGINES.contains(&engine.as_str()) {
            1
        } else {
            iodepth
        };
        let grouped = option("group_reporting").is_some_and(|v| v != "0");
        if numjobs > 1 && !grouped {
            return Err(format!(
                "{at}: job \"{name}\" has numjobs = {numjobs} without group_reporting: its clones are reported apart; rerun fio with group_reporting=1"
            ));
        }
        let dir = match op {
            PointOp::Read => "read",
            PointOp::Write => "write",
        };
        let other = match op {
            PointOp::Read => "write",
            PointOp::Write => "read",
        };
        let stats = job
            .get(dir)
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{at}.{dir}: expected an object of {dir} statistics"))?;
        let number = |key: &str| -> Result<f64, String> {
            stats
                .get(key)
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("{at}.{dir}.{key}: expected a number"))
        };
        let io_bytes = number("io_bytes")?;
        let other_bytes = job
            .get(other)
            .and_then(|o| o.get("io_bytes"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        if io_bytes <= 0.0 || other_bytes > 0.0 {
            run.skipped.push(skip(&format!(
                "moved {io_bytes} bytes of {dir}s and {other_bytes} of {other}s: nothing to fit"
            )));
            continue;
        }
        let mean = |key: &str| -> Option<f64> {
            stats.get(key)?.get("mean")?.as_f64().filter(|m| *m > 0.0)
        };
        let mean_latency_ns = mean("lat_ns")
            .or_else(|| Some(mean("clat_ns")? + mean("slat_ns").unwrap_or(0.0)))
            .ok_or_else(|| format!("{at}.{dir}.lat_ns.mean: expected a mean latency > 0"))?;
        run.jobs.push(FioJob {
            file: file.to_string(),
            name,
            rw: rw_kind,
            op,
            pattern,
            block_size,
            qd: per_job.saturating_mul(numjobs),
            bandwidth: number("bw_bytes")?,
            iops: number("iops")?,
            mean_latency_ns,
            size: option("size").and_then(|s| parse_fio_size(&s)),
        });
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_fio_base_1024() {
        assert_eq!(parse_fio_size("4k"), Some(4096));
        assert_eq!(parse_fio_size("1M"), Some(1 << 20));
        assert_eq!(parse_fio_size("64KiB"), Some(65536));
        assert_eq!(parse_fio_size("512"), Some(512));
        assert_eq!(parse_fio_size("lots"), None);
    }

    #[test]
    fn bad_input_names_file_and_path() {
        assert!(parse("a.json", "hello")
            .unwrap_err()
            .starts_with("a.json: no JSON"));
        assert!(parse("a.json", "{\"x\": 1")
            .unwrap_err()
            .starts_with("a.json: not valid JSON"));
        assert!(parse("a.json", "{}")
            .unwrap_err()
            .contains("no `jobs` array"));
        let no_lat = r#"{"jobs": [{"jobname": "j", "job options": {"rw": "randread"},
            "read": {"io_bytes": 4096, "bw_bytes": 1, "iops": 1}}]}"#;
        assert_eq!(
            parse("b.json", no_lat).unwrap_err(),
            "b.json: jobs[0].read.lat_ns.mean: expected a mean latency > 0"
        );
    }

    #[test]
    fn options_fall_back_to_global_and_defaults() {
        let text = r#"fio: a warning line
        {"global options": {"bs": "64k", "ioengine": "libaio", "numjobs": "2",
                            "group_reporting": "1"},
         "jobs": [{"jobname": "j", "job options": {"rw": "read", "iodepth": "8"},
            "read": {"io_bytes": 65536, "bw_bytes": 1000, "iops": 10,
                     "lat_ns": {"mean": 5000.0}},
            "write": {"io_bytes": 0}},
           {"jobname": "m", "job options": {"rw": "randrw"}}]}"#;
        let run = parse("c.json", text).unwrap();
        let j = &run.jobs[0];
        assert_eq!(
            (j.block_size, j.qd, j.pattern),
            (65536, 16, PointPattern::Sequential)
        );
        assert_eq!(j.mean_latency_ns, 5000.0);
        assert_eq!(run.skipped.len(), 1);
        assert!(run.skipped[0].contains("rw=randrw"));
    }
}
