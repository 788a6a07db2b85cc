//! What the commits of a range add, line by line (`--since`, `--range`): `git log -p --cc -U0` over
//! the range's commits, parsed with the staged source's diff parser. For each new blob, the union of
//! the line ranges that the range's commits add to it. A merge adds a line only if the line is new
//! relative to every parent (the combined diff's `++` lines); otherwise it came from one side, whose
//! own commit, in the range or not, is what added it. Only findings on those lines count, as for
//! `nhiscan staged`.
//!
//! `--cc` rather than `-m`: diffing a merge against each parent repeats the whole merged branch
//! against the first parent (redis `--since 7.0.0`: 67 MB of diff for 13 merges, against 16 MB).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read as _};

use anyhow::{Context as _, Result};

use super::message::{Framing, Line, Message, Records};
use super::reader::BlobRef;
use super::repo::{first_line, spawn_fed, Repo};
use crate::source::diff::{Change, DiffParser};

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
    /// The messages of the range's commits: every line of a message is the commit's own.
    pub messages: Vec<Message>,
    /// Commits whose messages git could not print with the list: read from the objects.
    pub unread: Vec<String>,
    /// Commits of the range the repository lacks.
    pub missing: Vec<String>,
    /// Submodules (gitlinks) the range's commits change: nothing here to scan.
    pub submodules: Vec<String>,
    /// Commits whose changes git could not read (a missing tree or blob), and why.
    pub failed: Vec<(String, String)>,
}

/// The commits of a range as `git rev-list` lists them.
struct Commits {
    /// With their messages (listed with the framing).
    messages: Vec<Message>,
    /// By id only (listed without it).
    ids: Vec<String>,
    /// The ones the repository lacks.
    missing: Vec<String>,
}

/// Commits per `git log` process at least: below that, one process is cheaper than starting more.
const MIN_COMMITS_PER_LOG: usize = 64;

/// Commits whose changes cannot be read, at most, before the rest of a run is given up on.
const MAX_FAILED: usize = 100;

impl Added {
    /// Reads the diffs of the commits `revs` selects (rev-list arguments such as `A..B`), split into
    /// up to `procs` contiguous runs diffed by as many `git log` processes: diffing is the cost
    /// here, and git's is single-threaded (redis `--since 7.0.0`, 1,139 commits: 1.5 s for one
    /// process, 1.0 s for two on two busy cores). The commits' messages come with the list of
    /// commits (one `git rev-list`).
    pub(crate) fn read(repo: &Repo, revs: &[String], procs: usize) -> Result<Added> {
        let framing = Framing::new();
        let Commits {
            messages,
            ids: to_read,
            missing,
        } = Added::commits(repo, revs, Some(&framing))
            .or_else(|_| Added::commits(repo, revs, None))?;
        let commits: Vec<String> = messages
            .iter()
            .map(|m| m.sha.clone())
            .chain(to_read.iter().cloned())
            .collect();
        let procs = procs
            .min(commits.len().div_ceil(MIN_COMMITS_PER_LOG))
            .max(1);
        let run = commits.len().div_ceil(procs).max(1);
        let parts: Vec<Result<Added>> = std::thread::scope(|s| {
            let handles: Vec<_> = commits
                .chunks(run)
                .map(|chunk| s.spawn(move || Added::logs(repo, chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("git log reader panicked"))
                .collect()
        });
        let mut added = Added::default();
        for part in parts {
            added.merge(part?);
        }
        added.finish();
        added.messages = messages;
        added.unread = to_read;
        added.missing = missing;
        Ok(added)
    }

    /// The commits `revs` selects, with their messages (`framing`), or (None, when git cannot
    /// format a commit the range lacks) their ids, whose messages are then read from the objects;
    /// and the commits the repository lacks.
    fn commits(repo: &Repo, revs: &[String], framing: Option<&Framing>) -> Result<Commits> {
        let mut args = vec!["rev-list".to_string(), "--missing=print".into()];
        if let Some(f) = framing {
            args.extend(["--no-commit-header".into(), f.arg().to_string()]);
        }
        args.extend(revs.iter().cloned());
        args.push("--".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = repo.output(&args)?;
        let mut records = framing.map(|f| Records::new(f.clone(), true));
        let (mut messages, mut ids, mut missing) = (Vec::new(), Vec::new(), Vec::new());
        for l in out.split(|&b| b == b'\n') {
            match records.as_mut().map_or(Line::Object, |r| r.line(l)) {
                Line::Done(m) => messages.push(m),
                Line::Taken => {}
                Line::Object => match l.strip_prefix(b"?") {
                    Some(oid) => missing.push(String::from_utf8_lossy(oid).into_owned()),
                    None if !l.is_empty() => ids.push(String::from_utf8_lossy(l).into_owned()),
                    None => {}
                },
            }
        }
        // A walk that meets a missing commit lists it too: there is nothing of it to diff or read.
        ids.retain(|c| !missing.contains(c));
        Ok(Commits {
            messages,
            ids,
            missing,
        })
    }

    /// The diffs of `commits`, from as few `git log` processes as the repository allows: one, unless
    /// git stops at a commit it cannot diff (a missing tree or blob). Then that commit is recorded as
    /// failed and the rest goes on from the next one. git prints a commit's marker after reading
    /// its trees but before reading its blobs, so the commit that stopped it is the one after the
    /// last marker, or the last one itself (then it fails again alone).
    fn logs(repo: &Repo, commits: &[String]) -> Result<Added> {
        let mut added = Added::default();
        let mut start = 0;
        while start < commits.len() {
            if added.failed.len() >= MAX_FAILED {
                let rest = commits.len() - start;
                added.failed.push((
                    commits[start].clone(),
                    format!(
                        "{rest} commits from this one on were not read after {MAX_FAILED} failures"
                    ),
                ));
                break;
            }
            let (marked, stopped) = added.log(repo, &commits[start..])?;
            let Some(why) = stopped else { break };
            if marked == 0 {
                added.failed.push((commits[start].clone(), why));
                start += 1;
                continue;
            }
            let last = start + marked - 1;
            if let (_, Some(why)) = added.log(repo, &commits[last..=last])? {
                added.failed.push((commits[last].clone(), why));
            }
            start = last + 1;
        }
        Ok(added)
    }

    /// The diffs of `commits` (each one alone, in the order given) from one `git log` process, added
    /// to these; returns how many commits it began to print, and git's message if it stopped early.
    fn log(&mut self, repo: &Repo, commits: &[String]) -> Result<(usize, Option<String>)> {
        let mut cmd = repo.git();
        cmd.args([
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "-p",
            "--cc",
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
            "--format=%x01%H",
            "--",
        ]);
        let (mut child, writer) = spawn_fed(&mut cmd, commits, "log")?;
        let mut stderr = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let parsed = self.parse(BufReader::with_capacity(
            1 << 16,
            child.stdout.take().expect("piped"),
        ));
        let status = child.wait().context("git log")?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stderr = errs.join().unwrap_or_default();
        let marked = parsed.context("cannot read git log output")?;
        Ok((marked, (!status.success()).then(|| first_line(&stderr))))
    }

    /// Parses the log: a `\x01<commit>` line before each commit's diff. Returns how many commits
    /// it had.
    fn parse(&mut self, mut r: impl BufRead) -> std::io::Result<usize> {
        let mut parser = DiffParser::default();
        let mut line = Vec::new();
        let mut marked = 0;
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let l = line.strip_suffix(b"\n").unwrap_or(&line);
            let done = if !parser.in_hunk() && l.first() == Some(&1) {
                marked += 1;
                parser.finish()
            } else {
                parser.line(l)
            };
            if let Some(c) = done {
                self.add(c);
            }
        }
        if let Some(c) = parser.finish() {
            self.add(c);
        }
        Ok(marked)
    }

    /// Adds what a later run of commits added.
    fn merge(&mut self, other: Added) {
        for b in other.blobs {
            let lines = other.lines.get(&b.oid).cloned().unwrap_or_default();
            self.add_lines(b, lines);
        }
        for b in other.binary {
            self.add_binary(b);
        }
        for p in other.submodules {
            if !self.submodules.contains(&p) {
                self.submodules.push(p);
            }
        }
        self.failed.extend(other.failed);
    }

    /// Sorts and merges each blob's ranges; a blob with added lines somewhere is scanned on them,
    /// even if git also diffed it as binary.
    fn finish(&mut self) {
        for r in self.lines.values_mut() {
            normalize(r);
        }
        let lines = &self.lines;
        self.binary.retain(|b| !lines.contains_key(&b.oid));
    }

    /// One file of one commit.
    fn add(&mut self, c: Change) {
        if c.submodule {
            // Another repository's commit: nothing of this repository to scan, but said so.
            if !self.submodules.contains(&c.path) {
                self.submodules.push(c.path);
            }
            return;
        }
        let b = BlobRef {
            oid: c.blob,
            path: c.path,
            reachable: true,
            commit: false,
        };
        if c.binary {
            self.add_binary(b);
        } else if !c.added.is_empty() {
            self.add_lines(b, c.added);
        }
    }

    fn add_lines(&mut self, b: BlobRef, lines: Ranges) {
        match self.lines.get_mut(&b.oid) {
            Some(r) => r.extend(lines),
            None => {
                self.lines.insert(b.oid.clone(), lines);
                self.blobs.push(b);
            }
        }
    }

    fn add_binary(&mut self, b: BlobRef) {
        if self.binary_seen.insert(b.oid.clone()) {
            self.binary.push(b);
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
            // A merge's combined diff: line 4 is new relative to both parents, line 1 only to the
            // second, line 6 only to the first; a removed line of each parent.
            format!(
                "\x01cccc\n\ndiff --cc f\nindex {o},{o}..{m}\n--- a/f\n+++ b/f\n@@@ -1,1 -1,0 +1,1 @@@\n +x\n@@@ -3,1 -3,1 +4,1 @@@\n- gone\n -gone too\n++evil\n@@@ -6,0 -6,1 +6,1 @@@\n+ feat\n",
                o = blob(b'1')
            ),
            // An ordinary commit: what it adds, unioned with another commit's lines of the same blob;
            // `++ x` added shows as `+++ x`.
            "\x01dddd\n\n".to_string(),
            file("g", &f, "@@ -0,0 +1,2 @@\n+a\n+++ b\n"),
            "\x01eeee\n\n".to_string(),
            file("g2", &f, "@@ -2,0 +3 @@\n+c\n@@ -7,0 +8 @@\n+d\n"),
            file("bin", &x, "Binary files a/bin and b/bin differ\n"),
        ]
        .concat();
        let mut a = Added::default();
        a.parse(log.as_bytes()).unwrap();
        a.finish();
        let got: Vec<(&str, &str)> = a
            .blobs
            .iter()
            .map(|b| (b.path.as_str(), b.oid.as_str()))
            .collect();
        assert_eq!(got, vec![("f", m.as_str()), ("g", f.as_str())]);
        assert_eq!(a.lines[&m], vec![(4, 4)]);
        assert_eq!(a.lines[&f], vec![(1, 3), (8, 8)]);
        assert_eq!(a.binary.len(), 1);
        assert_eq!(a.binary[0].path, "bin");
    }

    #[test]
    fn ranges_merge() {
        let mut r = vec![(8, 9), (1, 2), (3, 4), (6, 6), (6, 7)];
        normalize(&mut r);
        assert_eq!(r, vec![(1, 4), (6, 9)]);
    }

    #[test]
    fn a_submodule_in_a_merge_has_no_blob() {
        let sub = blob(b'5');
        let log = format!(
            "\x01cccc\n\ndiff --cc sub\nindex {a},{b}..{sub}\n--- a/sub\n+++ b/sub\n@@@ -1,1 -1,1 +1,1 @@@\n- Subproject commit {a}\n -Subproject commit {b}\n++Subproject commit {sub}\n",
            a = blob(b'6'),
            b = blob(b'7')
        );
        let mut a = Added::default();
        a.parse(log.as_bytes()).unwrap();
        a.finish();
        assert!(a.blobs.is_empty(), "{:?}", a.blobs);
        assert_eq!(
            a.submodules,
            vec!["sub"],
            "listed, to be reported as skipped"
        );
    }
}
