//! Shared credentials: the same secret (same rule and fingerprint) found in several files, commits or
//! images is one credential used by several identities or copied around. After a scan, each such group
//! becomes one finding at its first place, marked as shared and listing every place, so it is rotated
//! once and counted once.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::collect::Outcome;
use crate::finding::{Finding, LifetimeKind};

/// Folds findings of one secret seen in more than one place into one; returns how many were folded.
pub fn merge(outcome: &mut Outcome) -> usize {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in outcome.findings.iter().enumerate() {
        if f.secret.is_some() {
            groups.entry(f.fingerprint.as_str()).or_default().push(i);
        }
    }
    let mut drop = vec![false; outcome.findings.len()];
    let mut updates: Vec<(usize, Vec<Value>)> = Vec::new();
    for idx in groups.into_values() {
        let places: Vec<(&str, usize)> = idx
            .iter()
            .map(|&i| {
                (
                    outcome.findings[i].origin.display.as_str(),
                    outcome.findings[i].line,
                )
            })
            .collect();
        let mut distinct: Vec<&str> = places.iter().map(|p| p.0).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let locations = places
            .iter()
            .map(|(file, line)| json!({"file": file, "line": line}))
            .collect();
        updates.push((idx[0], locations));
        for &i in &idx[1..] {
            drop[i] = true;
        }
    }
    for (i, locations) in updates {
        let f: &mut Finding = &mut outcome.findings[i];
        let n = locations.len();
        let list: Vec<String> = locations
            .iter()
            .map(|l| format!("{}:{}", l["file"].as_str().unwrap_or(""), l["line"]))
            .collect();
        f.message = format!(
            "{} — shared credential, found in {n} places: {}",
            f.message,
            list.join(", ")
        );
        f.properties.insert("shared".into(), Value::Bool(true));
        f.properties
            .insert("locations".into(), Value::Array(locations));
    }
    let before = outcome.findings.len();
    let mut k = 0;
    outcome.findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    let folded = before - outcome.findings.len();
    if folded > 0 {
        recount(outcome);
    }
    folded
}

/// Recomputes the summary counts after findings were added or removed.
pub fn recount(outcome: &mut Outcome) {
    let s = &mut outcome.summary;
    s.findings = outcome.findings.len() as u64;
    s.by_severity.clear();
    for f in &outcome.findings {
        *s.by_severity
            .entry(f.severity.as_str().to_string())
            .or_insert(0) += 1;
    }
    s.long_lived = outcome
        .findings
        .iter()
        .filter(|f| {
            f.lifetime
                .as_ref()
                .is_some_and(|l| l.kind == LifetimeKind::LongLived)
        })
        .count() as u64;
}
