//! Atomic output files, the one writer every result, trace, table and figure goes
//! through: bytes are written under a temporary name beside the destination, synced,
//! and renamed into place, so a crash never leaves a half-written file. Temporary
//! names are unique per process and per writer (`.<name>.<pid>-<serial>.tmp`), so
//! concurrent writers never share one; [`is_temp`] recognises them for clean-ups.
//!
//! Whole folders ([`StagedDir`], a `tiersim run` result): every file is written into
//! a staging folder beside the destination, and the finished folder takes the
//! destination's place in one step (on Linux an atomic exchange with the old folder),
//! so the destination holds the previous complete result or the new one, never a mix.

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

/// The first ancestor of `dir` (or `dir` itself) that exists and is not a folder.
fn blocking_file(dir: &Path) -> Option<&Path> {
    let mut chain: Vec<&Path> = dir.ancestors().collect();
    chain.reverse();
    chain
        .into_iter()
        .find(|p| !p.as_os_str().is_empty() && p.exists() && !p.is_dir())
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
            std::fs::create_dir_all(dir).map_err(|e| match blocking_file(dir) {
                Some(f) => io::Error::new(
                    e.kind(),
                    format!(
                        "{}: cannot create the folder of {}: {} is a file, not a folder",
                        dir.display(),
                        dest.display(),
                        f.display()
                    ),
                ),
                None => at(dir)(e),
            })?;
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

/// A result folder written as a whole. See the module doc.
///
/// [`StagedDir::create`] checks the destination (absent, empty, or a previous result
/// folder: it holds summary.json, manifest.json or error.txt; anything else is
/// refused rather than replaced) and creates `.<name>.partial-<pid>-<serial>` beside
/// it, which proves the destination's folder writable before any work. Files go into
/// [`StagedDir::path`]; [`StagedDir::commit`] puts the folder in place. Dropped
/// uncommitted, the staging folder is removed. Staging folders of dead processes
/// (a kill) are removed by the next `create` for the same destination.
pub struct StagedDir {
    dest: PathBuf,
    staging: PathBuf,
    committed: bool,
}

/// Files whose presence marks a folder as a tiersim result that may be replaced.
const RESULT_MARKERS: &[&str] = &["summary.json", "manifest.json", "error.txt"];

impl StagedDir {
    /// Checks `dest` and creates the staging folder beside it.
    pub fn create(dest: &Path) -> io::Result<Self> {
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{}: not a folder name (give the result folder itself, like results/run1)",
                        dest.display()
                    ),
                )
            })?
            .to_string();
        match std::fs::symlink_metadata(dest) {
            Ok(m) if !m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: exists and is not a folder", dest.display()),
                ))
            }
            Ok(_) => check_replaceable(dest)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(at(dest)(e)),
        }
        let parent = match dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(p) => p.to_path_buf(),
            None => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(at(&parent))?;
        remove_stale_staging(&parent, &name);
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let staging = parent.join(format!(
            "{}{}-{serial}",
            staging_prefix(&name),
            std::process::id()
        ));
        std::fs::create_dir(&staging).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: cannot create a folder there: {e}", parent.display()),
            )
        })?;
        Ok(StagedDir {
            dest: dest.to_path_buf(),
            staging,
            committed: false,
        })
    }

    /// The staging folder: write every file here.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Puts the staged folder in the destination's place: a rename when there is none,
    /// else an exchange with the old folder, which is then removed.
    pub fn commit(mut self) -> io::Result<()> {
        sync_dir(&self.staging)?;
        match std::fs::symlink_metadata(&self.dest) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::rename(&self.staging, &self.dest).map_err(at(&self.dest))?;
                self.committed = true;
            }
            Err(e) => return Err(at(&self.dest)(e)),
            Ok(_) => {
                check_replaceable(&self.dest)?;
                exchange(&self.staging, &self.dest)?;
                self.committed = true;
                // The staging name now holds the old result.
                let _ = std::fs::remove_dir_all(&self.staging);
            }
        }
        if let Some(parent) = self.dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = sync_dir(parent);
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.partial-")
}

/// An error unless `dir` is empty or a previous result (see [`RESULT_MARKERS`]).
fn check_replaceable(dir: &Path) -> io::Result<()> {
    let mut entries = std::fs::read_dir(dir).map_err(at(dir))?;
    let empty = entries.next().is_none();
    if empty || RESULT_MARKERS.iter().any(|m| dir.join(m).is_file()) {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{}: the folder holds files but no tiersim result (no summary.json or \
             manifest.json); a run replaces its whole output folder, so choose a new or \
             empty --out",
            dir.display()
        ),
    ))
}

/// Removes staging folders for `name` in `parent` left by processes that no longer
/// run (killed mid-run); others' are left alone.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = staging_prefix(name);
    let Ok(rd) = std::fs::read_dir(parent) else {
        return;
    };
    for e in rd.flatten() {
        let file_name = e.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !process_alive(p)) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Whether process `pid` runs (Linux: /proc; elsewhere assumed running).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(at(dir))
}

/// Swaps the folders `a` and `b` in one step (Linux `renameat2(RENAME_EXCHANGE)`);
/// where that is not supported, moves `b` aside, renames `a` to `b` and puts the old
/// `b` at `a`.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
        };
        let (ca, cb) = (c(a)?, c(b)?);
        // SAFETY: two valid NUL-terminated paths; renameat2 reads them only.
        let r = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(at(b)(e));
        }
    }
    let mut aside = a.as_os_str().to_owned();
    aside.push(".old");
    let aside = PathBuf::from(aside);
    std::fs::rename(b, &aside).map_err(at(b))?;
    std::fs::rename(a, b).map_err(at(b))?;
    std::fs::rename(&aside, a).map_err(at(a))
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
    fn a_staged_folder_replaces_the_old_one_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("run");
        let s = StagedDir::create(&dest).unwrap();
        write_atomic(&s.path().join("summary.json"), b"1").unwrap();
        write_atomic(&s.path().join("a.csv"), b"old").unwrap();
        assert!(!dest.exists(), "visible before commit");
        s.commit().unwrap();
        assert_eq!(names(&dest), ["a.csv", "summary.json"]);

        // A new run that fails part-way leaves the old folder as it was.
        let s = StagedDir::create(&dest).unwrap();
        write_atomic(&s.path().join("b.csv"), b"half").unwrap();
        drop(s);
        assert_eq!(names(&dest), ["a.csv", "summary.json"]);
        assert_eq!(names(dir.path()), ["run"], "staging left behind");

        // One that finishes replaces it entirely.
        let s = StagedDir::create(&dest).unwrap();
        write_atomic(&s.path().join("summary.json"), b"2").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&dest), ["summary.json"]);
        assert_eq!(std::fs::read(dest.join("summary.json")).unwrap(), b"2");
        assert_eq!(names(dir.path()), ["run"]);
    }

    #[test]
    fn a_folder_that_is_not_a_result_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("thesis.tex"), b"x").unwrap();
        let e = StagedDir::create(dir.path()).err().unwrap();
        assert!(e.to_string().contains("no tiersim result"), "{e}");
        let file = dir.path().join("thesis.tex");
        let e = StagedDir::create(&file).err().unwrap();
        assert!(e.to_string().contains("not a folder"), "{e}");
        // A dead process's staging folder is removed by the next writer.
        let dest = dir.path().join("run");
        let stale = dir.path().join(".run.partial-4294967295-0");
        std::fs::create_dir(&stale).unwrap();
        let s = StagedDir::create(&dest).unwrap();
        assert!(!stale.exists());
        drop(s);
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
