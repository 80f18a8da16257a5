//! VMware vscsi binary traces, read as libCacheSim's vscsi reader does
//! (libCacheSim/traceReader/customizedReader/vscsi.h): native little-endian C structs,
//! version 1 (32 bytes: sn u32, len u32, nSG u32, cmd u16, ver u16, lbn u64, ts u64) or
//! version 2 (40 bytes: cmd u16, ver u16, sn u32, len u32, nSG u32, lbn u64, ts u64,
//! rt u64). The version is the high byte of `ver`, tested on the first two records (V2
//! first). Object id = lbn, size = len, time = ts (microseconds, rebased on the first
//! record). libCacheSim ignores the command; tiersim maps SCSI WRITE(6/10/12/16)
//! opcodes to writes and every other command to a read, so no record is dropped.

use super::binbuf::{u16_at, u32_at, u64_at, RecordBuf};
use super::{io_err, Op, Rebase, Request, TraceError, TraceReader, NO_NEXT_ACCESS};
use std::io::Read;
use std::path::Path;

const V1_RECORD: usize = 32;
const V2_RECORD: usize = 40;
const PS_PER_US: u64 = 1_000_000;

/// Record layout version of a vscsi file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VscsiVersion {
    V1,
    V2,
}

/// Streams a vscsi trace.
pub struct VscsiReader {
    input: RecordBuf,
    version: VscsiVersion,
    rebase: Rebase,
}

/// SCSI opcode of a write command (WRITE(6), WRITE(10), WRITE(12), WRITE(16)).
pub fn scsi_is_write(cmd: u16) -> bool {
    matches!(cmd, 0x0a | 0x2a | 0xaa | 0x8a)
}

/// Detects the record version from the first bytes (up to two records), as libCacheSim.
pub fn detect(head: &[u8]) -> Option<VscsiVersion> {
    let test = |size: usize, ver_at: usize, want: u16| {
        let n = (head.len() / size).min(2);
        n > 0 && (0..n).all(|i| u16_at(head, i * size + ver_at) >> 8 == want)
    };
    if test(V2_RECORD, 2, 2) {
        Some(VscsiVersion::V2)
    } else if test(V1_RECORD, 14, 1) {
        Some(VscsiVersion::V1)
    } else {
        None
    }
}

impl VscsiReader {
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let mut head = Vec::with_capacity(2 * V2_RECORD);
        std::fs::File::open(path)
            .map_err(io_err(path))?
            .take(2 * V2_RECORD as u64)
            .read_to_end(&mut head)
            .map_err(io_err(path))?;
        let version = if head.is_empty() {
            VscsiVersion::V1 // an empty trace: no records either way
        } else {
            detect(&head).ok_or_else(|| TraceError::Offset {
                path: path.to_path_buf(),
                offset: 0,
                msg: "not a vscsi trace: the version byte of the first records is neither 1 (V1) nor 2 (V2)".into(),
            })?
        };
        Ok(VscsiReader {
            input: RecordBuf::open(path)?,
            version,
            rebase: Rebase::default(),
        })
    }

    pub fn version(&self) -> VscsiVersion {
        self.version
    }
}

impl TraceReader for VscsiReader {
    fn next_request(&mut self) -> Result<Option<Request>, TraceError> {
        let size = match self.version {
            VscsiVersion::V1 => V1_RECORD,
            VscsiVersion::V2 => V2_RECORD,
        };
        if !self.input.fill(size)? {
            return Ok(None);
        }
        let r = &self.input.available()[..size];
        let (cmd, len, lbn, ts) = match self.version {
            VscsiVersion::V1 => (u16_at(r, 12), u32_at(r, 4), u64_at(r, 16), u64_at(r, 24)),
            VscsiVersion::V2 => (u16_at(r, 0), u32_at(r, 8), u64_at(r, 16), u64_at(r, 24)),
        };
        let time = self
            .rebase
            .rebase_ps(ts, PS_PER_US)
            .ok_or_else(|| TraceError::Offset {
                path: self.input.path.clone(),
                offset: self.input.offset(),
                msg: "timestamp more than 213 days after the first one".into(),
            })?;
        self.input.consume(size);
        Ok(Some(Request {
            time,
            id: lbn,
            size: len,
            op: if scsi_is_write(cmd & 0xff) {
                Op::Write
            } else {
                Op::Read
            },
            next_access: NO_NEXT_ACCESS,
        }))
    }
}
