//! What a batch reads about a repository before scanning it: the tip of its default branch and the
//! root commit that branch grows from (forks of one project share it: the shard group).

use std::path::Path;

use anyhow::Result;

use crate::source::git::Repo;

/// The default branch's tip and root, when the repository has commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `HEAD`'s commit.
    pub tip: Option<String>,
    /// The root commit reached from `HEAD` by first parents: the project's first commit, which a
    /// fork keeps.
    pub root: Option<String>,
}

/// Opens the repository at `path` (an error when git cannot: not a repository, corrupt) and reads
/// its facts. An unborn `HEAD` (no commit yet) has none.
pub(crate) fn probe(path: &Path) -> Result<(Repo, Facts)> {
    let repo = Repo::open(path)?;
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
    Ok((repo, Facts { tip, root }))
}
