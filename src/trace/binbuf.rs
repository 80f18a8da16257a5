//! A large read buffer for fixed-size binary records: filled by a few big reads, then
//! decoded in place, so reading costs no syscall or allocation per record.

use super::{io_err, TraceError};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Default buffer size: 4 MiB, large enough that syscalls vanish from profiles.
pub(crate) const BUF_BYTES: usize = 4 << 20;

/// Buffered fixed-record input with the byte offset of every record.
pub(crate) struct RecordBuf {
    pub(crate) path: PathBuf,
    file: File,
    buf: Vec<u8>,
    /// Start of the first undecoded byte in `buf`.
    pos: usize,
    /// End of valid bytes in `buf`.
    len: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl RecordBuf {
    pub(crate) fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(io_err(path))?;
        Ok(Self::from_file(path, file, 0))
    }

    /// Wraps `file` whose read position is at byte `offset`.
    pub(crate) fn from_file(path: &Path, file: File, offset: u64) -> Self {
        RecordBuf {
            path: path.to_path_buf(),
            file,
            buf: vec![0u8; BUF_BYTES],
            pos: 0,
            len: 0,
            base: offset,
            eof: false,
        }
    }

    /// File offset of the next undecoded byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Undecoded bytes in the buffer.
    #[inline]
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    /// Marks `n` bytes as decoded.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        self.pos += n;
    }

    /// Ensures at least `rec` bytes are buffered unless the file ends first. Returns
    /// false at a clean end; an error when the file ends inside a record.
    pub(crate) fn fill(&mut self, rec: usize) -> Result<bool, TraceError> {
        if self.len - self.pos >= rec {
            return Ok(true);
        }
        // Move the partial record to the front and read until the buffer is full.
        self.buf.copy_within(self.pos..self.len, 0);
        self.base += self.pos as u64;
        self.len -= self.pos;
        self.pos = 0;
        while !self.eof && self.len < self.buf.len() {
            match self.file.read(&mut self.buf[self.len..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&self.path)(e)),
            }
        }
        if self.len >= rec {
            Ok(true)
        } else if self.len == 0 {
            Ok(false)
        } else {
            Err(TraceError::Offset {
                path: self.path.clone(),
                offset: self.base,
                msg: format!("truncated record: {} of {rec} bytes", self.len),
            })
        }
    }

    /// Reads exactly `n` bytes (a header) at the current position.
    pub(crate) fn take(&mut self, n: usize) -> Result<Option<&[u8]>, TraceError> {
        if self.len - self.pos < n {
            match self.fill(n) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(_) => return Ok(None),
            }
        }
        let start = self.pos;
        self.pos += n;
        Ok(Some(&self.buf[start..start + n]))
    }
}

#[inline]
pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[inline]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

#[inline]
pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}
