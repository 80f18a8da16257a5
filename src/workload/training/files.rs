//! Samples stored in files: the dataset's N samples laid out `samples_per_file` to a
//! file in id order (file f holds samples f S .. (f + 1) S, the last file the rest),
//! each file the concatenation of its samples, read in the units of its format:
//!
//! - `npz`: a file is read whole (NumPy loads the archive at once), one read of the
//!   file's bytes;
//! - `tfrecord`: records are read sequentially through a read buffer of
//!   `transfer_size` bytes (TFRecordDataset's `buffer_size`), so a sample costs the
//!   `transfer_size` chunks of its file that cover it;
//! - `hdf5`: a chunked dataset, a sample costs the chunks (of `transfer_size` bytes)
//!   that cover it.
//!
//! Each loader worker holds a [`Stream`]: the contiguous run of chunks of one file it
//! read last (the open file and its buffer). Chunks it holds are not read again, so a
//! worker reading a file's samples in order reads each chunk once, and a whole-file
//! format reads a file once for consecutive samples of it. With `read_ahead = k`, a
//! worker also reads the next k chunks of its file past what a batch needed (issued
//! after the batch's reads, not waited for). Reads are to chunk ids: chunk c of file
//! f is id `first_chunk[f] + c`, dense over the dataset's chunks.
//!
//! One file per sample read whole is exactly the per-sample reads of a dataset without
//! a layout, so that case builds no layout (results unchanged).

use crate::config::ConfigError;
use crate::engine::Time;
use crate::trace::{Op, Request, NO_NEXT_ACCESS};
use serde::{Deserialize, Serialize};

/// How samples are stored and read (see the module doc).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Whole-file reads.
    #[default]
    Npz,
    /// Sequential records, read in `transfer_size` chunks.
    Tfrecord,
    /// Chunked, `transfer_size` bytes per chunk.
    Hdf5,
}

/// DLIO's default `reader.transfer_size`: 262,144 bytes.
pub const DEFAULT_TRANSFER: u64 = 262_144;

/// The file a worker has open and the chunks of it in its buffer.
#[derive(Clone, Copy, Debug)]
pub struct Stream {
    file: u32,
    lo: u64,
    hi: u64,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            file: u32::MAX,
            lo: 0,
            hi: 0,
        }
    }
}

impl Stream {
    #[inline]
    fn holds(&self, file: u32, c: u64) -> bool {
        self.file == file && self.lo <= c && c < self.hi
    }

    /// Chunks `c0..c1` of `file` are now in the buffer (joined to the run it holds
    /// when they touch it, else replacing it).
    #[inline]
    fn took(&mut self, file: u32, c0: u64, c1: u64) {
        if self.file == file && c0 <= self.hi && c1 >= self.lo {
            self.lo = self.lo.min(c0);
            self.hi = self.hi.max(c1);
        } else {
            *self = Stream {
                file,
                lo: c0,
                hi: c1,
            };
        }
    }
}

/// A dataset's files (see the module doc).
#[derive(Debug)]
pub struct FileLayout {
    pub per_file: u32,
    pub format: FileFormat,
    /// Bytes per read (tfrecord and hdf5).
    pub chunk: u64,
    pub read_ahead: u32,
    /// Byte offset of each sample in its file.
    offsets: Vec<u64>,
    /// Bytes of each file.
    file_bytes: Vec<u64>,
    /// First chunk id of each file, and the total last (files + 1 entries).
    first_chunk: Vec<u64>,
}

impl FileLayout {
    /// The layout of `samples` samples of sizes `size(id)`; errors name `path`
    /// (`workload.dataset`).
    pub fn build(
        samples: u64,
        size: impl Fn(u32) -> u32,
        per_file: u32,
        format: FileFormat,
        chunk: u64,
        read_ahead: u32,
        path: &str,
    ) -> Result<FileLayout, ConfigError> {
        if per_file == 0 {
            return Err(ConfigError::new(
                format!("{path}.samples_per_file"),
                "must be at least 1",
            ));
        }
        if chunk == 0 || chunk > u32::MAX as u64 {
            return Err(ConfigError::new(
                format!("{path}.transfer_size"),
                "must be between 1 B and 4 GiB - 1",
            ));
        }
        let files = samples.div_ceil(per_file as u64);
        let mut offsets = Vec::with_capacity(samples as usize);
        let mut file_bytes = Vec::with_capacity(files as usize);
        let mut first_chunk = Vec::with_capacity(files as usize + 1);
        let mut chunks = 0u64;
        for f in 0..files {
            let lo = f * per_file as u64;
            let hi = (lo + per_file as u64).min(samples);
            let mut bytes = 0u64;
            for id in lo..hi {
                offsets.push(bytes);
                bytes += size(id as u32) as u64;
            }
            if format == FileFormat::Npz && bytes > u32::MAX as u64 {
                return Err(ConfigError::new(
                    format!("{path}.samples_per_file"),
                    format!(
                        "file {f} holds {bytes} bytes: npz files are read whole and one read \
                         is at most 4 GiB - 1; use fewer samples per file"
                    ),
                ));
            }
            first_chunk.push(chunks);
            chunks += match format {
                FileFormat::Npz => 1,
                _ => bytes.div_ceil(chunk).max(1),
            };
            file_bytes.push(bytes);
        }
        first_chunk.push(chunks);
        Ok(FileLayout {
            per_file,
            format,
            chunk,
            read_ahead,
            offsets,
            file_bytes,
            first_chunk,
        })
    }

    /// Files in the dataset.
    pub fn files(&self) -> u64 {
        self.file_bytes.len() as u64
    }

    /// Chunk ids in the dataset (the ids reads go to).
    pub fn chunks(&self) -> u64 {
        *self.first_chunk.last().expect("files + 1 entries")
    }

    /// Bytes of chunk `c` of file `f`.
    #[inline]
    fn chunk_bytes(&self, f: usize, c: u64) -> u32 {
        match self.format {
            FileFormat::Npz => self.file_bytes[f] as u32,
            _ => self.chunk.min(self.file_bytes[f] - c * self.chunk) as u32,
        }
    }

    #[inline]
    fn push(&self, f: usize, c: u64, now: Time, out: &mut Vec<Request>) -> u64 {
        let size = self.chunk_bytes(f, c);
        out.push(Request {
            time: now,
            id: self.first_chunk[f] + c,
            size,
            op: Op::Read,
            next_access: NO_NEXT_ACCESS,
        });
        size as u64
    }

    /// Appends to `out` the reads sample `id` (of `size` bytes) needs that `stream`
    /// does not hold, and takes them into the stream; returns their bytes.
    #[inline]
    pub fn sample_reads(
        &self,
        id: u32,
        size: u32,
        stream: &mut Stream,
        now: Time,
        out: &mut Vec<Request>,
    ) -> u64 {
        let f = (id / self.per_file) as usize;
        let (c0, c1) = match self.format {
            FileFormat::Npz => (0, 1),
            _ => {
                let start = self.offsets[id as usize];
                let end = start + size.max(1) as u64;
                (start / self.chunk, (end - 1) / self.chunk + 1)
            }
        };
        let mut bytes = 0;
        for c in c0..c1 {
            if !stream.holds(f as u32, c) {
                bytes += self.push(f, c, now, out);
            }
        }
        stream.took(f as u32, c0, c1);
        bytes
    }

    /// The chunk ids sample `id` (of `size` bytes) lies in: [first, end).
    pub fn sample_chunks(&self, id: u32, size: u32) -> (u64, u64) {
        let f = (id / self.per_file) as usize;
        let (c0, c1) = match self.format {
            FileFormat::Npz => (0, 1),
            _ => {
                let start = self.offsets[id as usize];
                let end = start + size.max(1) as u64;
                (start / self.chunk, (end - 1) / self.chunk + 1)
            }
        };
        (self.first_chunk[f] + c0, self.first_chunk[f] + c1)
    }

    /// Appends the read-ahead past what `stream` holds (up to `read_ahead` chunks,
    /// within its file) and takes them into the stream; returns their bytes.
    pub fn read_ahead(&self, stream: &mut Stream, now: Time, out: &mut Vec<Request>) -> u64 {
        if self.read_ahead == 0 || stream.file == u32::MAX || self.format == FileFormat::Npz {
            return 0;
        }
        let f = stream.file as usize;
        let end =
            (stream.hi + self.read_ahead as u64).min(self.first_chunk[f + 1] - self.first_chunk[f]);
        let mut bytes = 0;
        for c in stream.hi..end {
            bytes += self.push(f, c, now, out);
        }
        stream.hi = stream.hi.max(end);
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(format: FileFormat, read_ahead: u32) -> FileLayout {
        // 10 samples of 100 B, 4 per file: files of 400, 400, 200 B; chunks of 128 B.
        FileLayout::build(10, |_| 100, 4, format, 128, read_ahead, "workload.dataset").unwrap()
    }

    fn reads(l: &FileLayout, ids: &[u32], s: &mut Stream) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        for &id in ids {
            l.sample_reads(id, 100, s, 0, &mut out);
        }
        out.iter().map(|r| (r.id, r.size)).collect()
    }

    #[test]
    fn tfrecord_reads_each_chunk_of_a_file_once_in_order() {
        let l = layout(FileFormat::Tfrecord, 0);
        assert_eq!(l.files(), 3);
        // 400 B files: 4 chunks (128, 128, 128, 16); the 200 B file: 2 (128, 72).
        assert_eq!(l.chunks(), 4 + 4 + 2);
        let mut s = Stream::default();
        // Sample 0 is bytes 0..100 (chunk 0); 1 is 100..200 (chunks 0, 1); 2 is
        // 200..300 (chunks 1, 2); 3 is 300..400 (chunks 2, 3).
        let got = reads(&l, &[0, 1, 2, 3], &mut s);
        assert_eq!(got, vec![(0, 128), (1, 128), (2, 128), (3, 16)]);
        // The whole file, once: 400 bytes.
        assert_eq!(got.iter().map(|r| r.1 as u64).sum::<u64>(), 400);
        // The next file starts at chunk id 4; the last file's chunks are 8 and 9.
        assert_eq!(reads(&l, &[8, 9], &mut s), vec![(8, 128), (9, 72)]);
    }

    #[test]
    fn npz_reads_a_file_whole_once_for_consecutive_samples() {
        let l = layout(FileFormat::Npz, 0);
        assert_eq!(l.chunks(), 3);
        let mut s = Stream::default();
        assert_eq!(reads(&l, &[1, 0, 3], &mut s), vec![(0, 400)]);
        // Another file, then back: read again (one file open at a time).
        assert_eq!(
            reads(&l, &[9, 2], &mut s),
            vec![(2, 200), (0, 400)],
            "sample 9 is in file 2, sample 2 in file 0"
        );
    }

    #[test]
    fn hdf5_reads_the_chunks_covering_a_random_sample() {
        let l = layout(FileFormat::Hdf5, 0);
        let mut s = Stream::default();
        // Sample 6 is bytes 200..300 of file 1: chunks 1 and 2 of it (ids 5 and 6).
        assert_eq!(reads(&l, &[6], &mut s), vec![(5, 128), (6, 128)]);
        // Sample 5 (100..200: chunks 0, 1): chunk 1 is held.
        assert_eq!(reads(&l, &[5], &mut s), vec![(4, 128)]);
    }

    #[test]
    fn read_ahead_reads_the_next_chunks_of_the_file_and_they_are_not_read_again() {
        let l = layout(FileFormat::Tfrecord, 2);
        let mut s = Stream::default();
        assert_eq!(reads(&l, &[0], &mut s), vec![(0, 128)]);
        let mut out = Vec::new();
        assert_eq!(l.read_ahead(&mut s, 0, &mut out), 256);
        let ahead: Vec<u64> = out.iter().map(|r| r.id).collect();
        assert_eq!(ahead, vec![1, 2]);
        // Samples 1 and 2 need chunks 0..3, all held.
        assert!(reads(&l, &[1, 2], &mut s).is_empty());
        // Read-ahead stops at the end of the file.
        out.clear();
        l.read_ahead(&mut s, 0, &mut out);
        assert_eq!(out.iter().map(|r| r.id).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn bad_layouts_name_the_key() {
        let e =
            FileLayout::build(10, |_| 1, 0, FileFormat::Npz, 1, 0, "workload.dataset").unwrap_err();
        assert_eq!(e.path, "workload.dataset.samples_per_file");
        let e = FileLayout::build(10, |_| 1, 1, FileFormat::Tfrecord, 0, 0, "workload.dataset")
            .unwrap_err();
        assert_eq!(e.path, "workload.dataset.transfer_size");
        let e = FileLayout::build(
            4,
            |_| u32::MAX / 2,
            4,
            FileFormat::Npz,
            1,
            0,
            "workload.dataset",
        )
        .unwrap_err();
        assert!(e.msg.contains("4 GiB"), "{}", e.msg);
    }
}
