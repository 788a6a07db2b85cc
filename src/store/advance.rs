//! Advancing the state with one finished run: first and last seen, and the status of every
//! occurrence and credential (new, open, fixed, reopened). Run once per run, inside the caller's
//! transaction: by `finish` for an unsharded run, by `nhiscan merge` for a sharded one once every
//! shard is complete. It reads only what the run recorded, so a merged sharded run advances exactly
//! as one unsharded run over the same repositories.
//!
//! The fixed rule: an occurrence not found again is fixed only when its repository's record in
//! this run is complete, the run's scope for it covers the scope of the run that last saw it, and
//! the engine is the same or newer (same rules hash, or a newer nhiscan version). Anything else
//! (failed, partial, narrower, older rules) leaves it as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{bail, Result};

use super::db::{vals, Db, Row};
use super::record::Scope;

struct Run {
    started: i64,
    version: String,
    rules: String,
}

/// Parses `tree,history,images` back.
pub(crate) fn parse_scope(s: &str) -> Scope {
    let has = |p: &str| s.split(',').any(|x| x == p);
    Scope {
        tree: has("tree"),
        history: has("history"),
        images: has("images"),
    }
}

/// Orders nhiscan versions (semver; pre-release parts sort before their release).
fn version_key(v: &str) -> (Vec<u64>, bool) {
    let (core, pre) = match v.split_once('-') {
        Some((c, _)) => (c, true),
        None => (v.split('+').next().unwrap_or(v), false),
    };
    let nums = core
        .split('.')
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .collect();
    (nums, !pre)
}

/// True when an engine (`version`, `rules`) may decide that something seen under
/// (`seen_version`, `seen_rules`) is gone: the same rules, or a newer nhiscan.
pub(crate) fn same_or_newer(
    version: &str,
    rules: &str,
    seen_version: &str,
    seen_rules: &str,
) -> bool {
    rules == seen_rules || version_key(version) > version_key(seen_version)
}

/// Advances the store's state with run `run_id` (which must not have advanced yet).
pub(crate) fn advance(db: &mut Db, run_id: &str) -> Result<()> {
    let Some(r) = db.one(
        "SELECT started, engine_version, rules_hash, status FROM runs WHERE id = ?",
        vals![run_id],
    )?
    else {
        bail!("no run {run_id}");
    };
    if r[3].text() == "complete" {
        bail!("run {run_id} has already advanced the store's state");
    }
    let run = Run {
        started: r[0].int(),
        version: r[1].text(),
        rules: r[2].text(),
    };
    let seq = db
        .one("SELECT MAX(seq) FROM runs", &[])?
        .and_then(|r| r[0].opt_int())
        .unwrap_or(0)
        + 1;
    let finished = db
        .one(
            "SELECT MAX(finished) FROM run_shards WHERE run = ?",
            vals![run_id],
        )?
        .and_then(|r| r[0].opt_int())
        .unwrap_or_else(super::now);
    db.exec(
        "UPDATE runs SET status = 'complete', seq = ?, finished = ? WHERE id = ?",
        vals![seq, finished, run_id],
    )?;
    // `new` and `reopened` say what the latest run changed: what an earlier run changed is open now.
    db.exec(
        "UPDATE occurrences SET status = 'open' WHERE status IN ('new', 'reopened')",
        &[],
    )?;
    db.exec(
        "UPDATE credentials SET status = 'open' WHERE status IN ('new', 'reopened')",
        &[],
    )?;

    let repos = db.query(
        "SELECT repo, scope, coverage FROM run_repos WHERE run = ? ORDER BY repo",
        vals![run_id],
    )?;
    // Per credential: whether this run saw it, and its newest facts (from the rows that did).
    let mut seen: BTreeMap<String, Row> = BTreeMap::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut pending = Pending::default();
    for repo in &repos {
        let (key, scope, complete) = (repo[0].text(), repo[1].text(), repo[2].text() == "complete");
        let rows = db.query(
            "SELECT occurrence, credential, rule_id, kind, severity, path, commit_id, blob, line, image, layer, location_fp, finding, secret
             FROM run_findings WHERE run = ? AND repo = ? ORDER BY seqno",
            vals![run_id, key.as_str()],
        )?;
        // One occurrence may be found several times (the same secret twice in a file, many
        // versions of a file in a history): the first finding stands for it.
        let mut observed: BTreeMap<String, Row> = BTreeMap::new();
        for row in rows {
            seen.entry(row[1].text()).or_insert_with(|| row.clone());
            observed.entry(row[0].text()).or_insert(row);
        }
        let existing: HashMap<String, Row> = db
            .query(
                "SELECT id, status, seen_scope, seen_version, seen_rules, credential FROM occurrences WHERE repo = ?",
                vals![key.as_str()],
            )?
            .into_iter()
            .map(|r| (r[0].text(), r))
            .collect();
        for (occ, row) in &observed {
            let cred = row[1].text();
            touched.insert(cred.clone());
            match existing.get(occ) {
                None => {
                    pending.occurrences.push(
                        vals![
                            occ.as_str(),
                            cred.as_str(),
                            key.as_str(),
                            row[5].text(),
                            row[6].opt_text(),
                            row[7].opt_text(),
                            row[8].int(),
                            row[9].text(),
                            row[10].text(),
                            row[11].text(),
                            run.started,
                            run_id,
                            run.started,
                            run_id,
                            "new",
                            None::<String>,
                            scope.as_str(),
                            run.version.as_str(),
                            run.rules.as_str(),
                            row[12].text()
                        ]
                        .to_vec(),
                    );
                    pending.event(run_id, &cred, occ, "new");
                }
                Some(old) => {
                    let status = if old[1].text() == "fixed" {
                        "reopened"
                    } else {
                        "open"
                    };
                    db.exec(
                        "UPDATE occurrences SET commit_id = ?, blob = ?, line = ?, location_fp = ?, last_seen = ?, last_run = ?, status = ?, fixed_run = NULL, seen_scope = ?, seen_version = ?, seen_rules = ?, finding = ? WHERE id = ?",
                        vals![row[6].opt_text(), row[7].opt_text(), row[8].int(), row[11].text(), run.started, run_id, status, scope.as_str(), run.version.as_str(), run.rules.as_str(), row[12].text(), occ.as_str()],
                    )?;
                    if status == "reopened" {
                        pending.event(run_id, &cred, occ, status);
                    }
                }
            }
        }
        if !complete {
            continue;
        }
        let scope = parse_scope(&scope);
        let mut gone: Vec<&Row> = existing
            .values()
            .filter(|o| !observed.contains_key(&o[0].text()) && o[1].text() != "fixed")
            .filter(|o| {
                scope.covers(parse_scope(&o[2].text()))
                    && same_or_newer(&run.version, &run.rules, &o[3].text(), &o[4].text())
            })
            .collect();
        gone.sort_by_key(|o| o[0].text());
        for o in gone {
            db.exec(
                "UPDATE occurrences SET status = 'fixed', fixed_run = ? WHERE id = ?",
                vals![run_id, o[0].text()],
            )?;
            pending.event(run_id, &o[5].text(), &o[0].text(), "fixed");
            touched.insert(o[5].text());
        }
    }

    db.insert_many("occurrences", OCC_COLS, "", &pending.occurrences)?;
    let known: HashMap<String, String> = db
        .query("SELECT fingerprint, status FROM credentials", &[])?
        .into_iter()
        .map(|r| (r[0].text(), r[1].text()))
        .collect();
    for cred in &touched {
        let old = known.get(cred);
        if let Some(row) = seen.get(cred) {
            let secret = row[13].opt_text();
            match old {
                None => {
                    pending.credentials.push(
                        vals![
                            cred.as_str(),
                            row[2].text(),
                            row[3].text(),
                            row[4].text(),
                            secret,
                            run.started,
                            run_id,
                            run.started,
                            run_id,
                            "new",
                            None::<String>
                        ]
                        .to_vec(),
                    );
                    pending.event(run_id, cred, "", "new");
                }
                Some(old) => {
                    let status = if old == "fixed" { "reopened" } else { "open" };
                    db.exec(
                        "UPDATE credentials SET severity = ?, secret = COALESCE(?, secret), last_seen = ?, last_run = ?, status = ?, fixed_run = NULL WHERE fingerprint = ?",
                        vals![row[4].text(), secret, run.started, run_id, status, cred.as_str()],
                    )?;
                    if status == "reopened" {
                        pending.event(run_id, cred, "", status);
                    }
                }
            }
            continue;
        }
        let open = db
            .one(
                "SELECT COUNT(*) FROM occurrences WHERE credential = ? AND status <> 'fixed'",
                vals![cred.as_str()],
            )?
            .map_or(0, |r| r[0].int());
        if open == 0 && old.is_some_and(|o| o != "fixed") {
            db.exec(
                "UPDATE credentials SET status = 'fixed', fixed_run = ? WHERE fingerprint = ?",
                vals![run_id, cred.as_str()],
            )?;
            pending.event(run_id, cred, "", "fixed");
        }
    }
    db.insert_many("credentials", CRED_COLS, "", &pending.credentials)?;
    db.insert_many(
        "events",
        "run, credential, occurrence, status",
        "",
        &pending.events,
    )?;
    Ok(())
}

/// Status changes and new rows, written in a few multi-row statements at the end.
#[derive(Default)]
struct Pending {
    events: Vec<Row>,
    occurrences: Vec<Row>,
    credentials: Vec<Row>,
}

impl Pending {
    fn event(&mut self, run: &str, cred: &str, occ: &str, status: &str) {
        self.events.push(vals![run, cred, occ, status].to_vec());
    }
}

const OCC_COLS: &str = "id, credential, repo, path, commit_id, blob, line, image, layer, location_fp, first_seen, first_run, last_seen, last_run, status, fixed_run, seen_scope, seen_version, seen_rules, finding";
const CRED_COLS: &str = "fingerprint, rule_id, kind, severity, secret, first_seen, first_run, last_seen, last_run, status, fixed_run";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_numerically_and_prereleases_first() {
        assert!(same_or_newer("0.10.0", "b", "0.9.3", "a"));
        assert!(!same_or_newer("0.9.3", "b", "0.10.0", "a"));
        assert!(!same_or_newer("1.0.0-rc1", "b", "1.0.0", "a"));
        assert!(same_or_newer("1.0.0", "b", "1.0.0-rc1", "a"));
        assert!(!same_or_newer("1.0.0", "b", "1.0.0", "a"));
        assert!(same_or_newer("0.1.0", "a", "9.0.0", "a"));
    }

    #[test]
    fn scopes_round_trip() {
        for s in [
            "",
            "tree",
            "tree,history",
            "history,images",
            "tree,history,images",
        ] {
            assert_eq!(parse_scope(s).as_list(), s);
        }
    }
}
