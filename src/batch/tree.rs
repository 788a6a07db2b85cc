//! The tip of the default branch as a source, for a batch whose scope is the tree without the
//! history (a bare or blobless clone has no work tree to walk): every blob of `HEAD`'s tree, read
//! from the object store, each asked of the run's memory first (a fork's tip is mostly its
//! upstream's). Origins name the path, the blob and the tip commit.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use serde_json::json;

use crate::finding::Origin;
use crate::source::git::{read_blobs, Read, Repo};
use crate::source::{Feed, Source, Unit};

/// One entry of a tree listing.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The object id.
    pub oid: String,
    /// `blob`, `commit` (a submodule), `tree`.
    pub kind: String,
    /// The size, for blobs.
    pub size: u64,
    /// Repository-relative path.
    pub path: String,
}

/// Every entry of `rev`'s tree, recursively (`git ls-tree -r -l -z`).
pub(crate) fn list(repo: &Repo, rev: &str) -> Result<Vec<Entry>> {
    let out = repo.output(&["ls-tree", "-r", "-l", "-z", "--full-tree", rev])?;
    Ok(out
        .split(|&b| b == 0)
        .filter_map(|rec| {
            let rec = std::str::from_utf8(rec).ok()?;
            let (meta, path) = rec.split_once('\t')?;
            let mut f = meta.split_whitespace();
            let (_mode, kind, oid, size) = (f.next()?, f.next()?, f.next()?, f.next()?);
            Some(Entry {
                oid: oid.to_string(),
                kind: kind.to_string(),
                size: size.parse().unwrap_or(0),
                path: path.to_string(),
            })
        })
        .collect())
}

/// The tree at the tip of the default branch.
pub(crate) struct TipTree {
    repo: Repo,
    tip: String,
    threads: usize,
}

impl TipTree {
    /// The tree of commit `tip` in `repo`.
    pub(crate) fn new(repo: Repo, tip: String, threads: usize) -> TipTree {
        TipTree { repo, tip, threads }
    }

    fn origin(&self, e: &Entry) -> Origin {
        let mut o = Origin::file(e.path.clone(), e.path.clone());
        o.properties.insert("blob".into(), json!(e.oid));
        o.properties.insert("commit".into(), json!(self.tip));
        o
    }
}

impl Source for TipTree {
    fn target(&self) -> String {
        self.repo.path.display().to_string()
    }

    fn project_dir(&self) -> PathBuf {
        self.repo.root()
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let max = feed.limits().max_file_size;
        let mut todo = Vec::new();
        for e in list(&self.repo, &self.tip)? {
            match e.kind.as_str() {
                "blob" => {}
                "commit" => {
                    feed.skip(&e.path, "submodule (a commit of another repository)");
                    continue;
                }
                _ => continue,
            }
            if !feed.admits(&e.path, e.size)
                || feed.recall(&e.oid, &e.path, || Arc::new(self.origin(&e)))
            {
                continue;
            }
            todo.push(e);
        }
        let per = todo.len().div_ceil(self.threads.max(1)).max(1);
        std::thread::scope(|s| {
            for chunk in todo.chunks(per) {
                s.spawn(move || {
                    let oids: Vec<&str> = chunk.iter().map(|e| e.oid.as_str()).collect();
                    read_blobs(&self.repo, &oids, max, |i, read| {
                        let e = &chunk[i];
                        match read {
                            Read::Data(data, _) => {
                                feed.unit(Unit::new(data, Arc::new(self.origin(e))));
                            }
                            Read::TooLarge(n) => {
                                feed.admits(&e.path, n);
                            }
                            Read::Missing => feed.error(
                                e.path.clone(),
                                format!(
                                    "object {} is missing from the repository; not scanned",
                                    e.oid
                                ),
                            ),
                            Read::Failed(why) => feed.error(e.path.clone(), why),
                            Read::NotBlob | Read::Commit(_) => {}
                        }
                    });
                });
            }
        });
        Ok(())
    }
}
