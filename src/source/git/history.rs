//! The history of a repository as a [`Source`]: every blob reachable from the chosen revisions, each
//! once (or, for `--since` / `--range`, every blob the selected commits change, scanned whole with
//! only the findings on the lines they add kept), read by a few `git cat-file --batch` readers and
//! scanned by the worker threads; the final origins (provenance) are computed after the scan, for
//! the blobs with findings only.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use crossbeam_channel::Sender;

use super::added::{Added, Ranges};
use super::origin::{blob_display, blob_of, blob_origin, history_origin, missing_display};
use super::provenance::provenance;
use super::reader::{
    all_objects, batch_size, list_blobs, not, read_blobs, readers, BlobRef, Objects, Read,
};
use super::refs::Revs;
use super::repo::Repo;
use crate::finding::Origin;
use crate::source::{Feed, Source, Unit};

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

    /// Reads the blobs `list` hands over in batches (a few `git cat-file --batch` readers) and
    /// scans them on the worker threads; with `lines`, only findings on each blob's lines count.
    /// Returns what `list` returns (the objects the trees name but the repository lacks).
    fn scan(
        &self,
        feed: &Feed<'_>,
        lines: Option<&HashMap<String, Ranges>>,
        list: impl FnOnce(&mut dyn FnMut(Vec<BlobRef>)) -> Result<Vec<String>>,
    ) -> Result<Vec<String>> {
        let repo = &self.repo;
        let max_size = feed.limits().max_file_size;
        let workers = self.threads.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<(BlobRef, Vec<u8>)>(workers * 2);
        // Batches of blobs go to reader threads (one cat-file each) as they are listed, so reading
        // starts at once instead of after the whole history has been walked.
        let (batch_tx, batch_rx) = crossbeam_channel::unbounded::<Vec<BlobRef>>();
        let on_blob = |tx: &Sender<(BlobRef, Vec<u8>)>, b: &BlobRef, read: Read| match read {
            Read::Data(data) => {
                let _ = tx.send((b.clone(), data));
            }
            Read::TooLarge(n) => {
                feed.admits(&blob_display(b), n);
            }
            Read::Missing => feed.error(
                blob_display(b),
                format!(
                    "object {} is missing from the repository; not scanned",
                    b.oid
                ),
            ),
            Read::Failed(why) => feed.error(blob_display(b), why),
        };
        std::thread::scope(|s| {
            for _ in 0..workers {
                let rx = rx.clone();
                s.spawn(move || {
                    for (b, data) in rx {
                        // A blob listed without lines (never, by construction) counts for none.
                        let only = lines.map(|l| l.get(&b.oid).map_or(&[][..], Vec::as_slice));
                        feed.unit(Unit {
                            lines: only,
                            ..Unit::new(&data, Arc::new(blob_origin(&b)))
                        });
                    }
                });
            }
            drop(rx);
            // Several cat-file processes: git's decompression is single-threaded and the critical
            // path. Measured on redis, two processes on two halves cost the same CPU as one (each
            // keeps its own delta-base cache warm on a contiguous run of history) and finish in
            // about half the time.
            for _ in 0..readers(self.threads) {
                let batch_rx = batch_rx.clone();
                let on_blob = &on_blob;
                let tx = tx.clone();
                s.spawn(move || {
                    for batch in batch_rx {
                        let oids: Vec<&str> = batch.iter().map(|b| b.oid.as_str()).collect();
                        read_blobs(repo, &oids, max_size, |i, read| {
                            on_blob(&tx, &batch[i], read)
                        });
                    }
                });
            }
            drop(batch_rx);
            drop(tx);
            let listed = list(&mut |batch| {
                let _ = batch_tx.send(batch);
            });
            drop(batch_tx);
            // The readers and workers finish when the channels drain; the scope waits for them.
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
        let (missing, stdin) = if self.revs.line_level() {
            // Only what the selected commits add, line by line.
            let added = Added::read(repo, &revs, readers(self.threads))?;
            for b in &added.binary {
                feed.skip(&blob_display(b), "binary content");
            }
            let missing = self.scan(feed, Some(&added.lines), |batch| {
                for run in added.blobs.chunks(batch_size()) {
                    batch(run.to_vec());
                }
                Ok(Vec::new())
            })?;
            (missing, Vec::new())
        } else {
            // `--all-objects`: then the commits no ref reaches are walked (so the blobs of unreachable
            // commits get their path and commit), then the blobs no commit names.
            let objects = if self.all_objects {
                all_objects(repo)?
            } else {
                Objects::default()
            };
            let mut walked_more = false;
            let missing = self.scan(feed, None, |batch| {
                let l = list_blobs(
                    repo,
                    &revs,
                    &objects.commits,
                    &objects.blobs,
                    batch_size(),
                    batch,
                    &|m| feed.warn(m),
                )?;
                walked_more = l.walked_more;
                Ok(l.missing)
            })?;
            let stdin = if walked_more {
                objects.commits
            } else {
                Vec::new()
            };
            (missing, stdin)
        };
        let _ = self.listed.set(Listed {
            revs,
            stdin,
            missing,
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
        let mut prov = if wanted.is_empty() {
            HashMap::new()
        } else {
            provenance(&self.repo, &listed.revs, &[], &wanted)?
        };
        // Blobs of unreachable commits (`--all-objects`): those commits alone introduced them.
        let unreachable: Vec<&str> = oids(false).collect();
        if !unreachable.is_empty() && !listed.stdin.is_empty() {
            match provenance(&self.repo, &not(&listed.revs), &listed.stdin, &unreachable) {
                Ok(p) => prov.extend(p),
                // A damaged unreachable commit stops `git log`.
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
        for oid in &listed.missing {
            let path = prov.get(oid.as_str()).and_then(|p| p.first_path());
            feed.error(
                missing_display(oid, path.as_deref()),
                format!("object {oid} is missing from the repository; not scanned"),
            );
        }
        let now = crate::dates::now_secs();
        Ok(held
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
            .collect())
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
