//! Listing the history: every commit (with its message, [`super::message`]), tree and blob of the
//! chosen revisions once, each blob with the first path it was seen at, and `?<oid>` for every object
//! the history names but the repository lacks: blobs, trees and commits alike.
//!
//! When the object store is read in process, git lists the commits (`git rev-list` with the message
//! format, no `--objects`) and what the refs name besides commits (`--objects --max-count=0`: tags,
//! and the trees and blobs a ref points at), and the commits' trees are walked here, as they come,
//! on a thread of their own ([`objects`]), in git's order and with git's paths. Otherwise, or from
//! where that walk meets something git would read otherwise, one `git rev-list --objects
//! --missing=print` lists everything; `NHISCAN_GIT_LIST=git` asks for that.
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
use std::io::{BufRead, BufReader, Read as _};

use anyhow::{bail, Context as _, Result};

mod objects;

use super::message::{Framing, Line, Message, Records};
use super::reader::{object_types, BlobRef};
use super::repo::{first_line, spawn_fed, Repo};

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

    /// One walk of `revs`: with the messages printed by git, or, when that fails (git dies
    /// formatting a commit it lacks), again without them, the commits' messages then read by the
    /// readers. What the first pass listed is not listed twice.
    fn walk_both(
        &mut self,
        repo: &Repo,
        revs: &[String],
        more: &[String],
        framing: &Framing,
        sink: &mut Sink<'_>,
    ) -> Result<()> {
        if self.walk(repo, revs, more, Some(framing), sink).is_ok() {
            return Ok(());
        }
        self.unframed = true;
        self.walk(repo, revs, more, None, sink)
    }

    /// One walk of `revs`: the commits (their messages framed by `framing`, or with None listed by
    /// id to be read), then their trees and blobs. The objects are walked in process
    /// ([`objects`]) when the commits are framed, no `more` are asked for and the object store is
    /// read here; otherwise, or when the walk in process meets what git would read otherwise,
    /// `git rev-list --objects` lists them (what was listed before stays listed once).
    fn walk(
        &mut self,
        repo: &Repo,
        revs: &[String],
        more: &[String],
        framing: Option<&Framing>,
        sink: &mut Sink<'_>,
    ) -> Result<()> {
        if let (Some(f), true, Some(odb)) = (framing, more.is_empty(), repo.odb()) {
            if std::env::var("NHISCAN_GIT_LIST").as_deref() != Ok("git")
                && self.walk_in_process(repo, odb, revs, f, sink)?
            {
                return Ok(());
            }
        }
        let mut args = vec!["rev-list", "--objects", "--missing=print"];
        if let Some(f) = framing {
            args.extend(["--no-commit-header", f.arg()]);
        }
        self.run(repo, &args, revs, more, framing, sink, None)
    }

    /// The commits of `revs` listed by git, their objects walked in process on a thread of their
    /// own as the commits come ([`objects`]), so that walk and git's commit walk overlap. False
    /// when the walk stopped at something git would read otherwise: what it listed before stays
    /// listed, with the paths git gives it, and git lists the rest.
    fn walk_in_process(
        &mut self,
        repo: &Repo,
        odb: &super::odb::Odb,
        revs: &[String],
        framing: &Framing,
        sink: &mut Sink<'_>,
    ) -> Result<bool> {
        // The tags, trees and blobs the refs name, which git walks before the commits' trees:
        // listed by git itself.
        let mut named = Notes::default();
        let args = ["rev-list", "--objects", "--missing=print", "--max-count=0"];
        self.run(repo, &args, revs, &[], None, sink, Some(&mut named))?;
        let (trees, walk_trees) = crossbeam_channel::unbounded::<String>();
        let (listed, walk_listed) = crossbeam_channel::unbounded();
        let (commits, walked) = std::thread::scope(|s| {
            let seen = std::mem::take(&mut named.ids);
            let walker = s.spawn(move || objects::walk(odb, &seen, &walk_trees, &listed));
            let mut notes = Notes {
                ids: Vec::new(),
                trees: Some(trees),
                listed: Some(walk_listed.clone()),
            };
            let args = [
                "rev-list",
                "--missing=print",
                "--no-commit-header",
                framing.arg(),
            ];
            let commits = self.run(
                repo,
                &args,
                revs,
                &[],
                Some(framing),
                sink,
                Some(&mut notes),
            );
            // No more trees: the walk ends with the last one.
            drop(notes);
            for run in walk_listed.iter() {
                self.push_listed(run, sink);
            }
            (commits, walker.join())
        });
        commits?;
        if !self.cur.is_empty() {
            (sink.blobs)(std::mem::take(&mut self.cur));
        }
        // A walk that panicked is as unclear as one that stopped.
        let Ok(Ok(absent)) = walked else {
            return Ok(false);
        };
        // Missing, unless git has them in a store not read here; then git lists them.
        if !absent.is_empty() {
            match object_types(repo, &absent) {
                Some(t) if t.iter().all(|t| t == "missing") => {}
                _ => return Ok(false),
            }
        }
        for oid in absent {
            if self.seen.insert(format!("?{oid}")) {
                self.missing.push(oid);
            }
        }
        Ok(true)
    }

    /// Blobs the walk in process listed: (hex id, path).
    fn push_listed(&mut self, run: Vec<(String, String)>, sink: &mut Sink<'_>) {
        for (oid, path) in run {
            self.push(&oid, &path, sink);
        }
    }

    /// One `git rev-list` run with `args`, then `revs` (and `more`, on its standard input), its
    /// commit records framed by `framing` (None: none, or listed by id); `notes` (when given)
    /// takes each commit's tree and every object id printed.
    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        repo: &Repo,
        args: &[&str],
        revs: &[String],
        more: &[String],
        framing: Option<&Framing>,
        sink: &mut Sink<'_>,
        mut notes: Option<&mut Notes>,
    ) -> Result<()> {
        let mut cmd = repo.git();
        cmd.args(args);
        cmd.args(revs);
        if !more.is_empty() {
            // After `--not REVS`, which then does not apply to what comes on stdin.
            cmd.arg("--stdin");
        }
        cmd.arg("--");
        let (mut child, writer) = spawn_fed(&mut cmd, more, "rev-list")?;
        let mut stderr = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let mut records = framing.map(|f| Records::new(f.clone(), self.reachable));
        let mut r = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // A line cut short (git died mid-write) is not trusted.
            let Some(l) = line.strip_suffix(b"\n") else {
                break;
            };
            match records.as_mut().map_or(Line::Object, |r| r.line(l)) {
                Line::Object => {}
                Line::Taken => continue,
                Line::Done(m) => {
                    if let Some(n) = notes.as_mut() {
                        if let Some(t) = &n.trees {
                            let _ = t.send(m.tree.clone());
                        }
                        if let Some(l) = n.listed.clone() {
                            for run in l.try_iter() {
                                self.push_listed(run, sink);
                            }
                        }
                    }
                    // Listed once, should a second pass list this history again.
                    if !self.printed.insert(id64(&m.sha)) {
                        continue;
                    }
                    if self.reachable {
                        self.commits.push(Walked {
                            sha: m.sha.clone(),
                            tree: m.tree.clone(),
                            parents: m.parents.clone(),
                        });
                    }
                    self.messages.push(m);
                    if self.messages.len() >= MESSAGES_PER_SEND {
                        (sink.messages)(std::mem::take(&mut self.messages));
                    }
                    continue;
                }
            }
            if l.is_empty() {
                continue;
            }
            let l = String::from_utf8_lossy(l);
            if let Some(n) = notes.as_mut() {
                let oid = l.strip_prefix('?').unwrap_or(&l);
                n.ids.push(oid.split(' ').next().unwrap_or("").to_string());
            }
            if let Some(oid) = l.strip_prefix('?') {
                // Listed once, whichever walk meets it first.
                if self.seen.insert(format!("?{oid}")) {
                    self.missing.push(oid.to_string());
                }
                continue;
            }
            match l.split_once(' ') {
                Some((oid, path)) => self.object(oid, path, sink),
                // A bare id: a commit (no format in effect), whose message is read from it,
                // unless a first walk printed it.
                None if self.printed.contains(&id64(&l)) => {}
                None => self.push_ref(&l, "", true, sink),
            }
        }
        let status = child.wait().context("git rev-list")?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        self.settle(repo, sink);
        let stderr = errs.join().unwrap_or_default();
        if !status.success() {
            bail!(
                "cannot list the history of {}: {}",
                repo.path.display(),
                first_line(&stderr)
            );
        }
        Ok(())
    }
}

/// What a listing run shares with the walk in process.
#[derive(Default)]
struct Notes {
    /// The ids of the objects git printed, which the walk takes as seen.
    ids: Vec<String>,
    /// Where each commit's tree goes, in walk order.
    trees: Option<crossbeam_channel::Sender<String>>,
    /// The blobs the walk listed so far, pushed as they come.
    listed: Option<crossbeam_channel::Receiver<Vec<(String, String)>>>,
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
