//! Unchanged repositories: a repository whose refs (and object store) are exactly those of its last
//! complete or partial scan under the same engine and scope holds the same content (and lacks the
//! same objects), so a later run copies that scan's observations
//! instead of scanning it again (the rescan of an unchanged organisation then costs a few git
//! commands a repository). The copy is exact (the stored rows, not a re-rendering), so advancing the
//! run sees what the earlier scan saw: nothing becomes fixed, last seen moves on.

use std::collections::HashMap;

use anyhow::{bail, Result};

use super::db::{vals, Db};
use super::record::{Coverage, Engine, Prior, Scope};
use super::schema::FINDING_COLS;
use super::Store;
use crate::finding::Finding;

/// The newest complete or partial record of each repository under `engine` and `scope` that has
/// refs. A partial one is carried as partial, with its reasons: the same objects are missing.
pub(crate) fn priors(db: &mut Db, engine: &Engine, scope: Scope) -> Result<HashMap<String, Prior>> {
    let rows = db.query(
        "SELECT rr.repo, rr.run, rr.refs, rr.tip, rr.root_commit, rr.files, rr.bytes, rr.coverage, rr.reasons,
                (SELECT COUNT(*) FROM run_findings f
                  WHERE f.run = rr.run AND f.repo = rr.repo AND f.secret IS NULL
                    AND f.kind IN ('secret', 'password-hash'))
         FROM run_repos rr JOIN runs r ON r.id = rr.run
         WHERE rr.refs IS NOT NULL AND rr.coverage IN ('complete', 'partial') AND rr.scope = ?
           AND r.engine_version = ? AND r.rules_hash = ? AND r.settings_hash = ?
         ORDER BY rr.recorded, rr.run",
        vals![
            scope.as_list(),
            engine.version.as_str(),
            engine.rules_hash.as_str(),
            engine.settings_hash.as_str()
        ],
    )?;
    let mut out = HashMap::new();
    for r in rows {
        // Ordered oldest first: the newest record of a repository wins.
        out.insert(
            r[0].text(),
            Prior {
                run: r[1].text(),
                refs: r[2].text(),
                tip: r[3].opt_text(),
                root_commit: r[4].opt_text(),
                files: r[5].int().max(0) as u64,
                bytes: r[6].int().max(0) as u64,
                coverage: if r[7].text() == "partial" {
                    Coverage::Partial(serde_json::from_str(&r[8].text()).unwrap_or_default())
                } else {
                    Coverage::Complete
                },
                secrets_kept: r[9].int() == 0,
            },
        );
    }
    Ok(out)
}

impl Store {
    /// Copies what run `prior.run` recorded for repository `key` into run `run_id` (shard of this
    /// process) in one transaction, replacing whatever `run_id` had for it; returns the findings,
    /// revived from the stored rows (with their secrets when the store kept them).
    pub(crate) fn carry_repo(
        &mut self,
        run_id: &str,
        key: &str,
        prior: &Prior,
    ) -> Result<Vec<Finding>> {
        let shard = self.shard_of(run_id)?;
        let name = self.name.clone();
        let rows = self.db.tx(|db| {
            super::running_engine(db, &name, run_id)?;
            forget_repo(db, run_id, key)?;
            let n = db.exec(
                "INSERT INTO run_repos (run, repo, shard_index, tip, root_commit, scope, coverage, reasons, files, bytes, findings, recorded, refs)
                 SELECT CAST(? AS TEXT), repo, CAST(? AS BIGINT), tip, root_commit, scope, coverage, reasons, files, bytes, findings, CAST(? AS BIGINT), refs
                 FROM run_repos WHERE run = ? AND repo = ?",
                vals![run_id, shard, super::now(), prior.run.as_str(), key],
            )?;
            if n != 1 {
                bail!("{name}: run {} has no record of {key} to carry forward", prior.run);
            }
            let rest = FINDING_COLS
                .split(", ")
                .skip(1)
                .collect::<Vec<_>>()
                .join(", ");
            db.exec(
                &format!(
                    "INSERT INTO run_findings ({FINDING_COLS}) SELECT CAST(? AS TEXT), {rest} FROM run_findings WHERE run = ? AND repo = ?"
                ),
                vals![run_id, prior.run.as_str(), key],
            )?;
            db.query(
                "SELECT finding, secret FROM run_findings WHERE run = ? AND repo = ? ORDER BY seqno",
                vals![run_id, key],
            )
        })?;
        rows.into_iter()
            .map(|r| {
                let mut f = super::revive::finding(&r[0].text())?;
                f.secret = r[1].opt_text();
                Ok(f)
            })
            .collect()
    }
}

/// Deletes what run `run_id` recorded for repository `key` (before it is recorded again).
pub(crate) fn forget_repo(db: &mut Db, run_id: &str, key: &str) -> Result<()> {
    db.exec(
        "DELETE FROM run_findings WHERE run = ? AND repo = ?",
        vals![run_id, key],
    )?;
    db.exec(
        "DELETE FROM run_repos WHERE run = ? AND repo = ?",
        vals![run_id, key],
    )?;
    Ok(())
}
