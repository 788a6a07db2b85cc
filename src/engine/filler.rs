//! Filler: values a person typed to fill a field, not a key a machine generated. `1234567890`,
//! `abcdefg`, `a1b2c3`, `0123456789abcdef`, `qwertyuiop`, `1q2w3e4r`, `abcabcabc`: each character
//! follows from the one or two before it (the same character, the next or previous letter or digit,
//! the next key on its keyboard row), or the value repeats a shorter unit. In a random hex string a
//! character does so about one time in four, in base62 one in twenty; in filler almost always.
//!
//! A token is judged by its parts between punctuation (`sk_live_`, `xoxb-…-…-…`): it is filler when
//! every part of six characters or more is, so a provider prefix or a numeric id next to a random part
//! never makes a real token filler, and a fake one built around a real-looking id still is.

/// Parts shorter than this are not judged: too short to tell a pattern from chance.
const MIN_PART: usize = 6;
/// The share of characters (after the first) that must follow from the ones before.
const SHARE: f64 = 0.8;
/// Keyboard rows, for runs typed along the keys (`qwerty`, `asdf`, `1q2w`).
const ROWS: [&[u8]; 4] = [b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];

/// True when `value` is typed filler rather than random material.
pub(crate) fn is_filler(value: &[u8]) -> bool {
    let mut judged = 0;
    for part in value.split(|b| !b.is_ascii_alphanumeric()) {
        if part.len() < MIN_PART {
            continue;
        }
        if !part_is_filler(part) {
            return false;
        }
        judged += part.len();
    }
    let alnum = value.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    judged > 0 && judged * 2 >= alnum
}

fn part_is_filler(part: &[u8]) -> bool {
    let lower = part.to_ascii_lowercase();
    let p = lower.as_slice();
    if (1..=p.len() / 2).any(|unit| (unit..p.len()).all(|i| p[i] == p[i - unit])) {
        return true;
    }
    let predictable = (1..p.len())
        .filter(|&i| {
            let a = p[i - 1];
            let b = p[i];
            a == b || next(a, b) || a == b.wrapping_add(1) || (i >= 2 && next(p[i - 2], b))
        })
        .count();
    predictable as f64 >= SHARE * (p.len() - 1) as f64
}

/// `b` comes after `a`: the next letter or digit (`9` then `0`, as on the keyboard) or the next key
/// on its keyboard row.
fn next(a: u8, b: u8) -> bool {
    b == a.wrapping_add(1)
        || (a == b'9' && b == b'0')
        || ROWS
            .iter()
            .any(|row| row.windows(2).any(|w| w[0] == a && w[1] == b))
}

#[cfg(test)]
mod tests {
    use super::is_filler;

    #[test]
    fn typed_filler_is_recognised() {
        for v in [
            "1234567890",
            "abcdefg",
            "a1b2c3",
            "0123456789abcdef",
            "qwertyuiop",
            "asdfghjkl1",
            "1q2w3e4r5t",
            "qwerty123",
            "abcabcabcabc",
            "abcd1234abcd1234",
            "9876543210",
            "sk_live_1234567890abcdefghijklmn",
            "xoxb-1234567890-1234567890123-abcdefghijklmnopqrstuvwx",
            "AKIAABCDEFGHIJKLMNOP",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
            "shpat_0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_filler(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn random_and_real_looking_values_are_not_filler() {
        for v in [
            "q8Zr2LmX0vT4bN7cW1yE5uJ3kH9sPd",
            "hunter22",
            "7c3f9a1e5b2d8f4a6c0e9b7d3f1a5c8e",
            "Zr8%kQ2!vN5wLp",
            "password",
            // A numeric id next to a random part: the random part decides.
            "xoxb-1234567890-1234567890123-q8Zr2LmX0vT4bN7cW1yE5uJ3", // nhiscan:allow fake value in a unit test
            "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
            // Short values are left to the entropy gate.
            "abc12",
        ] {
            assert!(!is_filler(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn random_parts_are_almost_never_filler() {
        // A fixed pseudo-random sequence: no random 20-character hex or 16-character base62 value reads
        // as filler.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (alphabet, len) in [
            (&b"0123456789abcdef"[..], 20),
            (
                b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                16,
            ),
        ] {
            for _ in 0..5000 {
                let v: Vec<u8> = (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                assert!(!is_filler(&v), "{}", String::from_utf8_lossy(&v));
            }
        }
    }
}
