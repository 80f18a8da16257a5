//! Column layout of CSV traces ([`CsvSpec`]): explicit columns, columns found by header
//! name, libCacheSim's `version,time,op,size,lbn` layout, time units and op parsing.

use super::vscsi::scsi_is_write;
use super::{Op, TraceError};

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
    "id",
    "obj_id",
    "object_id",
    "objid",
    "key",
    "lbn",
    "lba",
    "block",
    "page",
    "sample",
];
const TIME_NAMES: &[&str] = &[
    "time",
    "timestamp",
    "ts",
    "clock_time",
    "time_ps",
    "time_ns",
    "time_us",
    "time_ms",
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

    /// tiersim's own csv layout, as [`super::CsvWriter`] writes it (without next access).
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

    /// The highest column index in use.
    pub fn max_col(&self) -> usize {
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
