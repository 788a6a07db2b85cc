//! `nhiscan merge`'s store side: copy shard stores' runs and observations into a target store, then
//! advance each sharded run whose every shard 0..N-1 is complete. A run with a shard missing or
//! unfinished is not advanced (its copied observations stay, so a later merge can finish it).

use anyhow::{bail, Result};

use super::db::{vals, Db, Row, Val};
use super::schema::FINDING_COLS;
use super::{advance, Store};

const RUN_COLS: &str = "id, started, finished, shard_count, engine_version, rules_hash, settings_hash, scope, status, seq, meta";
const SHARD_COLS: &str = "run, shard_index, status, plan_key, started, finished, expected, meta";
const REPO_COLS: &str = "run, repo, shard_index, tip, root_commit, scope, coverage, reasons, files, bytes, findings, recorded, refs";

/// A sharded run that could not advance: the shards not recorded at all and those still running.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    pub run: String,
    pub count: i64,
    pub missing: Vec<i64>,
    pub incomplete: Vec<i64>,
}

/// What a merge did.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// Per source store: the runs copied from it.
    pub copied: Vec<(String, Vec<String>)>,
    /// Runs whose state advanced.
    pub advanced: Vec<String>,
    /// Sharded runs that could not advance.
    pub refused: Vec<Refused>,
}

fn copy(dst: &mut Db, table: &str, cols: &str, rows: Vec<Row>) -> Result<()> {
    dst.insert_many(table, cols, "", &rows)
}

/// Copies `src`'s runs (only `only` when given) into `dst`. Runs that already advanced in `dst`
/// are left alone; a shard `src` holds replaces the same shard in `dst`.
pub(crate) fn copy_from(
    dst: &mut Store,
    src: &mut Store,
    only: Option<&str>,
) -> Result<Vec<String>> {
    let runs = src.db.query(
        &format!("SELECT {RUN_COLS} FROM runs ORDER BY started, id"),
        &[],
    )?;
    let mut copied = Vec::new();
    for run in runs {
        let id = run[0].text();
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let shards = src.db.query(
            &format!("SELECT {SHARD_COLS} FROM run_shards WHERE run = ?"),
            vals![id.as_str()],
        )?;
        let repos = src.db.query(
            &format!("SELECT {REPO_COLS} FROM run_repos WHERE run = ?"),
            vals![id.as_str()],
        )?;
        let findings = src.db.query(
            &format!("SELECT {FINDING_COLS} FROM run_findings WHERE run = ?"),
            vals![id.as_str()],
        )?;
        let (dst_name, src_name) = (dst.name.clone(), src.name.clone());
        let done = dst.db.tx(|db| {
            match db.one(
                "SELECT shard_count, engine_version, rules_hash, settings_hash, scope, status FROM runs WHERE id = ?",
                vals![id.as_str()],
            )? {
                None => {
                    let mut row = run.clone();
                    // The run advances here, whatever the shard store said about itself.
                    row[8] = Val::from("running");
                    row[9] = Val::Int(None);
                    copy(db, "runs", RUN_COLS, vec![row])?;
                }
                Some(have) => {
                    if have[5].text() == "complete" {
                        return Ok(false);
                    }
                    let same = (0..5).all(|i| have[i].opt_text() == run[i + 3].opt_text());
                    if !same {
                        bail!("{src_name}: run {id} has another shard count, engine or scope than in {dst_name}");
                    }
                }
            }
            for sh in &shards {
                let shard = sh[1].int();
                let old = db.query(
                    "SELECT repo FROM run_repos WHERE run = ? AND shard_index = ?",
                    vals![id.as_str(), shard],
                )?;
                for r in old {
                    db.exec("DELETE FROM run_findings WHERE run = ? AND repo = ?", vals![id.as_str(), r[0].text()])?;
                }
                db.exec("DELETE FROM run_repos WHERE run = ? AND shard_index = ?", vals![id.as_str(), shard])?;
                db.exec("DELETE FROM run_shards WHERE run = ? AND shard_index = ?", vals![id.as_str(), shard])?;
            }
            for r in &repos {
                db.exec("DELETE FROM run_findings WHERE run = ? AND repo = ?", vals![id.as_str(), r[1].text()])?;
                db.exec("DELETE FROM run_repos WHERE run = ? AND repo = ?", vals![id.as_str(), r[1].text()])?;
            }
            copy(db, "run_shards", SHARD_COLS, shards.clone())?;
            copy(db, "run_repos", REPO_COLS, repos.clone())?;
            copy(db, "run_findings", FINDING_COLS, findings.clone())?;
            Ok(true)
        })?;
        if done {
            copied.push(id);
        }
    }
    let blobs = src.db.query("SELECT engine, blob FROM clean_blobs", &[])?;
    dst.db.tx(|db| {
        db.insert_many(
            "clean_blobs",
            "engine, blob",
            "ON CONFLICT (engine, blob) DO NOTHING",
            &blobs,
        )
    })?;
    Ok(copied)
}

/// Advances run `only`, or every sharded run not advanced yet (oldest first), when all of its
/// shards are complete; the others are returned as refused.
pub(crate) fn advance_complete(
    store: &mut Store,
    only: Option<&str>,
    merged: &mut Merged,
) -> Result<()> {
    let runs = match only {
        Some(id) => {
            let Some(r) = store.db.one("SELECT id, shard_count, status FROM runs WHERE id = ?", vals![id])? else {
                bail!("{}: no run {id}", store.name);
            };
            if r[2].text() == "complete" {
                bail!("{}: run {id} has already advanced the store's state", store.name);
            }
            vec![r]
        }
        None => store.db.query(
            "SELECT id, shard_count, status FROM runs WHERE status = 'running' AND shard_count IS NOT NULL ORDER BY started, id",
            &[],
        )?,
    };
    for r in runs {
        let id = r[0].text();
        let count = r[1].opt_int().unwrap_or(1);
        let shards = store.db.query(
            "SELECT shard_index, status FROM run_shards WHERE run = ?",
            vals![id.as_str()],
        )?;
        let status = |i: i64| shards.iter().find(|s| s[0].int() == i).map(|s| s[1].text());
        let missing: Vec<i64> = (0..count).filter(|i| status(*i).is_none()).collect();
        let incomplete: Vec<i64> = (0..count)
            .filter(|i| status(*i).is_some_and(|s| s != "complete"))
            .collect();
        if !missing.is_empty() || !incomplete.is_empty() {
            merged.refused.push(Refused {
                run: id,
                count,
                missing,
                incomplete,
            });
            continue;
        }
        store.db.tx(|db| {
            advance::advance(db, &id)?;
            super::clean::prune_clean_blobs(db).map(|_| ())
        })?;
        merged.advanced.push(id);
    }
    Ok(())
}
