//! What the reading commands ask the store: occurrences with their state and triage (`findings`),
//! and the status changes between two runs (`diff`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{bail, Result};

use super::db::{vals, Val};
use super::triage::Triage;
use super::Store;

/// Which occurrences `nhiscan findings` shows.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    /// Only this occurrence status.
    pub status: Option<String>,
    /// Only occurrences first seen at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Only this repository key.
    pub repo: Option<String>,
    /// Only occurrences run this id observed.
    pub run: Option<String>,
}

/// One stored occurrence, with its credential's state and triage.
#[derive(Debug, Clone)]
pub(crate) struct Occurrence {
    pub repo: String,
    pub status: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub first_run: String,
    pub last_run: String,
    pub fixed_run: Option<String>,
    /// The redacted finding JSON of the latest sighting.
    pub finding: String,
    pub credential_status: String,
    pub triage: Option<Triage>,
}

/// One credential's change in `diff`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Change {
    pub status: String,
    pub fingerprint: String,
    pub rule_id: String,
    pub severity: String,
    pub repos: Vec<String>,
    pub run: String,
}

impl Store {
    /// The occurrences `filter` selects, by repository, then path and line.
    pub(crate) fn occurrences(&mut self, filter: &Filter) -> Result<Vec<Occurrence>> {
        let mut sql = String::from(
            "SELECT o.credential, o.repo, o.status, o.first_seen, o.last_seen, o.first_run, o.last_run, o.fixed_run, o.finding, c.status
             FROM occurrences o JOIN credentials c ON c.fingerprint = o.credential WHERE 1 = 1",
        );
        let mut params: Vec<Val> = Vec::new();
        if let Some(s) = &filter.status {
            sql.push_str(" AND o.status = ?");
            params.push(s.into());
        }
        if let Some(t) = filter.since {
            sql.push_str(" AND o.first_seen >= ?");
            params.push(t.into());
        }
        if let Some(r) = &filter.repo {
            sql.push_str(" AND o.repo = ?");
            params.push(r.into());
        }
        if let Some(r) = &filter.run {
            if self
                .db
                .one("SELECT id FROM runs WHERE id = ?", vals![r.as_str()])?
                .is_none()
            {
                bail!("{}: no run {r}", self.name);
            }
            sql.push_str(" AND o.id IN (SELECT occurrence FROM run_findings WHERE run = ?)");
            params.push(r.into());
        }
        sql.push_str(" ORDER BY o.repo, o.path, o.line, o.id");
        let rows = self.db.query(&sql, &params)?;
        let triage = self.triage_latest()?;
        Ok(rows
            .into_iter()
            .map(|r| Occurrence {
                repo: r[1].text(),
                status: r[2].text(),
                first_seen: r[3].int(),
                last_seen: r[4].int(),
                first_run: r[5].text(),
                last_run: r[6].text(),
                fixed_run: r[7].opt_text(),
                finding: r[8].text(),
                credential_status: r[9].text(),
                triage: triage.get(&r[0].text()).cloned(),
            })
            .collect())
    }

    /// The two runs `diff` compares by default: the last two complete runs, older first.
    pub(crate) fn last_two_runs(&mut self) -> Result<(String, String)> {
        let runs = super::runs::complete_runs(&mut self.db)?;
        match runs.as_slice() {
            [b, a, ..] => Ok((a.0.clone(), b.0.clone())),
            _ => bail!(
                "{}: diff needs two complete runs, the store has {}",
                self.name,
                runs.len()
            ),
        }
    }

    /// What changed after run `a` up to run `b` (both complete): per credential its last change
    /// (new, fixed, reopened) in the runs that advanced after `a`, up to and including `b`.
    pub(crate) fn diff(&mut self, a: &str, b: &str) -> Result<Vec<Change>> {
        let seq = |s: &mut Store, id: &str| -> Result<i64> {
            match s
                .db
                .one("SELECT seq, status FROM runs WHERE id = ?", vals![id])?
            {
                Some(r) if r[1].text() == "complete" => Ok(r[0].int()),
                Some(_) => bail!(
                    "{}: run {id} is not complete (merge its shards first)",
                    s.name
                ),
                None => bail!("{}: no run {id}", s.name),
            }
        };
        let (sa, sb) = (seq(self, a)?, seq(self, b)?);
        if sa >= sb {
            bail!("{}: run {a} is not older than run {b}", self.name);
        }
        let rows = self.db.query(
            "SELECT e.credential, e.status, e.run, c.rule_id, c.severity FROM events e JOIN runs r ON r.id = e.run JOIN credentials c ON c.fingerprint = e.credential
             WHERE e.occurrence = '' AND r.seq > ? AND r.seq <= ? ORDER BY r.seq, e.credential",
            vals![sa, sb],
        )?;
        let mut first: HashMap<String, String> = HashMap::new();
        let mut last: BTreeMap<String, Change> = BTreeMap::new();
        for r in rows {
            first.entry(r[0].text()).or_insert_with(|| r[1].text());
            last.insert(
                r[0].text(),
                Change {
                    status: r[1].text(),
                    fingerprint: r[0].text(),
                    rule_id: r[3].text(),
                    severity: r[4].text(),
                    repos: Vec::new(),
                    run: r[2].text(),
                },
            );
        }
        // Net change over the range: new then fixed is no change for someone comparing `a` with
        // `b`; new then reopened is new.
        last.retain(|c, ch| {
            if first.get(c).map(String::as_str) == Some("new") {
                if ch.status == "fixed" {
                    return false;
                }
                ch.status = "new".into();
            }
            true
        });
        // The repositories each changed credential is (or was) in.
        let mut repos: HashMap<String, BTreeSet<String>> = HashMap::new();
        for c in last.keys() {
            let rows = self.db.query(
                "SELECT DISTINCT repo FROM occurrences WHERE credential = ?",
                vals![c.as_str()],
            )?;
            repos.insert(c.clone(), rows.into_iter().map(|r| r[0].text()).collect());
        }
        let mut out: Vec<Change> = last
            .into_values()
            .map(|mut c| {
                c.repos = repos
                    .remove(&c.fingerprint)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                c
            })
            .collect();
        let order = |s: &str| ["new", "reopened", "fixed"].iter().position(|x| *x == s);
        out.sort_by(|x, y| {
            (order(&x.status), &x.fingerprint).cmp(&(order(&y.status), &y.fingerprint))
        });
        Ok(out)
    }
}
