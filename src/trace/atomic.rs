//! Atomic output files: written under a temporary name beside the destination and
//! renamed into place when complete, so a crash never leaves a half-written trace.

use super::{io_err, TraceError};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A buffered file under a temporary name; [`AtomicFile::commit`] renames it.
pub(crate) struct AtomicFile {
    pub(crate) dest: PathBuf,
    pub(crate) tmp: PathBuf,
    pub(crate) out: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub(crate) fn create(dest: &Path) -> Result<Self, TraceError> {
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| TraceError::Other(format!("{}: not a file name", dest.display())))?;
        // Unique per process and per writer, so concurrent writers never share a file.
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let tmp = dest.with_file_name(format!(".{name}.{}-{serial}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    #[inline]
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        let out = self.out.as_mut().expect("write after finish");
        out.write_all(bytes).map_err(io_err(&self.tmp))
    }

    /// Flushes the buffer and hands out the file (for patching headers or records).
    pub(crate) fn file(&mut self) -> Result<&mut File, TraceError> {
        let out = self.out.as_mut().expect("file after finish");
        out.flush().map_err(io_err(&self.tmp))?;
        Ok(out.get_mut())
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    pub(crate) fn commit(mut self) -> Result<(), TraceError> {
        let file = self.file()?;
        file.sync_all().map_err(io_err(&self.tmp))?;
        self.out = None;
        std::fs::rename(&self.tmp, &self.dest).map_err(io_err(&self.dest))?;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
