//! Listing the history: every commit (with its message, [`super::message`]), tree and blob of the
//! chosen revisions once, each blob with the first path it was seen at, and `?<oid>` for every object
//! the history names but the repository lacks: blobs, trees and commits alike.
//!
//! When the object store is read in process, git lists the commits (`git rev-list` with the message
//! format, no `--objects`) and what the refs name besides commits (`--objects --max-count=0`: tags,
//! and the trees and blobs a ref points at), and the commits' trees are walked here, as they come,
//! on a thread of their own ([`objects`]), in git's order and with git's paths. Otherwise, or from
//! where that walk meets something git would read otherwise, one `git rev-list --objects
//! --missing=print` lists everything; `NHISCAN_GIT_LIST=git` asks for that. The git runs and the
//! walk beside them are [`run`]'s; what is listed, and how a line of git's is told a tree or a
//! blob, is here.
//!
//! Why not `--filter=object:type=blob`, which lists only blobs: with it, git skips a missing tree
//! without a word (its filter never shows trees, and only shown objects are checked), so the files
//! under it vanish and a repository whose only root tree is gone scans as "0 files, complete".
//! Without the filter git walks the same trees and prints their ids too (redis: 91,126 tree lines
//! besides 70,405 blobs, 0.84 → 0.97 CPU-s for git and the pipe), and tells trees from blobs here,
//! from the order git prints them in: a tree is printed just before its entries, so a line whose
//! next line lies under its path is a tree. A tree whose entries were all printed before has no such next line;
//! when its path is a known directory it is asked about (`cat-file --batch-check`, redis: 13,703 of
//! them, 0.05 CPU-s), otherwise it goes to the reader, which drops anything that is not a blob.
//! A blob is never taken for a tree: git prints nothing under a path before the tree at that path.
//! A walk git cannot format (it met a commit the repository lacks, see [`super::message`]) is
//! listed again without the messages, which the readers then read from the commit objects.

use std::collections::HashSet;

use anyhow::Result;

mod objects;
mod run;

use super::message::{Framing, Message};
use super::reader::{object_types, BlobRef};
use super::repo::Repo;

/// Commit messages per hand-over to the scanning threads.
const MESSAGES_PER_SEND: usize = 256;

/// The commits and blobs of the object store (`--all-objects`), reachable or not.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    pub commits: Vec<String>,
    pub blobs: Vec<String>,
}

/// Every commit and blob in the repository's object store (packs, loose objects, alternates).
pub(crate) fn all_objects(repo: &Repo) -> Result<Objects> {
    let out = repo.output(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(objecttype)",
        "--unordered",
    ])?;
    let mut o = Objects::default();
    for line in String::from_utf8_lossy(&out).lines() {
        match line.split_once(' ') {
            Some((oid, "commit")) => o.commits.push(oid.to_string()),
            Some((oid, "blob")) => o.blobs.push(oid.to_string()),
            _ => {}
        }
    }
    Ok(o)
}

/// Where the listing hands what it finds, as it finds it.
pub(crate) struct Sink<'a> {
    /// Runs of blobs to read.
    pub blobs: &'a mut dyn FnMut(Vec<BlobRef>),
    /// Commit messages to scan.
    pub messages: &'a mut dyn FnMut(Vec<Message>),
}

/// A commit as the listing walked it: what [`super::touching`] needs of it.
#[derive(Debug)]
pub(crate) struct Walked {
    /// Its id.
    pub sha: String,
    /// Its tree's id.
    pub tree: String,
    /// Its parents' ids separated by a space, as git sees them (grafts and the shallow boundary
    /// applied).
    pub parents: String,
}

/// What listing the history leaves for provenance and the report.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Objects the history names but the repository lacks (blobs, trees, commits).
    pub missing: Vec<String>,
    /// The commits of the scanned revisions in the order git walked them; None when the walk did not
    /// print them all (a damaged history).
    pub commits: Option<Vec<Walked>>,
    /// True when the extra commits were walked; false when they could not be (a damaged
    /// unreachable commit): their blobs were then listed with no path.
    pub walked_more: bool,
    /// Why the walk of the scanned revisions stopped early (a corrupt object): git's message. What
    /// was listed before is scanned.
    pub failed: Option<String>,
}

/// Blobs and commit messages reachable from `revs`, each once, blobs with the first path each was
/// seen at, handed to `sink` (blobs in runs of `size`) as `git rev-list` lists them. Then
/// (`--all-objects`) those of the commits `more` that `revs` do not reach (`more` go to git on its
/// standard input, so thousands of them hit no argument limit), marked unreachable; then the blobs
/// of `loose` no commit names, with no path. When `more` cannot be walked (a damaged unreachable
/// commit), `warn` is told and their blobs come with `loose`.
pub(crate) fn list_blobs(
    repo: &Repo,
    revs: &[String],
    more: &[String],
    loose: &[String],
    size: usize,
    sink: &mut Sink<'_>,
    warn: &dyn Fn(&str),
) -> Listing {
    let mut w = Walk::new(size);
    let framing = Framing::new();
    let failed = w.walk_both(repo, revs, &[], &framing, sink).err();
    // The walk's commits in order, when git printed every one of them.
    let commits = (failed.is_none() && !w.unframed).then(|| std::mem::take(&mut w.commits));
    w.reachable = false;
    let mut walked_more = false;
    if !more.is_empty() {
        match w.walk_both(repo, &not(revs), more, &framing, sink) {
            Ok(()) => walked_more = true,
            Err(e) => warn(&format!(
                "{e}; unreachable commits are left out, their blobs are scanned without path or commit"
            )),
        }
    }
    for oid in loose {
        w.push(oid, "", sink);
    }
    if !w.cur.is_empty() {
        (sink.blobs)(std::mem::take(&mut w.cur));
    }
    Listing {
        missing: w.missing,
        commits,
        walked_more,
        failed: failed.map(|e| format!("{e:#}")),
    }
}

/// The first 64 bits of an object id given in hex.
fn id64(oid: &str) -> u64 {
    u64::from_str_radix(&oid[..oid.len().min(16)], 16).unwrap_or(0)
}

/// The commits `revs` do not reach, as rev-list arguments (`--not REVS`).
pub(crate) fn not(revs: &[String]) -> Vec<String> {
    std::iter::once("--not".to_string())
        .chain(revs.iter().cloned())
        .collect()
}

/// The state of a listing: what was listed, what is missing, the batch being filled.
struct Walk {
    seen: HashSet<String>,
    /// The commits whose messages git printed, by the first 64 bits of their id (a history has
    /// far fewer commits than it takes to collide; linux: 1.3 M), for a second walk to skip.
    printed: HashSet<u64>,
    missing: Vec<String>,
    cur: Vec<BlobRef>,
    size: usize,
    /// Whether the blobs listed now are reachable from the scanned refs.
    reachable: bool,
    /// Paths known to be directories somewhere in the history.
    dirs: HashSet<String>,
    /// The last object line, a tree or a blob until the next line tells.
    pending: Option<(String, String)>,
    /// Childless lines at directory paths: trees, unless `cat-file` says otherwise.
    maybe_trees: Vec<(String, String)>,
    messages: Vec<Message>,
    /// The reachable commits whose messages git printed, in order.
    commits: Vec<Walked>,
    /// True when git could not print the messages and the commits were listed by id.
    unframed: bool,
}

impl Walk {
    /// A listing that hands blobs over in runs of `size`.
    fn new(size: usize) -> Walk {
        Walk {
            seen: HashSet::new(),
            printed: HashSet::new(),
            missing: Vec::new(),
            cur: Vec::with_capacity(size.min(1 << 16)),
            size,
            reachable: true,
            dirs: HashSet::new(),
            pending: None,
            maybe_trees: Vec::new(),
            messages: Vec::new(),
            commits: Vec::new(),
            unframed: false,
        }
    }

    fn push(&mut self, oid: &str, path: &str, sink: &mut Sink<'_>) {
        self.push_ref(oid, path, false, sink);
    }

    /// A blob to read, or a commit whose message is to be read.
    fn push_ref(&mut self, oid: &str, path: &str, commit: bool, sink: &mut Sink<'_>) {
        if !self.seen.insert(oid.to_string()) {
            return;
        }
        self.cur.push(BlobRef {
            oid: oid.to_string(),
            path: path.to_string(),
            reachable: self.reachable,
            commit,
        });
        if self.cur.len() >= self.size {
            let size = self.size;
            (sink.blobs)(std::mem::replace(&mut self.cur, Vec::with_capacity(size)));
        }
    }

    /// One object line: it decides what the previous one was.
    fn object(&mut self, oid: &str, path: &str, sink: &mut Sink<'_>) {
        if let Some((p_oid, p_path)) = self.pending.take() {
            let under = !p_path.is_empty()
                && path.len() > p_path.len()
                && path.as_bytes()[p_path.len()] == b'/'
                && path.starts_with(p_path.as_str());
            if under {
                self.dirs.insert(p_path);
            } else {
                self.leaf(&p_oid, &p_path, sink);
            }
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            if !self.dirs.contains(parent) {
                let mut p = parent;
                loop {
                    self.dirs.insert(p.to_string());
                    match p.rsplit_once('/') {
                        Some((up, _)) if !self.dirs.contains(up) => p = up,
                        _ => break,
                    }
                }
            }
        }
        self.pending = Some((oid.to_string(), path.to_string()));
    }

    /// An object line with nothing printed under it: a blob, a tree whose entries were all seen,
    /// or a tag object (named by its tag).
    fn leaf(&mut self, oid: &str, path: &str, sink: &mut Sink<'_>) {
        if path.is_empty() {
            // A root tree.
            return;
        }
        if self.dirs.contains(path) {
            self.maybe_trees.push((oid.to_string(), path.to_string()));
        } else {
            self.push(oid, path, sink);
        }
    }

    /// The end of one rev-list's output: the last line, and the childless lines at directory
    /// paths, which are asked about.
    fn settle(&mut self, repo: &Repo, sink: &mut Sink<'_>) {
        if let Some((oid, path)) = self.pending.take() {
            self.leaf(&oid, &path, sink);
        }
        if !self.messages.is_empty() {
            (sink.messages)(std::mem::take(&mut self.messages));
        }
        let maybe = std::mem::take(&mut self.maybe_trees);
        if maybe.is_empty() {
            return;
        }
        let oids: Vec<String> = maybe.iter().map(|(o, _)| o.clone()).collect();
        let types = object_types(repo, &oids);
        for (i, (oid, path)) in maybe.iter().enumerate() {
            // Unknown (the check failed): read it; the reader drops what is not a blob.
            let t = types.as_ref().and_then(|t| t.get(i)).map(String::as_str);
            if matches!(t, None | Some("blob")) {
                self.push(oid, path, sink);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (oid, path) pairs.
    type Pairs = Vec<(String, String)>;

    /// Runs the classification on listing lines; returns the blobs and the lines left to ask about.
    fn classify(lines: &[&str]) -> (Pairs, Pairs) {
        let mut w = Walk::new(usize::MAX);
        let (mut b, mut m) = (|_: Vec<BlobRef>| {}, |_: Vec<Message>| {});
        let mut sink = Sink {
            blobs: &mut b,
            messages: &mut m,
        };
        for l in lines {
            let (oid, path) = l.split_once(' ').unwrap();
            w.object(oid, path, &mut sink);
        }
        if let Some((oid, path)) = w.pending.take() {
            w.leaf(&oid, &path, &mut sink);
        }
        let blobs = w
            .cur
            .iter()
            .map(|b| (b.oid.clone(), b.path.clone()))
            .collect();
        (blobs, w.maybe_trees)
    }

    fn pairs(v: &[(&str, &str)]) -> Pairs {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn trees_are_told_from_blobs_by_what_follows_them() {
        let (blobs, ask) = classify(&[
            "r1 ",         // root tree
            "t1 d",        // tree: d/e follows
            "t2 d/e",      // tree: d/e/x follows
            "b1 d/e/x",    // blob
            "b2 d/f",      // blob
            "b3 dx",       // blob: dx is not under d
            "r2 ",         // another root tree
            "t3 d",        // a tree whose entries were all seen: a known directory, asked about
            "b4 d.txt",    // blob
            "g1 v1.0",     // a tag object: read, and dropped by the reader
            "b5 new/deep", // blob; new/ becomes a known directory
        ]);
        assert_eq!(
            blobs,
            pairs(&[
                ("b1", "d/e/x"),
                ("b2", "d/f"),
                ("b3", "dx"),
                ("b4", "d.txt"),
                ("g1", "v1.0"),
                ("b5", "new/deep"),
            ])
        );
        assert_eq!(ask, pairs(&[("t3", "d")]));
    }
}
