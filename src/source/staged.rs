//! The staged source (pre-commit): what `git commit` would record, compared with HEAD (or with the
//! empty tree before the first commit). Each changed file's staged blob is scanned whole, so rules and
//! analyzers see their context, and only findings that touch an added line are kept: a commit is
//! blamed for what it adds, not for what was already there.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{bail, Context as _, Result};
use serde_json::json;

use super::diff::{parse_diff, Change};
use super::git::{first_line, git_at, read_blobs, Read, Repo};
use super::{Feed, Source, Unit};
use crate::finding::Origin;

/// `git diff` arguments for the staged changes (against HEAD, or the empty tree before the first
/// commit), with the added lines and full blob ids.
const DIFF: &[&str] = &[
    "diff",
    "--cached",
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
    "--no-relative",
    "--submodule=short",
    "--full-index",
    "--diff-filter=ACMRT",
    "--src-prefix=a/",
    "--dst-prefix=b/",
];

/// What `git commit` would add to the repository at `path`.
pub(crate) struct Staged {
    repo: Repo,
    shown: String,
    /// The diff, started before the repository is opened: it is most of a pre-commit scan's wait,
    /// and `rev-parse` and the rules load meanwhile.
    diff: Mutex<Option<Child>>,
    changes: OnceLock<Vec<Change>>,
}

impl Staged {
    /// The staged changes of the repository at `path`.
    pub(crate) fn open(path: &std::path::Path) -> Result<Staged> {
        let mut diff = git_at(path)
            .args(DIFF)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot run `git` (is it installed and on PATH?)")?;
        let stop = |diff: &mut Child| {
            let _ = diff.kill();
            let _ = diff.wait();
        };
        let repo = match Repo::open(path) {
            Ok(r) => r,
            Err(e) => {
                stop(&mut diff);
                return Err(e);
            }
        };
        if repo.top.is_none() {
            stop(&mut diff);
            bail!(
                "{}: a bare repository has no index to check; `nhiscan staged` runs in a working tree",
                repo.path.display()
            );
        }
        Ok(Staged {
            repo,
            shown: path.display().to_string(),
            diff: Mutex::new(Some(diff)),
            changes: OnceLock::new(),
        })
    }

    /// The changes of the diff started by [`Staged::open`].
    fn changes(&self) -> Result<Vec<Change>> {
        let Some(diff) = self.diff.lock().expect("diff lock").take() else {
            bail!("the staged diff was already read");
        };
        let out = diff.wait_with_output().context("cannot run git")?;
        if !out.status.success() {
            bail!("git {}: {}", DIFF.join(" "), first_line(&out.stderr));
        }
        Ok(parse_diff(&out.stdout))
    }
}

impl Source for Staged {
    fn target(&self) -> String {
        format!("{} (staged)", self.shown)
    }

    fn project_dir(&self) -> PathBuf {
        self.repo.root()
    }

    fn prepare(&self) -> Result<()> {
        let c = self.changes()?;
        let _ = self.changes.set(c);
        Ok(())
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let all = match self.changes.get() {
            Some(c) => c,
            None => {
                self.prepare()?;
                self.changes.get().expect("prepared")
            }
        };
        let mut todo: Vec<&Change> = Vec::new();
        for c in all {
            if c.submodule {
                feed.skip(
                    &format!("{} (staged)", c.path),
                    "submodule (gitlink): another repository's commit; scan that repository",
                );
            } else if c.binary {
                feed.skip(&format!("{} (staged)", c.path), "binary content");
            } else if !c.added.is_empty() {
                todo.push(c);
            }
        }
        let oids: Vec<&str> = todo.iter().map(|c| c.blob.as_str()).collect();
        let by_index: HashMap<usize, &Change> = todo.iter().copied().enumerate().collect();
        let max = feed.limits().max_file_size;
        read_blobs(&self.repo, &oids, max, |i, read| {
            let c = by_index[&i];
            let shown = format!("{} (staged)", c.path);
            match read {
                Read::Data(data, _) => {
                    let mut properties = serde_json::Map::new();
                    properties.insert("staged".into(), json!(true));
                    properties.insert("blob".into(), json!(c.blob));
                    let origin = Arc::new(Origin {
                        artifact: c.path.clone(),
                        display: shown,
                        name: c.path.clone(),
                        logical: None,
                        properties,
                    });
                    feed.unit(Unit {
                        lines: Some(&c.added),
                        ..Unit::new(data, origin)
                    });
                }
                Read::TooLarge(n) => {
                    feed.admits(&shown, n);
                }
                Read::Missing => feed.error(shown, format!("staged object {} is missing", c.blob)),
                Read::Failed(why) => feed.error(shown, why),
                // The index names a blob here; git said otherwise (a damaged index).
                Read::NotBlob | Read::Commit(_) => {
                    feed.error(shown, format!("staged object {} is not a blob", c.blob))
                }
            }
        });
        Ok(())
    }

    fn hint(&self) -> Option<&'static str> {
        Some(HINT)
    }

    fn default_fail_on(&self) -> crate::settings::FailOn {
        crate::settings::FailOn::secrets()
    }
}

/// What the pre-commit check tells a developer whose commit it stops.
const HINT: &str = "\
nhiscan: this commit would add the secrets listed above.
  fix:      remove the secret from the file (read it from the environment or a secret manager),
            `git add` the file again and commit; revoke and rotate the secret if it was ever shared.
  not a secret / accepted:  put `nhiscan:allow <reason>` on that line, or add an [[allow]] entry
            with the finding's fingerprint, a reason and an expiry date to .nhiscan.toml.
  bypass once (the secret still lands in history): git commit --no-verify";
