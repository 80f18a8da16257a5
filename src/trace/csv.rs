//! CSV traces: libCacheSim's csv (header `version,time,op,size,lbn`, id = lbn, time in
//! seconds, op a SCSI opcode in hex) and generic CSV with configurable columns
//! ([`CsvSpec`]), or columns found by header name. Streamed record by record with the
//! `csv` crate into one reused record: no allocation per line. The writer emits
//! tiersim's layout `time_ps,id,size,op[,next_access]`, which reads back by header.

use super::atomic::AtomicFile;
pub use super::csv_spec::{parse_op, role_of, CsvSpec, TimeUnit};
use super::lines::{binary_hint, echo, LineLimit, MAX_LINE};
use super::{io_err, Op, Request, TraceError, TraceReader, TraceWriter, NO_NEXT_ACCESS};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Streams a CSV trace. Times are rebased on the first record.
pub struct CsvReader {
    path: PathBuf,
    input: csv::Reader<BufReader<LineLimit<File>>>,
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
            .from_reader(BufReader::with_capacity(
                1 << 20,
                LineLimit::new(file, MAX_LINE),
            ));
        let mut record = csv::ByteRecord::new();
        let wants_header = spec.map(|s| s.has_header).unwrap_or(true);
        let mut spec = spec;
        if wants_header && read(&mut input, &mut record, path)? {
            let names: Vec<&str> = record
                .iter()
                .map(|f| std::str::from_utf8(f).unwrap_or("?"))
                .collect();
            let hint = binary_hint(record.as_slice());
            let line = |msg: String| TraceError::Line {
                path: path.to_path_buf(),
                line: 1,
                msg: msg + hint,
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
        let quoted = |c: usize| echo(field(c)) + binary_hint(&rec[c]);
        let id_text = field(s.id_col);
        let id = id_text.parse::<u64>().map_err(|_| {
            format!(
                "column {}: expected an object id (unsigned integer), found {}",
                s.id_col + 1,
                quoted(s.id_col)
            )
        })?;
        let size = match s.size_col {
            Some(c) => field(c).parse::<u32>().map_err(|_| {
                format!(
                    "column {}: expected a size in bytes, found {}",
                    c + 1,
                    quoted(c)
                )
            })?,
            None => s.default_size,
        };
        let op = match s.op_col {
            Some(c) => parse_op(field(c)).ok_or_else(|| {
                format!(
                    "column {}: unknown op {} (read/write or a SCSI opcode)",
                    c + 1,
                    quoted(c)
                )
            })?,
            None => Op::Read,
        };
        let next_access = match s.next_access_col {
            Some(c) => match (field(c).parse::<u64>(), field(c).parse::<i64>()) {
                (Ok(v), _) => v,
                (_, Ok(v)) if v < 0 => NO_NEXT_ACCESS,
                _ => {
                    return Err(format!(
                        "column {}: expected a next-access index, found {}",
                        c + 1,
                        quoted(c)
                    ))
                }
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
    input: &mut csv::Reader<BufReader<LineLimit<File>>>,
    record: &mut csv::ByteRecord,
    path: &Path,
) -> Result<bool, TraceError> {
    input.read_byte_record(record).map_err(|e| match e.kind() {
        // The line limit's message names the line.
        csv::ErrorKind::Io(io) => TraceError::Other(format!("{}: {io}", path.display())),
        _ => TraceError::Line {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            msg: e.to_string(),
        },
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
            return self
                .parse_record()
                .map(Some)
                .map_err(|msg| TraceError::Line {
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
