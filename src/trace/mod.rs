//! Access traces: the request record every reader and writer shares, trace errors
//! with line or byte offsets, and opening a trace file by format.
//!
//! A trace is a stream: readers hand out one [`Request`] at a time (or a batch into a
//! reused buffer) and never hold the whole file in memory.

mod oracle_general;
mod txt;

pub use oracle_general::OracleGeneralReader;
pub use txt::TxtReader;

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
    /// Time of the request in picoseconds since the trace's start (0 where unknown).
    pub time: u64,
    /// Object id (block number, sample index, page number, ...).
    pub id: u64,
    /// Object size in bytes.
    pub size: u32,
    pub op: Op,
    /// Virtual time (request index) of the next access to the same object, or
    /// [`NO_NEXT_ACCESS`]. Only some formats carry it; Belady computes it when absent.
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
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
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

/// Trace file formats tiersim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// libCacheSim txt: one object id per line.
    Txt,
    /// libCacheSim oracleGeneral: 24-byte little-endian records.
    OracleGeneral,
}

impl Format {
    /// Names accepted by `--format`.
    pub const NAMES: &'static [&'static str] = &["txt", "oracleGeneral"];

    /// Parses a `--format` name (case-insensitive).
    pub fn from_name(name: &str) -> Result<Format, TraceError> {
        match name.to_ascii_lowercase().as_str() {
            "txt" => Ok(Format::Txt),
            "oraclegeneral" | "oracle-general" | "oracle_general" => Ok(Format::OracleGeneral),
            _ => Err(TraceError::Other(format!(
                "unknown trace format '{name}'; known formats: {}",
                Format::NAMES.join(", ")
            ))),
        }
    }

    /// Guesses the format from the file name.
    pub fn from_path(path: &Path) -> Result<Format, TraceError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if name.contains("oraclegeneral") {
            Ok(Format::OracleGeneral)
        } else if name.ends_with(".txt") {
            Ok(Format::Txt)
        } else {
            Err(TraceError::Other(format!(
                "{}: cannot tell the trace format from the file name; pass --format (one of {})",
                path.display(),
                Format::NAMES.join(", ")
            )))
        }
    }
}

/// Opens a trace for streaming; `format` None guesses from the file name.
pub fn open(path: &Path, format: Option<Format>) -> Result<Box<dyn TraceReader>, TraceError> {
    let format = match format {
        Some(f) => f,
        None => Format::from_path(path)?,
    };
    Ok(match format {
        Format::Txt => Box::new(TxtReader::open(path)?),
        Format::OracleGeneral => Box::new(OracleGeneralReader::open(path)?),
    })
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TraceError + '_ {
    move |source| TraceError::Io {
        path: path.to_path_buf(),
        source,
    }
}
