//! The run manifest: every repository of the batch with its key, tip and root commit, scope,
//! status (complete; partial with reasons; failed with the reason) and counts, as the text report's
//! table and the JSON report's `repositories` array. A repository is in it whatever happened to it.

use std::path::Path;

use serde_json::{json, Value};

use super::repo::Scanned;
use crate::finding::{Finding, ScanError, Skipped};
use crate::report::escape::terminal;
use crate::store::record::{Coverage, Scope};

/// One repository's part of the reports.
pub(crate) struct Part<'a> {
    pub entry: &'a Entry,
    /// The findings shown (filtered, redacted unless `--show-secrets`).
    pub findings: &'a [Finding],
    pub errors: &'a [ScanError],
    pub skipped: &'a [Skipped],
    /// The directory SARIF paths are relative to.
    pub root: Option<&'a Path>,
}

/// One repository's line of the manifest.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: String,
    pub tip: Option<String>,
    pub root_commit: Option<String>,
    pub scope: Scope,
    pub coverage: Coverage,
    /// Files (blobs) covered: scanned, plus those whose results the run already had.
    pub files: u64,
    pub bytes: u64,
    /// Findings recorded (every one, whatever the report's filters show).
    pub findings: u64,
    /// Findings the report shows.
    pub shown: u64,
    pub blobs_reused: u64,
    pub blobs_skipped_clean: u64,
    pub seconds: f64,
    /// Recorded by an earlier invocation of this run, which was interrupted: not scanned again.
    pub resumed: bool,
    /// Unchanged (same refs) since this earlier run's complete scan, whose observations were
    /// carried forward: not scanned again.
    pub unchanged_since: Option<String>,
}

impl Entry {
    /// The manifest line of a scanned repository, `shown` of its findings in the report.
    pub(crate) fn of(s: &Scanned, shown: u64) -> Entry {
        let r = &s.record;
        Entry {
            key: r.key.clone(),
            tip: r.tip.clone(),
            root_commit: r.root_commit.clone(),
            scope: r.scope,
            coverage: r.coverage.clone(),
            files: r.files,
            bytes: r.bytes,
            findings: r.findings.len() as u64,
            shown,
            blobs_reused: s.reused,
            blobs_skipped_clean: s.skipped_clean,
            seconds: s.seconds,
            resumed: false,
            unchanged_since: s.carried.as_ref().map(|p| p.run.clone()),
        }
    }

    /// A repository an interrupted earlier invocation of this run completed and recorded.
    pub(crate) fn resumed(key: &str, scope: Scope) -> Entry {
        Entry {
            key: key.to_string(),
            tip: None,
            root_commit: None,
            scope,
            coverage: Coverage::Complete,
            files: 0,
            bytes: 0,
            findings: 0,
            shown: 0,
            blobs_reused: 0,
            blobs_skipped_clean: 0,
            seconds: 0.0,
            resumed: true,
            unchanged_since: None,
        }
    }

    /// `complete`, `partial` or `failed`.
    pub(crate) fn status(&self) -> &'static str {
        match self.coverage {
            Coverage::Complete => "complete",
            Coverage::Partial(_) => "partial",
            Coverage::Failed(_) => "failed",
        }
    }

    /// Why it is partial or failed.
    pub(crate) fn reasons(&self) -> Vec<String> {
        match &self.coverage {
            Coverage::Complete => Vec::new(),
            Coverage::Partial(r) => r.clone(),
            Coverage::Failed(r) => vec![r.clone()],
        }
    }

    /// The JSON report's form.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "key": self.key,
            "tip": self.tip,
            "root_commit": self.root_commit,
            "scope": self.scope.as_list(),
            "status": self.status(),
            "reasons": self.reasons(),
            "files": self.files,
            "bytes": self.bytes,
            "findings": self.findings,
            "shown": self.shown,
            "blobs_reused": self.blobs_reused,
            "blobs_skipped_clean": self.blobs_skipped_clean,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
        });
        if self.resumed {
            v["resumed"] = json!(true);
        }
        if let Some(r) = &self.unchanged_since {
            v["unchanged_since"] = json!(r);
        }
        v
    }
}

/// The manifest as a table for the text report: one line a repository, the reasons of the
/// partial and failed ones under it.
pub(crate) fn table(entries: &[Entry]) -> String {
    let mut out = String::from("STATUS    FINDINGS    FILES  REUSED  TIP         REPOSITORY\n");
    for e in entries {
        let status = match (e.resumed, &e.unchanged_since) {
            (true, _) => "done",
            (_, Some(_)) => "unchanged",
            _ => e.status(),
        };
        let tip = e.tip.as_deref().map_or("-", |t| &t[..t.len().min(10)]);
        out.push_str(&format!(
            "{status:<9} {:>8} {:>8} {:>7}  {tip:<10}  {}\n",
            e.findings,
            e.files,
            e.blobs_reused,
            terminal(&e.key)
        ));
        if e.resumed {
            out.push_str("          recorded by the interrupted invocation this one resumes\n");
        }
        for r in e.reasons() {
            out.push_str(&format!("          {}\n", terminal(&r)));
        }
    }
    out
}

/// How many repositories were unchanged since an earlier complete scan.
pub(crate) fn unchanged(entries: &[Entry]) -> usize {
    entries
        .iter()
        .filter(|e| e.unchanged_since.is_some())
        .count()
}

/// The count of entries by status, for the summary: (complete, partial, failed).
pub(crate) fn counts(entries: &[Entry]) -> (usize, usize, usize) {
    let n = |s: &str| entries.iter().filter(|e| e.status() == s).count();
    (n("complete"), n("partial"), n("failed"))
}
