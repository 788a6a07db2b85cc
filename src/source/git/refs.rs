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
    /// The lines that the commits after REV up to HEAD (`REV..HEAD`) add.
    Since(String),
    /// The lines that the commits of `A..B` (or `A...B`) add.
    Range(String),
}

impl Revs {
    /// True when only the lines the selected commits add are scanned (`--since`, `--range`); the
    /// other choices scan every blob of their history whole.
    pub(crate) fn line_level(&self) -> bool {
        matches!(self, Revs::Since(_) | Revs::Range(_))
    }

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
