//! CSV traces: libCacheSim's csv (header `version,time,op,size,lbn`, id = lbn, time in
//! seconds, op a SCSI opcode in hex) and generic CSV with configurable columns
//! ([`CsvSpec`]), or columns found by header name. Streamed record by record with the
//! `csv` crate into one reused record: no allocation per line. The writer emits
//! tiersim's layout `time_ps,id,size,op[,next_access]`, which reads back by header.

use super::atomic::AtomicFile;
use super::vscsi::scsi_is_write;
use super::{io_err, Op, Request, TraceError, TraceReader, TraceWriter, NO_NEXT_ACCESS};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Unit of a CSV time column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Ps,
    Ns,
    Us,
    Ms,
    S,
}

impl TimeUnit {
    pub fn picoseconds(self) -> u64 {
        match self {
            TimeUnit::Ps => 1,
            TimeUnit::Ns => 1_000,
            TimeUnit::Us => 1_000_000,
            TimeUnit::Ms => 1_000_000_000,
            TimeUnit::S => 1_000_000_000_000,
        }
    }

    pub fn from_name(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "ps" => TimeUnit::Ps,
            "ns" => TimeUnit::Ns,
            "us" => TimeUnit::Us,
            "ms" => TimeUnit::Ms,
            "s" | "sec" => TimeUnit::S,
            _ => return None,
        })
    }
}

/// Which CSV columns (0-based) hold which field. Columns left `None` take defaults:
/// time 0, size [`CsvSpec::default_size`], op read, next access unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvSpec {
    pub id_col: usize,
    pub time_col: Option<usize>,
    pub size_col: Option<usize>,
    pub op_col: Option<usize>,
    pub next_access_col: Option<usize>,
    /// The first line is a header.
    pub has_header: bool,
    /// The header's names must fit the columns asked for (see [`role_of`]).
    pub check_header: bool,
    pub delimiter: u8,
    pub time_unit: TimeUnit,
    pub default_size: u32,
}

const ID_NAMES: &[&str] = &[
    "id", "obj_id", "object_id", "objid", "key", "lbn", "lba", "block", "page", "sample",
];
const TIME_NAMES: &[&str] = &[
    "time", "timestamp", "ts", "clock_time", "time_ps", "time_ns", "time_us", "time_ms",
    "time_s",
];
const SIZE_NAMES: &[&str] = &["size", "obj_size", "object_size", "len", "length", "bytes"];
const OP_NAMES: &[&str] = &["op", "cmd", "operation", "type", "rw", "opcode"];
const NEXT_NAMES: &[&str] = &["next_access", "next_access_vtime", "next"];

/// The role ("id", "time", ...) a header name denotes, if any.
pub fn role_of(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    let n = n.as_str();
    [
        ("id", ID_NAMES),
        ("time", TIME_NAMES),
        ("size", SIZE_NAMES),
        ("op", OP_NAMES),
        ("next_access", NEXT_NAMES),
    ]
    .into_iter()
    .find(|(_, names)| names.contains(&n))
    .map(|(role, _)| role)
}

/// Time unit a time column's name implies: its suffix (`time_us`), else seconds (the
/// libCacheSim csv convention for a bare `time`).
fn unit_of(name: &str) -> TimeUnit {
    let n = name.trim().to_ascii_lowercase();
    n.rsplit_once('_')
        .and_then(|(_, u)| TimeUnit::from_name(u))
        .unwrap_or(TimeUnit::S)
}

impl CsvSpec {
    /// libCacheSim's csv: `version,time,op,size,lbn`.
    pub const LIBCACHESIM: CsvSpec = CsvSpec {
        id_col: 4,
        time_col: Some(1),
        size_col: Some(3),
        op_col: Some(2),
        next_access_col: None,
        has_header: true,
        check_header: true,
        delimiter: b',',
        time_unit: TimeUnit::S,
        default_size: 1,
    };

    /// tiersim's own csv layout, as [`CsvWriter`] writes it (without next access).
    pub const TIERSIM: CsvSpec = CsvSpec {
        id_col: 1,
        time_col: Some(0),
        size_col: Some(2),
        op_col: Some(3),
        next_access_col: None,
        has_header: true,
        check_header: true,
        delimiter: b',',
        time_unit: TimeUnit::Ps,
        default_size: 1,
    };

    /// Parses `id=N,time=N,size=N,op=N,next=N,header=yes|no|skip,delim=comma|tab|
    /// semicolon|space|pipe|C,unit=ps|ns|us|ms|s,default_size=N`. Columns are 1-based
    /// here, like libCacheSim's `obj-id-col` and `cut -f`; `id` is required.
    pub fn parse(text: &str) -> Result<CsvSpec, TraceError> {
        let bad = |m: String| TraceError::Other(format!("csv format '{text}': {m}"));
        let mut spec = CsvSpec {
            id_col: usize::MAX,
            time_col: None,
            size_col: None,
            op_col: None,
            next_access_col: None,
            has_header: false,
            check_header: false,
            delimiter: b',',
            time_unit: TimeUnit::S,
            default_size: 1,
        };
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad(format!("'{part}' is not KEY=VALUE")))?;
            let col = || -> Result<usize, TraceError> {
                match v.parse::<usize>() {
                    Ok(c) if c >= 1 => Ok(c - 1),
                    _ => Err(bad(format!("{k}={v}: columns count from 1"))),
                }
            };
            match k {
                "id" => spec.id_col = col()?,
                "time" => spec.time_col = Some(col()?),
                "size" => spec.size_col = Some(col()?),
                "op" => spec.op_col = Some(col()?),
                "next" | "next_access" => spec.next_access_col = Some(col()?),
                "header" => {
                    (spec.has_header, spec.check_header) = match v {
                        "yes" | "true" => (true, true),
                        "no" | "false" => (false, false),
                        "skip" => (true, false),
                        _ => return Err(bad(format!("header={v}: use yes, no or skip"))),
                    }
                }
                "delim" | "delimiter" => {
                    spec.delimiter = match v {
                        "comma" => b',',
                        "tab" => b'\t',
                        "semicolon" => b';',
                        "space" => b' ',
                        "pipe" => b'|',
                        _ if v.len() == 1 => v.as_bytes()[0],
                        _ => return Err(bad(format!("delim={v}: one character or a name"))),
                    }
                }
                "unit" => {
                    spec.time_unit = TimeUnit::from_name(v)
                        .ok_or_else(|| bad(format!("unit={v}: use ps, ns, us, ms or s")))?
                }
                "default_size" => {
                    spec.default_size = v
                        .parse()
                        .map_err(|_| bad(format!("default_size={v}: not a u32")))?
                }
                _ => return Err(bad(format!("unknown key '{k}'"))),
            }
        }
        if spec.id_col == usize::MAX {
            return Err(bad("the id column is required (id=N)".into()));
        }
        Ok(spec)
    }

    /// Columns from header names (first match per role; an id column is required).
    pub fn from_header(names: &[&str]) -> Result<CsvSpec, String> {
        let find = |role| names.iter().position(|n| role_of(n) == Some(role));
        let id_col = find("id").ok_or_else(|| {
            format!(
                "no object id column in header {:?} (expected one of {}); pass --format csv:id=N,...",
                names.join(","),
                ID_NAMES.join(", ")
            )
        })?;
        let time_col = find("time");
        Ok(CsvSpec {
            id_col,
            time_col,
            size_col: find("size"),
            op_col: find("op"),
            next_access_col: find("next_access"),
            has_header: true,
            check_header: true,
            delimiter: b',',
            time_unit: time_col.map(|c| unit_of(names[c])).unwrap_or(TimeUnit::S),
            default_size: 1,
        })
    }

    /// Checks that the header names fit the columns asked for.
    pub fn check(&self, names: &[&str]) -> Result<(), String> {
        let cols = [
            ("id", Some(self.id_col)),
            ("time", self.time_col),
            ("size", self.size_col),
            ("op", self.op_col),
            ("next_access", self.next_access_col),
        ];
        for (role, col) in cols {
            let Some(c) = col else { continue };
            let Some(name) = names.get(c) else {
                return Err(format!(
                    "header has {} columns, but the {role} column is column {}",
                    names.len(),
                    c + 1
                ));
            };
            if role_of(name) != Some(role) {
                return Err(format!(
                    "header column {} is '{}', which does not name the {role} column asked for",
                    c + 1,
                    name.trim()
                ));
            }
        }
        Ok(())
    }

    fn max_col(&self) -> usize {
        [
            Some(self.id_col),
            self.time_col,
            self.size_col,
            self.op_col,
            self.next_access_col,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

/// Parses an op field: read/write words, or a SCSI opcode in hex (libCacheSim's csv).
pub fn parse_op(field: &str) -> Option<Op> {
    match field.trim().to_ascii_lowercase().as_str() {
        "r" | "read" | "get" | "rd" => Some(Op::Read),
        "w" | "write" | "set" | "put" | "wr" => Some(Op::Write),
        hex => {
            let code = u16::from_str_radix(hex.trim_start_matches("0x"), 16).ok()?;
            match code {
                0x08 | 0x28 | 0xa8 | 0x88 => Some(Op::Read),
                c if scsi_is_write(c) => Some(Op::Write),
                _ => None,
            }
        }
    }
}

/// Streams a CSV trace. Times are rebased on the first record.
pub struct CsvReader {
    path: PathBuf,
    input: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
    spec: CsvSpec,
    first_ps: Option<i128>,
    has_next: bool,
}

impl CsvReader {
    /// Opens `path`; `spec` None finds the columns by header name.
    pub fn open(path: &Path, spec: Option<CsvSpec>) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(io_err(path))?;
        let delimiter = spec.map(|s| s.delimiter).unwrap_or(b',');
        let mut input = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .from_reader(BufReader::with_capacity(1 << 20, file));
        let mut record = csv::ByteRecord::new();
        let wants_header = spec.map(|s| s.has_header).unwrap_or(true);
        let mut spec = spec;
        if wants_header && read(&mut input, &mut record, path)? {
            let names: Vec<&str> = record
                .iter()
                .map(|f| std::str::from_utf8(f).unwrap_or("?"))
                .collect();
            let line = |msg| TraceError::Line {
                path: path.to_path_buf(),
                line: 1,
                msg,
            };
            match spec {
                None => spec = Some(CsvSpec::from_header(&names).map_err(line)?),
                Some(s) if s.check_header => s.check(&names).map_err(line)?,
                Some(_) => {}
            }
        }
        let spec = spec.unwrap_or(CsvSpec::TIERSIM);
        Ok(CsvReader {
            path: path.to_path_buf(),
            input,
            record,
            spec,
            first_ps: None,
            has_next: spec.next_access_col.is_some(),
        })
    }

    /// The columns in use.
    pub fn spec(&self) -> &CsvSpec {
        &self.spec
    }

    fn parse_record(&mut self) -> Result<Request, String> {
        let s = &self.spec;
        let rec = &self.record;
        if rec.len() <= s.max_col() {
            return Err(format!(
                "{} fields, but column {} is needed",
                rec.len(),
                s.max_col() + 1
            ));
        }
        let field = |c: usize| std::str::from_utf8(&rec[c]).unwrap_or("\u{fffd}");
        let id_text = field(s.id_col);
        let id = id_text.parse::<u64>().map_err(|_| {
            format!(
                "column {}: expected an object id (unsigned integer), found '{id_text}'",
                s.id_col + 1
            )
        })?;
        let size = match s.size_col {
            Some(c) => field(c).parse::<u32>().map_err(|_| {
                format!("column {}: expected a size in bytes, found '{}'", c + 1, field(c))
            })?,
            None => s.default_size,
        };
        let op = match s.op_col {
            Some(c) => parse_op(field(c)).ok_or_else(|| {
                format!("column {}: unknown op '{}' (read/write or a SCSI opcode)", c + 1, field(c))
            })?,
            None => Op::Read,
        };
        let next_access = match s.next_access_col {
            Some(c) => match field(c).parse::<i64>() {
                Ok(v) if v < 0 => NO_NEXT_ACCESS,
                Ok(v) => v as u64,
                Err(_) => return Err(format!("column {}: expected a next-access index, found '{}'", c + 1, field(c))),
            },
            None => NO_NEXT_ACCESS,
        };
        let time = match s.time_col {
            Some(c) => {
                let text = field(c);
                let unit = s.time_unit.picoseconds();
                let ps: i128 = if let Ok(v) = text.parse::<u64>() {
                    v as i128 * unit as i128
                } else if let Ok(v) = text.parse::<f64>() {
                    (v * unit as f64).round() as i128
                } else {
                    return Err(format!("column {}: expected a time, found '{text}'", c + 1));
                };
                let first = *self.first_ps.get_or_insert(ps);
                u64::try_from((ps - first).max(0))
                    .map_err(|_| "time more than 213 days after the first request".to_string())?
            }
            None => 0,
        };
        Ok(Request {
            time,
            id,
            size,
            op,
            next_access,
        })
    }
}

fn read(
    input: &mut csv::Reader<BufReader<File>>,
    record: &mut csv::ByteRecord,
    path: &Path,
) -> Result<bool, TraceError> {
    input.read_byte_record(record).map_err(|e| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        TraceError::Line {
            path: path.to_path_buf(),
            line,
            msg: e.to_string(),
        }
    })
}

impl TraceReader for CsvReader {
    fn has_next_access(&self) -> bool {
        self.has_next
    }

    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        loop {
            if !read(&mut self.input, &mut self.record, &self.path)? {
                return Ok(None);
            }
            if self.record.len() == 1 && self.record[0].is_empty() {
                continue; // a blank line
            }
            let line = self.record.position().map(|p| p.line()).unwrap_or(0);
            return self.parse_record().map(Some).map_err(|msg| TraceError::Line {
                path: self.path.clone(),
                line,
                msg,
            });
        }
    }
}

/// Writes tiersim's csv layout atomically: `time_ps,id,size,op[,next_access]`, op as
/// `read`/`write`, next access as a 0-based index or -1.
pub struct CsvWriter {
    out: AtomicFile,
    with_next: bool,
    line: String,
    count: u64,
}

impl CsvWriter {
    pub fn create(
        path: &Path,
        _spec: Option<CsvSpec>,
        with_next: bool,
    ) -> Result<Self, TraceError> {
        let mut out = AtomicFile::create(path)?;
        let header = if with_next {
            "time_ps,id,size,op,next_access\n"
        } else {
            "time_ps,id,size,op\n"
        };
        out.write_all(header.as_bytes())?;
        Ok(CsvWriter {
            out,
            with_next,
            line: String::with_capacity(96),
            count: 0,
        })
    }
}

impl TraceWriter for CsvWriter {
    fn write(&mut self, r: &Request) -> Result<(), TraceError> {
        use std::fmt::Write;
        self.line.clear();
        let op = match r.op {
            Op::Read => "read",
            Op::Write => "write",
        };
        let _ = write!(self.line, "{},{},{},{op}", r.time, r.id, r.size);
        if self.with_next {
            if r.next_access == NO_NEXT_ACCESS {
                self.line.push_str(",-1");
            } else {
                let _ = write!(self.line, ",{}", r.next_access);
            }
        }
        self.line.push('\n');
        self.count += 1;
        self.out.write_all(self.line.as_bytes())
    }

    fn finish(self: Box<Self>) -> Result<u64, TraceError> {
        let count = self.count;
        self.out.commit()?;
        Ok(count)
    }
}
