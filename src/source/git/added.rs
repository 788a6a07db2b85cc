//! What the commits of a range add, line by line (`--since`, `--range`): one
//! `git log -p -m -U0` pass over the range, parsed with the staged source's diff parser. For each new
//! blob, the union of the line ranges that the range's commits add to it; a merge adds a line only if
//! the line is new relative to every parent (otherwise it came from one side, whose own commit, in
//! the range or not, is what added it). Only findings on those lines count, as for `nhiscan staged`.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read as _};
use std::process::Stdio;

use anyhow::{bail, Context as _, Result};

use super::reader::BlobRef;
use super::repo::{first_line, Repo};
use crate::source::staged::{Change, DiffParser};

/// 1-based, inclusive line ranges.
pub(crate) type Ranges = Vec<(usize, usize)>;

/// The new blobs of a range, in the order the log first shows them.
#[derive(Debug, Default)]
pub(crate) struct Added {
    /// Blobs with added lines: the first path each was seen at.
    pub blobs: Vec<BlobRef>,
    /// The added lines of each of [`Added::blobs`], by blob id.
    pub lines: HashMap<String, Ranges>,
    /// New blobs git diffs as binary (no lines to tell): skipped.
    pub binary: Vec<BlobRef>,
    binary_seen: HashSet<String>,
}

/// The commit whose diffs are being read.
struct Commit {
    sha: String,
    parents: usize,
    /// Per (path, new blob), in first-seen order: what the parent diffs read so far add.
    changes: Vec<((String, String), Entry)>,
    index: HashMap<(String, String), usize>,
}

/// One file of a commit: in how many parent diffs it changed, and the lines new in all of them.
struct Entry {
    diffs: usize,
    lines: Ranges,
    binary: bool,
}

impl Added {
    /// Reads the diffs of the commits `revs` selects (rev-list arguments such as `A..B`).
    pub(crate) fn read(repo: &Repo, revs: &[String]) -> Result<Added> {
        let mut cmd = repo.git();
        cmd.args([
            "log",
            "-p",
            "-m",
            "--root",
            "-U0",
            "--full-index",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-relative",
            "--no-show-signature",
            "--submodule=short",
            "--diff-filter=ACMRT",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--format=%x01%H %P",
        ]);
        cmd.args(revs).arg("--");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run git log")?;
        let mut stderr = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let mut added = Added::default();
        let parsed = added.parse(BufReader::with_capacity(
            1 << 16,
            child.stdout.take().expect("piped"),
        ));
        let status = child.wait().context("git log")?;
        let stderr = errs.join().unwrap_or_default();
        if !status.success() {
            bail!(
                "cannot read the commits of {} in {}: {}",
                revs.join(" "),
                repo.path.display(),
                first_line(&stderr)
            );
        }
        parsed.context("cannot read git log output")?;
        Ok(added)
    }

    /// Parses the log: `\x01<commit> <parents>` lines, each followed by that commit's diff against
    /// one parent (a merge comes once per parent, in a row).
    fn parse(&mut self, mut r: impl BufRead) -> std::io::Result<()> {
        let mut parser = DiffParser::default();
        let mut commit: Option<Commit> = None;
        let mut line = Vec::new();
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            if !parser.in_hunk() {
                if let Some(marker) = l.strip_prefix(b"\x01") {
                    if let Some(c) = parser.finish() {
                        if let Some(k) = commit.as_mut() {
                            k.add(c);
                        }
                    }
                    let marker = String::from_utf8_lossy(marker);
                    let mut f = marker.split(' ');
                    let sha = f.next().unwrap_or("").to_string();
                    let parents = f.filter(|p| !p.is_empty()).count();
                    // A merge comes once per parent, in a row: the same commit goes on.
                    if commit.as_ref().is_none_or(|k| k.sha != sha) {
                        if let Some(done) = commit.take() {
                            self.commit(done);
                        }
                        commit = Some(Commit {
                            sha,
                            parents,
                            changes: Vec::new(),
                            index: HashMap::new(),
                        });
                    }
                    continue;
                }
            }
            if let Some(c) = parser.line(l) {
                if let Some(k) = commit.as_mut() {
                    k.add(c);
                }
            }
        }
        if let Some(c) = parser.finish() {
            if let Some(k) = commit.as_mut() {
                k.add(c);
            }
        }
        if let Some(done) = commit.take() {
            self.commit(done);
        }
        for r in self.lines.values_mut() {
            normalize(r);
        }
        // A blob with added lines somewhere is scanned on them, even if git also diffed it as binary.
        let lines = &self.lines;
        self.binary.retain(|b| !lines.contains_key(&b.oid));
        Ok(())
    }

    /// Adds what one commit added (for a merge: what is new relative to every parent).
    fn commit(&mut self, k: Commit) {
        for ((path, oid), e) in k.changes {
            // A merge identical to one of its parents at this path adds nothing there.
            if k.parents > 1 && e.diffs < k.parents {
                continue;
            }
            if e.binary {
                if self.binary_seen.insert(oid.clone()) {
                    self.binary.push(BlobRef {
                        oid,
                        path,
                        reachable: true,
                    });
                }
                continue;
            }
            if e.lines.is_empty() {
                continue;
            }
            match self.lines.get_mut(&oid) {
                Some(r) => r.extend(e.lines),
                None => {
                    self.lines.insert(oid.clone(), e.lines);
                    self.blobs.push(BlobRef {
                        oid,
                        path,
                        reachable: true,
                    });
                }
            }
        }
    }
}

impl Commit {
    /// One file of one parent diff.
    fn add(&mut self, c: Change) {
        let key = (c.path, c.blob);
        match self.index.get(&key) {
            Some(&i) => {
                let e = &mut self.changes[i].1;
                e.diffs += 1;
                e.lines = intersect(&e.lines, &c.added);
                e.binary &= c.binary;
            }
            None => {
                self.index.insert(key.clone(), self.changes.len());
                self.changes.push((
                    key,
                    Entry {
                        diffs: 1,
                        lines: c.added,
                        binary: c.binary,
                    },
                ));
            }
        }
    }
}

/// Sorts and merges overlapping or adjacent ranges.
fn normalize(r: &mut Ranges) {
    r.sort_unstable();
    let mut out: Ranges = Vec::with_capacity(r.len());
    for &(a, b) in r.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *r = out;
}

/// The lines in both `a` and `b` (each sorted and disjoint, as the diff parser makes them).
fn intersect(a: &Ranges, b: &Ranges) -> Ranges {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let lo = a[i].0.max(b[j].0);
        let hi = a[i].1.min(b[j].1);
        if lo <= hi {
            out.push((lo, hi));
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(n: u8) -> String {
        char::from(n).to_string().repeat(40)
    }

    fn file(path: &str, new: &str, hunks: &str) -> String {
        format!(
            "diff --git a/{path} b/{path}\nindex {}..{new} 100644\n--- a/{path}\n+++ b/{path}\n{hunks}",
            blob(b'1')
        )
    }

    #[test]
    fn a_merge_adds_only_lines_new_relative_to_every_parent() {
        let (m, f, x) = (blob(b'a'), blob(b'b'), blob(b'c'));
        let log = [
            // The merge against its first parent: lines 1, 4 and 5 are new; against the second:
            // lines 4 and 9. Only line 4 is new relative to both. `other` is identical to the
            // second parent: nothing new there.
            "\x01cccc p1 p2\n".to_string(),
            file(
                "f",
                &m,
                "@@ -0,0 +1 @@\n+x\n@@ -2,0 +4,2 @@\n+evil\n+feat\n",
            ),
            file("other", &x, "@@ -0,0 +1 @@\n+o\n"),
            "\x01cccc p1 p2\n".to_string(),
            file("f", &m, "@@ -3,0 +4 @@\n+evil\n@@ -8,0 +9 @@\n+z\n"),
            // An ordinary commit: what it adds, unioned with another commit's lines of the same blob.
            "\x01dddd p0\n".to_string(),
            file("g", &f, "@@ -0,0 +1,2 @@\n+a\n+b\n"),
            "\x01eeee p9\n".to_string(),
            file("g2", &f, "@@ -2,0 +3 @@\n+c\n@@ -7,0 +8 @@\n+d\n"),
        ]
        .concat();
        let mut a = Added::default();
        a.parse(log.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = a
            .blobs
            .iter()
            .map(|b| (b.path.as_str(), b.oid.as_str()))
            .collect();
        assert_eq!(got, vec![("f", m.as_str()), ("g", f.as_str())]);
        assert_eq!(a.lines[&m], vec![(4, 4)]);
        assert_eq!(a.lines[&f], vec![(1, 3), (8, 8)]);
        assert!(a.binary.is_empty());
    }

    #[test]
    fn ranges_intersect_and_merge() {
        assert_eq!(
            intersect(&vec![(1, 5), (8, 10)], &vec![(3, 9), (10, 12)]),
            vec![(3, 5), (8, 9), (10, 10)]
        );
        let mut r = vec![(8, 9), (1, 2), (3, 4), (6, 6)];
        normalize(&mut r);
        assert_eq!(r, vec![(1, 4), (6, 6), (8, 9)]);
    }
}
