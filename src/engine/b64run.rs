//! A base64 run around a keyword hit, as tools write one: on one line (a Kubernetes Secret value, an
//! environment variable), or wrapped at a fixed width over indented lines (`base64` output, a YAML block
//! scalar, a PEM body) or over escaped `\n` (a JSON string). The decoders that start from a hit inside
//! such a run (base64 of a whole PEM file, armour-less key bodies) use it to find the whole value.

/// A wrapped line must be at least this long for the next line to continue it: wrap widths are 60 to
/// 76 in practice, and a short line is the run's last.
const MIN_WRAP: usize = 48;

/// A base64 character (standard or URL-safe alphabet; `=` padding is handled apart).
pub(crate) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The run of base64 around `data[s..e]`, at most `max` bytes either side of the hit, wrapped lines
/// included. `s..e` must itself be base64.
pub(crate) fn around(data: &[u8], s: usize, e: usize, max: usize) -> (usize, usize) {
    let lo = s.saturating_sub(max);
    let hi = (e + max).min(data.len());
    let mut start = s;
    loop {
        while start > lo && is_b64(data[start - 1]) && !escaped_n(data, start - 1) {
            start -= 1;
        }
        match wrapped_from(data, start, lo) {
            Some(prev_end) => start = prev_end,
            None => break,
        }
    }
    let mut end = e;
    loop {
        while end < hi && is_b64(data[end]) {
            end += 1;
        }
        let pad = data[end..hi]
            .iter()
            .take(2)
            .take_while(|&&b| b == b'=')
            .count();
        if pad > 0 || end - segment_start(data, end, lo) < MIN_WRAP {
            end += pad;
            break;
        }
        // The next line continues the run only if it is base64 to its end (`key: value` is not).
        match break_after(data, end, hi) {
            Some(next) if next < hi && is_b64(data[next]) && ends_cleanly(data, next, hi) => {
                end = next
            }
            _ => break,
        }
    }
    (start, end)
}

/// The base64 characters of `data[s..e]`, line breaks, escaped `\n` and indentation left out.
pub(crate) fn collect(data: &[u8], s: usize, e: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(e - s);
    let mut i = s;
    while i < e {
        let b = data[i];
        if b == b'\\' && i + 1 < e && matches!(data[i + 1], b'n' | b'r') {
            i += 2;
            continue;
        }
        if is_b64(b) || b == b'=' {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// `data[i]` is the `n` (or `r`) of an escaped `\n` (`\r`).
fn escaped_n(data: &[u8], i: usize) -> bool {
    i > 0 && matches!(data[i], b'n' | b'r') && data[i - 1] == b'\\'
}

/// Where the base64 segment that ends at `end` starts: after the line break (real or escaped) and
/// indentation before it.
fn segment_start(data: &[u8], end: usize, lo: usize) -> usize {
    let mut i = end;
    while i > lo && is_b64(data[i - 1]) && !escaped_n(data, i - 1) {
        i -= 1;
    }
    i
}

/// The end of the line break at `at` (`\n`, `\r\n`, escaped `\n` or `\r\n`) and of the indentation after
/// it.
fn break_after(data: &[u8], at: usize, hi: usize) -> Option<usize> {
    let rest = &data[at..hi];
    let len = [&b"\r\n"[..], b"\n", b"\\r\\n", b"\\n"]
        .iter()
        .find(|p| rest.starts_with(p))
        .map(|p| p.len())?;
    let mut i = at + len;
    while i < hi && matches!(data[i], b' ' | b'\t') {
        i += 1;
    }
    Some(i)
}

/// When the segment starting at `start` continues a wrapped line above it (only indentation before it
/// on its line, and a full-width, unpadded base64 segment ending the line above), the end of that line.
fn wrapped_from(data: &[u8], start: usize, lo: usize) -> Option<usize> {
    let mut i = start;
    while i > lo && matches!(data[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    let brk = [&b"\\r\\n"[..], b"\r\n", b"\\n", b"\n"]
        .iter()
        .find(|p| i >= lo + p.len() && data[..i].ends_with(p))
        .map(|p| p.len())?;
    let prev_end = i - brk;
    (prev_end - segment_start(data, prev_end, lo) >= MIN_WRAP).then_some(prev_end)
}

/// The base64 segment at `at` runs to the end of its line (or string): after it and its padding comes a
/// line break, a closing quote or bracket, a separator or the end, not `:` or `=` as after a key name.
fn ends_cleanly(data: &[u8], at: usize, hi: usize) -> bool {
    let mut i = at;
    while i < hi && is_b64(data[i]) {
        i += 1;
    }
    i += data[i..hi]
        .iter()
        .take(2)
        .take_while(|&&b| b == b'=')
        .count();
    i >= hi
        || matches!(
            data[i],
            b'\r'
                | b'\n'
                | b' '
                | b'\t'
                | b'\\'
                | b'"'
                | b'\''
                | b'`'
                | b','
                | b';'
                | b'}'
                | b']'
                | b')'
                | b'<'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, hit: &str) -> String {
        let s = text.find(hit).unwrap();
        let (a, b) = around(text.as_bytes(), s, s + hit.len(), 1 << 16);
        text[a..b].to_string()
    }

    #[test]
    fn one_line_runs_stop_at_punctuation_and_keep_padding() {
        assert_eq!(run("tls.key: QUJDREVGR0g=\n", "REVG"), "QUJDREVGR0g=");
        assert_eq!(run("K=\"QUJD\" x", "QUJD"), "QUJD");
    }

    #[test]
    fn wrapped_lines_are_one_run_and_a_key_line_is_not_part_of_it() {
        let line = "QUJD".repeat(16);
        let text = format!("key: |\n    {line}\n    {line}\n    QUJD==\nnext: 1\n");
        let got = run(&text, &line[8..20]);
        assert!(got.starts_with(&line) && got.ends_with("QUJD=="), "{got}");
        assert_eq!(collect(got.as_bytes(), 0, got.len()).len(), 64 * 2 + 6);
        // A short line is the last one: what follows is not appended.
        let text = format!("a: QUJDREVG\n  {line}\n");
        assert_eq!(run(&text, "REVG"), "QUJDREVG");
    }

    #[test]
    fn escaped_newlines_wrap_too() {
        let line = "QUJD".repeat(16);
        let text = format!("{{\"k\": \"{line}\\n{line}\\nQUJD\\n\"}}");
        let got = run(&text, "QUJDQUJD");
        assert_eq!(got, format!("{line}\\n{line}\\nQUJD"));
        let hit = &text[text.rfind("QUJD").unwrap()..];
        let s = text.len() - hit.len();
        let (a, _) = around(text.as_bytes(), s, s + 4, 1 << 16);
        assert_eq!(a, text.find(&line).unwrap());
    }
}
