//! Planning a sharded run (`--plan-only`): every input resolved, every URL cloned or fetched into
//! the cache so that its root commit is known, and the shard of each repository printed as JSON.
//! A later `--plan FILE` run (a shard job) takes its repositories from the plan, with the groups
//! it pinned: forks given as URLs then land on one shard like local forks do, which a shard job
//! could not know before cloning (without a plan, a URL's group is its normalized URL).

use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};

use super::cache::Cache;
use super::input::{Location, Target};
use super::key::{is_url, redact};
use crate::store::record::Scope;

/// The plan's format version.
const VERSION: u64 = 1;

/// Resolves every target (cloning URLs) and returns the plan: for each repository its key, how it
/// is reached (URLs without credentials), its root commit, group, and shard of `count` (when
/// given), and why it failed when it did.
pub(crate) fn plan(targets: &[Target], scope: Scope, count: Option<u32>, cache: &Cache) -> Value {
    let repos: Vec<Value> = targets
        .iter()
        .map(|t| {
            let (root, problem) = root_of(t, scope, cache);
            let group = t
                .group
                .clone()
                .or_else(|| root.clone())
                .unwrap_or_else(|| t.key.clone());
            let mut v = json!({
                "key": t.key,
                "input": t.shown(),
                "root_commit": root,
                "group": group,
            });
            if let Some(n) = count {
                v["shard"] = json!(super::shard::of(&group, n));
            }
            if let Some(p) = problem {
                v["problem"] = json!(p);
            }
            v
        })
        .collect();
    json!({
        "nhiscan_batch_plan": VERSION,
        "scope": scope.as_list(),
        "shards": count,
        "repositories": repos,
    })
}

fn root_of(t: &Target, scope: Scope, cache: &Cache) -> (Option<String>, Option<String>) {
    if let Some(p) = &t.problem {
        return (None, Some(p.clone()));
    }
    let path = match &t.location {
        Location::Local(p) => p.clone(),
        Location::Url(u) => match cache.get(u, &t.key, scope.history) {
            Ok(p) => p,
            Err(e) => return (None, Some(format!("{e:#}"))),
        },
    };
    match super::probe::probe(&path) {
        Ok((_, f)) => (f.root, None),
        Err(e) => (None, Some(format!("{e:#}"))),
    }
}

/// The targets of a plan file, each with the group the plan pinned.
pub(crate) fn read(path: &Path) -> Result<Vec<Target>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--plan {}: cannot read", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("--plan {}: not JSON", path.display()))?;
    if v["nhiscan_batch_plan"].as_u64() != Some(VERSION) {
        bail!(
            "--plan {}: not a plan written by `nhiscan batch --plan-only` (version {VERSION})",
            path.display()
        );
    }
    let Some(list) = v["repositories"].as_array() else {
        bail!("--plan {}: no `repositories` array", path.display());
    };
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        let field = |k: &str| {
            r[k].as_str()
                .map(str::to_string)
                .with_context(|| format!("--plan {}: repository {i} has no `{k}`", path.display()))
        };
        let (key, input, group) = (field("key")?, field("input")?, field("group")?);
        let location = if is_url(&input) {
            Location::Url(redact(&input))
        } else {
            Location::Local(input.into())
        };
        out.push(Target {
            key,
            location,
            // Tried again: a clone that failed while planning may work now.
            problem: None,
            group: Some(group),
            surveyed: None,
        });
    }
    Ok(out)
}
