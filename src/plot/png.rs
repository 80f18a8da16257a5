//! The PNG's resolution: plotters' encoder writes no pHYs chunk, so a paper would
//! place a 1050-pixel figure at the viewer's default resolution. [`with_dpi`] adds one
//! (pixels per metre, as PNG states it), so the figure comes in at 3.5 or 7 inches.

/// CRC-32 (ISO 3309, as PNG chunks use) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// The PNG `png` with a pHYs chunk of `dpi` right after its header chunk; any pHYs
/// chunk it had is dropped. An input that is not a PNG is returned unchanged.
pub fn with_dpi(png: &[u8], dpi: u32) -> Vec<u8> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !png.starts_with(SIG) || png.len() < 33 || &png[12..16] != b"IHDR" {
        return png.to_vec();
    }
    let ppm = (f64::from(dpi) / 0.0254).round() as u32;
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1); // unit: the metre
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&9u32.to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    // The remaining chunks, without an older pHYs.
    let mut i = 33;
    while i + 12 <= png.len() {
        let len = u32::from_be_bytes(png[i..i + 4].try_into().expect("4 bytes")) as usize;
        let end = (i + 12 + len).min(png.len());
        if &png[i + 4..i + 8] != b"pHYs" {
            out.extend_from_slice(&png[i..end]);
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_check_string() {
        // The standard check value of CRC-32 for "123456789".
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn a_phys_chunk_follows_the_header() {
        // A PNG reduced to its signature, an IHDR of 13 bytes and an IEND.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&[0; 13]);
        png.extend_from_slice(&crc32(&png[12..29]).to_be_bytes());
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
        let out = with_dpi(&png, 300);
        assert_eq!(&out[37..41], b"pHYs");
        // 300 per inch = 300 / 0.0254 = 11811.02 per metre.
        assert_eq!(u32::from_be_bytes(out[41..45].try_into().unwrap()), 11811);
        assert_eq!(out[49], 1);
        assert_eq!(&out[out.len() - 8..out.len() - 4], b"IEND");
        assert_eq!(out.len(), png.len() + 21);
        // Applying it twice keeps one chunk.
        assert_eq!(with_dpi(&out, 300), out);
    }
}
