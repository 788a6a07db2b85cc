//! Reading layers in parallel. Up to `threads` (at most 4) layers are read at once, so one large gzip
//! layer does not leave the other cores idle; each layer's reader hands its files to `threads` worker
//! threads through a bounded queue (files over 1 MiB are scanned by the reader itself), so the bytes
//! in flight stay bounded whatever the layer size. Every file goes to the feed as a unit with a
//! provisional origin; archives are opened first.

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use super::archive::{self, ArchiveLimits};
use super::layer::{self, FileUnit, Files, LayerReport};
use super::origin::provisional;
use super::plan::Plans;
use super::Job;
use crate::source::{Feed, Unit};

/// Files at most this large are handed to worker threads; larger ones are scanned by the reader,
/// which bounds the bytes queued between them.
const QUEUE_FILE_MAX: usize = 1 << 20;

/// Opens a blob by key, for reading on any thread.
pub(crate) type Open<'a> = dyn Fn(&str) -> Result<Box<dyn Read + Send>> + Sync + 'a;

/// A layer as read: what it wrote and deleted, and its problems.
#[derive(Default)]
pub(crate) struct Scanned {
    pub report: LayerReport,
    /// Archives inside the layer that could not be opened (whole or in part).
    pub problems: Vec<String>,
}

impl Job<'_, '_> {
    /// Reads the layers of `plans` not read yet (each blob once), opening blobs with `open`.
    pub(crate) fn scan_blobs(&mut self, plans: &Plans, open: &Open<'_>) {
        let jobs = plans.jobs(|key| self.scanned.contains_key(key));
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<(String, Scanned)>> = Mutex::new(Vec::new());
        let parallel = self.threads.clamp(1, 4).min(jobs.len());
        let this = &*self;
        std::thread::scope(|s| {
            for _ in 0..parallel {
                s.spawn(|| {
                    while let Some(j) = jobs.get(next.fetch_add(1, Relaxed)) {
                        let scanned = match open(&j.key) {
                            Ok(r) => this.scan_layer(r, j.media_type.as_deref(), &j.label, &j.key),
                            Err(e) => {
                                let mut s = Scanned::default();
                                s.report.fatal = Some(format!("missing blob {} ({e})", j.digest));
                                s
                            }
                        };
                        done.lock().unwrap().push((j.key.clone(), scanned));
                    }
                });
            }
        });
        self.scanned.extend(done.into_inner().unwrap());
    }

    /// Streams one layer blob (stored under `key`, named `label` in reports) through the worker
    /// threads into the feed.
    pub(crate) fn scan_layer(
        &self,
        blob: Box<dyn Read + '_>,
        media_type: Option<&str>,
        label: &str,
        key: &str,
    ) -> Scanned {
        let l = self.feed.limits();
        let files = LayerFiles {
            feed: self.feed,
            label,
            blob: key,
            artifact: &self.artifact,
            archives: ArchiveLimits {
                max_depth: l.max_archive_depth,
                max_expanded: l.max_archive_size,
                max_file_size: l.max_file_size,
            },
            problems: Mutex::new(Vec::new()),
        };
        let workers = self.threads.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<FileUnit>(workers * 2);
        let report = std::thread::scope(|s| {
            for _ in 0..workers {
                let rx = rx.clone();
                let files = &files;
                s.spawn(move || {
                    for u in rx {
                        files.unit(u);
                    }
                });
            }
            drop(rx);
            // The queue (and its sender) ends with this closure: the workers then drain and stop.
            let queue = Queue { files: &files, tx };
            layer::read_layer(blob, media_type, l.max_layer_size, &queue)
        });
        Scanned {
            report,
            problems: files.problems.into_inner().unwrap(),
        }
    }
}

/// Where one layer's files go: the feed, with provisional origins.
struct LayerFiles<'a, 'f> {
    feed: &'a Feed<'f>,
    label: &'a str,
    blob: &'a str,
    artifact: &'a str,
    archives: ArchiveLimits,
    problems: Mutex<Vec<String>>,
}

impl LayerFiles<'_, '_> {
    /// One file of the layer: an archive is opened (to `--max-archive-depth`), anything else scanned.
    fn unit(&self, u: FileUnit) {
        if self.archives.max_depth > 0 && archive::is_archive(&u.data) {
            let problems = archive::expand(u, &self.archives, self);
            self.problems.lock().unwrap().extend(problems);
        } else {
            self.file(u);
        }
    }

    fn display(&self, path: &str) -> String {
        format!("{} {path}", self.label)
    }
}

impl Files for LayerFiles<'_, '_> {
    fn admits(&self, path: &str, size: u64) -> bool {
        self.feed.admits(&self.display(path), size)
    }

    fn skip(&self, path: &str, reason: &str) {
        self.feed.skip(&self.display(path), reason);
    }

    fn file(&self, u: FileUnit) {
        let origin = provisional(self.artifact, self.label, self.blob, &u.path);
        self.feed.unit(Unit::new(&u.data, Arc::new(origin)));
    }
}

/// The layer reader's side: small files are queued for the workers, large ones scanned in place.
struct Queue<'a, 'b, 'f> {
    files: &'a LayerFiles<'b, 'f>,
    tx: crossbeam_channel::Sender<FileUnit>,
}

impl Files for Queue<'_, '_, '_> {
    fn admits(&self, path: &str, size: u64) -> bool {
        self.files.admits(path, size)
    }

    fn skip(&self, path: &str, reason: &str) {
        self.files.skip(path, reason);
    }

    fn file(&self, u: FileUnit) {
        if u.data.len() > QUEUE_FILE_MAX {
            return self.files.unit(u);
        }
        if let Err(e) = self.tx.send(u) {
            self.files.unit(e.into_inner());
        }
    }
}
