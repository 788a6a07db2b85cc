//! The history of a repository as a [`Source`]: every blob reachable from the chosen revisions, each
//! once, and every commit's message (or, for `--since` / `--range`, every blob the selected commits
//! change, scanned whole with only the findings on the lines they add kept, and their messages),
//! read in process by the worker threads and scanned where they were decoded; the final origins
//! (provenance) are computed after the scan, for the blobs with findings only. What the repository
//! lacks (a blob, a tree, a commit) or cannot give (a corrupt object) is reported by id, the rest is
//! scanned, and the scan says it is incomplete.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Result;

use super::added::{Added, Ranges};
use super::branches;
use super::list::{all_objects, list_blobs, not, Objects, Sink};
use super::message::Message;
use super::missing::{self, short};
use super::origin::{blob_display, blob_of, blob_origin, history_origin, message_origin};
use super::provenance::{provenance, provenance_split, retry_at_paths};
use super::reader::{batch_size, readers, BlobRef, Read, Reader};
use super::refs::Revs;
use super::repo::Repo;
use super::submodule::Submodules;
use crate::finding::Origin;
use crate::source::{Feed, Source, Unit};

/// Commit messages per hand-over to the scanning threads, for `--since`/`--range`.
const MESSAGES_PER_RUN: usize = 256;

/// Commits from which the provenance pass is split over several git processes: below, one process
/// costs less than starting several (`NHISCAN_PROVENANCE_SPLIT` overrides it, for tests).
fn split_from() -> usize {
    std::env::var("NHISCAN_PROVENANCE_SPLIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// What the listing hands the worker threads.
enum Work {
    /// A run of blobs to read and scan.
    Blobs(Vec<BlobRef>),
    /// A run of commit messages.
    Messages(Vec<Message>),
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
    commits: Option<Vec<String>>,
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
        // Batches go to the workers as they are listed, so reading starts at once instead of after
        // the whole history has been walked.
        let (tx, rx) = crossbeam_channel::bounded::<Work>(workers * 2);
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
            for _ in 0..workers {
                let rx = rx.clone();
                let on_blob = &on_blob;
                s.spawn(move || {
                    let mut reader = Reader::new(repo).with_keywords(feed.keywords());
                    for work in rx {
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
            drop(rx);
            let listed = list(&mut Sink {
                blobs: &mut |mut batch| {
                    // Blobs the run already knows (a fork's shared history) are not read again.
                    if lines.is_none() {
                        batch.retain(|b| {
                            b.commit || !feed.recall(&b.oid, &b.path, || Arc::new(blob_origin(b)))
                        });
                    }
                    if !batch.is_empty() {
                        let _ = tx.send(Work::Blobs(batch));
                    }
                },
                messages: &mut |ms| {
                    let _ = tx.send(Work::Messages(ms));
                },
            });
            drop(tx);
            // The workers finish when the channel drains; the scope waits for them.
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

    /// Provenance, only for blobs with findings, and the paths of missing objects, in one
    /// history-wide log pass after the blobs are read: running it alongside the readers took a
    /// CPU-second from git's decompression, which is the critical path on two cores.
    fn finalize(&self, held: &[Arc<Origin>], feed: &Feed<'_>) -> Result<Vec<Option<Arc<Origin>>>> {
        let Some(listed) = self.listed.get() else {
            return Ok(held.iter().cloned().map(Some).collect());
        };
        let blobs: Vec<Option<BlobRef>> = held.iter().map(blob_of).collect();
        let oids = |reachable: bool| {
            blobs
                .iter()
                .flatten()
                // A blob no commit names (no path) has no provenance to find.
                .filter(move |b| b.reachable == reachable && (reachable || !b.path.is_empty()))
                .map(|b| b.oid.as_str())
        };
        let wanted: Vec<&str> = oids(true)
            .chain(listed.missing.iter().map(String::as_str))
            .collect();
        let mut prov = HashMap::new();
        if !wanted.is_empty() {
            // A long history is diffed by one git per thread, on consecutive runs of its commits.
            // Should a missing tree or commit stop one of them, the one pass over the whole history
            // gives what it gives today: it stops where it meets the damage and keeps what it read.
            let split = match &listed.commits {
                Some(commits) if self.threads > 1 && commits.len() >= split_from() => {
                    provenance_split(&self.repo, commits, &wanted, self.threads.min(4))
                        .ok()
                        .filter(|(_, stopped)| stopped.is_none())
                }
                _ => None,
            };
            let (p, stopped) = match split {
                Some(done) => done,
                None => provenance(&self.repo, &listed.revs, &[], &wanted, &[])?,
            };
            prov = p;
            if let Some(why) = stopped.filter(|_| !held.is_empty()) {
                if !retry_at_paths(&self.repo, &listed.revs, &blobs, &mut prov) {
                    feed.warn(&format!(
                        "{why}; findings it did not reach are reported without their commit"
                    ));
                }
            }
        }
        // Blobs of unreachable commits (`--all-objects`): those commits alone introduced them.
        let unreachable: Vec<&str> = oids(false).collect();
        if !unreachable.is_empty() && !listed.stdin.is_empty() {
            match provenance(
                &self.repo,
                &not(&listed.revs),
                &listed.stdin,
                &unreachable,
                &[],
            ) {
                Ok((p, None)) => prov.extend(p),
                Ok((p, Some(why))) => {
                    prov.extend(p);
                    feed.warn(&format!(
                        "{why}; blobs of unreachable commits it did not reach are reported without their commit"
                    ));
                }
                Err(e) => feed.warn(&format!(
                    "{e}; blobs of unreachable commits are reported without their commit"
                )),
            }
        }
        let head = if held.is_empty() {
            HashSet::new()
        } else {
            self.repo.head_blobs()
        };
        let known = |oid: &str| {
            let h = prov.get(oid)?;
            Some(missing::Missing {
                oid: oid.to_string(),
                kind: if h.tree {
                    missing::Kind::Tree
                } else {
                    missing::Kind::Blob
                },
                path: Some(h.first_path()?),
                commit: h.introduced().map(|e| e.commit.sha.clone()),
            })
        };
        for m in missing::name(&self.repo, &listed.revs, &listed.missing, &known) {
            feed.error(m.display(), m.message());
        }
        let now = crate::dates::now_secs();
        let mut origins: Vec<Option<Arc<Origin>>> = held
            .iter()
            .zip(blobs)
            .map(|(o, b)| {
                Some(match b {
                    Some(b) => Arc::new(history_origin(
                        &b,
                        prov.get(b.oid.as_str()),
                        head.contains(&b.oid),
                        now,
                    )),
                    None => o.clone(),
                })
            })
            .collect();
        if let Err(e) = branches::add_to(&self.repo, &mut origins, &prov) {
            feed.warn(&format!(
                "{e}; findings are reported without the branches that contain them"
            ));
        }
        Ok(origins)
    }

    fn hint(&self) -> Option<&'static str> {
        Some(
            "hint: a secret in git history stays exposed to anyone with a clone even after it is \
             deleted: revoke and rotate it first; rewriting history (git filter-repo) only limits \
             further spread. Accept a finding with an [[allow]] entry (fingerprint, reason, expires) \
             in .nhiscan.toml.",
        )
    }
}
