//! Groups findings into identities. The key is the finding's `nhi.id` (scoped to its repository
//! when the identity is a local document such as a workflow), else its fingerprint: one credential
//! by its hash. Everything an identity shows is gathered from its findings and their origins.

use std::collections::BTreeMap;

use serde_json::Value;

use super::identity::identity;
use super::model::{prop, s, Identity, Inventory, Summary};
use super::Input;

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
    let codeowners: BTreeMap<&str, super::owners::Compiled> = input
        .codeowners
        .iter()
        .map(|(repo, rules)| (repo.as_str(), super::owners::compile(rules)))
        .collect();
    let mut identities: Vec<Identity> = order
        .iter()
        .map(|k| identity(k, &groups[k], input, &codeowners))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::identity::first_step;
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
