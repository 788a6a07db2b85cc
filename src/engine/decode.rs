//! Decoding layers that hide secrets from a plain regex: base64 (Kubernetes Secret `data:`, `*_B64`
//! variables, docker `auth`, a whole PEM file or service-account JSON in base64), URL encoding (query
//! strings, connection URLs in env files), a PEM key split across string literals ([`super::literals`])
//! and a private key's body without its armour ([`super::keybody`]).
//!
//! Decoding is triggered by keywords like everything else in the engine, so content without them costs
//! nothing. Every decoder is bounded: the region it reads, the size of what it decodes, and (in the
//! engine) the depth of decoding and the number of decoded values per scan.

use base64::Engine as _;

use super::b64run::{self, is_b64};
use super::{keybody, literals};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// A base64 value on the same line, shortly after the keyword.
    Base64Near,
    /// A Kubernetes Secret: every base64 value of the document.
    K8sSecret,
    /// Percent-encoded text on the same line.
    Url,
    /// Base64 that decodes to a PEM file or a service-account JSON, recognised by the base64 of its
    /// own text (`LS0tLS1CRUdJTi` is `-----BEGIN`): the run around the keyword, wrapped lines included.
    Base64Run,
    /// `-----BEGIN ... PRIVATE KEY` opening a string literal: the literals joined after it.
    Literals,
    /// A private key's DER (or OpenSSH) body without armour, recognised by its fixed opening.
    KeyBody,
}

/// What each kind of decoded text is called in a finding's message.
pub(crate) fn describe(kind: &str) -> &'static str {
    match kind {
        "base64" => "in base64-encoded text",
        "url" => "in URL-encoded text",
        "literals" => "split across string literals",
        "key-body" => "a key body without its PEM armour",
        _ => "in decoded text",
    }
}

/// Base64 of `-----BEGIN ` at the three alignments it can start at in a base64 stream, and of
/// `"service_account"` (a Google service-account key file, whose `private_key` is a PEM).
const BASE64_TEXTS: &[&str] = &[
    "LS0tLS1CRUdJTiB",
    "LS0tQkVHSU4g",
    "LS0tLUJFR0lO",
    "InNlcnZpY2VfYWNjb3Vu",
    "ZXJ2aWNlX2FjY291bnQi",
    "c2VydmljZV9hY2NvdW50",
];

/// Every keyword that triggers a decoder, with its trigger.
pub(crate) fn triggers() -> impl Iterator<Item = (&'static str, Trigger)> {
    const FIXED: &[(&str, Trigger)] = &[
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
        ("-----begin ", Trigger::Literals),
    ];
    FIXED
        .iter()
        .copied()
        .chain(BASE64_TEXTS.iter().map(|k| (*k, Trigger::Base64Run)))
        .chain(keybody::OPENINGS.iter().map(|k| (*k, Trigger::KeyBody)))
}

const MIN_B64: usize = 16;
const K8S_SPAN: usize = 64 * 1024;
/// A base64 run (a PEM file, a service-account JSON) is read at most this far either side of its
/// keyword.
const RUN_SPAN: usize = 64 * 1024;

impl Trigger {
    /// The region a hit at `s..e` asks to decode.
    pub(crate) fn window(self, data: &[u8], s: usize, e: usize) -> (usize, usize) {
        match self {
            Trigger::Base64Near | Trigger::Url => {
                // The hit's line, at most 1 KiB before it and 8 KiB after (looked for only that far,
                // so a huge one-line file with many hits stays linear).
                let (lo, hi) = (s.saturating_sub(1024), (e + 8192).min(data.len()));
                let start = memchr::memrchr(b'\n', &data[lo..s]).map_or(lo, |i| lo + i + 1);
                let end = memchr::memchr(b'\n', &data[e..hi]).map_or(hi, |i| e + i);
                (start, end)
            }
            Trigger::K8sSecret => {
                // The whole document: back to the previous `---` is not needed, `data:` follows `kind`
                // or precedes it within a small manifest, so take a generous span both ways.
                (s.saturating_sub(8192), (e + K8S_SPAN).min(data.len()))
            }
            // The whole value, so two keywords in one run make one window.
            Trigger::Base64Run => b64run::around(data, s, e, RUN_SPAN),
            Trigger::KeyBody => b64run::around(data, s, e, keybody::MAX_BODY),
            Trigger::Literals => (s, e),
        }
    }

    /// The window is the whole encoded value around the hit, the same for every hit inside it.
    pub(crate) fn spans_value(self) -> bool {
        matches!(self, Trigger::Base64Run | Trigger::KeyBody)
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
            Trigger::Base64Run => decode_b64(&b64run::collect(data, s, e))
                .map(|d| ((s, e), "base64", d))
                .into_iter()
                .collect(),
            Trigger::KeyBody => keybody::candidate(data, s, e)
                .map(|(span, pem)| (span, "key-body", pem))
                .into_iter()
                .collect(),
            Trigger::Literals => literals::join(data, s)
                .map(|(span, text)| (span, "literals", text))
                .into_iter()
                .collect(),
        }
    }
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
        let decoded = percent_decode_url(run);
        if decoded != run {
            out.push(((start, i), "url", decoded));
        }
    }
    out
}

/// Percent-decodes a run, except `%40` before the run's last literal `@`: in
/// `postgres://user:p%40ss@host` that `@` ends the userinfo, and the encoded one is part of the
/// password. Decoding it would cut the password at `p`.
fn percent_decode_url(run: &[u8]) -> Vec<u8> {
    let Some(last_at) = memchr::memrchr(b'@', run) else {
        return percent_decode(run);
    };
    let mut out = Vec::with_capacity(run.len());
    let mut from = 0;
    let mut i = 0;
    while i + 3 <= last_at {
        if run[i] == b'%' && run[i + 1] == b'4' && run[i + 2] == b'0' {
            out.extend(percent_decode(&run[from..i]));
            out.extend_from_slice(b"%40");
            i += 3;
            from = i;
        } else {
            i += 1;
        }
    }
    out.extend(percent_decode(&run[from..]));
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
    fn an_encoded_at_sign_before_the_real_one_stays_encoded() {
        assert_eq!(
            percent_decode_url(b"postgres://u:p%40ss%21w@h/db?x=%2F"), // nhiscan:allow fake value in a unit test
            b"postgres://u:p%40ss!w@h/db?x=/" // nhiscan:allow fake value in a unit test
        );
        assert_eq!(percent_decode_url(b"mailto%3Aa%40b.c"), b"mailto:a@b.c");
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
