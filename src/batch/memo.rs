//! What a batch remembers about blobs, so that none is read twice: within the run, every blob
//! scanned at a path (forks share most of their history: the fork's copy is not read again, its
//! findings are handed on with the fork's own origin), and from earlier runs, the blobs a results
//! store says were scanned clean under the same engine (those with findings are scanned again, so
//! findings and their secrets stay exact).
//!
//! Keys are (blob id, path, project config): the path because analyzers and contexts depend on it,
//! the repository's own `.nhiscan.toml` because it can change the rules. A repository with its own
//! config neither uses nor feeds the store's clean set, which is keyed by blob id and engine only.
//! The run's memory holds 16 bytes per clean blob and the findings of the rest.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::source::BlobMemo;

/// The run's memory, shared by every repository.
#[derive(Default)]
pub(crate) struct RunMemo {
    /// Blob ids an earlier run scanned clean under this engine.
    prior_clean: HashSet<String>,
    clean: Mutex<HashSet<u128>>,
    found: Mutex<HashMap<u128, Vec<Finding>>>,
}

impl RunMemo {
    /// A memory that starts with the blob ids an earlier run found clean.
    pub(crate) fn new(prior_clean: HashSet<String>) -> RunMemo {
        RunMemo {
            prior_clean,
            ..RunMemo::default()
        }
    }

    /// The view one repository scans through. `config`: a hash of its own project config, empty
    /// when it has none.
    pub(crate) fn repo(&self, config: String) -> RepoMemo<'_> {
        RepoMemo {
            run: self,
            use_prior: config.is_empty(),
            salt: config,
            reused: AtomicU64::new(0),
            skipped_clean: AtomicU64::new(0),
            clean: Mutex::new(HashSet::new()),
            dirty: Mutex::new(HashSet::new()),
        }
    }
}

/// One repository's view of the run's memory, with what it learnt and reused.
pub(crate) struct RepoMemo<'a> {
    run: &'a RunMemo,
    salt: String,
    use_prior: bool,
    /// Blobs whose findings came from another repository of this run.
    pub reused: AtomicU64,
    /// Blobs not read because an earlier run scanned them clean.
    pub skipped_clean: AtomicU64,
    clean: Mutex<HashSet<String>>,
    dirty: Mutex<HashSet<String>>,
}

impl RepoMemo<'_> {
    fn key(&self, oid: &str, path: &str) -> u128 {
        let mut h = Sha256::new();
        for part in [oid, path, &self.salt] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        u128::from_le_bytes(h.finalize()[..16].try_into().expect("16 bytes"))
    }

    /// The blob ids this repository scanned and found nothing in, at any path it scanned them
    /// at: what the store may skip next time (none for a repository with its own config).
    pub(crate) fn clean_blobs(&self) -> Vec<String> {
        if !self.use_prior {
            return Vec::new();
        }
        let dirty = self.dirty.lock().unwrap();
        let mut v: Vec<String> = self
            .clean
            .lock()
            .unwrap()
            .iter()
            .filter(|o| !dirty.contains(*o))
            .cloned()
            .collect();
        v.sort();
        v
    }
}

impl BlobMemo for RepoMemo<'_> {
    fn recall(&self, oid: &str, path: &str) -> Option<Vec<Finding>> {
        if self.use_prior && self.run.prior_clean.contains(oid) {
            self.skipped_clean.fetch_add(1, Relaxed);
            return Some(Vec::new());
        }
        let k = self.key(oid, path);
        let hit = if self.run.clean.lock().unwrap().contains(&k) {
            Some(Vec::new())
        } else {
            self.run.found.lock().unwrap().get(&k).cloned()
        };
        if let Some(found) = &hit {
            self.reused.fetch_add(1, Relaxed);
            let mine = if found.is_empty() {
                &self.clean
            } else {
                &self.dirty
            };
            mine.lock().unwrap().insert(oid.to_string());
        }
        hit
    }

    fn remember(&self, oid: &str, path: &str, findings: &[Finding]) {
        let k = self.key(oid, path);
        if findings.is_empty() {
            self.run.clean.lock().unwrap().insert(k);
            self.clean.lock().unwrap().insert(oid.to_string());
        } else {
            self.run
                .found
                .lock()
                .unwrap()
                .entry(k)
                .or_insert_with(|| findings.to_vec());
            self.dirty.lock().unwrap().insert(oid.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            rule_id: "r".into(),
            title: "t".into(),
            kind: crate::finding::Category::Secret,
            severity: crate::finding::Severity::High,
            confidence: crate::finding::Confidence::High,
            context: crate::context::Context::Production,
            demoted: false,
            message: "m".into(),
            origin: std::sync::Arc::new(crate::finding::Origin::file("a", "a")),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            secret: None,
            redacted: None,
            fingerprint: "f".into(),
            lifetime: None,
            entropy: None,
            decoded: None,
            properties: Default::default(),
            policies: Vec::new(),
            suppressed: None,
        }
    }

    #[test]
    fn forks_reuse_and_prior_clean_skips() {
        let run = RunMemo::new(["old".to_string()].into_iter().collect());
        let a = run.repo(String::new());
        assert!(a.recall("b1", "x.txt").is_none());
        a.remember("b1", "x.txt", &[]);
        a.remember("b2", "k.env", &[finding()]);
        a.remember("b3", "same", &[]);
        a.remember("b3", "other", &[finding()]);
        assert_eq!(
            a.clean_blobs(),
            ["b1"],
            "a blob with findings at any path is not clean"
        );
        let b = run.repo(String::new());
        assert!(b.recall("b1", "x.txt").unwrap().is_empty());
        assert_eq!(b.recall("b2", "k.env").unwrap().len(), 1);
        // Another path: analyzers and contexts may differ, so it is scanned.
        assert!(b.recall("b1", "elsewhere.yaml").is_none());
        assert_eq!(b.reused.load(Relaxed), 2);
        assert!(b.recall("old", "any").unwrap().is_empty());
        assert_eq!(b.skipped_clean.load(Relaxed), 1);
        // Its own config: neither the store's clean set nor another config's results.
        let c = run.repo("cfg".into());
        assert!(c.recall("old", "any").is_none());
        assert!(c.recall("b1", "x.txt").is_none());
        c.remember("b9", "p", &[]);
        assert!(c.clean_blobs().is_empty());
    }
}
