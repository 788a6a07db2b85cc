//! The results store as inventory input (`--store S`): every occurrence that is not fixed, with its
//! store state in `properties`; each repository's coverage in its latest run; and the complete runs
//! with the new and fixed findings each one recorded.

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use super::input::RunSummary;
use super::{Input, Record, RepoCoverage};
use crate::dates::iso_time;
use crate::store::db::vals;
use crate::store::read::Filter;
use crate::store::{Options, Store};

/// Reads the input of the inventory and the HTML report from the store `spec`.
pub(crate) fn input(spec: &str) -> Result<Input> {
    let mut store = Store::open(spec, Options::existing())?;
    let mut input = Input {
        source: store.name().to_string(),
        ..Default::default()
    };
    for o in store.occurrences(&Filter::default())? {
        if o.status == "fixed" {
            continue;
        }
        let mut f: Value = serde_json::from_str(&o.finding)
            .with_context(|| format!("{}: a stored finding is not JSON", store.name()))?;
        if let Some(m) = f.as_object_mut() {
            m.entry("properties").or_insert_with(|| json!({}));
        }
        if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert("repository".into(), json!(o.repo));
            props.insert("store_status".into(), json!(o.status));
            props.insert("first_seen".into(), json!(iso_time(o.first_seen)));
            props.insert("last_seen".into(), json!(iso_time(o.last_seen)));
        }
        input.findings.push(Record {
            repo: o.repo.clone(),
            finding: f,
        });
    }
    // Each repository as its latest recorded run saw it.
    let rows = store.db.query(
        "SELECT r.repo, r.coverage, r.reasons FROM run_repos r
         JOIN (SELECT repo, MAX(recorded) AS m FROM run_repos GROUP BY repo) l
           ON l.repo = r.repo AND l.m = r.recorded
         ORDER BY r.repo",
        vals![],
    )?;
    for r in rows {
        let repo = r[0].text();
        let reasons: Vec<String> = serde_json::from_str(&r[2].text()).unwrap_or_default();
        let findings = input.findings.iter().filter(|f| f.repo == repo).count() as u64;
        input.coverage.push(RepoCoverage {
            repo,
            status: r[1].text(),
            reasons,
            findings,
        });
    }
    let runs = store.db.query(
        "SELECT id, started FROM runs WHERE status = 'complete' ORDER BY seq, started",
        vals![],
    )?;
    for r in runs {
        let id = r[0].text();
        let count = |store: &mut Store, sql: &str| -> Result<u64> {
            Ok(store
                .db
                .one(sql, vals![id.as_str()])?
                .map_or(0, |row| row[0].int().max(0) as u64))
        };
        let new = count(
            &mut store,
            "SELECT COUNT(DISTINCT credential) FROM events WHERE run = ? AND status IN ('new', 'reopened')",
        )?;
        let fixed = count(
            &mut store,
            "SELECT COUNT(DISTINCT credential) FROM events WHERE run = ? AND status = 'fixed'",
        )?;
        let open = count(
            &mut store,
            "SELECT COUNT(DISTINCT occurrence) FROM run_findings WHERE run = ?",
        )?;
        input.runs.push(RunSummary {
            id,
            started: iso_time(r[1].int()),
            open,
            new,
            fixed,
        });
    }
    Ok(input)
}
