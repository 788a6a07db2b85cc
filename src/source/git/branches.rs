//! Which branches a finding is on: the local and remote-tracking branches whose history holds a
//! commit that added the finding's blob, so the inventory can read environments from branch names
//! (`deploy/production`, `develop`) as it does from paths.
//!
//! One `git rev-list --topo-order --parents` walk from every branch tip answers it for all the
//! wanted commits at once: children come before their parents, so by the time a commit is printed
//! every branch that reaches it has been pushed down to it. Asking `git for-each-ref --contains`
//! once per commit costs a history walk each (redis, no commit-graph: 0.13 s per commit); this walk
//! costs about one of those, however many commits are asked.

use std::collections::{HashMap, HashSet};
use std::io::BufRead as _;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use super::provenance::BlobHistory;
use super::repo::{first_line, spawn_fed, Repo};
use crate::finding::Origin;

/// Branch names kept per commit: the ones naming an environment first, then by name.
pub(crate) const MAX_NAMES: usize = 8;

/// A set of branches, one bit per branch.
type Set = Vec<u64>;

/// A branch's short name, and whether it is a remote-tracking one (`origin/main`).
struct Branch {
    name: String,
    remote: bool,
}

/// Adds to each final origin that names a commit the `branches` property: the branches that
/// contain a commit that added its blob (`prov`: the first introduction and every later one, such
/// as the merge that brought a pull request's blob onto a branch; the introducing commit alone is
/// often on no branch at all), or for a commit message, its own commit. Origins no branch reaches
/// are left as they are.
pub(crate) fn add_to(
    walk: Walk,
    origins: &mut [Option<Arc<Origin>>],
    prov: &HashMap<String, BlobHistory>,
) -> Result<()> {
    let commits_of = |o: &Origin| -> Vec<String> {
        let p = &o.properties;
        let Some(c) = p.get("commit").and_then(Value::as_str) else {
            return Vec::new();
        };
        if p.get("reachable") == Some(&Value::Bool(false)) {
            return Vec::new();
        }
        let adds: Vec<String> = p
            .get("blob")
            .and_then(Value::as_str)
            .and_then(|b| prov.get(b))
            .map(|h| h.adds.iter().map(|e| e.commit.sha.clone()).collect())
            .unwrap_or_default();
        std::iter::once(c.to_string()).chain(adds).collect()
    };
    let mut commits: Vec<String> = origins
        .iter()
        .flatten()
        .flat_map(|o| commits_of(o))
        .collect();
    commits.sort();
    commits.dedup();
    let wanted: Vec<&str> = commits.iter().map(String::as_str).collect();
    let (names, found) = walk.containing(&wanted)?;
    for o in origins.iter_mut().flatten() {
        let mut set: Option<Set> = None;
        for c in commits_of(o) {
            if let Some(s) = found.get(&c) {
                let all = set.get_or_insert_with(|| vec![0; s.len()]);
                for (a, b) in all.iter_mut().zip(s) {
                    *a |= b;
                }
            }
        }
        if let Some(set) = set {
            let kept = named(&set, &names);
            if !kept.is_empty() {
                Arc::make_mut(o)
                    .properties
                    .insert("branches".into(), json!(kept));
            }
        }
    }
    Ok(())
}

/// The branches and the walk from their tips, read before it is known which commits are asked
/// about, so that it runs beside the provenance pass.
pub(crate) struct Walk {
    names: Vec<Branch>,
    tips: HashMap<String, Set>,
    words: usize,
    /// `git rev-list --topo-order --parents` from the tips: one commit and its parents per line.
    out: Vec<u8>,
}

impl Walk {
    /// Lists the branches and walks the history from their tips.
    pub(crate) fn read(repo: &Repo) -> Result<Walk> {
        let refs = repo.output(&[
            "for-each-ref",
            "--format=%(objectname) %(objecttype) %(refname) %(symref)",
            "refs/heads",
            "refs/remotes",
        ])?;
        let mut names: Vec<Branch> = Vec::new();
        let mut tips: HashMap<String, Set> = HashMap::new();
        let refs = String::from_utf8_lossy(&refs);
        let branches: Vec<(&str, Branch)> = refs
            .lines()
            .filter_map(|l| {
                let mut f = l.split(' ');
                let (oid, kind, name) = (f.next()?, f.next()?, f.next()?);
                // `origin/HEAD` points at another branch: that branch is listed itself.
                let symref = f.next().is_some_and(|s| !s.is_empty());
                if kind != "commit" || symref {
                    return None;
                }
                let branch = match name.strip_prefix("refs/heads/") {
                    Some(n) => Branch {
                        name: n.to_string(),
                        remote: false,
                    },
                    None => Branch {
                        name: name.strip_prefix("refs/remotes/")?.to_string(),
                        remote: true,
                    },
                };
                Some((oid, branch))
            })
            .collect();
        let words = branches.len().div_ceil(64);
        for (i, (oid, branch)) in branches.into_iter().enumerate() {
            names.push(branch);
            let set = tips
                .entry(oid.to_string())
                .or_insert_with(|| vec![0; words]);
            set[i / 64] |= 1 << (i % 64);
        }
        let mut out = Vec::new();
        if !tips.is_empty() {
            let tip_list: Vec<String> = tips.keys().cloned().collect();
            let mut cmd = repo.git();
            cmd.args(["rev-list", "--topo-order", "--parents", "--stdin"]);
            let (child, writer) = spawn_fed(&mut cmd, &tip_list, "rev-list")?;
            let done = child.wait_with_output().context("git rev-list")?;
            if let Some(w) = writer {
                let _ = w.join();
            }
            if !done.status.success() {
                anyhow::bail!("git rev-list: {}", first_line(&done.stderr));
            }
            out = done.stdout;
        }
        Ok(Walk {
            names,
            tips,
            words,
            out,
        })
    }

    /// The branches, and for each of `commits` that some branch contains, the set of those
    /// branches. Commits no branch contains are absent.
    fn containing(self, commits: &[&str]) -> Result<(Vec<Branch>, HashMap<String, Set>)> {
        let mut found = HashMap::new();
        if commits.is_empty() || self.tips.is_empty() {
            return Ok((self.names, found));
        }
        let wanted: HashSet<&str> = commits.iter().copied().collect();
        // Sets pushed down to commits not reached yet: children come before their parents, so only
        // the frontier of the walk is held.
        let mut pending: HashMap<String, Set> = self.tips;
        for line in self.out.lines() {
            let line = line.context("git rev-list output")?;
            let mut ids = line.split(' ');
            let Some(c) = ids.next() else { continue };
            let Some(set) = pending.remove(c) else {
                continue;
            };
            for p in ids {
                let to = pending
                    .entry(p.to_string())
                    .or_insert_with(|| vec![0; self.words]);
                for (a, b) in to.iter_mut().zip(&set) {
                    *a |= b;
                }
            }
            if wanted.contains(c) {
                found.insert(c.to_string(), set);
            }
        }
        Ok((self.names, found))
    }
}

/// The names of the branches in `set`, those naming an environment first, at most [`MAX_NAMES`].
fn named(set: &Set, names: &[Branch]) -> Vec<String> {
    let all: Vec<&Branch> = (0..names.len())
        .filter(|i| set[i / 64] & (1 << (i % 64)) != 0)
        .map(|i| &names[i])
        .collect();
    let local: HashSet<&str> = all
        .iter()
        .filter(|b| !b.remote)
        .map(|b| b.name.as_str())
        .collect();
    let mut kept: Vec<&str> = all
        .into_iter()
        .filter(|b| {
            !b.remote
                || b.name
                    .split_once('/')
                    .is_none_or(|(_, n)| !local.contains(n))
        })
        .map(|b| b.name.as_str())
        .collect();
    // Kept names are a sample when there are many: the ones the inventory reads an environment
    // from must not be the ones cut.
    kept.sort_by_key(|n| (crate::inventory::env::branch_hint(n).is_none(), *n));
    kept.dedup();
    kept.truncate(MAX_NAMES);
    kept.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::{named, Branch};

    #[test]
    fn environments_first_and_local_over_remote() {
        let names: Vec<Branch> = [
            "main",
            "origin/main",
            "origin/release/prod",
            "a",
            "b",
            "c",
            "d",
            "e",
            "f",
            "g",
            "develop",
            "deploy/prod",
            "origin/deploy/prod",
        ]
        .map(|n| Branch {
            name: n.to_string(),
            remote: n.starts_with("origin/"),
        })
        .into();
        let got = named(&vec![(1 << names.len()) - 1], &names);
        assert_eq!(
            got,
            [
                "deploy/prod",
                "develop",
                "origin/release/prod",
                "a",
                "b",
                "c",
                "d",
                "e"
            ]
        );
        // A remote-tracking branch is left out for the local one of the same name, slashes and all.
        assert_eq!(named(&vec![0b11], &names), ["main"]);
        assert_eq!(named(&vec![0b11 << 11], &names), ["deploy/prod"]);
    }
}
