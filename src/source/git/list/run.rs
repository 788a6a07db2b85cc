//! Running the listing: git's `rev-list` runs (the commits, what the refs name, or everything with
//! `--objects`) read line by line into the [`Walk`], and the walk in process ([`super::objects`])
//! beside them.

use std::io::{BufRead, BufReader, Read as _};

use anyhow::{bail, Context as _, Result};

use super::{id64, objects, Sink, Walk, Walked, MESSAGES_PER_SEND};
use crate::source::git::message::{Framing, Line, Records};
use crate::source::git::odb::Odb;
use crate::source::git::reader::object_types;
use crate::source::git::repo::{first_line, spawn_fed, Repo};

impl Walk {
    /// One walk of `revs`: with the messages printed by git, or, when that fails (git dies
    /// formatting a commit it lacks), again without them, the commits' messages then read by the
    /// readers. What the first pass listed is not listed twice.
    pub(super) fn walk_both(
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
        odb: &Odb,
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
                        if let Some(l) = &n.listed {
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
