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

/// The files a Dockerfile's build context holds (paths relative to the context directory, what
/// `.dockerignore` excludes left out, bounded). Sources that read Dockerfiles from disk provide it;
/// analyzers never read the host filesystem themselves.
pub(crate) trait BuildContext: Sync {
    /// Every file of the context, `/`-separated, sorted.
    fn files(&self) -> Vec<String>;
}

/// What analyzers see of one unit.
pub(crate) struct Subject<'a> {
    /// The path analyzers choose by (in a commit or an image, the path there).
    pub name: &'a str,
    pub data: &'a [u8],
    /// The build context, for a Dockerfile read from disk.
    pub context: Option<&'a dyn BuildContext>,
}

/// Runs every analyzer that claims the subject. Malformed documents produce an error message, never a
/// panic; the regex rules still run on the file.
pub(crate) fn run(subject: &Subject<'_>, hits: &mut Vec<Hit>, errors: &mut Vec<String>) {
    posture::run(subject.name, subject.data, hits, errors);
    dockerfile::run(subject.name, subject.data, hits);
}
