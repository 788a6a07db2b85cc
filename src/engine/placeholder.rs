//! Values that look like a secret's shape but are documentation, templates or references to where the
//! real secret lives. Reporting them teaches users to ignore the scanner, so they never report.

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

pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    if secret.is_empty() {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    let s = lower.as_slice();
    if s.first() == Some(&b'<') && s.last() == Some(&b'>') {
        return true;
    }
    if MARKERS
        .iter()
        .any(|m| memchr::memmem::find(s, m.as_bytes()).is_some())
    {
        return true;
    }
    // A long run of one character (000000..., aaaaaa...) is a mask, not a key. Multi-line blocks and
    // long values (key files, whose fixed headers have such runs) are judged by their rules instead.
    if s.len() > 100 || s.contains(&b'\n') {
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
            "s3cr3t-Pa55w0rd!",
        ] {
            assert!(!is_placeholder(p.as_bytes()), "{p}");
        }
    }
}
