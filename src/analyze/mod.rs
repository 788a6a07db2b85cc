//! Analyzers read documents whose structure matters (IAM policies, RBAC, workflows, Dockerfiles, config
//! files). They are chosen by file name and first bytes, so most files never reach one, and they report
//! through the same finding type as the regex rules: an analyzer returns [`Hit`]s naming a rule id, and
//! the scanner fills title, severity and remediation from that rule's entry in `rules/*.toml`.

use serde_json::{Map, Value};

pub mod aws_iam;
pub mod azure;
pub mod config_files;
pub mod doc;
pub mod dockerfile;
pub mod gcp;
pub mod gha;
pub mod hcl;
pub mod json;
pub mod k8s;
pub mod posture;
pub mod shared;
pub mod yaml;

/// One thing an analyzer flags.
#[derive(Debug, Clone, Default)]
pub struct Hit {
    pub rule_id: &'static str,
    /// 1-based line of the offending statement.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    /// What the message says beyond the rule title, e.g. "Action \"*\" on Resource \"*\"".
    pub message: String,
    /// What the fingerprint is computed over (the statement, the secret): stable when lines move.
    pub value: Vec<u8>,
    /// A secret the analyzer extracted (kubeconfig token, docker auth): redacted like regex findings.
    pub secret: Option<String>,
    /// Replaces the rule's severity (multi-stage builds, expired tokens).
    pub severity: Option<crate::finding::Severity>,
    pub properties: Map<String, Value>,
}

/// Runs every analyzer that claims `name`/`data`. `name` is the path the origin gives (in a commit or
/// an image, the path there). Malformed documents produce an error message, never a panic; the regex
/// rules still run on the file.
pub fn run(name: &str, data: &[u8], hits: &mut Vec<Hit>, errors: &mut Vec<String>) {
    posture::run(name, data, hits, errors);
    dockerfile::run(name, data, hits);
}
