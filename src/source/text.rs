//! Text that is not UTF-8 bytes: UTF-16 and UTF-32 files (Windows tools, PowerShell output, .NET
//! config exports) have NUL bytes everywhere and would be skipped as binary. They are transcoded to
//! UTF-8 before scanning, so their secrets are found on the same lines.

/// The UTF-8 form of `data` when it is UTF-16 or UTF-32 text (a byte-order mark, or the NUL pattern of
/// ASCII text in UTF-16); None otherwise.
pub(crate) fn wide_to_utf8(data: &[u8]) -> Option<Vec<u8>> {
    let (enc, body) = detect(data)?;
    let units: Box<dyn Iterator<Item = u32>> = match enc {
        Wide::U16 { le } => Box::new(body.chunks_exact(2).map(move |c| {
            u32::from(if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            })
        })),
        Wide::U32 { le } => Box::new(body.chunks_exact(4).map(move |c| {
            let b = [c[0], c[1], c[2], c[3]];
            if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            }
        })),
    };
    let text: String = match enc {
        Wide::U16 { .. } => char::decode_utf16(units.map(|u| u as u16))
            .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
        Wide::U32 { .. } => units
            .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    };
    Some(text.into_bytes())
}

#[derive(Clone, Copy)]
enum Wide {
    U16 { le: bool },
    U32 { le: bool },
}

fn detect(data: &[u8]) -> Option<(Wide, &[u8])> {
    match data {
        [0xFF, 0xFE, 0, 0, rest @ ..] => Some((Wide::U32 { le: true }, rest)),
        [0, 0, 0xFE, 0xFF, rest @ ..] => Some((Wide::U32 { le: false }, rest)),
        [0xFF, 0xFE, rest @ ..] => Some((Wide::U16 { le: true }, rest)),
        [0xFE, 0xFF, rest @ ..] => Some((Wide::U16 { le: false }, rest)),
        _ => {
            // No mark: ASCII text in UTF-16 has a NUL in every other byte and none in the others.
            let head = &data[..data.len().min(512) & !1];
            if head.len() < 16 {
                return None;
            }
            let zeros = |from: usize| {
                head.iter()
                    .skip(from)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let (even, odd) = (zeros(0), zeros(1));
            let half = head.len() / 2;
            if odd * 10 >= half * 9 && even == 0 {
                Some((Wide::U16 { le: true }, data))
            } else if even * 10 >= half * 9 && odd == 0 {
                Some((Wide::U16 { le: false }, data))
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in s.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn wide_text_becomes_utf8() {
        let s = "line one\nTOKEN=é abc\n";
        for (le, bom) in [(true, true), (false, true), (true, false), (false, false)] {
            assert_eq!(wide_to_utf8(&utf16(s, le, bom)).unwrap(), s.as_bytes());
        }
        let mut u32le = vec![0xFF, 0xFE, 0, 0];
        for c in s.chars() {
            u32le.extend((c as u32).to_le_bytes());
        }
        assert_eq!(wide_to_utf8(&u32le).unwrap(), s.as_bytes());
        assert!(wide_to_utf8(b"plain ascii text, long enough to judge").is_none());
        assert!(
            wide_to_utf8(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0])
                .is_none()
        );
    }
}
