//! What a batch reads about a repository before scanning it: the tip of its default branch and the
//! root commit that branch grows from (forks of one project share it: the shard group).

use std::path::Path;

use anyhow::Result;

use crate::settings::Settings;
use crate::source::git::Repo;
use crate::store::Prior;

/// The default branch's tip and root, when the repository has commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `HEAD`'s commit.
    pub tip: Option<String>,
    /// The root commit reached from `HEAD` by first parents: the project's first commit, which a
    /// fork keeps.
    pub root: Option<String>,
}

/// What the batch learnt of a local repository before any scan ([`super::run`]'s survey), handed
/// to its scan so that nothing is asked of git twice.
#[derive(Debug, Clone, Default)]
pub(crate) struct Surveyed {
    /// Its tip and root, when read (not for an unchanged repository, which is not scanned).
    pub facts: Option<Facts>,
    /// Its refs key ([`refs_key`]), when a store will record it.
    pub refs: Option<String>,
    /// The store's record of its last scan, when the refs key is that record's: not read again.
    pub carried: Option<Prior>,
}

/// Opens the repository at `path` (an error when git cannot: not a repository, corrupt) and reads
/// its facts. An unborn `HEAD` (no commit yet) has none.
pub(crate) fn probe(path: &Path) -> Result<(Repo, Facts)> {
    let repo = Repo::open(path)?;
    let facts = facts(&repo)?;
    Ok((repo, facts))
}

/// The facts of an open repository (see [`probe`]).
pub(crate) fn facts(repo: &Repo) -> Result<Facts> {
    let tip = repo.resolve("HEAD");
    let root = match &tip {
        Some(t) => {
            let out = repo.output(&["rev-list", "--first-parent", "--max-parents=0", t])?;
            String::from_utf8_lossy(&out)
                .lines()
                .last()
                .map(str::to_string)
        }
        None => {
            // An unborn branch has no commit; a ref whose commit cannot be read is damage.
            if let Ok(out) = repo.output(&["rev-parse", "--verify", "--quiet", "HEAD"]) {
                let oid = String::from_utf8_lossy(&out).trim().to_string();
                if !oid.is_empty() {
                    anyhow::bail!(
                        "HEAD names commit {oid}, which the repository cannot read (a missing or corrupt object)"
                    );
                }
            }
            None
        }
    };
    Ok(Facts { tip, root })
}

/// What a history scan of every ref reads, in one hash: every ref and `HEAD` with the commit each
/// names (`git show-ref --head`), the shallow boundary (deepening a shallow clone adds history
/// without moving a ref), the object store's counts (`git count-objects -v`: objects fetched into
/// a partial clone, or restored into a damaged one, change what can be read without moving a ref)
/// and `config`, the hash of the repository's own `.nhiscan.toml`. The same key means the same
/// commits, trees and blobs, and the same ones missing. None when git cannot list the refs (the
/// repository is then scanned, which reports why).
pub(crate) fn refs_key(repo: &Repo, config: &str) -> Option<String> {
    let out = repo.git().args(["show-ref", "--head"]).output().ok()?;
    // Exit 1 with nothing printed: no refs at all (an empty repository), which is a state too.
    let no_refs = out.status.code() == Some(1) && out.stdout.is_empty();
    if !out.status.success() && !no_refs {
        return None;
    }
    let mut h = super::engine::Hasher::default();
    h.bytes(&out.stdout);
    if repo.shallow {
        let path = repo.output(&["rev-parse", "--git-path", "shallow"]).ok()?;
        let path = String::from_utf8_lossy(&path).trim().to_string();
        h.bytes(&std::fs::read(repo.path.join(path)).ok()?);
    }
    h.bytes(&repo.output(&["count-objects", "-v"]).ok()?);
    h.text(config);
    Some(h.hex())
}

/// The hash of the repository's own `.nhiscan.toml` at `root` (its results depend on it: see
/// [`super::memo`]); empty when it has none, or when `--config` names one for every repository.
pub(crate) fn config_hash(root: &Path, settings: &Settings) -> String {
    if settings.project.config.is_some() {
        return String::new();
    }
    std::fs::read(root.join(crate::config::FILE_NAME))
        .map(|b| {
            let mut h = super::engine::Hasher::default();
            h.bytes(&b);
            h.hex()
        })
        .unwrap_or_default()
}
