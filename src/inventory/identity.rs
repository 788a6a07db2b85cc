//! One identity assembled from its findings: credentials, places, environments, permissions,
//! workloads, owners, risks and the first remediation step, gathered from the findings and their
//! origins.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::model::{prop, s, Credential, Identity, Introduced, Owner, Permission, Place};
use super::{env, owasp, owners, Input};
use crate::finding::Severity;

/// The first sentence of a remediation.
pub(crate) fn first_step(text: &str) -> String {
    let t = text.trim();
    let b = t.as_bytes();
    for i in 0..b.len().saturating_sub(2) {
        if b[i] == b'.' && b[i + 1] == b' ' && b[i + 2].is_ascii_uppercase() {
            return t[..=i].to_string();
        }
    }
    t.to_string()
}

pub(super) fn identity(
    key: &str,
    records: &[&super::Record],
    input: &Input,
    codeowners: &BTreeMap<&str, owners::Compiled>,
) -> Identity {
    let first = &records[0].finding;
    let nhi = records.iter().find_map(|r| prop(&r.finding, "nhi"));
    let (kind, name) = match nhi {
        Some(n) => (s(n, "type").to_string(), s(n, "name").to_string()),
        None if first.get("redacted").is_some() => (
            "credential".to_string(),
            format!("{} {}", s(first, "title"), s(first, "redacted")),
        ),
        None => (
            s(first, "category").to_string(),
            s(first, "title").to_string(),
        ),
    };
    let mut attributes = Map::new();
    let mut risks: BTreeSet<String> = BTreeSet::new();
    let mut credentials: BTreeMap<String, Credential> = BTreeMap::new();
    let mut places: BTreeSet<Place> = BTreeSet::new();
    let mut envs: BTreeSet<String> = BTreeSet::new();
    let mut permissions = Vec::new();
    let mut workloads: BTreeSet<String> = BTreeSet::new();
    let mut roles: BTreeSet<String> = BTreeSet::new();
    let mut token_mounted = None;
    let mut owners_set: BTreeSet<Owner> = BTreeSet::new();
    let mut severity = Severity::Info;
    let mut worst: Option<(Severity, bool, &str)> = None;
    for r in records {
        let f = &r.finding;
        if let Some(Value::Object(n)) = prop(f, "nhi") {
            for (k, v) in n {
                if matches!(k.as_str(), "type" | "id" | "name" | "local") {
                    continue;
                }
                // A fact one finding knows (an AWS key paired with its secret) holds for all.
                let e = attributes.entry(k.clone()).or_insert_with(|| v.clone());
                if v == &Value::Bool(true) {
                    *e = v.clone();
                }
            }
        }
        let sev: Severity = s(f, "severity").parse().unwrap_or(Severity::Info);
        severity = severity.max(sev);
        let is_secret = f.get("redacted").is_some();
        let rule_id = s(f, "rule_id");
        if worst.is_none_or(|(ws, wsec, _)| (sev, is_secret) > (ws, wsec)) {
            worst = Some((sev, is_secret, rule_id));
        }
        if let Some(ids) = prop(f, "owasp_nhi").and_then(Value::as_array) {
            risks.extend(ids.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
        let props = f.get("properties");
        let path = props
            .and_then(|p| p.get("path"))
            .and_then(Value::as_str)
            .unwrap_or_else(|| s(f, "artifact"))
            .to_string();
        let layer = props
            .and_then(|p| p.get("layer_digest"))
            .and_then(Value::as_str);
        let commit = props.and_then(|p| p.get("commit")).and_then(Value::as_str);
        let line = f.get("line").and_then(Value::as_u64).unwrap_or(0);
        let mut here = vec![Place {
            repo: r.repo.clone(),
            path: path.clone(),
            line,
            commit: commit.map(str::to_string),
            image: layer.map(|_| s(f, "artifact").to_string()),
            layer: layer.map(|d| {
                let i = props
                    .and_then(|p| p.get("layer_index"))
                    .and_then(Value::as_u64);
                i.map_or_else(|| d.to_string(), |i| format!("{i} ({d})"))
            }),
        }];
        // The branches that contain the commit that introduced it (history scans), and those of
        // the commits of its other places.
        let mut branches: Vec<&Value> = props
            .and_then(|p| p.get("branches"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        // A shared finding lists every other place of the same secret.
        if let Some(locs) = props
            .and_then(|p| p.get("locations"))
            .and_then(Value::as_array)
        {
            for l in locs.iter().skip(1) {
                branches.extend(
                    l.get("branches")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                );
                here.push(Place {
                    repo: r.repo.clone(),
                    path: s(l, "file").to_string(),
                    line: l.get("line").and_then(Value::as_u64).unwrap_or(0),
                    commit: l.get("commit").and_then(Value::as_str).map(str::to_string),
                    // The other places of a shared secret are in the same source (image).
                    image: layer.map(|_| s(f, "artifact").to_string()),
                    layer: None,
                });
            }
        }
        for p in &here {
            if let Some(e) = env::hint(&p.path) {
                envs.insert(e.to_string());
            }
            if let Some(rules) = codeowners.get(r.repo.as_str()) {
                for who in rules.owners_of(&p.path) {
                    owners_set.insert(Owner {
                        source: "codeowners".into(),
                        who: who.clone(),
                    });
                }
            }
        }
        let nplaces = here.len() as u64;
        places.extend(here);
        for b in branches.iter().filter_map(|b| b.as_str()) {
            if let Some(e) = env::branch_hint(b) {
                envs.insert(e.to_string());
            }
        }
        if let Some(n) = prop(f, "nhi") {
            for k in ["namespace", "host", "project_id"] {
                if let Some(e) = n.get(k).and_then(Value::as_str).and_then(env::hint) {
                    envs.insert(e.to_string());
                }
            }
        }
        if let Some(w) = props
            .and_then(|p| p.get("workload"))
            .and_then(Value::as_str)
        {
            workloads.insert(w.to_string());
        }
        if let Some(role) = props.and_then(|p| p.get("role")).and_then(Value::as_str) {
            roles.insert(role.to_string());
        }
        if let Some(t) = props
            .and_then(|p| p.get("token_mounted"))
            .and_then(Value::as_bool)
        {
            token_mounted = Some(token_mounted.unwrap_or(false) || t);
        }
        let author = props.and_then(|p| p.get("author")).and_then(Value::as_str);
        if let Some(a) = author {
            let email = props
                .and_then(|p| p.get("author_email"))
                .and_then(Value::as_str)
                .map(|e| format!(" <{e}>"))
                .unwrap_or_default();
            owners_set.insert(Owner {
                source: "committer".into(),
                who: format!("{a}{email}"),
            });
        }
        let category = s(f, "category");
        if matches!(category, "permission" | "identity") {
            permissions.push(Permission {
                rule_id: rule_id.to_string(),
                severity: sev,
                message: s(f, "message").to_string(),
                path: path.clone(),
                line,
            });
        }
        if is_secret {
            let fp = s(f, "fingerprint").to_string();
            let introduced = match (commit, author) {
                (Some(c), Some(a)) => Some(Introduced {
                    commit: c.to_string(),
                    author: a.to_string(),
                    date: props
                        .and_then(|p| p.get("date"))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                }),
                _ => None,
            };
            let at_head = props
                .and_then(|p| p.get("at_head"))
                .and_then(Value::as_bool);
            let days = props
                .and_then(|p| p.get("exposure_days"))
                .and_then(Value::as_u64);
            let c = credentials.entry(fp.clone()).or_insert_with(|| Credential {
                fingerprint: fp,
                rule_id: rule_id.to_string(),
                title: s(f, "title").to_string(),
                category: category.to_string(),
                redacted: f
                    .get("redacted")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                lifetime: f.get("lifetime").cloned(),
                introduced: None,
                at_head: None,
                exposure_days: None,
                places: 0,
            });
            c.places += nplaces;
            // The earliest introduction across the versions seen.
            if let Some(i) = introduced {
                if c.introduced.as_ref().is_none_or(|o| i.date < o.date) {
                    c.introduced = Some(i);
                }
            }
            if let Some(h) = at_head {
                c.at_head = Some(c.at_head.unwrap_or(false) || h);
            }
            if let Some(d) = days {
                c.exposure_days = Some(c.exposure_days.unwrap_or(0).max(d));
            }
        }
    }
    let places: Vec<Place> = places.into_iter().collect();
    let repositories: BTreeSet<&str> = places.iter().map(|p| p.repo.as_str()).collect();
    // A repository, or an image in it: each is one service the identity is used by.
    let containers: BTreeSet<(&str, Option<&str>)> = places
        .iter()
        .map(|p| (p.repo.as_str(), p.image.as_deref()))
        .collect();
    let containers = containers.len();
    let reuse_count = containers.max(workloads.len()) as u64;
    let credentials: Vec<Credential> = credentials.into_values().collect();
    let long_lived = credentials.iter().any(|c| {
        c.lifetime
            .as_ref()
            .and_then(|l| l.get("kind"))
            .and_then(Value::as_str)
            == Some("long-lived")
    });
    if long_lived {
        risks.insert(owasp::LONG_LIVED.into());
    }
    if reuse_count > 1 {
        risks.insert(owasp::REUSE.into());
    }
    let cross_environment = envs.iter().filter(|e| *e != "test").count() > 1;
    if cross_environment {
        risks.insert(owasp::ENVIRONMENT_ISOLATION.into());
    }
    let mut risks: Vec<String> = risks.into_iter().collect();
    owasp::normalize(&mut risks);
    let exposure_days = credentials.iter().filter_map(|c| c.exposure_days).max();
    let remediation = worst
        .and_then(|(_, _, id)| input.remediation.get(id))
        .map(|r| first_step(r));
    Identity {
        key: key.to_string(),
        id: nhi
            .map(|n| s(n, "id").to_string())
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| key.to_string()),
        kind,
        name,
        attributes,
        severity,
        risks,
        credentials,
        repositories: repositories.into_iter().map(str::to_string).collect(),
        exposures: places,
        reuse_count,
        environments: envs.into_iter().collect(),
        cross_environment,
        permissions,
        workloads: workloads.into_iter().collect(),
        roles: roles.into_iter().collect(),
        token_mounted,
        owners: owners_set.into_iter().collect(),
        remediation,
        long_lived,
        exposure_days,
        findings: records.len() as u64,
    }
}
