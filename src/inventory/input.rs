//! What the inventory and the HTML report are built from, whatever produced it: findings in the JSON
//! shape of `--format json` (redacted), per-repository coverage and, when a store has them, runs.
//! One scan's outcome and a JSON report file have adapters here; a results store needs one more.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::Value;

/// One finding and the repository (or image, or scanned target) it was found in.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// The repository key (normalized remote URL or path), or what a single scan scanned.
    pub repo: String,
    /// The finding as `--format json` writes it (never with the full secret).
    pub finding: Value,
}

/// How completely one repository was scanned.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RepoCoverage {
    /// The repository key.
    pub repo: String,
    /// `complete`, `partial` or `failed`.
    pub status: String,
    /// What could not be read, or why the scan failed.
    pub reasons: Vec<String>,
    /// Findings in it.
    pub findings: u64,
}

/// One run of a store: when, and what it changed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RunSummary {
    /// The run id.
    pub id: String,
    /// When it started (RFC 3339).
    pub started: String,
    /// Occurrences it observed.
    pub open: u64,
    /// Credentials it saw first (or again, after a fix).
    pub new: u64,
    /// Credentials it found fixed.
    pub fixed: u64,
}

/// Everything the inventory and the HTML report read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input {
    /// Every finding, redacted.
    pub findings: Vec<Record>,
    /// Per repository coverage.
    pub coverage: Vec<RepoCoverage>,
    /// Runs, oldest first (empty for one scan).
    pub runs: Vec<RunSummary>,
    /// Each rule's remediation, by rule id.
    pub remediation: BTreeMap<String, String>,
    /// CODEOWNERS rules per repository: (pattern, owners), in file order.
    pub codeowners: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// What the input was (a path, a report file), for titles.
    pub source: String,
}

impl Input {
    /// The findings of one `--format json` report (of `scan`, `git`, `image` or `batch`).
    pub(crate) fn from_report(doc: &Value, source: &str) -> Result<Input> {
        let findings = doc
            .get("findings")
            .and_then(Value::as_array)
            .context("not an nhiscan JSON report (no `findings` array)")?;
        let target = doc
            .get("target")
            .and_then(Value::as_str)
            .unwrap_or(source)
            .to_string();
        let mut input = Input {
            source: source.to_string(),
            ..Default::default()
        };
        for f in findings {
            // A batch report names each finding's repository.
            let repo = f
                .get("repository")
                .or_else(|| f.pointer("/properties/repository"))
                .and_then(Value::as_str)
                .unwrap_or(&target)
                .to_string();
            input.findings.push(Record {
                repo,
                finding: f.clone(),
            });
        }
        if let Some(repos) = doc.get("repositories").and_then(Value::as_array) {
            for r in repos {
                input.coverage.push(coverage_entry(r, &input.findings));
            }
        } else {
            let errors: Vec<String> = doc
                .get("errors")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                e["path"].as_str().unwrap_or(""),
                                e["message"].as_str().unwrap_or("")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let complete = doc.get("complete").and_then(Value::as_bool).unwrap_or(true);
            input.coverage.push(RepoCoverage {
                repo: target.clone(),
                status: if complete { "complete" } else { "partial" }.into(),
                reasons: errors,
                findings: findings.len() as u64,
            });
        }
        Ok(input)
    }

    /// Reads a JSON report file.
    pub(crate) fn from_report_file(path: &std::path::Path) -> Result<Input> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the report", path.display()))?;
        let doc: Value =
            serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
        Input::from_report(&doc, &path.display().to_string())
            .with_context(|| path.display().to_string())
    }

    /// Fills the remediation of every rule the findings name from `rules`.
    pub(crate) fn with_rules(mut self, rules: &[crate::engine::Rule]) -> Input {
        for r in rules {
            self.remediation
                .insert(r.spec.id.clone(), r.spec.remediation.clone());
        }
        self
    }
}

/// A `repositories` entry of a batch report: its key, and its coverage however it is spelled.
fn coverage_entry(r: &Value, findings: &[Record]) -> RepoCoverage {
    let repo = ["key", "repository", "repo", "name", "url", "path"]
        .iter()
        .find_map(|k| r.get(*k).and_then(Value::as_str))
        .unwrap_or("?")
        .to_string();
    let cov = r.get("coverage").or_else(|| r.get("status"));
    let (status, reasons) = match cov {
        Some(Value::String(s)) => (s.clone(), Vec::new()),
        Some(Value::Object(o)) => (
            o.get("status")
                .and_then(Value::as_str)
                .unwrap_or("complete")
                .to_string(),
            o.get("reasons")
                .or_else(|| o.get("reason"))
                .map(|v| match v {
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => Vec::new(),
                })
                .unwrap_or_default(),
        ),
        _ => ("complete".into(), Vec::new()),
    };
    // `batch` writes `status` and `reasons` side by side.
    let reasons = if reasons.is_empty() {
        r.get("reasons")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        reasons
    };
    let n = findings.iter().filter(|f| f.repo == repo).count() as u64;
    RepoCoverage {
        repo,
        status,
        reasons,
        findings: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_and_batch_reports() {
        let one = json!({"target": "app", "complete": false, "findings": [{"rule_id": "x"}],
            "errors": [{"path": "a.tar", "message": "truncated"}]});
        let i = Input::from_report(&one, "r.json").unwrap();
        assert_eq!(i.findings[0].repo, "app");
        assert_eq!(i.coverage[0].status, "partial");
        assert_eq!(i.coverage[0].reasons, ["a.tar: truncated"]);
        let batch = json!({"findings": [{"rule_id": "x", "properties": {"repository": "r1"}}],
            "repositories": [{"key": "r1", "status": "complete", "reasons": []},
                             {"key": "r2", "status": "failed", "reasons": ["clone failed"]},
                             {"key": "r3", "coverage": {"status": "partial", "reason": "missing blob"}}]});
        let i = Input::from_report(&batch, "b.json").unwrap();
        assert_eq!(i.findings[0].repo, "r1");
        assert_eq!(i.coverage[0].findings, 1);
        assert_eq!(
            (i.coverage[1].status.as_str(), i.coverage[1].reasons.len()),
            ("failed", 1)
        );
        assert_eq!(i.coverage[2].reasons, ["missing blob"]);
        assert!(Input::from_report(&json!({}), "x").is_err());
    }
}
