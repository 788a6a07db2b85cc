//! [`RunStore`] for the store: a run's start, each repository's observations (one transaction per
//! repository, idempotent on retry), the clean blobs, and the end of the run.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};

use super::carry::forget_repo;
use super::clean::{engine_key, prune_clean_blobs};
use super::db::{vals, Db, Val};
use super::record::{Coverage, Engine, Prior, RepoRecord, RunStart, RunStore, Scope};
use super::schema::FINDING_COLS;
use super::{advance, now, place, Store};
use crate::finding::Finding;

/// `complete`, `partial` or `failed`, and the reasons.
pub(crate) fn coverage_parts(c: &Coverage) -> (&'static str, Vec<String>) {
    match c {
        Coverage::Complete => ("complete", Vec::new()),
        Coverage::Partial(r) => ("partial", r.clone()),
        Coverage::Failed(r) => ("failed", vec![r.clone()]),
    }
}

impl Store {
    /// The shard this process writes run `run_id` as: the one it began or resumed, else the only
    /// shard the store knows for it, else 0.
    pub(crate) fn shard_of(&mut self, run_id: &str) -> Result<i64> {
        if let Some(s) = self.shards.get(run_id) {
            return Ok(*s);
        }
        let rows = self.db.query(
            "SELECT shard_index FROM run_shards WHERE run = ?",
            vals![run_id],
        )?;
        Ok(if rows.len() == 1 { rows[0][0].int() } else { 0 })
    }
}

impl RunStore for Store {
    fn resume(&mut self, plan_key: &str) -> Result<Option<(String, Vec<String>)>> {
        let Some(row) = self.db.one(
            "SELECT run, shard_index FROM run_shards WHERE plan_key = ? AND status = 'running' ORDER BY started DESC, run DESC",
            vals![plan_key],
        )?
        else {
            return Ok(None);
        };
        let (run, shard) = (row[0].text(), row[1].int());
        let repos = self
            .db
            .query(
                "SELECT repo FROM run_repos WHERE run = ? AND shard_index = ? ORDER BY repo",
                vals![run.as_str(), shard],
            )?
            .into_iter()
            .map(|r| r[0].text())
            .collect();
        self.shards.insert(run.clone(), shard);
        Ok(Some((run, repos)))
    }

    fn begin(&mut self, start: &RunStart, plan_key: &str) -> Result<()> {
        if let Some((i, n)) = start.shard {
            if n == 0 || i >= n {
                bail!("shard {i}/{n}: the index must be below the shard count");
            }
        }
        let shard = start.shard.map_or(0, |s| i64::from(s.0));
        let count = start.shard.map(|s| i64::from(s.1));
        let e = &start.engine;
        let scope = start.scope.as_list();
        let meta = serde_json::to_string(&start.meta)?;
        let expected = serde_json::to_string(&start.expected)?;
        let t = now();
        let name = self.name.clone();
        self.db.tx(|db| {
            db.exec(
                "INSERT INTO runs (id, started, finished, shard_count, engine_version, rules_hash, settings_hash, scope, status, seq, meta)
                 VALUES (?, ?, NULL, ?, ?, ?, ?, ?, 'running', NULL, ?) ON CONFLICT (id) DO NOTHING",
                vals![start.run_id.as_str(), t, count, e.version.as_str(), e.rules_hash.as_str(), e.settings_hash.as_str(), scope.as_str(), meta.as_str()],
            )?;
            // Every shard of a run must scan with the same engine and scope, or merging them
            // would mix what cannot be compared.
            let row = db
                .one(
                    "SELECT shard_count, engine_version, rules_hash, settings_hash, scope, status FROM runs WHERE id = ?",
                    vals![start.run_id.as_str()],
                )?
                .expect("just inserted");
            let same = row[0].opt_int() == count
                && row[1].text() == e.version
                && row[2].text() == e.rules_hash
                && row[3].text() == e.settings_hash
                && row[4].text() == scope;
            if !same {
                bail!(
                    "{name}: run {} is already recorded with another shard count, engine or scope; a run id names one run (every shard of it scans with the same nhiscan, rules, settings and scope)",
                    start.run_id
                );
            }
            if row[5].text() == "complete" {
                bail!("{name}: run {} is already complete", start.run_id);
            }
            db.exec(
                "DELETE FROM run_shards WHERE run = ? AND shard_index = ?",
                vals![start.run_id.as_str(), shard],
            )?;
            db.exec(
                "INSERT INTO run_shards (run, shard_index, status, plan_key, started, finished, expected, meta) VALUES (?, ?, 'running', ?, ?, NULL, ?, ?)",
                vals![start.run_id.as_str(), shard, plan_key, t, expected.as_str(), meta.as_str()],
            )?;
            Ok(())
        })?;
        self.shards.insert(start.run_id.clone(), shard);
        Ok(())
    }

    fn clean_blobs(&mut self, engine: &Engine) -> Result<HashSet<String>> {
        let rows = self.db.query(
            "SELECT blob FROM clean_blobs WHERE engine = ?",
            vals![engine_key(engine)],
        )?;
        Ok(rows.into_iter().map(|r| r[0].text()).collect())
    }

    fn priors(&mut self, engine: &Engine, scope: Scope) -> Result<HashMap<String, Prior>> {
        super::carry::priors(&mut self.db, engine, scope)
    }

    fn carry(&mut self, run_id: &str, key: &str, prior: &Prior) -> Result<Vec<Finding>> {
        self.carry_repo(run_id, key, prior)
    }

    fn record(&mut self, run_id: &str, repo: &RepoRecord, clean_blobs: &[String]) -> Result<()> {
        let shard = self.shard_of(run_id)?;
        let store_secrets = self.opts.store_secrets;
        let name = self.name.clone();
        self.db.tx(|db| {
            let engine = super::running_engine(db, &name, run_id)?;
            write_repo(db, run_id, shard, repo, store_secrets)?;
            let key = engine_key(&engine);
            let rows: Vec<Vec<Val>> = clean_blobs
                .iter()
                .map(|b| vec![Val::from(key.as_str()), Val::from(b.as_str())])
                .collect();
            db.insert_many(
                "clean_blobs",
                "engine, blob",
                "ON CONFLICT (engine, blob) DO NOTHING",
                &rows,
            )
        })
    }

    fn finish(&mut self, run_id: &str) -> Result<()> {
        let shard = self.shard_of(run_id)?;
        let name = self.name.clone();
        self.db.tx(|db| {
            let Some(run) = db.one("SELECT shard_count, status FROM runs WHERE id = ?", vals![run_id])?
            else {
                bail!("{name}: no run {run_id}");
            };
            let Some(sh) = db.one(
                "SELECT expected FROM run_shards WHERE run = ? AND shard_index = ?",
                vals![run_id, shard],
            )?
            else {
                bail!("{name}: run {run_id} has no shard {shard}");
            };
            // No repository is dropped silently: one the run expected but never recorded is
            // recorded as failed.
            let expected: Vec<String> = serde_json::from_str(&sh[0].text())?;
            let recorded: HashSet<String> = db
                .query("SELECT repo FROM run_repos WHERE run = ?", vals![run_id])?
                .into_iter()
                .map(|r| r[0].text())
                .collect();
            for key in expected.iter().filter(|k| !recorded.contains(*k)) {
                let missing = RepoRecord {
                    key: key.clone(),
                    tip: None,
                    root_commit: None,
                    refs: None,
                    scope: Default::default(),
                    coverage: Coverage::Failed(
                        "not scanned: the run ended without recording this repository".into(),
                    ),
                    files: 0,
                    bytes: 0,
                    findings: Vec::new(),
                    errors: Vec::new(),
                };
                write_repo(db, run_id, shard, &missing, false)?;
            }
            db.exec(
                "UPDATE run_shards SET status = 'complete', finished = ? WHERE run = ? AND shard_index = ?",
                vals![now(), run_id, shard],
            )?;
            if run[0].opt_int().is_none() && run[1].text() != "complete" {
                advance::advance(db, run_id)?;
                prune_clean_blobs(db)?;
            }
            Ok(())
        })
    }
}

/// Replaces what run `run_id` recorded for `repo.key` (so a retried record does not double it).
fn write_repo(
    db: &mut Db,
    run_id: &str,
    shard: i64,
    repo: &RepoRecord,
    store_secrets: bool,
) -> Result<()> {
    let key = repo.key.as_str();
    forget_repo(db, run_id, key)?;
    let (coverage, reasons) = coverage_parts(&repo.coverage);
    db.exec(
        "INSERT INTO run_repos (run, repo, shard_index, tip, root_commit, scope, coverage, reasons, files, bytes, findings, recorded, refs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vals![
            run_id,
            key,
            shard,
            repo.tip.clone(),
            repo.root_commit.clone(),
            repo.scope.as_list(),
            coverage,
            serde_json::to_string(&reasons)?,
            repo.files as i64,
            repo.bytes as i64,
            repo.findings.len() as i64,
            super::now(),
            repo.refs.clone(),
        ],
    )?;
    let mut rows = Vec::with_capacity(repo.findings.len());
    for (i, f) in repo.findings.iter().enumerate() {
        let p = place::of(key, f);
        let json = serde_json::to_string(&f.to_json(false))?;
        let secret = if store_secrets {
            f.secret.clone()
        } else {
            None
        };
        rows.push(
            vals![
                run_id,
                key,
                i as i64,
                p.occurrence,
                f.fingerprint.as_str(),
                f.rule_id.as_str(),
                f.kind.as_str(),
                f.severity.as_str(),
                p.path,
                p.commit,
                p.blob,
                f.line as i64,
                p.image,
                p.layer,
                f.location_fingerprint(),
                json,
                secret,
            ]
            .to_vec(),
        );
    }
    db.insert_many("run_findings", FINDING_COLS, "", &rows)?;
    Ok(())
}

/// The runs a store holds, newest first, as `nhiscan diff` and `findings --run` name them.
pub(crate) fn complete_runs(db: &mut Db) -> Result<Vec<(String, i64)>> {
    Ok(db
        .query(
            "SELECT id, seq FROM runs WHERE status = 'complete' ORDER BY seq DESC",
            &[],
        )?
        .into_iter()
        .map(|r| (r[0].text(), r[1].int()))
        .collect())
}
