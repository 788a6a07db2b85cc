//! Values that look like a secret's shape but are documentation, templates or references to where the
//! real secret lives. Reporting them teaches users to ignore the scanner, so they never report.
//!
//! A value is judged as a whole: markers (`EXAMPLE`, `xxxxx`, `${...}`), samples the providers
//! published ([`super::published`]), environment variable names (`DB_PASSWORD`), code that only looks
//! like a value (`/reset/:token`, `.password:focus`, `%(pw)s`), placeholder words (`secret123`,
//! `P@ssw0rd`) and typed filler (`1234567890`, [`super::filler`]). A key block (PEM, PuTTY) is judged
//! by its key material only: comments and headers (`Comment: deploy@example.com`) say nothing about
//! the key, and a long DER body has runs of `A` that are not filler; an empty block is a placeholder.

use super::{filler, published};

/// Substrings (compared lowercase) that mark a value as a placeholder.
const MARKERS: &[&str] = &[
    "example",
    "xxxxx",
    "*****",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yourpassword",
    "changeme",
    "change_me",
    "dummy",
    "redacted",
    "placeholder",
    "replace_me",
    "replaceme",
    "insert_",
    "<your",
    "${",
    "{{",
    "$(",
    "%s",
    "os.environ",
    "process.env",
    "getenv",
    "env(",
    "env[",
    "secretkeyref",
    "...",
    "fake",
    "notreal",
    "not_real",
    "sample",
];

/// Markers looked for (as written, not lowercased) in a long key body, where a short lowercase word
/// can occur by chance in the base64.
const BODY_MARKERS: &[&str] = &[
    "EXAMPLE",
    "REDACTED",
    "PLACEHOLDER",
    "xxxxx",
    "XXXXX",
    "*****",
    "...",
    "<",
    ">",
    "${",
    "{{",
];

/// Words a person fills a password or key field with (after `P@ssw0rd`-style substitutions, without
/// leading or trailing digits and symbols, alone or joined: `adminpassword`, `testuser`, `mysecret`).
const WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "key",
    "changeme",
    "admin",
    "root",
    "test",
    "guest",
    "user",
    "login",
    "demo",
    "default",
    "letmein",
    "welcome",
    "qwerty",
    "master",
    "temp",
    "foo",
    "bar",
    "baz",
    "abc",
    "my",
    "your",
    "the",
    "new",
    "super",
    "db",
    "app",
    "dev",
    "local",
    "mysql",
    "postgres",
    "redis",
    "mongo",
];

/// How many digits and symbols a placeholder word may have around it (`changeme123456`).
const MAX_AFFIX: usize = 8;

/// Words that, as one part of a lowercase hyphenated name, say the name is of an object holding a
/// secret (a Kubernetes Secret `db-password-v2`, `x-tls`, `app-credentials`), not the secret itself.
const HOLDER_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "tls",
    "ssl",
    "token",
    "tokens",
    "password",
    "passwords",
    "pass",
    "pwd",
    "credential",
    "credentials",
    "creds",
    "cred",
    "key",
    "keys",
    "apikey",
    "cert",
    "certs",
    "certificate",
    "auth",
    "keystore",
    "truststore",
];

/// Namespaces whose `ns.NAME` values name a CI or template variable (`secrets.NPM_TOKEN`).
const VARIABLE_NAMESPACES: &[&str] = &["secrets.", "env.", "vars.", "inputs."];

/// True when `secret` is a placeholder, a reference or filler rather than a credential.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    if secret.is_empty() {
        return true;
    }
    if secret.contains(&b'\n') || memchr::memmem::find(secret, b"-----BEGIN").is_some() {
        return block_is_placeholder(secret);
    }
    value_is_placeholder(secret)
}

/// For a value whose alphabet has punctuation by design (a WordPress salt, a Django key): the markers
/// that are words (`example`, `changeme`, `your_`), placeholder words, published samples, filler and
/// runs, but not the markers and code shapes made of punctuation (`${`, `$(`, `%s`, `...`, `{}`,
/// `%(`), which one in ten such values contains by chance.
pub(crate) fn is_placeholder_punctuated(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let s = lower.as_slice();
    let word_marker = |m: &&&str| m.bytes().filter(u8::is_ascii_alphabetic).count() >= 3;
    secret.is_empty()
        || MARKERS
            .iter()
            .filter(word_marker)
            .any(|m| memchr::memmem::find(s, m.as_bytes()).is_some())
        || published::is_published(secret)
        || is_placeholder_word(s)
        || (s.len() <= 256 && filler::is_filler(s))
        || s.windows(8).any(|w| w.iter().all(|&b| b == w[0]))
}

/// A key block: only its material counts. Empty or near-empty material is a placeholder (an empty
/// PEM block, `<paste key here>`); a short body is judged like a value; a long one only by explicit
/// markers, never by runs or lowercase words that base64 produces by chance.
fn block_is_placeholder(block: &[u8]) -> bool {
    let material = key_material(block);
    if material.len() < 32 {
        return material.is_empty() || value_is_placeholder(&material) || material.len() < 16;
    }
    if material.len() <= 100 {
        return value_is_placeholder(&material);
    }
    BODY_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&material, m.as_bytes()).is_some())
        || mostly_one_byte(&material)
}

/// The block without armour (`-----BEGIN ... -----`), header lines (`Comment: ...`, `Proc-Type: ...`,
/// PuTTY's `Encryption: none`), line breaks (real or escaped `\n`) and whitespace.
fn key_material(block: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(block);
    let mut unarmoured = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find("-----") {
        unarmoured.push_str(&rest[..at]);
        let after = &rest[at + 5..];
        match after.find("-----") {
            Some(end) => rest = &after[end + 5..],
            None => {
                rest = "";
                break;
            }
        }
    }
    unarmoured.push_str(rest);
    let text = unarmoured
        .replace("\\r", "\n")
        .replace("\\n", "\n")
        .replace("\\\n", "\n");
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_matches(['"', '\'', ',', '\\']);
        if is_header(line) {
            continue;
        }
        out.extend(line.bytes().filter(|b| !b.is_ascii_whitespace()));
    }
    out
}

/// `Name: value` or `Name:` with a header-style name (letters, digits, `-`).
fn is_header(line: &str) -> bool {
    let Some((name, value)) = line.split_once(':') else {
        return false;
    };
    !name.is_empty()
        && name.as_bytes()[0].is_ascii_alphabetic()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && (value.is_empty() || value.starts_with(' ') || value.starts_with('\t'))
}

fn mostly_one_byte(s: &[u8]) -> bool {
    let mut counts = [0usize; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    counts.iter().any(|&c| c * 10 >= s.len() * 9)
}

fn value_is_placeholder(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let s = lower.as_slice();
    if s.first() == Some(&b'<') && s.last() == Some(&b'>') {
        return true;
    }
    // `YourPingdomApiToken`, `yourApiKey`: the documentation's own way of saying "put it here".
    if s.starts_with(b"your") && secret.get(4).is_some_and(u8::is_ascii_uppercase) {
        return true;
    }
    if MARKERS
        .iter()
        .any(|m| memchr::memmem::find(s, m.as_bytes()).is_some())
    {
        return true;
    }
    if published::is_published(secret)
        || is_variable_name(secret)
        || is_holder_name(secret)
        || super::code_like::is_code(s)
        || is_placeholder_word(s)
    {
        return true;
    }
    if s.len() <= 256 && filler::is_filler(s) {
        return true;
    }
    // A long run of one character (000000..., aaaaaa...) is a mask, not a key. Long values are left
    // to their rules: base64 of binary data has such runs.
    if s.len() > 100 {
        return false;
    }
    let mut run = 1;
    for w in s.windows(2) {
        run = if w[0] == w[1] { run + 1 } else { 1 };
        if run >= 8 {
            return true;
        }
    }
    false
}

/// An environment or CI variable named instead of a value: `DB_PASSWORD`, `GITHUB_TOKEN`,
/// `secrets.NPM_TOKEN`. UPPER_SNAKE words, one of them a word of three letters or more, so an
/// upper-case random token (digits in every part) is not taken for a name.
fn is_variable_name(value: &[u8]) -> bool {
    let (namespaced, name) = match VARIABLE_NAMESPACES
        .iter()
        .find_map(|ns| value.strip_prefix(ns.as_bytes()))
    {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let parts: Vec<&[u8]> = name.split(|&b| b == b'_').collect();
    !name.is_empty()
        && name[0].is_ascii_uppercase()
        && (namespaced || parts.len() >= 2)
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && p.iter().filter(|b| b.is_ascii_digit()).count() <= 4
        })
        && parts
            .iter()
            .any(|p| p.len() >= 3 && p.iter().all(u8::is_ascii_uppercase))
}

/// The name of an object that holds a secret: a lowercase DNS-style name of word parts, one of them
/// saying what it holds (`github-app-token-v2`, `x-tls`, `postgres-password`, `app-credentials`).
/// Parts are letters, numbers of up to 4 digits or tags of up to 3 characters, so a random lowercase
/// value with a hyphen in it is not a name.
fn is_holder_name(value: &[u8]) -> bool {
    let parts: Vec<&[u8]> = value.split(|&b| b == b'-' || b == b'.').collect();
    parts.len() >= 2
        && value
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-' || *b == b'.')
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p.iter().all(u8::is_ascii_lowercase)
                    || (p.len() <= 4 && p.iter().all(u8::is_ascii_digit))
                    || p.len() <= 3)
        })
        && parts
            .iter()
            .any(|p| HOLDER_WORDS.iter().any(|w| w.as_bytes() == *p))
}

/// A placeholder word: `password`, `secret123`, `P@ssw0rd!`, `admin`, `testpassword1`.
fn is_placeholder_word(s: &[u8]) -> bool {
    let edge = |b: &u8| !b.is_ascii_alphabetic();
    let start = s.iter().position(|b| !edge(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !edge(b)).map_or(start, |i| i + 1);
    // `secret123`, `Password1!`: a few characters around the word; `key-8517…` (a word and then the
    // random part of a token) is not a placeholder word.
    if start + (s.len() - end) > MAX_AFFIX {
        return false;
    }
    let mut letters = Vec::with_capacity(end.saturating_sub(start));
    for &b in &s[start..end] {
        let c = match b {
            b'0' => b'o',
            b'1' => b'i',
            b'3' => b'e',
            b'4' | b'@' => b'a',
            b'5' | b'$' => b's',
            b'7' => b't',
            b'_' | b'-' | b'.' | b' ' => continue,
            c => c,
        };
        if !c.is_ascii_lowercase() {
            return false;
        }
        letters.push(c);
    }
    letters.len() >= 3 && made_of_words(&letters)
}

/// Whether `s` is a concatenation of [`WORDS`].
fn made_of_words(s: &[u8]) -> bool {
    let mut ok = vec![false; s.len() + 1];
    ok[0] = true;
    for i in 0..s.len() {
        if !ok[i] {
            continue;
        }
        for w in WORDS {
            if s[i..].starts_with(w.as_bytes()) {
                ok[i + w.len()] = true;
            }
        }
    }
    ok[s.len()]
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "<token>",
            "${GITHUB_TOKEN}",
            "{{ .Values.password }}",
            "os.environ['X']",
            "process.env.API_KEY",
            "YOUR_API_KEY",
            "00000000000000000000",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for p in [
            "q8Zr2LmX0vT4bN7cW1yE5uJ3kH9sPd",
            "AKIA2E0A8F3B244C9986",
            "Hq7Zm2-Wx9Lt4!",
            "hunter22",
            "Summer2024!",
            "Zr8%kQ2!vN5wLp",
            "K7MQ_X9ZP_2024",
            "abc%d4xyz9",
            // A word, then a token's random part.
            "key-85175379907319647520327177935795",
            "test_355568544472187319350128613914",
            "DlK7zaywUPsKNAUkhVUm91xntYDXiDMO7hySrhwcMDY%3D",
        ] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn variable_names_are_references() {
        for p in [
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "DB_PASSWORD_2",
            "ENV_DB_PASSWORD1",
            "secrets.NPM_TOKEN",
            "env.TOKEN",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        // Upper-case tokens with underscores but no word in them are not names, nor is a token whose
        // prefix is a word (`KGAT_` and 32 digits).
        assert!(!is_placeholder(b"AB3X9Q2_K7M4P8W1_Z5N2"));
        assert!(!is_placeholder(b"KGAT_02397923747016438941490423298972")); // nhiscan:allow fake value in a unit test
    }

    #[test]
    fn names_of_secret_objects_are_not_secrets() {
        for p in [
            "github-app-token-secret-v2",
            "x-tls",
            "postgres-password-v2",
            "app-credentials",
            "wildcard-example-org-tls-2024",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        // Random lowercase values with hyphens, and names that say nothing of a secret, are left to
        // the rules.
        for p in [
            "q8zr2lmx-0vt4bn7c-w1ye5uj3",
            "payments-api-v2",
            "Zr8k-Password-Q2x9",
        ] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn pointers_selectors_and_your_names_are_not_values() {
        for p in [
            "&trueProperty",
            "*defaultAnchor",
            "type!=kubernetes.io/tls",
            "YourPingdomApiToken",
            "github.com/acme/secrets/generators/v1/password",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for p in ["&x9Lq2#vR7tK", "yourself2Xk9qLm7"] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn code_that_looks_like_a_value_is_not_one() {
        for p in [
            ":password1",
            "/reset/:token",
            "/api/v1/users/:id/password2",
            ".password:focus",
            "a[href^=token1]",
            "%(db_password)s",
            "{0}:{1}",
            "Bearer {}",
            "token=%d&user=%s",
            "%1$s",
            "%-8s",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn placeholder_words_with_digits_and_substitutions() {
        for p in [
            "password",
            "Password1!",
            "P@ssw0rd",
            "secret123",
            "s3cr3t",
            "s3cr3t-Pa55w0rd!",
            "admin123",
            "testpassword1",
            "rootroot",
            "123password",
            "my_secret_key",
            "postgres",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn key_blocks_are_judged_by_their_material() {
        let body: String = (0..24)
            .map(|i| {
                format!("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC{i:02}q8Zr2LmX0vT4\n")
            })
            .collect();
        let ppk = format!(
            "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: dummy-key deploy@example.com\nPublic-Lines: 2\n{body}Private-MAC: 4e1d8b0f6a2c9e7d3b5f1a8c0e6d2b9f4a7c3e1d"
        );
        assert!(!is_placeholder(ppk.as_bytes()));
        // DER headers and zero runs in a long body are not filler.
        let der = format!(
            "-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n{body}-----END PRIVATE KEY-----"
        );
        assert!(!is_placeholder(der.as_bytes()));
        for empty in [
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n\n-----END OPENSSH PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\\n\\n-----END RSA PRIVATE KEY-----\\n",
            "-----BEGIN PRIVATE KEY-----\n  <your key here>\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----",
        ] {
            assert!(is_placeholder(empty.as_bytes()), "{empty}");
        }
        let redacted =
            format!("-----BEGIN PRIVATE KEY-----\n{body}REDACTED\n-----END PRIVATE KEY-----");
        assert!(is_placeholder(redacted.as_bytes()));
    }
}
