//! Next-access times: for each request, the index of the next request to the same
//! object. Computed in one backward pass, either over a slice in memory or over the
//! fixed-size records of a written file, block by block from its end.
//!
//! Memory of the file pass: one hash-map entry per distinct object (id and index, about
//! 32 bytes with the table's slack) plus one block of 65,536 records (1.5 or 2 MiB); the trace itself is never
//! held in memory. I/O: the file is read and rewritten once more.

use super::{io_err, Request, TraceError, NO_NEXT_ACCESS};
use crate::policy::hash::IdMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Fills `next_access` of every request in `reqs` (indices relative to the slice).
pub fn fill(reqs: &mut [Request]) {
    let mut next: IdMap<u64> = IdMap::default();
    for (i, r) in reqs.iter_mut().enumerate().rev() {
        r.next_access = next.insert(r.id, i as u64).unwrap_or(NO_NEXT_ACCESS);
    }
}

/// Layout of fixed-size records in a file, for [`fill_file`].
pub(crate) struct RecordLayout {
    /// Bytes before the first record.
    pub header: u64,
    /// Bytes per record.
    pub size: usize,
    /// Offset of the little-endian u64 id within a record.
    pub id_at: usize,
    /// Offset of the little-endian u64 next-access field within a record.
    pub next_at: usize,
    /// Value stored for "next access at index i" is i + `base` (libCacheSim counts
    /// from 1); "never" is stored as all ones (u64::MAX, or -1 as i64) in both formats.
    pub base: u64,
}

/// Rewrites the next-access field of the `count` records of `file` in one backward pass.
pub(crate) fn fill_file(
    file: &mut File,
    path: &Path,
    layout: &RecordLayout,
    count: u64,
) -> Result<(), TraceError> {
    const BLOCK: u64 = 1 << 16;
    let mut buf = vec![0u8; BLOCK as usize * layout.size];
    let mut next: IdMap<u64> = IdMap::default();
    let mut end = count;
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let n = (end - start) as usize;
        let bytes = &mut buf[..n * layout.size];
        let at = layout.header + start * layout.size as u64;
        file.seek(SeekFrom::Start(at)).map_err(io_err(path))?;
        file.read_exact(bytes).map_err(io_err(path))?;
        for k in (0..n).rev() {
            let rec = &mut bytes[k * layout.size..(k + 1) * layout.size];
            let id = u64::from_le_bytes(rec[layout.id_at..layout.id_at + 8].try_into().unwrap());
            let i = start + k as u64;
            let stored = match next.insert(id, i) {
                Some(j) => j + layout.base,
                None => NO_NEXT_ACCESS,
            };
            rec[layout.next_at..layout.next_at + 8].copy_from_slice(&stored.to_le_bytes());
        }
        file.seek(SeekFrom::Start(at)).map_err(io_err(path))?;
        file.write_all(bytes).map_err(io_err(path))?;
        end = start;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_links_each_request_to_the_next_of_its_object() {
        let mut reqs: Vec<Request> = [5u64, 7, 5, 9, 7, 5]
            .iter()
            .map(|&id| Request::read(id, 1))
            .collect();
        fill(&mut reqs);
        let next: Vec<u64> = reqs.iter().map(|r| r.next_access).collect();
        let m = NO_NEXT_ACCESS;
        assert_eq!(next, vec![2, 4, 5, m, m, m]);
    }
}
