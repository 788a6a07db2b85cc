//! A private key's body without its PEM armour: `private_key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC...`,
//! `MIIEpAIBAAKCAQEA...` (PKCS#1 RSA), `MC4CAQAwBQYDK2VwBCIEI...` (Ed25519 PKCS#8), or an OpenSSH body
//! (`b3BlbnNzaC1rZXktdjE...`). Such bodies open with fixed bytes (RFC 8017 A.1.2, RFC 5958, RFC 5915,
//! OpenSSH PROTOCOL.key), whose base64 are the keywords that trigger this decoder.
//!
//! A body is taken only when it decodes to a whole key: a DER SEQUENCE whose length is exactly the
//! decoded length and whose first fields are those of a private key (or the OpenSSH magic), so a
//! shortened body in documentation (`MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw...`) or a public key is not.
//! The key is then given its armour back and scanned by the private-key rules, which report it.

use base64::Engine as _;

use super::b64run;

/// Keywords: base64 of the fixed openings, each found only at the alignment a key body starts at.
pub(crate) const OPENINGS: &[&str] = &[
    // RSAPrivateKey / DSA (PKCS#1 style): SEQUENCE { INTEGER 0, INTEGER modulus (0x81 / 0x82 length) }.
    "IBAAKBgQ",
    "IBAAKCA",
    // PKCS#8 PrivateKeyInfo for rsaEncryption (the OCTET STRING `AAS`, not a public key's BIT STRING).
    "IBADANBgkqhkiG9w0BAQEFAAS",
    // PKCS#8 with a long AlgorithmIdentifier (DSA, with its parameters).
    "IBADCCA",
    // PKCS#8 for id-ecPublicKey.
    "AgEAMBMGByqGSM49AgEG",
    "AgEAMBAGByqGSM49AgEG",
    // PKCS#8 (v1 and v2) for Ed25519, X25519, Ed448, X448.
    "CAQAwBQYDK2V",
    "CAQEwBQYDK2V",
    // SEC 1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING }.
    "CAQEEI",
    "AgEBBD",
    "AgEBBE",
    // openssh-key-v1\0
    "b3BlbnNzaC1rZXktdjE",
];

/// A body is at most this long (an RSA 16384-bit key is about 12 KB of base64).
pub(crate) const MAX_BODY: usize = 16 * 1024;
const OPENSSH_MAGIC: &[u8] = b"openssh-key-v1\0";

/// The run of base64 around a hit, when it is a whole private key without armour: (span, the key in
/// PEM armour).
pub(crate) fn candidate(data: &[u8], s: usize, e: usize) -> Option<((usize, usize), Vec<u8>)> {
    if armoured(data, s) {
        return None;
    }
    let b64 = b64run::collect(data, s, e);
    let der = decode(&b64)?;
    let label = label(&der)?;
    Some(((s, e), armour(label, &der)))
}

/// The run starts right after a PEM `BEGIN` line (or its headers): the key rules report it as it is.
fn armoured(data: &[u8], s: usize) -> bool {
    let before = &data[s.saturating_sub(64)..s];
    let mut i = before.len();
    loop {
        while i > 0 && matches!(before[i - 1], b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'') {
            i -= 1;
        }
        if i >= 2 && before[i - 2] == b'\\' && matches!(before[i - 1], b'n' | b'r') {
            i -= 2;
            continue;
        }
        break;
    }
    before[..i].ends_with(b"-----")
}

fn decode(b64: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    if b64.len() > MAX_BODY {
        return None;
    }
    STANDARD
        .decode(b64)
        .or_else(|_| STANDARD_NO_PAD.decode(b64))
        .or_else(|_| URL_SAFE.decode(b64))
        .or_else(|_| URL_SAFE_NO_PAD.decode(b64))
        .ok()
}

/// The PEM label of a whole private key, from its structure.
fn label(der: &[u8]) -> Option<&'static str> {
    if der.starts_with(OPENSSH_MAGIC) {
        return (der.len() >= 100).then_some("OPENSSH PRIVATE KEY");
    }
    let (tag, body, rest) = tlv(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let fields: Vec<(u8, &[u8])> = children(body)?;
    match fields.as_slice() {
        // RSAPrivateKey: version 0 and eight integers; DSA (OpenSSL): version 0 and five.
        [(0x02, [0]), rest @ ..] if rest.iter().all(|(t, _)| *t == 0x02) => match rest.len() {
            8 => Some("RSA PRIVATE KEY"),
            5 => Some("DSA PRIVATE KEY"),
            _ => None,
        },
        // PrivateKeyInfo / OneAsymmetricKey: version, AlgorithmIdentifier, OCTET STRING key.
        [(0x02, [0 | 1]), (0x30, _), (0x04, _), ..] => Some("PRIVATE KEY"),
        // ECPrivateKey: version 1, OCTET STRING key, optional [0] parameters and [1] public key.
        [(0x02, [1]), (0x04, _), ..] => Some("EC PRIVATE KEY"),
        _ => None,
    }
}

/// One DER TLV: (tag, contents, what follows). Definite lengths of up to three bytes only.
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = d.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        l if l < 0x80 => (l as usize, rest),
        0x81..=0x83 => {
            let n = (first & 0x7f) as usize;
            if rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
            (len, &rest[n..])
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The TLVs that make up `body` exactly.
fn children(mut body: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !body.is_empty() && out.len() < 16 {
        let (tag, contents, rest) = tlv(body)?;
        out.push((tag, contents));
        body = rest;
    }
    body.is_empty().then_some(out)
}

/// `der` in PEM armour, wrapped at 64 columns as OpenSSL writes it.
fn armour(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER SEQUENCE of `fields` (tag, contents), with long-form lengths where needed.
    fn der(fields: &[(u8, Vec<u8>)]) -> Vec<u8> {
        fn enc(tag: u8, c: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            match c.len() {
                n if n < 0x80 => out.push(n as u8),
                n if n < 0x100 => out.extend([0x81, n as u8]),
                n => out.extend([0x82, (n >> 8) as u8, n as u8]),
            }
            out.extend_from_slice(c);
            out
        }
        let body: Vec<u8> = fields.iter().flat_map(|(t, c)| enc(*t, c)).collect();
        enc(0x30, &body)
    }

    fn rsa() -> Vec<u8> {
        let mut fields = vec![(0x02, vec![0])];
        fields.push((0x02, [vec![0], vec![0xC3; 256]].concat()));
        for n in [3, 128, 128, 128, 128, 128, 128] {
            fields.push((0x02, vec![0x5A; n]));
        }
        der(&fields)
    }

    #[test]
    fn whole_keys_get_their_armour_and_label() {
        assert_eq!(label(&rsa()), Some("RSA PRIVATE KEY"));
        let b64 = base64::engine::general_purpose::STANDARD.encode(rsa());
        assert!(
            b64.starts_with("MIIE") && b64[6..].starts_with("IBAAKCAQEA"),
            "{b64}"
        );
        let ed = der(&[
            (0x02, vec![0]),
            (0x30, vec![0x06, 0x03, 0x2B, 0x65, 0x70]),
            (0x04, [vec![0x04, 0x20], vec![7; 32]].concat()),
        ]);
        assert_eq!(label(&ed), Some("PRIVATE KEY"));
        assert!(base64::engine::general_purpose::STANDARD
            .encode(&ed)
            .starts_with("MC4CAQAwBQYDK2VwBCIEI"));
        let sec1 = der(&[(0x02, vec![1]), (0x04, vec![9; 32])]);
        assert_eq!(label(&sec1), Some("EC PRIVATE KEY"));
        let text = format!("private_key: {b64}\n");
        let s = text.find("MIIE").unwrap();
        let (span, pem) = candidate(text.as_bytes(), s, text.len() - 1).unwrap();
        assert_eq!(span, (s, text.len() - 1));
        let pem = String::from_utf8(pem).unwrap();
        assert!(
            pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            "{pem}"
        );
        assert!(pem.ends_with("-----END RSA PRIVATE KEY-----\n"));
    }

    #[test]
    fn cut_short_public_and_armoured_bodies_are_not_keys() {
        let full = rsa();
        assert_eq!(label(&full[..full.len() - 10]), None);
        // SubjectPublicKeyInfo: SEQUENCE { SEQUENCE, BIT STRING }.
        let spki = der(&[
            (0x30, vec![0x06, 0x03, 0x2B, 0x65, 0x70]),
            (0x03, vec![0; 33]),
        ]);
        assert_eq!(label(&spki), None);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&full);
        let text =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{b64}\n-----END RSA PRIVATE KEY-----\n");
        let s = text.find("MIIE").unwrap();
        assert!(candidate(text.as_bytes(), s, s + b64.len()).is_none());
        let escaped = format!("\"-----BEGIN RSA PRIVATE KEY-----\\n{b64}\"");
        let s = escaped.find("MIIE").unwrap();
        assert!(candidate(escaped.as_bytes(), s, s + b64.len()).is_none());
    }
}
