//! Submodules in the history: a gitlink records another repository's commit, so there is nothing of
//! this repository to read there, but a scan must say it passed over it (`-v`, the skipped list), as
//! the staged source does. `git rev-list --objects` steps over gitlinks without printing them, and
//! reading every tree to find them would cost what the whole listing costs; so the history names the
//! gitlinks of its tip (`git ls-tree -r`, 25 ms on redis) and every path any version of `.gitmodules`
//! declares (those blobs are read anyway). `--since`/`--range` see gitlinks in the diffs they read.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::repo::Repo;
use crate::source::Feed;

/// Why a submodule is not scanned.
pub(crate) const REASON: &str =
    "submodule (gitlink): another repository's commits; scan that repository";

/// The submodule paths met while scanning, each reported once.
#[derive(Debug, Default)]
pub(crate) struct Submodules(Mutex<BTreeSet<String>>);

impl Submodules {
    /// Records one path.
    pub(crate) fn add(&self, path: &str) {
        if !path.is_empty() {
            self.0.lock().unwrap().insert(path.to_string());
        }
    }

    /// Records the paths a `.gitmodules` blob declares, when `path` is the root `.gitmodules`.
    pub(crate) fn declared_in(&self, path: &str, data: &[u8]) {
        if path == ".gitmodules" {
            for p in declared(data) {
                self.add(&p);
            }
        }
    }

    /// Records the gitlinks in the tree of `rev` (none when it does not resolve).
    pub(crate) fn in_tree(&self, repo: &Repo, rev: &str) {
        let Ok(out) = repo.output(&["ls-tree", "-r", "-z", "--full-tree", rev, "--"]) else {
            return;
        };
        for rec in out.split(|&b| b == 0) {
            let rec = String::from_utf8_lossy(rec);
            if let Some((meta, path)) = rec.split_once('\t') {
                if meta.starts_with("160000 ") {
                    self.add(path);
                }
            }
        }
    }

    /// Lists every recorded submodule as skipped.
    pub(crate) fn report(&self, feed: &Feed<'_>) {
        for p in self.0.lock().unwrap().iter() {
            feed.skip(p, REASON);
        }
    }
}

/// The `path = …` values of a `.gitmodules` file (git config syntax).
fn declared(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            if !k.trim().eq_ignore_ascii_case("path") {
                return None;
            }
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (!v.is_empty()).then(|| v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitmodules_paths_are_read() {
        let m = b"[submodule \"lib\"]\n\tpath = deps/lib\n\turl = https://example.com/lib.git\n[submodule \"q\"]\n\tPath = \"with space\"\n";
        assert_eq!(declared(m), vec!["deps/lib", "with space"]);
        let s = Submodules::default();
        s.declared_in("sub/.gitmodules", m);
        assert!(
            s.0.lock().unwrap().is_empty(),
            "only the root .gitmodules counts"
        );
        s.declared_in(".gitmodules", m);
        assert_eq!(s.0.lock().unwrap().len(), 2);
    }
}
