//! What reaches a terminal is escaped: file names, tar entry names, digests, author names and commit
//! subjects come from the scanned content, and an ESC sequence in one could clear the screen, write
//! the clipboard (OSC 52) or, with a newline, forge a report line. JSON and SARIF keep them exact.

use std::borrow::Cow;

/// `s` with control characters (C0, DEL, C1) written as `\n`, `\t`, `\x1b`, `\u{9b}`.
pub(crate) fn terminal(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// The same for a message of several lines of our own: newlines stay, everything else is escaped.
pub(crate) fn terminal_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let is_control = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_control(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(terminal("a/b.env"), "a/b.env");
        assert_eq!(terminal("x\x1b[2Jy"), "x\\x1b[2Jy");
        assert_eq!(terminal("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
        assert_eq!(terminal("a\nb\tc\u{9b}"), "a\\nb\\tc\\u{9b}");
        assert_eq!(terminal("é ü"), "é ü");
    }
}
