//! The inventory's shape, as `nhiscan inventory --format json` writes it (`docs/inventory.schema.json`):
//! the identities and what each shows.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

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

/// The string field `k` of a finding's JSON (empty when absent).
pub(super) fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The property `k` of a finding's JSON.
pub(super) fn prop<'a>(f: &'a Value, k: &str) -> Option<&'a Value> {
    f.get("properties").and_then(|p| p.get(k))
}
