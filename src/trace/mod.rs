//! Access traces: the request record every reader and writer shares, trace errors
//! with line or byte offsets, format detection, and opening / creating trace files.
//!
//! A trace is a stream: readers hand out one [`Request`] at a time (or a batch into a
//! reused buffer) and never hold the whole file in memory. Each format lives in its own
//! file: [`tsb`] (tiersim's binary), [`oracle_general`], [`vscsi`], [`csv`] (libCacheSim's
//! csv and generic CSV with configurable columns) and [`txt`]. Writers are atomic (a
//! temporary file renamed into place on [`TraceWriter::finish`]). See docs/traces.md.

mod atomic;
mod binbuf;
pub mod csv;
mod csv_spec;
mod format;
pub mod gen;
pub mod lines;
pub mod next_access;
pub mod oracle_general;
pub mod stats;
pub mod tsb;
pub mod txt;
pub mod vscsi;

pub use self::csv::{CsvReader, CsvSpec, CsvWriter, TimeUnit};
pub use format::Format;
pub use oracle_general::{OracleGeneralReader, OracleGeneralWriter};
pub use tsb::{TsbReader, TsbWriter};
pub use txt::{TxtReader, TxtWriter};
pub use vscsi::VscsiReader;

use std::path::{Path, PathBuf};

/// Sentinel for "this object is never accessed again" in [`Request::next_access`].
pub const NO_NEXT_ACCESS: u64 = u64::MAX;

/// Whether a request reads or writes its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Read,
    Write,
}

/// One access of a trace or of a workload's access stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Time of the request in picoseconds. Foreign formats (oracleGeneral, vscsi, csv)
    /// are rebased so the trace's first request is at 0; tiersim's binary stores it as is.
    /// 0 where the format has no time (txt).
    pub time: u64,
    /// Object id (block number, sample index, page number, ...).
    pub id: u64,
    /// Object size in bytes.
    pub size: u32,
    pub op: Op,
    /// Index (0-based position in the trace) of the next request to the same object,
    /// or [`NO_NEXT_ACCESS`]. Only some formats carry it; [`next_access`] computes it.
    /// (libCacheSim's oracleGeneral stores this 1-based; its reader and writer convert.)
    pub next_access: u64,
}

impl Request {
    /// A read of `id` with `size` bytes and no known next access.
    pub fn read(id: u64, size: u32) -> Self {
        Request {
            time: 0,
            id,
            size,
            op: Op::Read,
            next_access: NO_NEXT_ACCESS,
        }
    }
}

/// An error reading or writing a trace, naming where in the file it happened.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// (`error`, not `source`: the message already quotes it, and an error chain
    /// would print it twice.)
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: line {line}: {msg}")]
    Line {
        path: PathBuf,
        line: u64,
        msg: String,
    },
    #[error("{path}: byte offset {offset}: {msg}")]
    Offset {
        path: PathBuf,
        offset: u64,
        msg: String,
    },
    #[error("{0}")]
    Other(String),
}

/// A streaming source of requests.
pub trait TraceReader: Send {
    /// The next request, `Ok(None)` at the end of the trace.
    fn next_request(&mut self) -> Result<Option<Request>, TraceError>;

    /// Whether this format carries next-access times.
    fn has_next_access(&self) -> bool {
        false
    }

    /// Clears `buf` and fills it with up to `max` requests; returns how many.
    fn read_batch(&mut self, buf: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
        buf.clear();
        while buf.len() < max {
            match self.next_request()? {
                Some(r) => buf.push(r),
                None => break,
            }
        }
        Ok(buf.len())
    }
}

/// A streaming sink of requests, written atomically: nothing appears at the destination
/// path until [`TraceWriter::finish`] succeeds; a writer dropped unfinished removes its
/// temporary file.
pub trait TraceWriter {
    /// Appends one request.
    fn write(&mut self, req: &Request) -> Result<(), TraceError>;
    /// Completes the file (header counts, next-access pass) and renames it into place;
    /// returns the number of requests written.
    fn finish(self: Box<Self>) -> Result<u64, TraceError>;
}

/// Options for [`create`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Store next-access times in formats where they are optional (tsb, csv), taking
    /// them from the requests as given.
    pub keep_next_access: bool,
    /// Compute next-access times in a backward pass over the written file (tsb). The
    /// oracleGeneral writer always computes them.
    pub compute_next_access: bool,
}

/// Opens a trace for streaming; `format` None detects it from the file name (and, for
/// `.csv` and `.bin`, the first bytes). See [`Format::from_path`].
pub fn open(path: &Path, format: Option<Format>) -> Result<Box<dyn TraceReader>, TraceError> {
    let format = match format {
        Some(f) => f,
        None => Format::from_path(path)?,
    };
    Ok(match format {
        Format::Txt => Box::new(TxtReader::open(path)?),
        Format::OracleGeneral => Box::new(OracleGeneralReader::open(path)?),
        Format::Vscsi => Box::new(VscsiReader::open(path)?),
        Format::Csv(spec) => Box::new(CsvReader::open(path, spec)?),
        Format::Tsb => Box::new(TsbReader::open(path)?),
    })
}

/// Creates a trace writer; `format` None picks it from the file name (see
/// [`Format::for_output`]).
pub fn create(
    path: &Path,
    format: Option<Format>,
    opts: WriteOptions,
) -> Result<Box<dyn TraceWriter>, TraceError> {
    let format = match format {
        Some(f) => f,
        None => Format::for_output(path)?,
    };
    Ok(match format {
        Format::Txt => Box::new(TxtWriter::create(path)?),
        Format::OracleGeneral => Box::new(OracleGeneralWriter::create(path)?),
        Format::Csv(spec) => Box::new(CsvWriter::create(path, spec, opts.keep_next_access)?),
        Format::Tsb => Box::new(TsbWriter::create(
            path,
            opts.keep_next_access || opts.compute_next_access,
            opts.compute_next_access,
        )?),
        Format::Vscsi => {
            return Err(TraceError::Other(format!(
                "{}: tiersim has no vscsi writer; write tsb, oracleGeneral, csv or txt",
                path.display()
            )))
        }
    })
}

/// Copies every request of `reader` into `writer` in batches; returns the count.
pub fn copy(reader: &mut dyn TraceReader, writer: &mut dyn TraceWriter) -> Result<u64, TraceError> {
    let mut buf = Vec::with_capacity(1 << 14);
    let mut n = 0u64;
    while reader.read_batch(&mut buf, 1 << 14)? > 0 {
        for r in &buf {
            writer.write(r)?;
        }
        n += buf.len() as u64;
    }
    Ok(n)
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TraceError + '_ {
    move |error| TraceError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Picoseconds per second, for formats that count whole seconds.
pub(crate) const PS_PER_SECOND: u64 = 1_000_000_000_000;

/// Rebases raw trace timestamps on the first one and scales them to picoseconds.
/// Timestamps before the first become 0; overflow (a span over 213 days) is reported.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Rebase {
    first: Option<u64>,
}

impl Rebase {
    /// `raw` in units of `ps_per_unit` picoseconds; None when the result overflows.
    #[inline]
    pub(crate) fn rebase_ps(&mut self, raw: u64, ps_per_unit: u64) -> Option<u64> {
        let first = *self.first.get_or_insert(raw);
        raw.saturating_sub(first).checked_mul(ps_per_unit)
    }
}
