//! The inventory of non-human identities: findings grouped by the identity they expose (an AWS key
//! pair, a GitHub token, a GCP service account, a Kubernetes ServiceAccount, a workflow's token, a
//! database user, else one credential by its hash), each with its credentials, every place it is
//! exposed, its environments, permissions, owners, OWASP NHI risks and the first remediation step.
//!
//! It is built from findings in the JSON shape of `--format json` ([`Input`]), so one scan's
//! outcome, a JSON report file and a results store all feed it the same way. The identity facts
//! themselves are read at scan time ([`facts`]) and travel on the findings as the `nhi` property.
//!
//! Layers: [`Input`] and its adapters (`input.rs`, `store.rs` for a results store); grouping
//! (`group.rs`, one identity's assembly in `identity.rs`, the shape in `model.rs`) with
//! environments (`env.rs`) and owners (`owners.rs`); outputs (`output.rs`); facts and risks used by
//! the scanner (`facts.rs`, `owasp.rs`).

pub(crate) mod env;
pub(crate) mod facts;
pub(crate) mod group;
mod ident;
mod identity;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod output;
pub(crate) mod owasp;
pub(crate) mod owners;
pub(crate) mod store;
mod tokens;

use serde_json::{json, Value};

use crate::engine::Rule;
use crate::finding::Finding;

pub(crate) use group::build;
pub(crate) use input::{Input, Record, RepoCoverage};
pub(crate) use model::Inventory;

/// The version of the inventory JSON shape (`docs/inventory.schema.json`).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Adds what the inventory needs to a finding the scanner just made: the identity facts (`nhi`)
/// and the OWASP NHI risk ids (`owasp_nhi`). `span`: the secret's bytes in `data`, for engine
/// matches; analyzer findings have none (their secret, if any, is looked up in `data`).
pub(crate) fn annotate(rule: &Rule, f: &mut Finding, data: &[u8], span: Option<(usize, usize)>) {
    if !f.properties.contains_key("nhi") {
        let nhi = match &f.secret {
            Some(s) => {
                let span = span.or_else(|| {
                    memchr::memmem::find(data, s.as_bytes()).map(|at| (at, at + s.len()))
                });
                span.and_then(|(a, b)| facts::of_secret(rule, s, data, a, b))
            }
            None => facts::of_document(rule, &f.origin.artifact),
        };
        if let Some(n) = nhi {
            f.properties.insert("nhi".into(), n);
        }
    }
    paired_lifetime(f);
    let risks = owasp::of_finding(
        f.kind,
        &rule.spec.tags,
        f.lifetime.as_ref().map(|l| l.kind),
        false,
    );
    if !risks.is_empty() {
        f.properties.insert("owasp_nhi".into(), json!(risks));
    }
}

/// A secret key whose rule cannot tell its lifetime (an AWS secret access key) lives as long as the
/// key id it is paired with: a long-term (`AKIA`) key never expires.
fn paired_lifetime(f: &mut Finding) {
    let Some(n) = f.properties.get("nhi") else {
        return;
    };
    let long_term = n.get("paired") == Some(&Value::Bool(true))
        && n.get("key_kind").and_then(Value::as_str) == Some("long-term");
    let unknown = f
        .lifetime
        .as_ref()
        .is_some_and(|l| l.kind == crate::finding::LifetimeKind::Unknown);
    if long_term && unknown {
        let key = n.get("name").and_then(Value::as_str).unwrap_or("");
        f.lifetime = Some(crate::finding::Lifetime {
            kind: crate::finding::LifetimeKind::LongLived,
            reason: format!("paired with the long-term {key}: valid until deleted"),
        });
    }
}

/// Marks a finding whose secret was found in several places as reused (NHI9).
pub(crate) fn mark_reused(f: &mut Finding) {
    let mut ids: Vec<String> = f
        .properties
        .get("owasp_nhi")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.push(owasp::REUSE.to_string());
    owasp::normalize(&mut ids);
    f.properties.insert("owasp_nhi".into(), json!(ids));
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tags_read_here_exist_on_some_rule() {
        // A renamed tag must not silently turn the facts or the risks off.
        let rules = crate::engine::rule::builtin().expect("rules load");
        for tag in [
            "nhi:aws-secret-key",
            "nhi:gcp-service-account",
            "nhi:azure-service-principal",
            "nhi:connection-string",
            "nhi:ci-oidc-trust",
            "ci-deployment",
            "admin",
            "wildcard",
        ] {
            assert!(rules.iter().any(|r| r.has_tag(tag)), "no rule tagged {tag}");
        }
    }
}
