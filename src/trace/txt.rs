//! libCacheSim's txt trace format: one decimal object id per line, each a read of size 1
//! at time 0 (the format has no time, size or op; the writer drops them).

use super::atomic::AtomicFile;
use super::lines::{binary_hint, echo, LineLimit, MAX_LINE};
use super::{io_err, Request, TraceError, TraceReader, TraceWriter};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Streams a txt trace line by line (lines at most [`MAX_LINE`] bytes).
pub struct TxtReader {
    path: PathBuf,
    input: BufReader<LineLimit<File>>,
    line: Vec<u8>,
    line_no: u64,
}

impl TxtReader {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(io_err(path))?;
        Ok(TxtReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 16, LineLimit::new(file, MAX_LINE)),
            line: Vec::new(),
            line_no: 0,
        })
    }
}

impl TraceReader for TxtReader {
    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        loop {
            self.line.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.line)
                .map_err(io_err(&self.path))?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let text = self.line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            let id = std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse::<u64>().ok())
                .ok_or_else(|| TraceError::Line {
                    path: self.path.clone(),
                    line: self.line_no,
                    msg: format!(
                        "expected an object id (unsigned integer), found {}{}",
                        echo(&String::from_utf8_lossy(text)),
                        binary_hint(text)
                    ),
                })?;
            return Ok(Some(Request::read(id, 1)));
        }
    }
}

/// Writes a txt trace atomically: the ids only.
pub struct TxtWriter {
    out: AtomicFile,
    line: String,
    count: u64,
}

impl TxtWriter {
    pub fn create(path: &Path) -> Result<Self, TraceError> {
        Ok(TxtWriter {
            out: AtomicFile::create(path)?,
            line: String::with_capacity(24),
            count: 0,
        })
    }
}

impl TraceWriter for TxtWriter {
    fn write(&mut self, req: &Request) -> Result<(), TraceError> {
        use std::fmt::Write;
        self.line.clear();
        let _ = writeln!(self.line, "{}", req.id);
        self.count += 1;
        self.out.write_all(self.line.as_bytes())
    }

    fn finish(self: Box<Self>) -> Result<u64, TraceError> {
        let count = self.count;
        self.out.commit()?;
        Ok(count)
    }
}
