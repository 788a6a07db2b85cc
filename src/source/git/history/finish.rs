//! The end of a history scan: provenance for the blobs with findings (split over several git
//! processes on a long undamaged history), the names of missing objects, and the branches that
//! hold each finding's commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Result;

use super::super::branches;
use super::super::list::not;
use super::super::missing;
use super::super::origin::{blob_of, history_origin};
use super::super::provenance::{provenance, provenance_split, retry_at_paths};
use super::super::reader::BlobRef;
use super::{History, Listed};
use crate::finding::Origin;
use crate::source::Feed;

/// Commits from which the provenance pass is split over several git processes: below, one process
/// costs less than starting several (`NHISCAN_PROVENANCE_SPLIT` overrides it, for tests).
fn split_from() -> usize {
    std::env::var("NHISCAN_PROVENANCE_SPLIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

impl History {
    /// [`Source::finalize`] once the listing is known, with the branch walk started (when there
    /// are findings).
    pub(super) fn final_origins(
        &self,
        listed: &Listed,
        held: &[Arc<Origin>],
        feed: &Feed<'_>,
        walk: Option<std::thread::ScopedJoinHandle<'_, Result<branches::Walk>>>,
    ) -> Result<Vec<Option<Arc<Origin>>>> {
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
        if let Some(walk) = walk {
            let added = walk
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the branch walk failed")))
                .and_then(|w| branches::add_to(w, &mut origins, &prov));
            if let Err(e) = added {
                feed.warn(&format!(
                    "{e}; findings are reported without the branches that contain them"
                ));
            }
        }
        Ok(origins)
    }
}
