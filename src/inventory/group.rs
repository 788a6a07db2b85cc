//! Groups findings into identities. The key is the finding's `nhi.id` (scoped to its repository
//! when the identity is a local document such as a workflow), else its fingerprint: one credential
//! by its hash. Everything an identity shows is gathered from its findings and their origins.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{env, owasp, owners, Input};
use crate::finding::Severity;

/// The inventory: every identity, most severe first, and counts over them.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inventory {
    pub schema_version: u32,
    pub tool: Value,
    /// What it was built from.
    pub source: String,
    pub summary: Summary,
    pub identities: Vec<Identity>,
}

/// Counts over the identities.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Summary {
    pub identities: u64,
    pub findings: u64,
    pub by_type: BTreeMap<String, u64>,
    /// Identities per OWASP NHI risk id.
    pub by_risk: BTreeMap<String, u64>,
    /// Identities with a long-lived credential.
    pub long_lived: u64,
    /// Identities whose credential is in several repositories, images or workloads.
    pub reused: u64,
    /// Identities seen in more than one environment.
    pub cross_environment: u64,
    /// Identities exposed in history for more than a year.
    pub exposed_over_a_year: u64,
}

/// One non-human identity.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Identity {
    /// The grouping key (not shown): how findings are told to belong to this identity.
    #[serde(skip)]
    pub key: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    /// What the findings say about it (account id, token kind, email, namespace, host, ...).
    pub attributes: Map<String, Value>,
    /// The highest severity of its findings.
    pub severity: Severity,
    /// OWASP NHI Top 10 (2025) risk ids.
    pub risks: Vec<String>,
    pub credentials: Vec<Credential>,
    /// Every place it is exposed.
    pub exposures: Vec<Place>,
    pub repositories: Vec<String>,
    /// Repositories, images and workloads sharing it.
    pub reuse_count: u64,
    pub environments: Vec<String>,
    pub cross_environment: bool,
    /// Permission findings about it (wildcards, admin bindings, workflow permissions).
    pub permissions: Vec<Permission>,
    /// Workloads running as it (Kubernetes).
    pub workloads: Vec<String>,
    /// Roles bound to it (Kubernetes).
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_mounted: Option<bool>,
    pub owners: Vec<Owner>,
    /// The first remediation step of its most severe finding's rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    pub long_lived: bool,
    /// The most days any of its credentials has been exposed in history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_days: Option<u64>,
    /// How many findings it gathers.
    pub findings: u64,
}

/// One credential of an identity (one fingerprint).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Credential {
    pub fingerprint: String,
    pub rule_id: String,
    pub title: String,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Value>,
    /// The commit that introduced it (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<Introduced>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposure_days: Option<u64>,
    pub places: u64,
}

/// A commit that introduced a credential.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Introduced {
    pub commit: String,
    pub author: String,
    pub date: String,
}

/// One place an identity is exposed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    pub repo: String,
    pub path: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// A permission finding.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Permission {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    pub line: u64,
}

/// Who may own an identity, and why nhiscan thinks so.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Owner {
    /// `codeowners` or `committer`.
    pub source: String,
    pub who: String,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn prop<'a>(f: &'a Value, k: &str) -> Option<&'a Value> {
    f.get("properties").and_then(|p| p.get(k))
}

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

/// The identity a finding belongs to: its `nhi.id` (with its repository for local documents), else
/// its fingerprint (one credential by its hash).
pub(crate) fn key_of(r: &super::Record) -> String {
    let f = &r.finding;
    match prop(f, "nhi") {
        Some(n) if n.get("local").and_then(Value::as_bool) == Some(true) => {
            format!("{}|{}", r.repo, s(n, "id"))
        }
        Some(n) if !s(n, "id").is_empty() => s(n, "id").to_string(),
        _ if f.get("redacted").is_some() => format!("credential:{}", s(f, "fingerprint")),
        _ => format!(
            "finding:{}|{}|{}",
            r.repo,
            s(f, "rule_id"),
            s(f, "fingerprint")
        ),
    }
}

/// Builds the inventory of `input`.
pub(crate) fn build(input: &Input) -> Inventory {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<&super::Record>> = BTreeMap::new();
    for r in &input.findings {
        let key = key_of(r);
        let g = groups.entry(key.clone()).or_default();
        if g.is_empty() {
            order.push(key);
        }
        g.push(r);
    }
    let mut identities: Vec<Identity> = order
        .iter()
        .map(|k| identity(k, &groups[k], input))
        .collect();
    identities.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.findings.cmp(&a.findings))
            .then(a.name.cmp(&b.name))
    });
    let mut summary = Summary {
        identities: identities.len() as u64,
        findings: input.findings.len() as u64,
        ..Default::default()
    };
    for i in &identities {
        *summary.by_type.entry(i.kind.clone()).or_default() += 1;
        for r in &i.risks {
            *summary.by_risk.entry(r.clone()).or_default() += 1;
        }
        summary.long_lived += i.long_lived as u64;
        summary.reused += (i.reuse_count > 1) as u64;
        summary.cross_environment += i.cross_environment as u64;
        summary.exposed_over_a_year += i.exposure_days.is_some_and(|d| d > 365) as u64;
    }
    Inventory {
        schema_version: super::SCHEMA_VERSION,
        tool: serde_json::json!({"name": "nhiscan", "version": env!("CARGO_PKG_VERSION")}),
        source: input.source.clone(),
        summary,
        identities,
    }
}

fn identity(key: &str, records: &[&super::Record], input: &Input) -> Identity {
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
        // A shared finding lists every other place of the same secret.
        if let Some(locs) = props
            .and_then(|p| p.get("locations"))
            .and_then(Value::as_array)
        {
            for l in locs.iter().skip(1) {
                here.push(Place {
                    repo: r.repo.clone(),
                    path: s(l, "file").to_string(),
                    line: l.get("line").and_then(Value::as_u64).unwrap_or(0),
                    commit: None,
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
            if let Some(rules) = input.codeowners.get(&r.repo) {
                for who in owners::owners_of(rules, &p.path) {
                    owners_set.insert(Owner {
                        source: "codeowners".into(),
                        who,
                    });
                }
            }
        }
        let nplaces = here.len() as u64;
        places.extend(here);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Record;
    use serde_json::json;

    fn rec(repo: &str, f: Value) -> Record {
        Record {
            repo: repo.into(),
            finding: f,
        }
    }

    #[test]
    fn one_identity_per_key_pair_and_reuse_across_repos() {
        let nhi = json!({"type": "aws-access-key", "id": "aws:1", "name": "AWS access key AKIA…7A2Q", "account_id": "609629065308"});
        let f = |rule: &str, path: &str, fp: &str| {
            json!({"rule_id": rule, "title": rule, "category": "secret", "severity": "critical",
                   "redacted": "AKIA…", "fingerprint": fp, "artifact": path, "line": 2,
                   "lifetime": {"kind": "long-lived", "reason": "r"},
                   "properties": {"nhi": nhi, "owasp_nhi": ["NHI2:2025", "NHI7:2025"]}})
        };
        let input = Input {
            findings: vec![
                rec("r1", f("aws-access-key-id", "deploy/prod/.env", "a")),
                rec("r1", f("aws-secret-access-key", "deploy/prod/.env", "b")),
                rec("r2", f("aws-access-key-id", "config/dev.env", "a")),
                rec(
                    "r2",
                    json!({"rule_id": "generic", "title": "Password", "category": "secret",
                    "severity": "medium", "redacted": "pa…", "fingerprint": "z", "artifact": "x", "line": 1}),
                ),
            ],
            remediation: BTreeMap::from([(
                "aws-access-key-id".to_string(),
                "Deactivate the key. Then rotate.".to_string(),
            )]),
            ..Default::default()
        };
        let inv = build(&input);
        assert_eq!(inv.identities.len(), 2);
        let aws = &inv.identities[0];
        assert_eq!(aws.credentials.len(), 2);
        assert_eq!(aws.repositories, ["r1", "r2"]);
        assert_eq!(aws.reuse_count, 2);
        assert_eq!(aws.environments, ["dev", "prod"]);
        assert!(aws.cross_environment);
        assert_eq!(
            aws.risks,
            ["NHI2:2025", "NHI7:2025", "NHI8:2025", "NHI9:2025"]
        );
        assert_eq!(aws.remediation.as_deref(), Some("Deactivate the key."));
        assert_eq!(aws.attributes["account_id"], "609629065308");
        assert_eq!(inv.identities[1].kind, "credential");
        assert_eq!(inv.summary.reused, 1);
    }

    #[test]
    fn first_sentence() {
        assert_eq!(
            first_step("Revoke it (e.g. in the UI). Then x."),
            "Revoke it (e.g. in the UI)."
        );
        assert_eq!(first_step("Only one"), "Only one");
    }
}
