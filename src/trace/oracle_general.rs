//! libCacheSim's oracleGeneral binary format: packed little-endian records of
//! u32 timestamp (seconds), u64 object id, u32 object size, i64 next-access virtual
//! time (-1 for never), 24 bytes each.

use super::{io_err, Op, Request, TraceError, TraceReader, NO_NEXT_ACCESS};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

const RECORD: usize = 24;
const PS_PER_SECOND: u64 = 1_000_000_000_000;

/// Streams an oracleGeneral trace.
pub struct OracleGeneralReader {
    path: PathBuf,
    input: BufReader<File>,
    offset: u64,
    /// Reused buffer for [`TraceReader::read_batch`]: whole batches in one read.
    raw: Vec<u8>,
}

impl OracleGeneralReader {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let file = File::open(path).map_err(io_err(path))?;
        Ok(OracleGeneralReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 20, file),
            offset: 0,
            raw: Vec::new(),
        })
    }
}

/// Decodes one 24-byte record.
pub fn decode(rec: &[u8; RECORD]) -> Request {
    let ts = u32::from_le_bytes(rec[0..4].try_into().unwrap());
    let id = u64::from_le_bytes(rec[4..12].try_into().unwrap());
    let size = u32::from_le_bytes(rec[12..16].try_into().unwrap());
    let next = i64::from_le_bytes(rec[16..24].try_into().unwrap());
    Request {
        time: ts as u64 * PS_PER_SECOND,
        id,
        size,
        op: Op::Read,
        next_access: if next < 0 {
            NO_NEXT_ACCESS
        } else {
            next as u64
        },
    }
}

impl TraceReader for OracleGeneralReader {
    fn has_next_access(&self) -> bool {
        true
    }

    /// Reads up to `max` records with as few reads as the OS allows, then decodes.
    fn read_batch(&mut self, buf: &mut Vec<Request>, max: usize) -> Result<usize, TraceError> {
        buf.clear();
        let want = max * RECORD;
        self.raw.resize(want, 0);
        let mut got = 0;
        while got < want {
            let n = self
                .input
                .read(&mut self.raw[got..want])
                .map_err(io_err(&self.path))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let whole = got / RECORD;
        buf.extend(
            self.raw[..whole * RECORD]
                .chunks_exact(RECORD)
                .map(|rec| decode(rec.try_into().unwrap())),
        );
        if got % RECORD != 0 {
            return Err(TraceError::Offset {
                path: self.path.clone(),
                offset: self.offset + (whole * RECORD) as u64,
                msg: format!("truncated record: {} of {RECORD} bytes", got % RECORD),
            });
        }
        self.offset += got as u64;
        Ok(buf.len())
    }

    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        let mut rec = [0u8; RECORD];
        let mut got = 0;
        while got < RECORD {
            let n = self
                .input
                .read(&mut rec[got..])
                .map_err(io_err(&self.path))?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            return Ok(None);
        }
        if got < RECORD {
            return Err(TraceError::Offset {
                path: self.path.clone(),
                offset: self.offset,
                msg: format!("truncated record: {got} of {RECORD} bytes"),
            });
        }
        self.offset += RECORD as u64;
        Ok(Some(decode(&rec)))
    }
}
