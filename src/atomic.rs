//! Atomic output files, the one writer every result, trace, table and figure goes
//! through: bytes are written under a temporary name beside the destination, synced,
//! and renamed into place, so a crash never leaves a half-written file. Temporary
//! names are unique per process and per writer (`.<name>.<pid>-<serial>.tmp`), so
//! concurrent writers never share one; [`is_temp`] recognises them for clean-ups.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An error naming the file it concerns.
fn at(path: &Path) -> impl FnOnce(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Whether `file_name` is a temporary name of this module (a leftover of a killed
/// writer when found later).
pub fn is_temp(file_name: &str) -> bool {
    file_name.starts_with('.') && (file_name.ends_with(".tmp") || file_name.contains(".tmp."))
}

/// A buffered file under a temporary name; [`AtomicFile::commit`] renames it to its
/// destination, and dropping it uncommitted removes it.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `dest`, creating its folder if needed.
    pub fn create(dest: &Path) -> io::Result<Self> {
        Self::open(dest, false)
    }

    /// Like [`AtomicFile::create`], with a temporary name that ends in the destination's
    /// extension (`.<name>.<pid>-<serial>.tmp.png`), for encoders that write by path and
    /// choose the format from the extension: they write [`AtomicFile::temp_path`].
    pub fn create_keeping_extension(dest: &Path) -> io::Result<Self> {
        Self::open(dest, true)
    }

    fn open(dest: &Path, keep_extension: bool) -> io::Result<Self> {
        let name = dest.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a file name", dest.display()),
            )
        })?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(at(dir))?;
        }
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = format!(".{name}.{}-{serial}.tmp", std::process::id());
        if let Some(ext) = dest
            .extension()
            .and_then(|e| e.to_str())
            .filter(|_| keep_extension)
        {
            tmp_name = format!("{tmp_name}.{ext}");
        }
        let tmp = dest.with_file_name(tmp_name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(at(&tmp))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// The temporary file's path (for error messages, and for encoders that write by
    /// path).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flushes the buffer and hands out the file (for patching headers or records).
    pub fn file(&mut self) -> io::Result<&mut File> {
        let out = self.out.as_mut().expect("file after commit");
        out.flush().map_err(at(&self.tmp))?;
        Ok(out.get_mut())
    }

    /// Flushes, syncs and renames the temporary file to the destination.
    pub fn commit(mut self) -> io::Result<()> {
        let tmp = self.tmp.clone();
        self.file()?.sync_all().map_err(at(&tmp))?;
        self.out = None;
        std::fs::rename(&self.tmp, &self.dest).map_err(at(&self.dest))
    }
}

impl Write for AtomicFile {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let out = self.out.as_mut().expect("write after commit");
        out.write(buf)
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let out = self.out.as_mut().expect("write after commit");
        out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.as_mut().expect("flush after commit").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically (creating its folder); errors name the file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(at(path))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_in_place_only_on_commit_and_cleans_up_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sub").join("a.csv");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"x,y\n").unwrap();
        assert!(!dest.exists(), "visible before commit");
        let tmp_name = f.temp_path().file_name().unwrap().to_str().unwrap();
        assert!(is_temp(tmp_name), "{tmp_name}");
        f.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"x,y\n");
        assert_eq!(names(dest.parent().unwrap()), ["a.csv"]);

        let mut g = AtomicFile::create(&dest).unwrap();
        g.write_all(b"half").unwrap();
        drop(g);
        assert_eq!(std::fs::read(&dest).unwrap(), b"x,y\n", "old file replaced");
        assert_eq!(names(dest.parent().unwrap()), ["a.csv"], "temp left");
    }

    #[test]
    fn concurrent_writers_of_one_file_get_distinct_temporary_names() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("plot.png");
        let a = AtomicFile::create(&dest).unwrap();
        let b = AtomicFile::create_keeping_extension(&dest).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        let b_name = b.temp_path().file_name().unwrap().to_str().unwrap();
        assert!(b_name.ends_with(".tmp.png") && is_temp(b_name), "{b_name}");
        assert!(!is_temp("plot.png") && !is_temp("summary.json"));
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"").unwrap();
        let e = write_atomic(&blocker.join("x.json"), b"{}").unwrap_err();
        assert!(e.to_string().contains("file"), "{e}");
    }
}
