//! What the batch counts over every repository: the totals its reports' summaries show (the JSON
//! summary with the batch's own counts, and the text report's one summary line).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::manifest::{self, Entry, Part};
use crate::collect::outcome::Summary;
use crate::finding::{Category, LifetimeKind};
use crate::report;

/// Counts over every repository, for the summaries.
#[derive(Default)]
pub(crate) struct Totals {
    pub files: u64,
    pub bytes: u64,
    pub findings: u64,
    pub suppressed: u64,
    pub baselined: u64,
    /// Recorded but not shown (filters).
    pub hidden: u64,
    pub skipped: u64,
    pub errors: u64,
    pub by_severity: BTreeMap<String, u64>,
    pub long_lived: u64,
    pub password_hashes: u64,
    pub reused: u64,
    pub skipped_clean: u64,
}

impl Totals {
    /// Adds one repository's counts.
    pub(crate) fn add(&mut self, p: &Part<'_>, suppressed: u64, baselined: u64) {
        let e = p.entry;
        self.files += e.files;
        self.bytes += e.bytes;
        self.findings += p.findings.len() as u64;
        self.hidden += e.findings.saturating_sub(p.findings.len() as u64);
        self.suppressed += suppressed;
        self.baselined += baselined;
        self.skipped += p.skipped.len() as u64;
        self.errors += p.errors.len() as u64;
        self.reused += e.blobs_reused;
        self.skipped_clean += e.blobs_skipped_clean;
        for f in p.findings {
            *self
                .by_severity
                .entry(f.severity.as_str().to_string())
                .or_insert(0) += 1;
            let long = f
                .lifetime
                .as_ref()
                .is_some_and(|l| l.kind == LifetimeKind::LongLived);
            self.long_lived += u64::from(long);
            self.password_hashes += u64::from(f.kind == Category::PasswordHash);
        }
    }

    pub(super) fn summary(&self, seconds: f64, incomplete: bool) -> Summary {
        Summary {
            files: self.files,
            bytes: self.bytes,
            findings: self.findings,
            suppressed: self.suppressed,
            baselined: self.baselined,
            hidden_by_context: self.hidden,
            below_confidence: 0,
            skipped: self.skipped,
            errors: self.errors,
            seconds,
            by_severity: self.by_severity.clone(),
            long_lived: self.long_lived,
            password_hashes: self.password_hashes,
            incomplete,
        }
    }

    /// The summary as JSON, with the batch's own counts.
    pub(super) fn summary_json(&self, seconds: f64, entries: &[Entry]) -> Value {
        let (complete, partial, failed) = manifest::counts(entries);
        let mut v = serde_json::to_value(self.summary(seconds, complete < entries.len()))
            .expect("summary serializes");
        v["blobs_reused"] = json!(self.reused);
        v["blobs_skipped_clean"] = json!(self.skipped_clean);
        v["repositories"] = json!({
            "total": entries.len(), "complete": complete, "partial": partial, "failed": failed,
            "unchanged": manifest::unchanged(entries),
        });
        v
    }
}

/// The one-line summary of the batch.
pub(crate) fn summary_line(entries: &[Entry], t: &Totals, seconds: f64) -> String {
    let (complete, partial, failed) = manifest::counts(entries);
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|k| t.by_severity.get(*k).map(|n| format!("{n} {k}")))
        .collect();
    let mut parts = vec![if sev.is_empty() {
        format!("{} findings", t.findings)
    } else {
        format!("{} findings ({})", t.findings, sev.join(", "))
    }];
    parts.push(format!(
        "{} repositories: {complete} complete, {partial} partial, {failed} failed",
        entries.len()
    ));
    parts.push(format!(
        "{} files, {} scanned in {seconds:.2}s",
        t.files,
        report::text::human_bytes(t.bytes)
    ));
    let unchanged = manifest::unchanged(entries);
    if unchanged > 0 {
        parts.push(format!(
            "{unchanged} repositories unchanged since their last complete scan, not read"
        ));
    }
    if t.reused > 0 {
        parts.push(format!(
            "{} blobs shared with another repository read once",
            t.reused
        ));
    }
    if t.skipped_clean > 0 {
        parts.push(format!(
            "{} blobs clean in an earlier run not read",
            t.skipped_clean
        ));
    }
    if t.hidden > 0 {
        parts.push(format!("{} recorded but not shown (filters)", t.hidden));
    }
    if t.errors > 0 {
        parts.push(format!("{} errors", t.errors));
    }
    parts.join(" · ")
}
