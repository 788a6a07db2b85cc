//! A PEM key split across string literals in source code, one literal a line:
//!
//! ```text
//! String key = "-----BEGIN RSA PRIVATE KEY-----\n" +
//!              "MIIEpAIBAAKCAQEA...\n" +          (Java, JS, C#, Go: `+`; PHP `.`; VB `&`)
//! KEY = ("-----BEGIN PRIVATE KEY-----\n"
//!        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n")   (Python, C: adjacent literals)
//! ```
//!
//! No regex can match the key through the quotes and operators, so the literals are joined (escapes
//! interpreted) and the joined text is scanned again, the finding placed on the `BEGIN` line. Joining
//! starts only at a `-----BEGIN ... PRIVATE KEY` that opens a literal, takes only literals whose text
//! can belong to a PEM block, and stops at the `END` line or a bound.

/// At most this many literals are joined.
const MAX_LITERALS: usize = 512;
/// At most this many bytes of source are read after the `BEGIN`.
const MAX_SOURCE: usize = 64 * 1024;
/// Between two literals at most this much code (operators, whitespace, `.append(`, a comment).
const MAX_JOINER: usize = 96;

/// The joined text of the literals that start with the `-----BEGIN` at `begin`, with the source span
/// from the first literal's text to the last one's; None unless at least two literals were joined into
/// text that reaches an `-----END` line.
pub(crate) fn join(data: &[u8], begin: usize) -> Option<((usize, usize), Vec<u8>)> {
    // The armour line: `-----BEGIN ENCRYPTED PRIVATE KEY-----` and the like, never long.
    let head = &data[begin..(begin + 64).min(data.len())];
    let head = &head[..memchr::memchr(b'\n', head).unwrap_or(head.len())];
    memchr::memmem::find(head, b"PRIVATE KEY")?;
    let (quote, open) = opening_quote(data, begin)?;
    let hi = (begin + MAX_SOURCE).min(data.len());
    let mut out = Vec::new();
    let mut at = open + 1;
    let mut quote = quote;
    let mut joined = 0;
    let mut last_close;
    loop {
        let (text, close) = literal(data, at, quote, hi)?;
        // Another BEGIN before this block's END: not one key (and each BEGIN is joined only up to
        // the next, which keeps a file of many of them linear).
        if !pem_text(&text) || (joined > 0 && memchr::memmem::find(&text, b"-----BEGIN").is_some())
        {
            return None;
        }
        out.extend_from_slice(&text);
        joined += 1;
        last_close = close;
        if complete(&out) || joined == MAX_LITERALS {
            break;
        }
        let Some((next_quote, next_open, list)) = next_literal(data, close + 1, hi) else {
            break;
        };
        if list && !out.ends_with(b"\n") {
            // `["-----BEGIN ...", "MIIE...", ...]` joined with newlines by the code around it.
            out.push(b'\n');
        }
        quote = next_quote;
        at = next_open + 1;
    }
    (joined >= 2 && complete(&out)).then_some(((open + 1, last_close), out))
}

/// The quote that opens the literal holding the `-----BEGIN` at `begin`: only whitespace or escaped
/// line breaks may sit between them.
fn opening_quote(data: &[u8], begin: usize) -> Option<(u8, usize)> {
    let lo = begin.saturating_sub(MAX_JOINER);
    let mut i = begin;
    while i > lo {
        let b = data[i - 1];
        if matches!(b, b'"' | b'\'' | b'`') {
            return Some((b, i - 1));
        }
        if b == b' ' || b == b'\t' || (matches!(b, b'n' | b'r') && i >= 2 && data[i - 2] == b'\\') {
            i -= if b == b' ' || b == b'\t' { 1 } else { 2 };
            continue;
        }
        return None;
    }
    None
}

/// The text of the literal whose body starts at `at` (escapes interpreted), and the position of its
/// closing quote. A `"` or `'` literal ends at its line's end; a backtick one may span lines.
fn literal(data: &[u8], at: usize, quote: u8, hi: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = at;
    while i < hi {
        let b = data[i];
        if b == quote {
            return Some((out, i));
        }
        if b == b'\n' && quote != b'`' {
            return None;
        }
        if b == b'\\' && i + 1 < hi {
            match data[i + 1] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                // A line continuation inside the literal (C, Python, shell).
                b'\n' => {}
                other => out.push(other),
            }
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    None
}

/// After a closing quote: the next literal's quote and opening position, skipping the code that joins
/// them (`+`, `.`, `&`, `..`, `;` then `key +=`, `.append(`, line breaks, a comment); and whether that code was a
/// list separator (`,`), after which the code around inserts line breaks itself.
fn next_literal(data: &[u8], from: usize, hi: usize) -> Option<(u8, usize, bool)> {
    let mut i = from;
    let limit = (from + MAX_JOINER).min(hi);
    let mut list = false;
    while i < limit {
        let b = data[i];
        match b {
            b'"' | b'\'' | b'`' => return Some((b, i, list)),
            b',' => list = true,
            // A block or a plain assignment ends the expression; `key += "..."` goes on.
            b'{' | b'}' => return None,
            b'=' if !(i > from && data[i - 1] == b'+') => return None,
            b'/' if data.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &data[i..limit]).map_or(limit, |j| i + j);
                continue;
            }
            b'#' => {
                i = memchr::memchr(b'\n', &data[i..limit]).map_or(limit, |j| i + j);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Text a PEM block is made of: base64, armour dashes and labels, header lines (`Proc-Type: 4,ENCRYPTED`,
/// `DEK-Info: AES-128-CBC,...`), line breaks.
fn pem_text(text: &[u8]) -> bool {
    text.iter().all(|&b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'+' | b'/' | b'=' | b'-' | b' ' | b':' | b',' | b'\n' | b'\r' | b'\t'
            )
    })
}

/// The joined text holds a whole `-----END ...-----` line.
fn complete(text: &[u8]) -> bool {
    memchr::memmem::find(text, b"-----END ")
        .is_some_and(|i| memchr::memmem::find(&text[i + 9..], b"-----").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(src: &str) -> Option<String> {
        let begin = src.find("-----BEGIN").unwrap();
        join(src.as_bytes(), begin).map(|(_, t)| String::from_utf8(t).unwrap())
    }

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nQUJD\nREVG\n-----END PRIVATE KEY-----\n";

    #[test]
    fn java_python_go_php_and_list_forms_are_joined() {
        let java = "String k = \"-----BEGIN PRIVATE KEY-----\\n\" +\n    \"QUJD\\n\" +\n    \"REVG\\n\" +\n    \"-----END PRIVATE KEY-----\\n\";";
        assert_eq!(joined(java).as_deref(), Some(PEM));
        let python = "KEY = (\n    '-----BEGIN PRIVATE KEY-----\\n'\n    'QUJD\\n'  # body\n    'REVG\\n'\n    '-----END PRIVATE KEY-----\\n'\n)";
        assert_eq!(joined(python).as_deref(), Some(PEM));
        let php = "$k = \"-----BEGIN PRIVATE KEY-----\\n\" .\n \"QUJD\\nREVG\\n\" . \"-----END PRIVATE KEY-----\\n\";";
        assert_eq!(joined(php).as_deref(), Some(PEM));
        let list = "lines = [\"-----BEGIN PRIVATE KEY-----\", \"QUJD\", \"REVG\", \"-----END PRIVATE KEY-----\"]";
        assert_eq!(joined(list).as_deref(), Some(PEM.trim_end_matches('\n')));
        let append = "sb.append(\"-----BEGIN PRIVATE KEY-----\\n\")\n  .append(\"QUJD\\nREVG\\n\")\n  .append(\"-----END PRIVATE KEY-----\\n\");";
        assert_eq!(joined(append).as_deref(), Some(PEM));
    }

    #[test]
    fn one_literal_unrelated_strings_and_statements_are_not_joined() {
        // One literal: the escaped-newline rule's business.
        assert_eq!(
            joined("k = \"-----BEGIN PRIVATE KEY-----\\nQUJD\\n-----END PRIVATE KEY-----\""),
            None
        );
        // A check for the armour, then other code.
        assert_eq!(
            joined("if (s.startsWith(\"-----BEGIN PRIVATE KEY-----\")) { log(\"found a key\"); }"),
            None
        );
        // Not a private key.
        assert_eq!(joined("c = \"-----BEGIN CERTIFICATE-----\\n\" + \"QUJD\\n\" + \"-----END CERTIFICATE-----\""), None);
        // No END: cut short.
        assert_eq!(
            joined("k = \"-----BEGIN PRIVATE KEY-----\\n\" + \"QUJD\\n\"; other = \"x\";"),
            None
        );
    }
}
