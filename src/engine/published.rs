//! Sample credentials the providers publish in their documentation (`rules/data/published-examples.toml`):
//! the Firebase SDK's example API key, jwt.io's sample token, Stripe's and Mailgun's sample keys. They
//! are copied into countless tutorials and tests and grant nothing, so they are never reported. The
//! list holds SHA-256 digests, so adding one is one line of data and the file itself holds no token.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

const DATA: &str = include_str!("../../rules/data/published-examples.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    examples: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // `shown` and `source` are for the people reading and reviewing the list.
struct Entry {
    sha256: String,
    part: Part,
    shown: String,
    source: String,
}

/// Which part of a found secret an entry's digest is of.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
enum Part {
    /// The whole value.
    Value,
    /// The payload segment of a JWT: the sample's claims, signed by whatever key.
    JwtPayload,
}

fn digests() -> &'static HashSet<(Part, [u8; 32])> {
    static SET: OnceLock<HashSet<(Part, [u8; 32])>> = OnceLock::new();
    SET.get_or_init(|| {
        let file: File =
            toml::from_str(DATA).expect("published-examples.toml is checked by a test");
        file.examples
            .iter()
            .map(|e| {
                (
                    e.part,
                    parse_hex(&e.sha256).expect("sha256 is 64 hex digits"),
                )
            })
            .collect()
    })
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// True when `secret` (or, for a JWT, its payload) is a value a provider published as a sample.
pub(crate) fn is_published(secret: &[u8]) -> bool {
    let set = digests();
    if set.contains(&(Part::Value, sha256(secret))) {
        return true;
    }
    let mut segments = secret.split(|&b| b == b'.');
    match (segments.next(), segments.next(), segments.next()) {
        (Some(h), Some(p), Some(_)) if h.starts_with(b"eyJ") && p.starts_with(b"eyJ") => {
            set.contains(&(Part::JwtPayload, sha256(p)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses() {
        let file: File = toml::from_str(DATA).unwrap();
        assert!(!file.examples.is_empty());
        for e in &file.examples {
            assert!(parse_hex(&e.sha256).is_some(), "{}", e.shown);
            assert!(e.source.starts_with("https://"), "{}", e.shown);
        }
        assert_eq!(digests().len(), file.examples.len(), "duplicate entries");
    }

    #[test]
    fn published_samples_are_recognised() {
        // The Firebase reference's example value, assembled so this file holds no copy of it.
        let firebase = format!("AIzaSyDOCAbC123dEf456GhI789jKl{}-MnO", "012");
        assert!(is_published(firebase.as_bytes()));
        // jwt.io's sample claims, signed with any key.
        let jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.c2lnbmVkLWJ5LWFub3RoZXIta2V5LXN0aWxsLXRoZS1zYW1wbGU";
        assert!(is_published(jwt.as_bytes()));
        assert!(!is_published(b"AIzaSyDOCAbC123dEf456GhI789jKl013-MnO"));
        assert!(!is_published(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
    }
}
