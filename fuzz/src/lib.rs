//! What the fuzz targets share: fake keys planted at run time where the input has a marker, the
//! tar checksums fixed after planting, and the checks that no output quotes a key.
//!
//! The seeds (`corpus/TARGET/seed-*`) carry markers such as `@@GITHUB@@@…`, each as long as the
//! key that replaces it (so tar sizes and offsets stay right); the keys are assembled here from a
//! fixed seed, so the repository holds nothing that looks like a credential.

/// A marker and the fake key of the same length that replaces it.
pub struct Plant {
    pub marker: Vec<u8>,
    pub key: String,
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS: &[u8] = b"0123456789";

/// A deterministic pseudo-random string (xorshift), so that a crash reproduces.
fn random(alphabet: &[u8], len: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// `@@NAME@@@…` padded with `@` to `len` bytes.
fn marker(name: &str, len: usize) -> Vec<u8> {
    let mut m = format!("@@{name}@@").into_bytes();
    assert!(m.len() <= len);
    m.resize(len, b'@');
    m
}

/// The planted keys: one of each shape the rules know well (a checksummed token, a key id, a
/// keyword-gated secret, a prefixed live key, a multi-part token).
pub fn plants() -> &'static [Plant] {
    static P: std::sync::OnceLock<Vec<Plant>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let body = random(BASE62, 30, 71);
        let github = format!(
            "{}{body}{}",
            "ghp_",
            base62_6(crc32fast::hash(body.as_bytes()))
        );
        let keys = [
            ("GITHUB", github),
            ("AWSID", format!("{}{}", "AKIA", random(BASE32, 16, 72))),
            ("AWSSECRET", random(BASE64, 40, 73)),
            (
                "STRIPE",
                format!("{}{}", "sk_live_", random(BASE62, 32, 74)),
            ),
            (
                "SLACK",
                format!(
                    "{}{}-{}-{}",
                    "xoxb-",
                    random(DIGITS, 12, 75),
                    random(DIGITS, 13, 76),
                    random(BASE62, 24, 77)
                ),
            ),
        ];
        keys.into_iter()
            .map(|(name, key)| Plant {
                marker: marker(name, key.len()),
                key,
            })
            .collect()
    })
}

/// `data` with every marker replaced by its key (same length, so offsets hold).
pub fn plant(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    // Byte by byte rather than with slice comparisons: libFuzzer hooks every memcmp, and this
    // runs on every input.
    let mut i = 0;
    while i + 1 < out.len() {
        if out[i] != b'@' || out[i + 1] != b'@' {
            i += 1;
            continue;
        }
        let hit = plants().iter().find(|p| {
            let m = &p.marker;
            i + m.len() <= out.len() && (2..m.len()).all(|j| out[i + j] == m[j])
        });
        match hit {
            Some(p) => {
                out[i..i + p.marker.len()].copy_from_slice(p.key.as_bytes());
                i += p.marker.len();
            }
            None => i += 1,
        }
    }
    out
}

/// `data` (as UTF-8, lossily) in UTF-16LE with a byte-order mark.
pub fn utf16(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for u in String::from_utf8_lossy(data).encode_utf16() {
        out.extend(u.to_le_bytes());
    }
    out
}

/// Recomputes the checksum of every ustar header of the tar in `data`, and of tars stored in it,
/// so that a key planted in an entry name reaches the reader rather than a checksum error.
pub fn fix_tar_checksums(data: &mut [u8]) {
    let mut off = 0;
    while off + 512 <= data.len() {
        let h = &data[off..off + 512];
        if h.iter().all(|&b| b == 0) {
            off += 512;
            continue;
        }
        if &h[257..262] != b"ustar" {
            return;
        }
        let size = octal(&h[124..136]);
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u32
                }
            })
            .sum();
        let field = format!("{sum:06o}\0 ");
        data[off + 148..off + 156].copy_from_slice(field.as_bytes());
        let Some(size) = size else { return };
        let start = off + 512;
        let end = start.saturating_add(size as usize).min(data.len());
        fix_tar_checksums(&mut data[start..end]);
        off = start.saturating_add((size as usize).div_ceil(512) * 512);
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    u64::from_str_radix(s, 8).ok()
}

/// Panics when `text` quotes any planted key, whole or any 12 characters of it.
pub fn assert_quotes_no_key(what: &str, text: &str) {
    for p in plants() {
        let k = p.key.as_bytes();
        for w in k.windows(12.min(k.len())) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !text.contains(w),
                "{what} quotes part of a planted key ({w}): {text}"
            );
        }
    }
}

/// The text nhiscan prints whatever the input: every rule's title, messages, reasons and
/// examples. A found "secret" that is a word of it (`password`) is printed as that word.
fn rule_text() -> &'static str {
    static T: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    T.get_or_init(|| format!("{:?}", nhiscan::rules::builtin().expect("built-in rules")))
}

/// Panics when a found secret is printed in full, as is or JSON-escaped. Checked: secrets of 8
/// characters or more (shorter ones are not searched for elsewhere) with a letter and a digit,
/// that are no text of the rules themselves: a fuzzer's `password1` is a secret, a word of the
/// rules' own texts printed as a title is not a leak.
pub fn assert_redacted(secrets: &[String], printed: &[String]) {
    let checked = secrets.iter().filter(|s| {
        s.len() >= 8
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(char::is_alphabetic)
            && !rule_text().contains(s.as_str())
    });
    for s in checked {
        let escaped = serde_json::to_string(s).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        for out in printed {
            assert!(
                !out.contains(s.as_str()) && !out.contains(escaped),
                "a found secret is printed in full ({s:?}):\n{out}"
            );
        }
    }
}
