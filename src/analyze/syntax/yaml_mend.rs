//! Second chances for YAML that yaml-rust2 rejects but libyaml reads. libyaml is what PyYAML
//! (hence Checkov and cfn-lint), Ruby and, through its Go port, Kubernetes, Helm and kustomize read
//! YAML with; files written for those tools are valid in practice even where they break YAML 1.2.
//! Measured on 8,702 real files PyYAML accepts (distribution packages, the linux-6.1 tree, the eval
//! repositories) and on hand-written CloudFormation, Helm and workflow shapes, the differences are:
//!
//! - a continuation line of a flow collection or a quoted scalar indented no deeper than the block
//!   that holds it: a closing `]` under its key (`Action: [` … `]`), `"…` continued at the key's
//!   column. YAML 1.2 wants such lines deeper; libyaml never checks. Spaces at the start of such a
//!   line mean nothing (flow whitespace, or folded away in a quoted scalar), so indenting it changes
//!   no value and no line number;
//! - a lone `-` as a flow item (`[a, -, b]`), the string "-" for libyaml: written `"-"` instead.
//!
//! [`mend`] fixes the one place an error names; the caller parses again, a bounded number of times.

/// Where and why yaml-rust2's scanner stopped.
pub(crate) struct Failure {
    pub(crate) info: String,
    /// 1-based.
    pub(crate) line: usize,
    /// 0-based, in characters.
    pub(crate) col: usize,
}

/// The text with the cause of `f` mended, or None when it is not one of the differences above.
pub(crate) fn mend(text: &str, f: &Failure) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = f.line.checked_sub(1).filter(|&i| i < lines.len())?;
    let mut pads = vec![0usize; lines.len()];
    match f.info.as_str() {
        // The mark is on the under-indented line itself (a token of a flow collection).
        "invalid indentation" | "invalid indentation in flow construct" => {
            let line = lines[at];
            if marker_line(line) {
                return None;
            }
            let cur = indent(line);
            let need = (0..at)
                .rev()
                .map(|i| lines[i])
                .find(|l| !blank_or_comment(l))
                .map_or(0, |l| content_col(l) + 1);
            pads[at] = need.max(cur + 1) - cur;
        }
        // The mark is where the scalar starts: every continuation line up to its closing quote.
        "invalid indentation in quoted scalar" => {
            let start: usize = lines[..at].iter().map(|l| l.len()).sum();
            let (off, quote) = lines[at].char_indices().nth(f.col)?;
            let from = start + off;
            let end = from + closing_quote(&text[from..], quote)?;
            let need = content_col(lines[at]) + 1;
            let mut pos = start + lines[at].len();
            for (i, l) in lines.iter().enumerate().skip(at + 1) {
                if pos > end {
                    break;
                }
                if !blank_or_comment(l) && !marker_line(l) && indent(l) < need {
                    pads[i] = need - indent(l);
                }
                pos += l.len();
            }
        }
        "plain scalar cannot start with '-' followed by ,[]{}" => {
            let (off, c) = lines[at].char_indices().nth(f.col)?;
            if c != '-' {
                return None;
            }
            let start: usize = lines[..at].iter().map(|l| l.len()).sum();
            let at = start + off;
            return Some(format!("{}\"-\"{}", &text[..at], &text[at + 1..]));
        }
        _ => return None,
    }
    if pads.iter().all(|&p| p == 0) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + pads.iter().sum::<usize>());
    for (l, p) in lines.iter().zip(pads) {
        out.extend(std::iter::repeat_n(' ', p));
        out.push_str(l);
    }
    Some(out)
}

fn indent(line: &str) -> usize {
    line.bytes().take_while(|&b| b == b' ').count()
}

/// The column where the line's node starts: after the indentation and any `- ` sequence markers.
fn content_col(line: &str) -> usize {
    let mut col = indent(line);
    let b = line.as_bytes();
    while b.get(col) == Some(&b'-') && matches!(b.get(col + 1), Some(b' ' | b'\t')) {
        col += 1;
        while matches!(b.get(col), Some(b' ' | b'\t')) {
            col += 1;
        }
    }
    col
}

fn blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// `---` or `...` at column 0: a document marker for every reader, inside a flow or a quote too.
fn marker_line(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..].chars().next().is_none_or(char::is_whitespace)
}

/// The byte offset of the quote closing the scalar `s` starts (with `quote`).
fn closing_quote(s: &str, quote: char) -> Option<usize> {
    let mut it = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = it.next() {
        match (quote, c) {
            ('"', '\\') => {
                it.next();
            }
            ('"', '"') => return Some(i),
            ('\'', '\'') => {
                if it.peek().is_some_and(|&(_, n)| n == '\'') {
                    it.next();
                } else {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(info: &str, line: usize, col: usize) -> Failure {
        Failure {
            info: info.into(),
            line,
            col,
        }
    }

    #[test]
    fn flow_lines_go_one_column_past_the_line_before() {
        let t = "a:\n  Action: [\n    \"s3:*\"\n  ]\n";
        let m = mend(t, &f("invalid indentation", 4, 2)).unwrap();
        assert_eq!(m, "a:\n  Action: [\n    \"s3:*\"\n     ]\n");
        let t = "- BAR: [a,\n# c\n\n]\n";
        let m = mend(t, &f("invalid indentation", 4, 0)).unwrap();
        assert_eq!(m.lines().last(), Some("   ]"));
        assert!(mend("a: [\n---\n]\n", &f("invalid indentation", 2, 0)).is_none());
    }

    #[test]
    fn quoted_continuations_up_to_the_closing_quote() {
        let t = "k:\n  d: \"one \\\" two\n  three\nfour\"\nnext: 'it''s\n  x'\n";
        let m = mend(t, &f("invalid indentation in quoted scalar", 2, 5)).unwrap();
        assert_eq!(
            m,
            "k:\n  d: \"one \\\" two\n   three\n   four\"\nnext: 'it''s\n  x'\n"
        );
        assert_eq!(closing_quote("'it''s' x", '\''), Some(6));
        assert!(mend(
            "a: \"open\n",
            &f("invalid indentation in quoted scalar", 1, 3)
        )
        .is_none());
    }

    #[test]
    fn a_lone_dash_is_quoted_and_other_errors_are_left_alone() {
        let info = "plain scalar cannot start with '-' followed by ,[]{}";
        assert_eq!(
            mend("a: [x, -, y]\n", &f(info, 1, 7)).unwrap(),
            "a: [x, \"-\", y]\n"
        );
        assert!(mend("a: [x, y]\n", &f(info, 1, 4)).is_none());
        assert!(mend(
            "a: b: c\n",
            &f("mapping values are not allowed in this context", 1, 4)
        )
        .is_none());
        assert!(mend("a\n", &f("invalid indentation", 9, 0)).is_none());
    }
}
