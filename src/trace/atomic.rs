//! Trace output files through the crate's one atomic writer ([`crate::atomic`]), with
//! its I/O errors turned into [`TraceError`]s that name the file.

use super::{io_err, TraceError};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Errors of [`crate::atomic`] already name their file.
fn named(e: io::Error) -> TraceError {
    TraceError::Other(e.to_string())
}

/// [`crate::atomic::AtomicFile`] with trace errors; [`AtomicFile::commit`] renames it.
pub(crate) struct AtomicFile {
    /// The temporary file (for errors while patching it in place).
    pub(crate) tmp: PathBuf,
    inner: crate::atomic::AtomicFile,
}

impl AtomicFile {
    pub(crate) fn create(dest: &Path) -> Result<Self, TraceError> {
        let inner = crate::atomic::AtomicFile::create(dest).map_err(named)?;
        Ok(AtomicFile {
            tmp: inner.temp_path().to_path_buf(),
            inner,
        })
    }

    #[inline]
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), TraceError> {
        self.inner.write_all(bytes).map_err(io_err(&self.tmp))
    }

    /// Flushes the buffer and hands out the file (for patching headers or records).
    pub(crate) fn file(&mut self) -> Result<&mut File, TraceError> {
        self.inner.file().map_err(named)
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    pub(crate) fn commit(self) -> Result<(), TraceError> {
        self.inner.commit().map_err(named)
    }
}
