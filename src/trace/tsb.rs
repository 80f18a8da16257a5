//! tiersim's binary trace format (`.tsb`): a 32-byte versioned header, then fixed
//! little-endian records, 24 bytes each or 32 with next-access times. Designed to be
//! decoded straight out of a large read buffer (>= 50 M records/s, benches/README.md).
//!
//! Header: magic `TSBTRACE` (8 bytes), version u16 (= 1), flags u16 (bit 0: records
//! carry next_access; other bits must be 0), record size u32 (24 or 32), record count
//! u64 (u64::MAX when unknown), 8 reserved zero bytes.
//! Record: time u64 (ps), id u64, size u32, op u8 (0 read, 1 write), 3 zero pad bytes,
//! then next_access u64 (0-based request index, u64::MAX for never) when flagged.

use super::atomic::AtomicFile;
use super::binbuf::{u16_at, u32_at, u64_at, RecordBuf};
use super::next_access::{fill_file, RecordLayout};
use super::{io_err, Op, Request, TraceError, TraceReader, TraceWriter, NO_NEXT_ACCESS};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// First eight bytes of every tsb file.
pub const MAGIC: [u8; 8] = *b"TSBTRACE";
/// The version this code reads and writes.
pub const VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER: usize = 32;
/// Flag bit: records carry next-access times.
pub const FLAG_NEXT_ACCESS: u16 = 1;
/// Record count written when unknown.
pub const COUNT_UNKNOWN: u64 = u64::MAX;

const BASE_RECORD: usize = 24;
const NEXT_RECORD: usize = 32;

/// Streams a tsb trace.
pub struct TsbReader {
    input: RecordBuf,
    rec: usize,
    has_next: bool,
    count: Option<u64>,
}

impl TsbReader {
    /// Opens `path`; a zero-byte file is an empty trace (0 requests).
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let mut input = RecordBuf::open(path)?;
        if std::fs::metadata(path).map_err(io_err(path))?.len() == 0 {
            return Ok(TsbReader {
                input,
                rec: BASE_RECORD,
                has_next: false,
                count: Some(0),
            });
        }
        let at = |offset: u64, msg: String| TraceError::Offset {
            path: path.to_path_buf(),
            offset,
            msg,
        };
        let head = match input.take(HEADER)? {
            Some(h) => h,
            None => {
                let len = std::fs::metadata(path).map_err(io_err(path))?.len();
                return Err(at(
                    0,
                    format!("file is {len} bytes, shorter than the {HEADER}-byte tsb header"),
                ));
            }
        };
        if head[0..8] != MAGIC {
            return Err(at(
                0,
                format!(
                    "bad magic {:?}, expected {:?} (not a tsb trace)",
                    String::from_utf8_lossy(&head[0..8]),
                    String::from_utf8_lossy(&MAGIC)
                ),
            ));
        }
        let version = u16_at(head, 8);
        if version != VERSION {
            return Err(at(
                8,
                format!("unsupported tsb version {version} (this tiersim reads {VERSION})"),
            ));
        }
        let flags = u16_at(head, 10);
        if flags & !FLAG_NEXT_ACCESS != 0 {
            return Err(at(10, format!("unknown tsb flags {flags:#06x}")));
        }
        let has_next = flags & FLAG_NEXT_ACCESS != 0;
        let rec = if has_next { NEXT_RECORD } else { BASE_RECORD };
        let rec_size = u32_at(head, 12) as usize;
        if rec_size != rec {
            return Err(at(
                12,
                format!("record size {rec_size} does not match flags (expected {rec})"),
            ));
        }
        let count = u64_at(head, 16);
        let count = (count != COUNT_UNKNOWN).then_some(count);
        if let Some(n) = count {
            let len = std::fs::metadata(path).map_err(io_err(path))?.len();
            let body = len - HEADER as u64;
            let whole = body / rec as u64;
            if whole < n {
                return Err(at(
                    HEADER as u64 + whole * rec as u64,
                    format!(
                        "truncated: header says {n} records, the file holds {whole} and {} bytes",
                        body % rec as u64
                    ),
                ));
            }
            if body != n * rec as u64 {
                return Err(at(
                    HEADER as u64 + n * rec as u64,
                    format!(
                        "{} bytes after the {n} records the header announces",
                        body - n * rec as u64
                    ),
                ));
            }
        }
        Ok(TsbReader {
            input,
            rec,
            has_next,
            count,
        })
    }

    /// The record count from the header, when the writer knew it.
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    fn bad_op(&self, bytes: &[u8]) -> TraceError {
        let k = bytes
            .chunks_exact(self.rec)
            .position(|r| r[20] > 1)
            .unwrap_or(0);
        TraceError::Offset {
            path: self.input.path.clone(),
            offset: self.input.offset() + (k * self.rec + 20) as u64,
            msg: format!(
                "invalid op byte {} (0 read, 1 write)",
                bytes[k * self.rec + 20]
            ),
        }
    }
}

/// Decodes one record; `ok` turns false on an invalid op byte (checked per batch).
#[inline(always)]
fn decode(r: &[u8], has_next: bool, ok: &mut bool) -> Request {
    let op_byte = r[20];
    *ok &= op_byte <= 1;
    Request {
        time: u64_at(r, 0),
        id: u64_at(r, 8),
        size: u32_at(r, 16),
        op: if op_byte == 1 { Op::Write } else { Op::Read },
        next_access: if has_next {
            u64_at(r, 24)
        } else {
            NO_NEXT_ACCESS
        },
    }
}

impl TraceReader for TsbReader {
    fn has_next_access(&self) -> bool {
        self.has_next
    }

    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        if !self.input.fill(self.rec)? {
            return Ok(None);
        }
        let mut ok = true;
        let req = decode(&self.input.available()[..self.rec], self.has_next, &mut ok);
        if !ok {
            return Err(self.bad_op(&self.input.available()[..self.rec]));
        }
        self.input.consume(self.rec);
        Ok(Some(req))
    }

    fn read_batch(&mut self, buf: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
        buf.clear();
        buf.reserve(max);
        while buf.len() < max {
            if !self.input.fill(self.rec)? {
                break;
            }
            let avail = self.input.available();
            let n = (avail.len() / self.rec).min(max - buf.len());
            let bytes = &avail[..n * self.rec];
            let mut ok = true;
            if self.has_next {
                buf.extend(
                    bytes
                        .chunks_exact(NEXT_RECORD)
                        .map(|r| decode(r, true, &mut ok)),
                );
            } else {
                buf.extend(
                    bytes
                        .chunks_exact(BASE_RECORD)
                        .map(|r| decode(r, false, &mut ok)),
                );
            }
            if !ok {
                return Err(self.bad_op(bytes));
            }
            self.input.consume(n * self.rec);
        }
        Ok(buf.len())
    }
}

/// Writes a tsb trace atomically; the header's record count is patched on finish.
pub struct TsbWriter {
    out: AtomicFile,
    has_next: bool,
    compute_next: bool,
    count: u64,
}

impl TsbWriter {
    /// `has_next`: store next-access times; `compute_next`: compute them on finish
    /// in a backward pass (implies `has_next`) instead of taking them from the requests.
    pub fn create(path: &Path, has_next: bool, compute_next: bool) -> Result<Self, TraceError> {
        let has_next = has_next || compute_next;
        let mut out = AtomicFile::create(path)?;
        out.write_all(&header(has_next, COUNT_UNKNOWN))?;
        Ok(TsbWriter {
            out,
            has_next,
            compute_next,
            count: 0,
        })
    }
}

fn header(has_next: bool, count: u64) -> [u8; HEADER] {
    let mut h = [0u8; HEADER];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..10].copy_from_slice(&VERSION.to_le_bytes());
    let flags = if has_next { FLAG_NEXT_ACCESS } else { 0 };
    h[10..12].copy_from_slice(&flags.to_le_bytes());
    let rec = if has_next { NEXT_RECORD } else { BASE_RECORD } as u32;
    h[12..16].copy_from_slice(&rec.to_le_bytes());
    h[16..24].copy_from_slice(&count.to_le_bytes());
    h
}

/// Encodes one request as a tsb record into `rec` (24 or 32 bytes).
#[inline]
pub fn encode(req: &Request, rec: &mut [u8]) {
    rec[0..8].copy_from_slice(&req.time.to_le_bytes());
    rec[8..16].copy_from_slice(&req.id.to_le_bytes());
    rec[16..20].copy_from_slice(&req.size.to_le_bytes());
    rec[20] = match req.op {
        Op::Read => 0,
        Op::Write => 1,
    };
    rec[21..24].fill(0);
    if rec.len() >= NEXT_RECORD {
        rec[24..32].copy_from_slice(&req.next_access.to_le_bytes());
    }
}

impl TraceWriter for TsbWriter {
    fn write(&mut self, req: &Request) -> Result<(), TraceError> {
        let mut rec = [0u8; NEXT_RECORD];
        let n = if self.has_next {
            NEXT_RECORD
        } else {
            BASE_RECORD
        };
        encode(req, &mut rec[..n]);
        self.count += 1;
        self.out.write_all(&rec[..n])
    }

    fn finish(mut self: Box<Self>) -> Result<u64, TraceError> {
        let tmp = self.out.tmp.clone();
        let file = self.out.file()?;
        if self.compute_next {
            let layout = RecordLayout {
                header: HEADER as u64,
                size: NEXT_RECORD,
                id_at: 8,
                next_at: 24,
                base: 0,
            };
            fill_file(file, &tmp, &layout, self.count)?;
        }
        file.seek(SeekFrom::Start(0)).map_err(io_err(&tmp))?;
        file.write_all(&header(self.has_next, self.count))
            .map_err(io_err(&tmp))?;
        let count = self.count;
        self.out.commit()?;
        Ok(count)
    }
}
