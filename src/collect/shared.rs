//! Shared credentials: the same secret (same rule and fingerprint) found in several files, commits or
//! images is one credential used by several identities or copied around. After a scan, each such group
//! becomes one finding at its first place, marked as shared and listing every place, so it is rotated
//! once and counted once.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::finding::Finding;

/// How many places a shared finding's message names.
const MESSAGE_PLACES: usize = 10;

/// Folds findings of one secret seen in more than one place into one; returns how many were folded.
pub(crate) fn merge(findings: &mut Vec<Finding>) -> usize {
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.secret.is_some() {
            groups.entry(f.fingerprint.as_str()).or_default().push(i);
        }
    }
    let mut drop = vec![false; findings.len()];
    let mut updates: Vec<(usize, Vec<Value>)> = Vec::new();
    for mut idx in groups.into_values() {
        // The finding kept is the first in a production file, not a demoted copy (tests, docs):
        // hiding demoted findings after the fold (`nhiscan batch`, `--context` on stored runs) must
        // not hide a secret that is also in production code. It is listed first.
        if let Some(p) = idx.iter().position(|&i| !findings[i].demoted) {
            let primary = idx.remove(p);
            idx.insert(0, primary);
        }
        let places: Vec<(&str, usize, &Finding)> = idx
            .iter()
            .map(|&i| {
                (
                    findings[i].origin.display.as_str(),
                    findings[i].line,
                    &findings[i],
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
            .map(|(file, line, f)| {
                let mut l = json!({"file": file, "line": line});
                // A history place keeps its commit and the branches that contain it: the
                // inventory reads where and in which environments each copy is.
                for k in ["commit", "branches"] {
                    if let Some(v) = f.origin.properties.get(k) {
                        l[k] = v.clone();
                    }
                }
                l
            })
            .collect();
        updates.push((idx[0], locations));
        for &i in &idx[1..] {
            drop[i] = true;
        }
    }
    for (i, locations) in updates {
        let f: &mut Finding = &mut findings[i];
        let n = locations.len();
        // The message names the first places; `locations` has them all (one password hash was in
        // 1,266 places of a helm-charts history, which made every report carry the list).
        let mut list: Vec<String> = locations
            .iter()
            .take(MESSAGE_PLACES)
            .map(|l| format!("{}:{}", l["file"].as_str().unwrap_or(""), l["line"]))
            .collect();
        if n > MESSAGE_PLACES {
            list.push(format!("and {} more", n - MESSAGE_PLACES));
        }
        // A password hash is not a credential: say what is shared.
        let what = if f.kind == crate::finding::Category::PasswordHash {
            "same password hash"
        } else {
            "shared credential"
        };
        f.message = format!(
            "{} — {what}, found in {n} places: {}",
            f.message,
            list.join(", ")
        );
        f.properties.insert("shared".into(), Value::Bool(true));
        if f.kind != crate::finding::Category::PasswordHash {
            crate::inventory::mark_reused(f);
        }
        f.properties
            .insert("locations".into(), Value::Array(locations));
    }
    let before = findings.len();
    let mut k = 0;
    findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
    before - findings.len()
}
