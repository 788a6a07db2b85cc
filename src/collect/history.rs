//! A history holds many versions of the same files. Secrets and password hashes are reported from
//! every version (a key deleted since is still exposed); permission, identity and Dockerfile findings
//! describe how things are configured, so they are reported once, from the tip of the default branch
//! (`at_head`), with the commit, author and date of the earliest version that carried the same
//! finding. A finding of that kind that no longer exists at the tip is not reported
//! (`nhiscan git --every-version` keeps them all).

use std::collections::HashMap;

use serde_json::Value;

use crate::finding::Finding;

/// The provenance properties that say who introduced a finding and when.
const INTRODUCED: &[&str] = &["commit", "author", "author_email", "date", "summary"];

/// Keeps one finding per (rule, fingerprint) among findings that are not content (secrets, password
/// hashes), as described above.
pub(crate) fn once_at_tip(findings: &mut Vec<Finding>) {
    let prop = |f: &Finding, k: &str| f.origin.properties.get(k).cloned();
    let at_head = |f: &Finding| prop(f, "at_head") == Some(Value::Bool(true));
    let mut groups: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if !f.kind.is_content() {
            groups
                .entry((f.rule_id.clone(), f.fingerprint.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut keep = vec![true; findings.len()];
    let mut intro: Vec<(usize, usize)> = Vec::new();
    for idx in groups.into_values() {
        for &i in &idx {
            keep[i] = false;
        }
        // The version at the tip, in a stable order (first path, then line); one in a production
        // file before a demoted copy (tests, docs), so the place reported does not depend on
        // whether demoted findings were collected (`--context all`, `nhiscan batch`).
        let Some(&tip) = idx
            .iter()
            .filter(|&&i| at_head(&findings[i]))
            .min_by_key(|&&i| {
                let f = &findings[i];
                (f.demoted, &f.origin.artifact, f.line)
            })
        else {
            continue;
        };
        keep[tip] = true;
        // The earliest version: by date, then commit id for a stable tie.
        let earliest = idx
            .iter()
            .copied()
            .filter(|&i| prop(&findings[i], "date").is_some())
            .min_by_key(|&i| {
                let s = |k| prop(&findings[i], k).and_then(|v| v.as_str().map(str::to_owned));
                (s("date"), s("commit"))
            });
        if let Some(e) = earliest.filter(|&e| e != tip) {
            intro.push((tip, e));
        }
    }
    for (tip, e) in intro {
        // The tip's place (path, line, at_head) with the earliest version's provenance; the display
        // names that commit too, so text and JSON tell one story.
        let earliest = findings[e].origin.clone();
        let f = &mut findings[tip];
        let mut origin = (*f.origin).clone();
        for k in INTRODUCED {
            if let Some(v) = earliest.properties.get(*k) {
                origin.properties.insert(k.to_string(), v.clone());
            }
        }
        if let Some(c) = earliest.properties.get("commit").and_then(Value::as_str) {
            origin.display = format!("{} (commit {})", origin.artifact, &c[..c.len().min(7)]);
        }
        f.origin = std::sync::Arc::new(origin);
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}
