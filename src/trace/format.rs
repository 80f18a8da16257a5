//! Trace formats by name (`--format`) and by file name, sniffing the first bytes where
//! the name alone is ambiguous (`.bin`, `.csv`).

use super::csv::CsvSpec;
use super::{io_err, tsb, TraceError};
use std::io::Read;
use std::path::Path;

/// Trace file formats tiersim reads (and, except vscsi, writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// libCacheSim txt: one object id per line.
    Txt,
    /// libCacheSim oracleGeneral: 24-byte little-endian records.
    OracleGeneral,
    /// VMware vscsi binary (V1 32-byte or V2 40-byte records, detected from the file).
    Vscsi,
    /// CSV: `None` takes the columns from the header names (libCacheSim's
    /// `version,time,op,size,lbn` included); `Some` gives them explicitly.
    Csv(Option<CsvSpec>),
    /// tiersim binary trace (`.tsb`): versioned header, fixed 24- or 32-byte records.
    Tsb,
}

impl Format {
    /// Names accepted by `--format` (plus `csv:KEY=VALUE,...`, see [`CsvSpec::parse`]).
    pub const NAMES: &'static [&'static str] =
        &["tsb", "oracleGeneral", "vscsi", "csv", "lcs-csv", "txt"];

    /// Parses a `--format` name (case-insensitive).
    pub fn from_name(name: &str) -> Result<Format, TraceError> {
        let lower = name.to_ascii_lowercase();
        if let Some(spec) = lower.strip_prefix("csv:") {
            return Ok(Format::Csv(Some(CsvSpec::parse(spec)?)));
        }
        match lower.as_str() {
            "txt" => Ok(Format::Txt),
            "oraclegeneral" | "oracle-general" | "oracle_general" => Ok(Format::OracleGeneral),
            "vscsi" => Ok(Format::Vscsi),
            "csv" => Ok(Format::Csv(None)),
            "lcs-csv" | "libcachesim-csv" => Ok(Format::Csv(Some(CsvSpec::LIBCACHESIM))),
            "tsb" | "tiersim" | "bin" => Ok(Format::Tsb),
            _ => Err(TraceError::Other(format!(
                "unknown trace format '{name}'; known formats: {} (or csv:id=N,time=N,...)",
                Format::NAMES.join(", ")
            ))),
        }
    }

    /// The canonical name of this format.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::OracleGeneral => "oracleGeneral",
            Format::Vscsi => "vscsi",
            Format::Csv(_) => "csv",
            Format::Tsb => "tsb",
        }
    }

    /// Detects the format of an existing file from its name, reading its first bytes
    /// for `.bin` (tsb magic, else oracleGeneral) and `.csv` (columns from the header):
    /// `*.oracleGeneral*` -> oracleGeneral, `.vscsi` -> vscsi, `.csv` -> csv, `.txt` ->
    /// txt, `.tsb` -> tsb, `.bin` -> tsb when it starts with the tsb magic.
    pub fn from_path(path: &Path) -> Result<Format, TraceError> {
        let name = lower_name(path);
        if name.contains("oraclegeneral") {
            Ok(Format::OracleGeneral)
        } else if name.ends_with(".vscsi") {
            Ok(Format::Vscsi)
        } else if name.ends_with(".csv") {
            Ok(Format::Csv(None))
        } else if name.ends_with(".txt") {
            Ok(Format::Txt)
        } else if name.ends_with(".tsb") {
            Ok(Format::Tsb)
        } else if name.ends_with(".bin") {
            let mut head = [0u8; tsb::MAGIC.len()];
            let mut file = std::fs::File::open(path).map_err(io_err(path))?;
            let n = read_up_to(&mut file, &mut head).map_err(io_err(path))?;
            if n == head.len() && head == tsb::MAGIC {
                Ok(Format::Tsb)
            } else {
                Err(unknown(path, "a .bin file without the tsb magic"))
            }
        } else {
            Err(unknown(path, "an unknown extension"))
        }
    }

    /// The format to write `path` in, from its name: like [`Format::from_path`] but
    /// without reading the file; `.bin` means tsb unless the name says oracleGeneral.
    pub fn for_output(path: &Path) -> Result<Format, TraceError> {
        let name = lower_name(path);
        if name.contains("oraclegeneral") {
            Ok(Format::OracleGeneral)
        } else if name.ends_with(".tsb") || name.ends_with(".bin") {
            Ok(Format::Tsb)
        } else if name.ends_with(".vscsi") {
            Ok(Format::Vscsi) // refused by `create`, with a message saying so
        } else if name.ends_with(".csv") {
            Ok(Format::Csv(None))
        } else if name.ends_with(".txt") {
            Ok(Format::Txt)
        } else {
            Err(unknown(path, "an unknown extension"))
        }
    }
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn unknown(path: &Path, why: &str) -> TraceError {
    TraceError::Other(format!(
        "{}: cannot tell the trace format ({why}); pass --format (one of {})",
        path.display(),
        Format::NAMES.join(", ")
    ))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}
