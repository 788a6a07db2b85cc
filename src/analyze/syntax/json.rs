//! A small position-tracking JSON reader: serde_json gives no line numbers for values, and an IAM
//! finding must point at its statement. It reads RFC 8259 JSON (plus a leading BOM) into a [`Node`]
//! tree, every node carrying the line it starts on; nesting is bounded by [`doc::MAX_DEPTH`].

use super::doc::{self, Node, Val};

pub(crate) fn parse(text: &str) -> Result<Node, String> {
    read(text, false)
}

/// JSON with `//` and `/* */` comments and trailing commas, as .NET configuration files allow.
pub(crate) fn parse_lenient(text: &str) -> Result<Node, String> {
    read(text, true)
}

fn read(text: &str, lenient: bool) -> Result<Node, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Reader {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        nodes: 0,
        lenient,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("trailing characters after the JSON value"));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    nodes: usize,
    lenient: bool,
}

impl Reader<'_> {
    fn err(&self, what: &str) -> String {
        format!("invalid JSON at line {}: {what}", self.line)
    }

    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'/' if self.lenient && self.b.get(self.i + 1) == Some(&b'/') => {
                    while self.b.get(self.i + 1).is_some_and(|&c| c != b'\n') {
                        self.i += 1;
                    }
                }
                b'/' if self.lenient && self.b.get(self.i + 1) == Some(&b'*') => {
                    self.i += 2;
                    while self.i < self.b.len() && !self.b[self.i..].starts_with(b"*/") {
                        if self.b[self.i] == b'\n' {
                            self.line += 1;
                        }
                        self.i += 1;
                    }
                    self.i += 1;
                }
                _ => break,
            }
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, String> {
        if depth > doc::MAX_DEPTH {
            return Err(self.err(&format!("nested deeper than {} levels", doc::MAX_DEPTH)));
        }
        self.nodes += 1;
        if self.nodes > doc::MAX_NODES {
            return Err(self.err("too many values"));
        }
        let line = self.line;
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Node::new(line, Val::Map(m)));
                }
                loop {
                    self.ws();
                    if self.lenient && self.b.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Node::new(line, Val::Map(m)));
                    }
                    let kline = self.line;
                    if self.b.get(self.i) != Some(&b'"') {
                        return Err(self.err("expected a quoted object key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.err("expected ':' after an object key"));
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    m.push((k, kline, v));
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Node::new(line, Val::Map(m)));
                        }
                        _ => return Err(self.err("expected ',' or '}' in an object")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Node::new(line, Val::Seq(v)));
                }
                loop {
                    self.ws();
                    if self.lenient && self.b.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Node::new(line, Val::Seq(v)));
                    }
                    v.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Node::new(line, Val::Seq(v)));
                        }
                        _ => return Err(self.err("expected ',' or ']' in an array")),
                    }
                }
            }
            Some(b'"') => Ok(Node::str(line, self.string()?)),
            Some(c) if c.is_ascii_alphanumeric() || *c == b'-' => {
                let s = self.i;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.b[s..self.i]).unwrap_or("");
                match word {
                    "null" => Ok(Node::new(line, Val::Null)),
                    "true" | "false" => Ok(Node::str(line, word)),
                    w if w.parse::<f64>().is_ok() => Ok(Node::str(line, w)),
                    // The word itself is not quoted: it may be a secret.
                    w => Err(self.err(&format!(
                        "unexpected bare word of {} characters",
                        w.chars().count()
                    ))),
                }
            }
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\n' => return Err(self.err("newline in a string")),
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self
                                .b
                                .get(self.i..self.i + 4)
                                .ok_or_else(|| self.err("bad \\u escape"))?;
                            let mut cp =
                                u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                                    .map_err(|_| self.err("bad \\u escape"))?;
                            self.i += 4;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.b.get(self.i..self.i + 2) == Some(b"\\u")
                            {
                                if let Some(lo) = self.b.get(self.i + 2..self.i + 6).and_then(|h| {
                                    u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
                                }) {
                                    cp = 0x10000
                                        + ((cp - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3ff);
                                    self.i += 6;
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        _ => return Err(self.err("bad escape in a string")),
                    }
                }
                c => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("string is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_values() {
        let n = parse("{\n  \"a\": [1,\n  \"x\\u0041\"],\n  \"b\": {\"c\": null}\n}").unwrap();
        assert_eq!(n.line, 1);
        assert_eq!(n.key_line("b"), 4);
        assert_eq!(n.get("a").unwrap().items()[1].as_str(), Some("xA"));
        assert_eq!(n.get("a").unwrap().items()[1].line, 3);
        assert!(n.at(&["b", "c"]).is_null());
    }

    #[test]
    fn lenient_reads_comments_and_trailing_commas() {
        let t = "{\n  // note\n  \"a\": [1, 2,],\n  /* block\n */ \"b\": 3,\n}";
        assert!(parse(t).is_err());
        let n = parse_lenient(t).unwrap();
        assert_eq!(n.key_line("b"), 5);
        assert_eq!(n.get("a").unwrap().items().len(), 2);
    }

    #[test]
    fn errors_and_depth() {
        assert!(parse("{\"a\": }").unwrap_err().contains("line 1"));
        assert!(parse("{\n\"a\": 1,,}").unwrap_err().contains("line 2"));
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(parse(&deep).unwrap_err().contains("nested deeper"));
    }
}
