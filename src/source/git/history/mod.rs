//! The history of a repository as a [`Source`]: every blob reachable from the chosen revisions, each
//! once, and every commit's message (or, for `--since` / `--range`, every blob the selected commits
//! change, scanned whole with only the findings on the lines they add kept, and their messages),
//! read in process by the worker threads and scanned where they were decoded; the final origins
//! (provenance) are computed after the scan, for the blobs with findings only. What the repository
//! lacks (a blob, a tree, a commit) or cannot give (a corrupt object) is reported by id, the rest is
//! scanned, and the scan says it is incomplete.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Result;

mod finish;
mod queue;

use super::added::{Added, Ranges};
use super::branches;
use super::list::{all_objects, list_blobs, Objects, Sink, Walked};
use super::message::Message;
use super::missing::short;
use super::odb::FamilyOrder;
use super::origin::{blob_display, blob_origin, message_origin};
use super::reader::{batch_size, readers, BlobRef, Read, Reader};
use super::refs::Revs;
use super::repo::Repo;
use super::submodule::Submodules;
use crate::finding::Origin;
use crate::source::{Feed, Source, Unit};
use queue::{Listing, Queue, Reading, Work};

/// Commit messages per hand-over to the scanning threads, for `--since`/`--range`.
const MESSAGES_PER_RUN: usize = 256;
/// Blobs listed but not yet read, at most: about 160 bytes each.
const MAX_WAITING: usize = 1 << 19;

/// Blobs a worker takes from the queue at once (`NHISCAN_GIT_RUN` overrides it, for measuring).
fn run_size() -> usize {
    std::env::var("NHISCAN_GIT_RUN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048)
}

/// The history of a repository: the blobs of the chosen revisions.
pub(crate) struct History {
    repo: Repo,
    shown: String,
    revs: Revs,
    all_objects: bool,
    threads: usize,
    /// `--every-version`: non-secret findings of every version, not only the tip's.
    every_version: bool,
    /// What [`Source::produce`] listed, for [`Source::finalize`].
    listed: OnceLock<Listed>,
}

/// What the listing pass leaves for provenance.
struct Listed {
    /// The rev-list arguments of the scanned revisions.
    revs: Vec<String>,
    /// `--all-objects`: every commit of the object store (given to git on its standard input), when
    /// they could be walked; their blobs that `revs` do not reach are marked unreachable.
    stdin: Vec<String>,
    /// Objects the trees name but the repository lacks.
    missing: Vec<String>,
    /// The scanned commits in walk order, when the listing has them all.
    commits: Option<Vec<Walked>>,
}

impl History {
    /// The history of the repository at `path`.
    pub(crate) fn open(
        path: &Path,
        revs: Revs,
        all_objects: bool,
        threads: usize,
    ) -> Result<History> {
        Ok(History {
            repo: Repo::open(path)?,
            shown: path.display().to_string(),
            revs,
            all_objects,
            threads,
            every_version: false,
            listed: OnceLock::new(),
        })
    }

    /// Reports non-secret findings of every version (`--every-version`).
    pub(crate) fn every_version(mut self, on: bool) -> History {
        self.every_version = on;
        self
    }

    /// Reads the blobs `list` hands over in batches and scans them, and the commit messages it
    /// hands over, on the worker threads: each worker reads a batch with its own reader (its own
    /// delta cache) and scans every blob straight from the buffer it was decoded into. With
    /// `lines`, only findings on each blob's lines count. Returns what `list` returns.
    fn scan<T>(
        &self,
        feed: &Feed<'_>,
        lines: Option<&HashMap<String, Ranges>>,
        submodules: &Submodules,
        list: impl FnOnce(&mut Sink<'_>) -> T,
    ) -> T {
        let repo = &self.repo;
        let max_size = feed.limits().max_file_size;
        let workers = self.threads.max(1);
        // Blobs go to the workers as they are listed, so reading starts at once instead of after
        // the whole history has been walked; what is left when the listing ends goes by delta family.
        let queue = Queue::new(
            workers,
            run_size(),
            MAX_WAITING,
            workers.saturating_sub(1),
            repo.odb().map(FamilyOrder::new),
        );
        let on_blob = |b: &BlobRef, read: Read<'_>| match read {
            Read::Data(data, hits) => {
                // Line-level ranges see their gitlinks in the diffs.
                if lines.is_none() {
                    submodules.declared_in(&b.path, data);
                }
                // A blob listed without lines (never, by construction) counts for none.
                let only = lines.map(|l| l.get(&b.oid).map_or(&[][..], Vec::as_slice));
                feed.unit(Unit {
                    lines: only,
                    hits,
                    ..Unit::new(data, Arc::new(blob_origin(b)))
                });
            }
            Read::TooLarge(n) => {
                feed.admits(&blob_display(b), n);
            }
            // A commit the listing names as missing (`?<oid>`) too, and reports from there.
            Read::Missing if b.commit => {}
            Read::Missing => feed.error(
                blob_display(b),
                format!(
                    "object {} is missing from the repository; not scanned",
                    b.oid
                ),
            ),
            Read::Failed(why) => feed.error(blob_display(b), why),
            // A tree or tag object the listing could not tell from a blob.
            Read::NotBlob => {}
            Read::Commit(data) => {
                let m = Message::from_object(&b.oid, data, b.reachable);
                feed.unit(Unit::new(&m.text, Arc::new(message_origin(&m))));
            }
        };
        std::thread::scope(|s| {
            for worker in 0..workers {
                let (on_blob, queue) = (&on_blob, &queue);
                s.spawn(move || {
                    let _reading = Reading(queue);
                    let mut reader = Reader::new(repo).with_keywords(feed.keywords());
                    while let Some(work) = queue.next(worker) {
                        match work {
                            Work::Blobs(batch) => {
                                let oids: Vec<&str> =
                                    batch.iter().map(|b| b.oid.as_str()).collect();
                                reader.read(&oids, max_size, |i, read| on_blob(&batch[i], read));
                            }
                            // Every line of a message is its commit's own.
                            Work::Messages(ms) => {
                                for m in ms {
                                    feed.unit(Unit::new(&m.text, Arc::new(message_origin(&m))));
                                }
                            }
                        }
                    }
                });
            }
            let listing = Listing(&queue);
            let listed = list(&mut Sink {
                blobs: &mut |mut batch| {
                    // Blobs the run already knows (a fork's shared history) are not read again.
                    if lines.is_none() {
                        batch.retain(|b| {
                            b.commit || !feed.recall(&b.oid, &b.path, || Arc::new(blob_origin(b)))
                        });
                    }
                    if !batch.is_empty() {
                        queue.blobs(batch);
                    }
                },
                messages: &mut |ms| queue.messages(ms),
            });
            drop(listing);
            // The workers finish when the queue drains; the scope waits for them.
            listed
        })
    }
}

impl Source for History {
    fn target(&self) -> String {
        self.shown.clone()
    }

    fn project_dir(&self) -> PathBuf {
        self.repo.root()
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let repo = &self.repo;
        let revs = self.revs.args(repo)?;
        if repo.shallow {
            feed.warn(&format!(
                "{} is a shallow clone: history before the shallow boundary is not there to scan",
                repo.path.display()
            ));
        }
        let submodules = Submodules::default();
        let (missing, stdin, commits) = if self.revs.line_level() {
            // Only what the selected commits add, line by line, and the commits' messages.
            let mut added = Added::read(repo, &revs, readers(self.threads))?;
            let mut messages = std::mem::take(&mut added.messages);
            for b in &added.binary {
                feed.skip(&blob_display(b), "binary content");
            }
            for p in &added.submodules {
                submodules.add(p);
            }
            for (commit, why) in &added.failed {
                feed.error(
                    format!("commit {}", short(commit)),
                    format!(
                        "cannot read the changes of commit {commit}: {why}; the lines it adds were not scanned"
                    ),
                );
            }
            self.scan(feed, Some(&added.lines), &submodules, |sink| {
                while !messages.is_empty() {
                    let rest = messages.split_off(messages.len().min(MESSAGES_PER_RUN));
                    (sink.messages)(std::mem::replace(&mut messages, rest));
                }
                let unread = added.unread.iter().map(|c| BlobRef {
                    oid: c.clone(),
                    path: String::new(),
                    reachable: true,
                    commit: true,
                });
                let all: Vec<BlobRef> = unread.chain(added.blobs.iter().cloned()).collect();
                for run in all.chunks(batch_size()) {
                    (sink.blobs)(run.to_vec());
                }
            });
            (added.missing, Vec::new(), None)
        } else {
            // `--all-objects`: then the commits no ref reaches are walked (so the blobs of unreachable
            // commits get their path and commit), then the blobs no commit names.
            let objects = if self.all_objects {
                all_objects(repo)?
            } else {
                Objects::default()
            };
            let tip = match &self.revs {
                Revs::Branch(r) => r.as_str(),
                _ => "HEAD",
            };
            let listing = std::thread::scope(|s| {
                // The tip's gitlinks, while the history is listed (rev-list prints none).
                s.spawn(|| submodules.in_tree(repo, tip));
                self.scan(feed, None, &submodules, |sink| {
                    list_blobs(
                        repo,
                        &revs,
                        &objects.commits,
                        &objects.blobs,
                        batch_size(),
                        sink,
                        &|m| feed.warn(m),
                    )
                })
            });
            if let Some(why) = &listing.failed {
                // A corrupt object stopped the walk: what it listed before was scanned.
                feed.error(
                    self.shown.clone(),
                    format!("{why}; the history behind it was not scanned"),
                );
            }
            let stdin = if listing.walked_more {
                objects.commits
            } else {
                Vec::new()
            };
            (listing.missing, stdin, listing.commits)
        };
        submodules.report(feed);
        let _ = self.listed.set(Listed {
            revs,
            stdin,
            missing,
            commits,
        });
        Ok(())
    }

    fn defers_origins(&self) -> bool {
        true
    }

    fn many_versions(&self) -> bool {
        // `--since`/`--range` report only what their commits add: one version of each line.
        !self.every_version && matches!(self.revs, Revs::All | Revs::Branch(_))
    }

    /// Provenance, only for blobs with findings, and the paths of missing objects, in a
    /// history-wide log pass after the blobs are read (which blobs need it is known only then), and
    /// the branches that hold each finding's commits, walked beside it.
    fn finalize(&self, held: &[Arc<Origin>], feed: &Feed<'_>) -> Result<Vec<Option<Arc<Origin>>>> {
        let Some(listed) = self.listed.get() else {
            return Ok(held.iter().cloned().map(Some).collect());
        };
        std::thread::scope(|s| {
            // The branch walk needs no provenance to start: it runs beside the provenance pass.
            let walk = (!held.is_empty()).then(|| s.spawn(|| branches::Walk::read(&self.repo)));
            self.final_origins(listed, held, feed, walk)
        })
    }

    fn hint(&self) -> Option<&'static str> {
        Some(HINT)
    }
}

/// The hint a history scan with findings ends with.
const HINT: &str = "hint: a secret in git history stays exposed to anyone with a clone even after it is \
             deleted: revoke and rotate it first; rewriting history (git filter-repo) only limits \
             further spread. Accept a finding with an [[allow]] entry (fingerprint, reason, expires) \
             in .nhiscan.toml.";
