//! Bounded reading of text inputs (text traces, CSV traces, arrival and size files):
//! [`LineLimit`] fails a read once a line passes a length limit, at that line's number,
//! instead of buffering an endless line (a binary file or /dev/zero read as text);
//! [`echo`] shortens text quoted in a message to about 80 characters; [`binary_hint`]
//! says when bytes look like a binary trace rather than text.

use std::io::{self, Read};

/// The longest line a text input may have, in bytes.
pub const MAX_LINE: usize = 1 << 20;

/// Characters of an input quoted in a message, at most.
const ECHO_CHARS: usize = 80;

/// A reader that counts lines and fails once a line is longer than `max` bytes (an
/// `InvalidData` error naming the line and quoting its start).
pub struct LineLimit<R> {
    inner: R,
    max: usize,
    /// Bytes of the current line so far.
    run: usize,
    /// The current line's number (1-based).
    line: u64,
    /// The first bytes of the current line, for the message.
    head: Vec<u8>,
    /// Whether the input is a trace (binary bytes then suggest a binary format).
    trace: bool,
}

impl<R: Read> LineLimit<R> {
    /// A limit on a text trace (binary bytes get a format hint).
    pub fn new(inner: R, max: usize) -> Self {
        LineLimit {
            inner,
            max,
            run: 0,
            line: 1,
            head: Vec::with_capacity(ECHO_CHARS),
            trace: true,
        }
    }

    /// A limit on a text file that is not a trace (a config, a list of numbers).
    pub fn text(inner: R, max: usize) -> Self {
        LineLimit {
            trace: false,
            ..Self::new(inner, max)
        }
    }

    fn extend(&mut self, part: &[u8]) -> io::Result<()> {
        if self.head.len() < ECHO_CHARS {
            let take = part.len().min(ECHO_CHARS - self.head.len());
            self.head.extend_from_slice(&part[..take]);
        }
        self.run += part.len();
        if self.run > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {}: longer than {} bytes, the most a line may have (it starts {}){}",
                    self.line,
                    self.max,
                    echo(&String::from_utf8_lossy(&self.head)),
                    if self.trace {
                        binary_hint(&self.head)
                    } else {
                        binary_file(&self.head)
                    }
                ),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let Some(first) = chunk.iter().position(|&b| b == b'\n') else {
            self.extend(chunk)?;
            return Ok(n);
        };
        // The line in progress ends at `first`.
        self.extend(&chunk[..first])?;
        if n > self.max {
            // A line inside the chunk may pass the limit: line by line.
            let mut rest = &chunk[first..];
            while let Some(i) = rest.iter().position(|&b| b == b'\n') {
                self.extend(&rest[..i])?;
                self.line += 1;
                self.run = 0;
                self.head.clear();
                rest = &rest[i + 1..];
            }
            self.extend(rest)?;
            return Ok(n);
        }
        // Lines inside a chunk no longer than the limit are within it: count them (a
        // vectorised count, not a scan per line) and start the last one.
        let last = chunk.iter().rposition(|&b| b == b'\n').unwrap_or(first);
        let newlines = chunk[first..=last].iter().filter(|&&b| b == b'\n').count();
        self.line += newlines as u64;
        self.run = 0;
        self.head.clear();
        self.extend(&chunk[last + 1..])?;
        Ok(n)
    }
}

/// Reads a text file of at most `max_bytes` bytes with lines of at most [`MAX_LINE`]
/// bytes, as UTF-8. Errors name the file and the line (or byte offset) and say what
/// was expected; a file that looks binary gets a hint.
pub fn read_text(path: &std::path::Path, max_bytes: u64) -> Result<String, String> {
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| at(&e))?;
    let mut bytes = Vec::new();
    LineLimit::text(file, MAX_LINE)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| at(&e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(at(&format!(
            "larger than {}, the most this file may hold",
            crate::config::units::fmt_bytes(max_bytes as f64)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        at(&format!(
            "line {line} (byte offset {offset}): not UTF-8 text{}",
            binary_file(&bytes[offset..(offset + 16).min(bytes.len())])
        ))
    })
}

/// `text` quoted for a message: at most ~80 characters, control characters escaped,
/// "..." and the full length when cut.
pub fn echo(text: &str) -> String {
    let chars = text.chars().count();
    let shown: String = text.chars().take(ECHO_CHARS).collect();
    let quoted = format!("{shown:?}");
    if chars > ECHO_CHARS {
        format!("{}...\" ({chars} characters)", &quoted[..quoted.len() - 1])
    } else {
        quoted
    }
}

/// "; it looks like a binary trace: try --format oracleGeneral (or tsb, vscsi)" when
/// `bytes` hold a NUL byte, other control bytes or invalid UTF-8; else "".
pub fn binary_hint(bytes: &[u8]) -> &'static str {
    let control = bytes
        .iter()
        .any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')));
    if control || std::str::from_utf8(bytes).is_err() {
        "; it looks like a binary trace: try --format oracleGeneral (or tsb, vscsi)"
    } else {
        ""
    }
}

/// "; it looks like a binary file" for bytes [`binary_hint`] flags; else "".
fn binary_file(bytes: &[u8]) -> &'static str {
    if binary_hint(bytes).is_empty() {
        ""
    } else {
        "; it looks like a binary file, not text"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_an_error_at_its_number() {
        let text = format!("1\n2\n{}\n4\n", "9".repeat(100));
        let mut out = Vec::new();
        let e = LineLimit::new(text.as_bytes(), 50)
            .read_to_end(&mut out)
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("line 3: longer than 50 bytes"), "{msg}");
        // The start as read so far: past the limit, at most 80 characters.
        assert!(msg.contains(&"9".repeat(51)), "{msg}");
        assert!(!msg.contains(&"9".repeat(81)), "{msg}");
        let mut out = Vec::new();
        LineLimit::new(text.as_bytes(), 100)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text.as_bytes());
    }

    #[test]
    fn lines_are_counted_across_chunks_of_any_size() {
        // A reader that hands out `step` bytes at a time.
        struct Drip<'a>(&'a [u8], usize);
        impl Read for Drip<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = format!("1\n22\n\n333\n{}\n4\n", "x".repeat(40));
        for step in [1, 2, 3, 7, 16, 64, 1000] {
            let mut out = Vec::new();
            let e = LineLimit::new(Drip(text.as_bytes(), step), 30)
                .read_to_end(&mut out)
                .unwrap_err();
            assert!(e.to_string().starts_with("line 5: "), "step {step}: {e}");
        }
    }

    #[test]
    fn echo_cuts_and_binary_bytes_get_a_hint() {
        assert_eq!(echo("abc"), "\"abc\"");
        let long = echo(&"x".repeat(200));
        assert!(long.ends_with("...\" (200 characters)"), "{long}");
        assert_eq!(long.matches('x').count(), 80);
        assert!(binary_hint(b"12\x00\x04").contains("oracleGeneral"));
        assert!(binary_hint(&[0xff, 0xfe]).contains("binary"));
        assert_eq!(binary_hint(b"12,34\r\n"), "");
    }
}
