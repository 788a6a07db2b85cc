//! Dockerfiles as BuildKit reads them: parser directives (`# escape=`), instructions with their
//! `\` continuations joined (comment and blank lines inside a continuation skipped), heredoc bodies
//! (`RUN <<EOF` ... `EOF`) kept with their instruction, and build stages (`FROM ... AS name`) with the
//! stages each one builds on or copies from (`--from=`).

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

/// One instruction with its continuation lines joined.
#[derive(Debug, Clone)]
pub(crate) struct Instr {
    /// The instruction keyword, uppercase (`RUN`, `COPY`).
    pub(crate) keyword: String,
    /// Everything after the keyword, continuations joined with a space, heredoc bodies appended.
    pub(crate) args: String,
    /// 1-based line of the instruction's first line.
    pub(crate) line: usize,
    /// 1-based line of its last line (continuations and heredocs included).
    pub(crate) end_line: usize,
    /// Index of the stage (FROM) it belongs to; None before the first FROM.
    pub(crate) stage: Option<usize>,
}

/// One build stage, opened by a `FROM`.
#[derive(Debug, Default)]
pub(crate) struct Stage {
    /// The `AS` name, lowercase.
    pub(crate) name: Option<String>,
    /// Stages this one builds on or copies from (names or indexes as written, lowercase).
    pub(crate) deps: Vec<String>,
}

/// A parsed Dockerfile.
#[derive(Debug, Default)]
pub(crate) struct Dockerfile {
    pub(crate) instrs: Vec<Instr>,
    pub(crate) stages: Vec<Stage>,
}

impl Dockerfile {
    /// The stage's label in messages: its name, else its index.
    pub(crate) fn stage_label(&self, stage: usize) -> String {
        self.stages[stage]
            .name
            .clone()
            .unwrap_or_else(|| stage.to_string())
    }

    /// Stages the final stage builds on or copies from, transitively (the final stage included).
    pub(crate) fn reachable(&self) -> HashSet<usize> {
        let stages = &self.stages;
        let mut seen = HashSet::new();
        let Some(last) = stages.len().checked_sub(1) else {
            return seen;
        };
        let mut todo = vec![last];
        while let Some(s) = todo.pop() {
            if !seen.insert(s) {
                continue;
            }
            for d in &stages[s].deps {
                let target = stages[..s]
                    .iter()
                    .rposition(|st| st.name.as_deref() == Some(d.as_str()))
                    .or_else(|| d.parse::<usize>().ok().filter(|&n| n < s));
                if let Some(t) = target {
                    todo.push(t);
                }
            }
        }
        seen
    }
}

/// Splits the file into instructions: comments and blank lines dropped, `\` continuations (or the
/// `# escape=` character) joined, heredoc bodies kept with their instruction.
pub(crate) fn parse(text: &str) -> Dockerfile {
    let lines: Vec<&str> = text.lines().collect();
    let escape = escape_char(&lines);
    let mut out = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut joined = String::new();
        loop {
            let t = lines[i].trim_end();
            let cont = t.ends_with(escape);
            let part = if cont {
                &t[..t.len() - escape.len_utf8()]
            } else {
                t
            };
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(part.trim_start());
            i += 1;
            if !cont {
                break;
            }
            // Comment and empty lines inside a continuation are skipped, as docker does.
            while i < lines.len()
                && (lines[i].trim().starts_with('#') || lines[i].trim().is_empty())
            {
                i += 1;
            }
            if i >= lines.len() {
                break;
            }
        }
        i = heredocs(&lines, i, &mut joined);
        let (kw, args) = match joined.find(char::is_whitespace) {
            Some(p) => (&joined[..p], joined[p..].trim()),
            None => (joined.as_str(), ""),
        };
        let keyword = kw.to_ascii_uppercase();
        if keyword == "FROM" {
            stages.push(from_stage(args));
        }
        let stage = stages.len().checked_sub(1);
        if let Some(si) = stage {
            if keyword == "COPY" || keyword == "RUN" || keyword == "ADD" {
                for cap in from_re().captures_iter(args) {
                    stages[si].deps.push(cap[1].to_ascii_lowercase());
                }
            }
        }
        out.push(Instr {
            keyword,
            args: args.to_string(),
            line: start + 1,
            end_line: i.max(start + 1),
            stage,
        });
    }
    Dockerfile {
        instrs: out,
        stages,
    }
}

/// The escape character: `\`, or what a `# escape=` parser directive sets. Directives come first,
/// before any instruction or other comment.
fn escape_char(lines: &[&str]) -> char {
    let mut escape = '\\';
    for l in lines {
        let t = l.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim();
        if let Some(v) = d
            .strip_prefix("escape=")
            .or_else(|| d.strip_prefix("escape ="))
        {
            if let Some(c) = v.trim().chars().next() {
                escape = c;
            }
        } else if !d.contains('=') {
            break;
        }
    }
    escape
}

/// Appends the bodies of the heredocs `joined` opens (`RUN <<EOF` ... `EOF`, `<<-EOF` with leading
/// tabs stripped from the delimiter line) from `lines[i..]`; returns the index after the last body.
fn heredocs(lines: &[&str], mut i: usize, joined: &mut String) -> usize {
    let words: Vec<(bool, String)> = heredoc_re()
        .captures_iter(joined)
        .map(|cap| {
            let word = cap.get(2).or(cap.get(3)).or(cap.get(4));
            (
                cap.get(1).is_some(),
                word.map_or("", |m| m.as_str()).to_string(),
            )
        })
        .collect();
    for (dash, word) in words {
        while i < lines.len() {
            let l = lines[i];
            i += 1;
            let cmp = if dash {
                l.trim_start_matches('\t').trim_end()
            } else {
                l.trim_end()
            };
            if cmp == word {
                break;
            }
            joined.push('\n');
            joined.push_str(l);
        }
    }
    i
}

/// The stage a `FROM [--platform=...] base [AS name]` opens.
fn from_stage(args: &str) -> Stage {
    let words = words(args);
    let words: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
    let base = words.first().map(|s| s.to_string()).unwrap_or_default();
    let name = match words.as_slice() {
        [_, a, n, ..] if a.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
        _ => None,
    };
    Stage {
        name,
        deps: vec![base.to_ascii_lowercase()],
    }
}

fn heredoc_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r#"<<(-)?(?:"([A-Za-z_][A-Za-z0-9_]*)"|'([A-Za-z_][A-Za-z0-9_]*)'|([A-Za-z_][A-Za-z0-9_]*))"#).unwrap())
}

fn from_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)(?:--from=|[,\s]from=)([^\s,]+)").unwrap())
}

/// Stands in for `#` while shlex splits: a Dockerfile has no comments inside an instruction, but
/// shlex (like a shell) drops a word that starts with `#` and the rest of its line.
const HASH: char = '\u{E000}';

/// Shell-like word splitting of instruction arguments: whitespace separates, quotes group, a
/// backslash escapes (inside double quotes only `$`, `` ` ``, `"` and `\`, as BuildKit does).
/// Unterminated quotes or a trailing backslash, which BuildKit rejects, are closed or dropped so the
/// rest is still read.
pub(crate) fn words(s: &str) -> Vec<String> {
    let protect = s.contains('#') && !s.contains(HASH);
    let input = if protect {
        s.replace('#', &HASH.to_string())
    } else {
        s.to_string()
    };
    let base = input.strip_suffix('\\').unwrap_or(&input);
    let split = shlex::split(&input)
        .or_else(|| shlex::split(base))
        .or_else(|| shlex::split(&format!("{base}\"")))
        .or_else(|| shlex::split(&format!("{base}'")))
        .unwrap_or_else(|| input.split_whitespace().map(str::to_string).collect());
    if protect {
        split.into_iter().map(|w| w.replace(HASH, "#")).collect()
    } else {
        split
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_and_heredocs() {
        let d = parse(
            "FROM a\nRUN echo 1 \\\n  # comment\n  && echo 2\nRUN <<EOF\necho hi\nEOF\nENV A=b\n",
        );
        assert_eq!(
            d.instrs
                .iter()
                .map(|i| (i.line, i.end_line))
                .collect::<Vec<_>>(),
            vec![(1, 1), (2, 4), (5, 7), (8, 8)]
        );
        assert_eq!(d.instrs[2].args, "<<EOF\necho hi");
    }

    #[test]
    fn escape_directive_and_stages() {
        let d = parse("# escape=`\nFROM golang AS build\nRUN a `\n  b\nFROM alpine\nCOPY --from=build /x /x\nFROM scratch AS unused\n");
        assert_eq!(d.instrs[1].args, "a  b");
        assert_eq!(d.stages.len(), 3);
        assert_eq!(d.stage_label(0), "build");
        assert_eq!(d.stage_label(1), "1");
        // The last stage (`unused`) builds on scratch only.
        assert_eq!(d.reachable(), HashSet::from([2]));
        let d = parse("FROM golang AS build\nFROM alpine\nCOPY --from=build /x /x\n");
        assert_eq!(d.reachable(), HashSet::from([0, 1]));
    }

    #[test]
    fn words_like_buildkit() {
        let w = |s: &str| words(s);
        assert_eq!(
            w("A=1 B=\"two words\" C='x y'"),
            ["A=1", "B=two words", "C=x y"]
        );
        assert_eq!(w(r"a\ b c"), ["a b", "c"]);
        assert_eq!(w(r#""a\"b" "c\d""#), [r#"a"b"#, r"c\d"]);
        assert_eq!(w("KEY=#notacomment #x y"), ["KEY=#notacomment", "#x", "y"]);
        assert_eq!(w("''"), [""]);
        // What BuildKit rejects is still read.
        assert_eq!(w("A=\"open"), ["A=open"]);
        assert_eq!(w("A='open"), ["A=open"]);
        assert_eq!(w("a b\\"), ["a", "b"]);
    }
}
