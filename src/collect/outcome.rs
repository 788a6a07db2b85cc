//! The finished scan, computed once: findings sorted, shared credentials merged, the summary counted.
//! Every report renders an [`Outcome`]; nothing patches it afterwards.

use std::collections::BTreeMap;

use crate::finding::{Category, Finding, LifetimeKind, ScanError, Skipped};

/// What the collector gathered, before the outcome step.
pub(crate) struct Collected {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    pub skipped: Vec<Skipped>,
    pub files: u64,
    pub bytes: u64,
    pub suppressed: u64,
    pub baselined: u64,
    pub hidden_context: u64,
    pub hidden_confidence: u64,
    pub seconds: f64,
}

/// The counts a report's summary shows.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub(crate) struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub findings: u64,
    pub suppressed: u64,
    pub baselined: u64,
    /// Generic and posture findings in test, example, docs and vendored files, not shown
    /// (`--context all` shows them).
    pub hidden_by_context: u64,
    /// Findings below `--min-confidence`.
    pub below_confidence: u64,
    pub skipped: u64,
    pub errors: u64,
    pub seconds: f64,
    pub by_severity: BTreeMap<String, u64>,
    /// Findings whose credential is long-lived (each credential once).
    pub long_lived: u64,
    /// Password hash findings (offline cracking targets, not credentials).
    pub password_hashes: u64,
    /// True when some content could not be read (missing objects, truncated layers): the scan did
    /// not see everything it was asked to.
    pub incomplete: bool,
}

impl Summary {
    /// The counts that follow from the findings alone (how many, by severity, long-lived, password
    /// hashes); everything about reading them is zero.
    pub(crate) fn of_findings(findings: &[Finding]) -> Summary {
        let mut by_severity = BTreeMap::new();
        for f in findings {
            *by_severity
                .entry(f.severity.as_str().to_string())
                .or_insert(0) += 1;
        }
        let long_lived = findings
            .iter()
            .filter(|f| {
                f.lifetime
                    .as_ref()
                    .is_some_and(|l| l.kind == LifetimeKind::LongLived)
            })
            .count() as u64;
        let password_hashes = findings
            .iter()
            .filter(|f| f.kind == Category::PasswordHash)
            .count() as u64;
        Summary {
            findings: findings.len() as u64,
            by_severity,
            long_lived,
            password_hashes,
            ..Summary::default()
        }
    }
}

/// The finished scan: what every report renders.
pub(crate) struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}

/// Sorts, merges shared credentials and counts, once. `many_versions`: the findings come from every
/// version of a history ([`super::history`]).
/// `show_secrets`: found secrets are not redacted where else they appear ([`super::scrub`]).
pub(crate) fn finish(
    c: Collected,
    incomplete: bool,
    many_versions: bool,
    show_secrets: bool,
) -> Outcome {
    let mut findings = c.findings;
    if many_versions {
        super::history::once_at_tip(&mut findings);
    }
    sort(&mut findings);
    super::shared::merge(&mut findings);
    let mut errors = c.errors;
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    let mut skipped = c.skipped;
    skipped.sort_by(|a, b| (&a.path, &a.reason).cmp(&(&b.path, &b.reason)));
    if !show_secrets {
        super::scrub::scrub(&mut findings, &mut errors, &mut skipped);
    }
    let summary = Summary {
        files: c.files,
        bytes: c.bytes,
        suppressed: c.suppressed,
        baselined: c.baselined,
        hidden_by_context: c.hidden_context,
        below_confidence: c.hidden_confidence,
        skipped: skipped.len() as u64,
        errors: errors.len() as u64,
        seconds: c.seconds,
        incomplete,
        ..Summary::of_findings(&findings)
    };
    Outcome {
        findings,
        errors,
        skipped,
        summary,
    }
}

/// The one order of findings in every report: place, line, column, rule, then everything else that
/// can tell two findings apart, so the order never depends on which thread finished first.
fn sort(findings: &mut [Finding]) {
    let key = |f: &Finding| {
        (
            f.origin.display.clone(),
            f.line,
            f.column,
            f.rule_id.clone(),
            f.origin.artifact.clone(),
            f.origin.logical.clone(),
            f.fingerprint.clone(),
            f.end_line,
            f.end_column,
            f.message.clone(),
        )
    };
    findings.sort_by_cached_key(key);
}
