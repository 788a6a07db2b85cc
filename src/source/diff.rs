//! Reading `git diff -U0 --full-index` and `git log -p --cc` output: each changed file's new blob and
//! the lines the change adds (for `staged`, and for the commits of `git --since`).

/// One changed file of a diff: its new blob and the line ranges (1-based, inclusive) the change adds.
#[derive(Debug, Default, Clone)]
pub(crate) struct Change {
    pub path: String,
    pub blob: String,
    pub added: Vec<(usize, usize)>,
    pub binary: bool,
    /// A submodule (gitlink): the change is another repository's commit id, not content here.
    pub submodule: bool,
}

/// Reads `git diff -U0 --full-index` or `git log -p --cc` output a line at a time. Hunk bodies are
/// counted out from their `@@ -a,b +c,d @@` header, so a content line that looks like a header (an
/// added `++ x` shows as `+++ x`, a removed `-- x` as `--- x`) is never taken for one, and only `+`
/// lines count as added, whatever context git shows between hunks. A merge's combined diff
/// (`diff --cc`, `@@@ -a,b -c,d +e,f @@@`, one marker column per parent) adds the lines marked `+` in
/// every column: those new relative to every parent.
#[derive(Debug, Default)]
pub(crate) struct DiffParser {
    cur: Option<Change>,
    hunk: Option<Hunk>,
}

/// The rest of the hunk being read.
#[derive(Debug)]
struct Hunk {
    /// Per parent (one for an ordinary diff): its lines still to come.
    old: Vec<usize>,
    /// New-side lines still to come (added and context).
    new: usize,
    /// The new-side number of the next added or context line.
    next: usize,
}

impl Hunk {
    fn done(&self) -> bool {
        self.new == 0 && self.old.iter().all(|&n| n == 0)
    }

    /// Counts one body line; Some(true) when it is an added line, None when it cannot be one.
    fn take(&mut self, line: &[u8]) -> Option<bool> {
        let n = self.old.len();
        // An empty context line (`diff.suppressBlankEmpty`) has no marker columns.
        let marks = line.get(..n).unwrap_or(&[]);
        if marks.iter().any(|m| !matches!(m, b' ' | b'+' | b'-')) {
            return None;
        }
        if marks.contains(&b'-') {
            // Removed: in the parents marked `-`, not in the result.
            for (i, _) in marks.iter().enumerate().filter(|(_, &m)| m == b'-') {
                self.old[i] = self.old[i].checked_sub(1)?;
            }
            return Some(false);
        }
        // In the result, and in every parent marked ` ` (an empty line: in all of them).
        self.new = self.new.checked_sub(1)?;
        for i in 0..n {
            if marks.get(i) != Some(&b'+') {
                self.old[i] = self.old[i].checked_sub(1)?;
            }
        }
        self.next += 1;
        Some(marks.len() == n && marks.iter().all(|&m| m == b'+'))
    }
}

impl DiffParser {
    /// True inside a hunk body: the next line is content, whatever it looks like.
    pub(crate) fn in_hunk(&self) -> bool {
        self.hunk.is_some()
    }

    /// Takes one line (without its newline); returns the previous file's change when this line
    /// starts the next file.
    pub(crate) fn line(&mut self, line: &[u8]) -> Option<Change> {
        let Some(h) = self.hunk.as_mut() else {
            return self.header(line);
        };
        // `\ No newline at end of file`: not a line of either side.
        if line.first() == Some(&b'\\') {
            return None;
        }
        let at = h.next;
        match h.take(line) {
            Some(added) => {
                let c = self.cur.as_mut().expect("a hunk is inside a file");
                if added {
                    match c.added.last_mut() {
                        Some(last) if last.1 + 1 == at => last.1 = at,
                        _ => c.added.push((at, at)),
                    }
                    // A submodule's "content" is `Subproject commit <its id>`: no blob to read.
                    let text = &line[h.old.len()..];
                    if text.strip_prefix(b"Subproject commit ") == Some(c.blob.as_bytes()) {
                        c.blob.clear();
                        c.submodule = true;
                    }
                }
                if h.done() {
                    self.hunk = None;
                }
                None
            }
            // Not a hunk line (a truncated hunk): read it as a header.
            None => {
                self.hunk = None;
                self.header(line)
            }
        }
    }

    /// The last file's change, at the end of the output.
    pub(crate) fn finish(&mut self) -> Option<Change> {
        self.hunk = None;
        // A submodule is kept, to be reported as not scanned; a deletion has nothing to report.
        self.cur.take().filter(|c| c.has_blob() || c.submodule)
    }

    fn header(&mut self, line: &[u8]) -> Option<Change> {
        let path = if let Some(rest) = line.strip_prefix(b"diff --git ") {
            Some(header_path(rest))
        } else {
            // A merge's combined diff names the path once.
            line.strip_prefix(b"diff --cc ")
                .or_else(|| line.strip_prefix(b"diff --combined "))
                .map(|p| unquote(&String::from_utf8_lossy(p)))
        };
        if let Some(path) = path {
            let done = self.finish();
            self.cur = Some(Change {
                path,
                ..Change::default()
            });
            return done;
        }
        let c = self.cur.as_mut()?;
        let text = String::from_utf8_lossy(line);
        if let Some(rest) = text.strip_prefix("index ") {
            // `index OLD..NEW [mode]`, or `index OLD1,OLD2..NEW` in a combined diff.
            let ids = rest.split(' ').next().unwrap_or("");
            c.blob = ids
                .split_once("..")
                .map(|x| x.1.to_string())
                .unwrap_or_default();
            if rest.ends_with(" 160000") {
                c.blob.clear(); // a submodule: its "blob" is a commit
                c.submodule = true;
            }
        } else if let Some(p) = text.strip_prefix("+++ ") {
            if p != "/dev/null" {
                // git ends the name with a tab when it has a space.
                let p = unquote(p.strip_suffix('\t').unwrap_or(p));
                c.path = p.strip_prefix("b/").map_or(p.clone(), str::to_owned);
            }
        } else if text.starts_with("Binary files ") || text == "GIT binary patch" {
            c.binary = true;
        } else if text.starts_with("@@") {
            self.hunk = hunk_header(&text);
        }
        None
    }
}

impl Change {
    /// False for a deletion or a submodule (no new blob to read).
    fn has_blob(&self) -> bool {
        !self.blob.is_empty() && !self.blob.bytes().all(|b| b == b'0')
    }
}

/// `@@ -a[,b] +c[,d] @@ ...` (or `@@@ -a,b -c,d +e,f @@@` for two parents): the hunk that follows,
/// None when it has no lines or does not parse.
fn hunk_header(h: &str) -> Option<Hunk> {
    let ats = h.bytes().take_while(|&b| b == b'@').count();
    let parents = ats.checked_sub(1).filter(|&n| n > 0)?;
    let mut parts = h[ats..].split_whitespace();
    let range = |t: Option<&str>, sign: char| -> Option<(usize, usize)> {
        let t = t?.strip_prefix(sign)?;
        Some(match t.split_once(',') {
            Some((s, n)) => (s.parse().ok()?, n.parse().ok()?),
            None => (t.parse().ok()?, 1),
        })
    };
    let old = (0..parents)
        .map(|_| range(parts.next(), '-').map(|r| r.1))
        .collect::<Option<Vec<usize>>>()?;
    let (start, new) = range(parts.next(), '+')?;
    let hunk = Hunk {
        old,
        new,
        next: start,
    };
    (!hunk.done()).then_some(hunk)
}

/// The path of `diff --git a/P b/P` (the two sides are the same path without renames, so the second
/// half is `b/P`, quoted or not); `+++` replaces it when the file has text hunks.
fn header_path(rest: &[u8]) -> String {
    let rest = String::from_utf8_lossy(rest);
    let n = rest.len();
    let second = if n % 2 == 1 && rest.as_bytes()[n / 2] == b' ' {
        &rest[n / 2 + 1..]
    } else {
        rest.rsplit_once(" b/").map_or("", |x| x.1)
    };
    let p = unquote(second);
    p.strip_prefix("b/").map_or(p.clone(), str::to_owned)
}

/// Parses `git diff --cached -U0 --full-index` output.
pub(crate) fn parse_diff(out: &[u8]) -> Vec<Change> {
    let mut p = DiffParser::default();
    let mut changes: Vec<Change> = Vec::new();
    for line in out.split(|&b| b == b'\n') {
        changes.extend(p.line(line));
    }
    changes.extend(p.finish());
    changes
}

/// Undoes git's C-style quoting of unusual paths (`"a\tb"`).
fn unquote(p: &str) -> String {
    let Some(inner) = p.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return p.to_string();
    };
    let mut out = Vec::new();
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            i += 1;
            match b[i] {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'0'..=b'7' if i + 2 < b.len() => {
                    let oct = std::str::from_utf8(&b[i..i + 3])
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 8).ok());
                    out.push(oct.unwrap_or(b'?'));
                    i += 2;
                }
                c => out.push(c),
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_added_ranges() {
        let d = b"diff --git a/x b/x\nindex 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n--- a/x\n+++ b/x\n@@ -1,0 +2,3 @@\n+a\n+b\n+c\n@@ -9 +12 @@\n-x\n+y\n@@ -20,2 +22,0 @@\n-x\n-y\ndiff --git a/\"t\\tb\" b/\"t\\tb\"\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333\n--- /dev/null\n+++ \"b/t\\tb\"\n@@ -0,0 +1 @@\n+z\n";
        let c = parse_diff(d);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].added, vec![(2, 4), (12, 12)]);
        assert_eq!(c[1].path, "t\tb");
        assert_eq!(c[1].blob, "3333333333333333333333333333333333333333");
    }

    #[test]
    fn content_lines_that_look_like_headers_stay_content() {
        // `++ x` added shows as `+++ x`, `-- y` removed as `--- y`; `diff --git` inside a file too.
        let d = b"diff --git a/x b/x\nindex 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n--- a/x\n+++ b/x\n@@ -3,2 +3,3 @@\n--- y\n-diff --git a/q b/q\n+++ x\n+diff --git a/z b/z\n+@@ -1 +1 @@\n\\ No newline at end of file\n";
        let c = parse_diff(d);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].path, "x");
        assert_eq!(c[0].added, vec![(3, 5)]);
    }

    #[test]
    fn only_plus_lines_count_when_git_shows_context() {
        // diff.interHunkContext or -U1: context lines between added ones are not added.
        let d = b"diff --git a/x b/x\nindex 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644\n--- a/x\n+++ b/x\n@@ -1,3 +1,5 @@\n+a\n ctx\n-old\n+b\n+c\n \n";
        let c = parse_diff(d);
        assert_eq!(c[0].added, vec![(1, 1), (3, 4)]);
    }

    #[test]
    fn paths_come_from_the_header_for_binary_files_and_lose_the_tab_after_spaces() {
        let d = b"diff --git a/b b.bin b/b b.bin\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333\nBinary files /dev/null and b/b b.bin differ\ndiff --git a/sp ace.txt b/sp ace.txt\nnew file mode 100644\nindex 0000000000000000000000000000000000000000..4444444444444444444444444444444444444444\n--- /dev/null\n+++ b/sp ace.txt\t\n@@ -0,0 +1 @@\n+a b\ndiff --git a/gone b/gone\ndeleted file mode 100644\nindex 5555555555555555555555555555555555555555..0000000000000000000000000000000000000000\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        let c = parse_diff(d);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c[0].path.as_str(), c[0].binary), ("b b.bin", true));
        assert_eq!(c[1].path, "sp ace.txt");
        assert_eq!(c[1].added, vec![(1, 1)]);
    }

    #[test]
    fn a_submodule_is_kept_to_be_reported_not_read() {
        // Issue 14.11: a staged gitlink was dropped without a word.
        let d = b"diff --git a/lib b/lib\nnew file mode 160000\nindex 0000000000000000000000000000000000000000..6666666666666666666666666666666666666666\n--- /dev/null\n+++ b/lib\n@@ -0,0 +1 @@\n+Subproject commit 6666666666666666666666666666666666666666\n";
        let c = parse_diff(d);
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(c[0].submodule && c[0].blob.is_empty(), "{c:?}");
        assert_eq!(c[0].path, "lib");
    }
}
