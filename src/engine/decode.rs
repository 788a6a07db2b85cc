//! Decoding layers that hide secrets from a plain regex: base64 (Kubernetes Secret `data:`, `*_B64`
//! variables, docker `auth`) and URL encoding (query strings, connection URLs in env files).
//!
//! Decoding is triggered by keywords like everything else in the engine, so content without them costs
//! nothing; the engine bounds the recursion depth.

use base64::Engine as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// A base64 value on the same line, shortly after the keyword.
    Base64Near,
    /// A Kubernetes Secret: every base64 value of the document.
    K8sSecret,
    /// Percent-encoded text on the same line.
    Url,
}

pub(crate) const TRIGGERS: &[(&str, Trigger)] = &[
    ("\"auth\"", Trigger::Base64Near),
    ("base64", Trigger::Base64Near),
    ("_b64", Trigger::Base64Near),
    ("kind: secret", Trigger::K8sSecret),
    ("\"kind\": \"secret\"", Trigger::K8sSecret),
    ("%3a", Trigger::Url),
    ("%2f", Trigger::Url),
    ("%40", Trigger::Url),
    ("%3d", Trigger::Url),
    ("%2b", Trigger::Url),
];

const MIN_B64: usize = 16;
const K8S_SPAN: usize = 64 * 1024;

impl Trigger {
    /// The region a hit at `s..e` asks to decode.
    pub(crate) fn window(self, data: &[u8], s: usize, e: usize) -> (usize, usize) {
        let line_start = memchr::memrchr(b'\n', &data[..s]).map_or(0, |i| i + 1);
        let line_end =
            |from: usize| memchr::memchr(b'\n', &data[from..]).map_or(data.len(), |i| from + i);
        match self {
            Trigger::Base64Near | Trigger::Url => (
                line_start.max(s.saturating_sub(1024)),
                line_end(e).min(e + 8192),
            ),
            Trigger::K8sSecret => {
                // The whole document: back to the previous `---` is not needed, `data:` follows `kind`
                // or precedes it within a small manifest, so take a generous span both ways.
                (s.saturating_sub(8192), (e + K8S_SPAN).min(data.len()))
            }
        }
    }

    /// Encoded values in `data[s..e]`: (span in `data`, encoding, decoded bytes).
    pub(crate) fn candidates(
        self,
        data: &[u8],
        s: usize,
        e: usize,
    ) -> Vec<((usize, usize), &'static str, Vec<u8>)> {
        match self {
            Trigger::Base64Near | Trigger::K8sSecret => base64_candidates(data, s, e),
            Trigger::Url => url_candidates(data, s, e),
        }
    }
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

fn base64_candidates(
    data: &[u8],
    s: usize,
    e: usize,
) -> Vec<((usize, usize), &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = s;
    while i < e {
        if !is_b64(data[i]) || (i > 0 && is_b64(data[i - 1]) && i != s) {
            i += 1;
            continue;
        }
        let start = i;
        while i < e && is_b64(data[i]) {
            i += 1;
        }
        let mut end = i;
        while end < e && end - i < 2 && data[end] == b'=' {
            end += 1;
        }
        i = end;
        if end - start < MIN_B64 {
            continue;
        }
        if let Some(decoded) = decode_b64(&data[start..end]) {
            out.push(((start, end), "base64", decoded));
        }
    }
    out
}

fn decode_b64(text: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed: &[u8] = text;
    let decoded = STANDARD
        .decode(trimmed)
        .or_else(|_| STANDARD_NO_PAD.decode(trimmed))
        .or_else(|_| URL_SAFE.decode(trimmed))
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    // Only text is worth scanning again: random bytes (hashes, images, keys' DER) are not.
    if decoded.len() < 8 {
        return None;
    }
    let text = std::str::from_utf8(&decoded).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .count();
    (printable * 100 >= text.chars().count() * 95).then_some(decoded)
}

fn url_candidates(data: &[u8], s: usize, e: usize) -> Vec<((usize, usize), &'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let stop = |b: u8| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'`');
    let mut i = s;
    while i < e {
        if stop(data[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < e && !stop(data[i]) {
            i += 1;
        }
        let run = &data[start..i];
        if memchr::memchr(b'%', run).is_none() {
            continue;
        }
        let decoded = percent_decode(run);
        if decoded != run {
            out.push(((start, i), "url", decoded));
        }
    }
    out
}

/// Percent-decoding by the `percent-encoding` crate (the url crate's own): invalid escapes stay as
/// they are, as browsers and URL parsers keep them.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    percent_encoding::percent_decode(s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_edges() {
        assert_eq!(percent_decode(b"a%3Ab%2f"), b"a:b/");
        assert_eq!(percent_decode(b"100%"), b"100%");
        assert_eq!(percent_decode(b"%zz"), b"%zz");
    }

    #[test]
    fn base64_text_is_decoded_and_binary_is_not() {
        let enc = base64::engine::general_purpose::STANDARD.encode("postgres://u:p@h/db");
        let line = format!("url: {enc}\n");
        let c = base64_candidates(line.as_bytes(), 0, line.len());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].2, b"postgres://u:p@h/db");
        let bin = base64::engine::general_purpose::STANDARD
            .encode([0u8, 1, 2, 3, 200, 201, 202, 203, 4, 5, 6, 7]);
        assert!(base64_candidates(bin.as_bytes(), 0, bin.len()).is_empty());
    }
}
