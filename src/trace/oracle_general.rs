//! libCacheSim's oracleGeneral binary format: packed little-endian records of u32
//! timestamp (seconds), u64 object id, u32 object size, i64 next-access virtual time
//! (libCacheSim counts requests from 1; -1 for never), 24 bytes each, no header.
//! Reading decodes many records out of one large buffer; writing computes the
//! next-access times in a backward pass over the written file (memory: one map entry
//! per distinct object, see [`super::next_access`]).

use super::atomic::AtomicFile;
use super::binbuf::{u32_at, u64_at, RecordBuf};
use super::next_access::{fill_file, RecordLayout};
use super::PS_PER_SECOND;
use super::{Op, Rebase, Request, TraceError, TraceReader, TraceWriter, NO_NEXT_ACCESS};
use std::path::Path;

const RECORD: usize = 24;

/// Streams an oracleGeneral trace. Times are rebased on the first record.
pub struct OracleGeneralReader {
    input: RecordBuf,
    rebase: Rebase,
}

impl OracleGeneralReader {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Ok(OracleGeneralReader {
            input: RecordBuf::open(path)?,
            rebase: Rebase::default(),
        })
    }

    fn overflow(&self, k: usize) -> TraceError {
        TraceError::Offset {
            path: self.input.path.clone(),
            offset: self.input.offset() + (k * RECORD) as u64,
            msg: "timestamp more than 213 days after the first one".into(),
        }
    }
}

/// Decodes one 24-byte record; None when the rebased time overflows picoseconds.
#[inline(always)]
fn decode(rec: &[u8], rebase: &mut Rebase) -> Option<Request> {
    let ts = u32_at(rec, 0) as u64;
    let next = u64_at(rec, 16) as i64;
    Some(Request {
        time: rebase.rebase_ps(ts, PS_PER_SECOND)?,
        id: u64_at(rec, 4),
        size: u32_at(rec, 12),
        op: Op::Read,
        next_access: if next < 1 {
            NO_NEXT_ACCESS
        } else {
            next as u64 - 1
        },
    })
}

impl TraceReader for OracleGeneralReader {
    fn has_next_access(&self) -> bool {
        true
    }

    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        if !self.input.fill(RECORD)? {
            return Ok(None);
        }
        match decode(&self.input.available()[..RECORD], &mut self.rebase) {
            Some(r) => {
                self.input.consume(RECORD);
                Ok(Some(r))
            }
            None => Err(self.overflow(0)),
        }
    }

    fn read_batch(&mut self, buf: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
        buf.clear();
        buf.reserve(max);
        while buf.len() < max {
            if !self.input.fill(RECORD)? {
                break;
            }
            let avail = self.input.available();
            let n = (avail.len() / RECORD).min(max - buf.len());
            let before = buf.len();
            let mut bad = None;
            for (k, rec) in avail[..n * RECORD].chunks_exact(RECORD).enumerate() {
                match decode(rec, &mut self.rebase) {
                    Some(r) => buf.push(r),
                    None => {
                        bad = Some(k);
                        break;
                    }
                }
            }
            if let Some(k) = bad {
                return Err(self.overflow(k));
            }
            self.input.consume((buf.len() - before) * RECORD);
        }
        Ok(buf.len())
    }
}

/// Writes an oracleGeneral trace atomically, computing next-access times on finish
/// (the requests' own `next_access` is ignored). Times are stored in whole seconds
/// (truncated) and ops are dropped: the format has no op field.
pub struct OracleGeneralWriter {
    out: AtomicFile,
    count: u64,
}

impl OracleGeneralWriter {
    pub fn create(path: &Path) -> Result<Self, TraceError> {
        Ok(OracleGeneralWriter {
            out: AtomicFile::create(path)?,
            count: 0,
        })
    }
}

impl TraceWriter for OracleGeneralWriter {
    fn write(&mut self, req: &Request) -> Result<(), TraceError> {
        let mut rec = [0u8; RECORD];
        let secs = (req.time / PS_PER_SECOND).min(u32::MAX as u64) as u32;
        rec[0..4].copy_from_slice(&secs.to_le_bytes());
        rec[4..12].copy_from_slice(&req.id.to_le_bytes());
        rec[12..16].copy_from_slice(&req.size.to_le_bytes());
        rec[16..24].copy_from_slice(&(-1i64).to_le_bytes());
        self.count += 1;
        self.out.write_all(&rec)
    }

    fn finish(mut self: Box<Self>) -> Result<u64, TraceError> {
        let tmp = self.out.tmp.clone();
        let layout = RecordLayout {
            header: 0,
            size: RECORD,
            id_at: 4,
            next_at: 16,
            base: 1,
        };
        fill_file(self.out.file()?, &tmp, &layout, self.count)?;
        let count = self.count;
        self.out.commit()?;
        Ok(count)
    }
}
