//! Which commits a history scan covers, as `git rev-list` arguments.

use anyhow::{bail, Context as _, Result};

use super::repo::Repo;

/// Which commits' blobs to scan.
#[derive(Debug, Clone)]
pub(crate) enum Revs {
    /// Every ref: branches, tags, remote-tracking refs, notes, stash (and HEAD).
    All,
    /// One ref and its history.
    Branch(String),
    /// Commits after REV up to HEAD (`REV..HEAD`).
    Since(String),
    /// `A..B` (or `A...B`).
    Range(String),
}

impl Revs {
    /// rev-list arguments, after checking every named revision exists (exit 2 otherwise).
    pub(crate) fn args(&self, repo: &Repo) -> Result<Vec<String>> {
        let check = |r: &str| -> Result<()> {
            if repo.resolve(r).is_none() {
                bail!("unknown revision `{r}` in {}", repo.path.display());
            }
            Ok(())
        };
        Ok(match self {
            Revs::All => vec!["--all".into()],
            Revs::Branch(r) => {
                check(r)?;
                vec![r.clone()]
            }
            Revs::Since(r) => {
                check(r)?;
                check("HEAD")?;
                vec![format!("{r}..HEAD")]
            }
            Revs::Range(r) => {
                let (a, b) = r
                    .split_once("...")
                    .or_else(|| r.split_once(".."))
                    .with_context(|| format!("--range `{r}`: expected A..B"))?;
                let a = if a.is_empty() { "HEAD" } else { a };
                let b = if b.is_empty() { "HEAD" } else { b };
                check(a)?;
                check(b)?;
                vec![r.clone()]
            }
        })
    }
}
