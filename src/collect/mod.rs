//! Where findings go while a scan runs. Sources push findings into the [`Collector`] from many threads
//! (push, as ripgrep's searcher pushes into a `Sink`, so streaming JSONL, counting and collecting for
//! SARIF are the same code path); it applies the user's filters and suppressions as findings arrive,
//! streams JSONL at once, and keeps the rest for the reports rendered at the end.

pub mod policy;
pub mod shared;
pub mod suppress;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;

use crate::collect::suppress::Suppressor;
use crate::finding::{Finding, ScanError, Severity, Skipped};

pub struct Collector {
    pub min_severity: Severity,
    pub show_secrets: bool,
    pub suppressor: Suppressor,
    stream: Option<Mutex<Box<dyn Write + Send>>>,
    findings: Mutex<Vec<Finding>>,
    errors: Mutex<Vec<ScanError>>,
    skipped: Mutex<Vec<Skipped>>,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub found: AtomicU64,
    pub suppressed: AtomicU64,
    pub baselined: AtomicU64,
    pub started: Instant,
}

impl Collector {
    pub fn new(min_severity: Severity, show_secrets: bool, suppressor: Suppressor) -> Collector {
        Collector {
            min_severity,
            show_secrets,
            suppressor,
            stream: None,
            findings: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            skipped: Mutex::new(Vec::new()),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            found: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            baselined: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Streams each accepted finding as one JSON line to `w` as soon as it is found.
    pub fn stream_jsonl(&mut self, w: Box<dyn Write + Send>) {
        self.stream = Some(Mutex::new(w));
    }

    /// Counts a unit as scanned.
    pub fn scanned(&self, bytes: u64) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }

    pub fn push(&self, mut f: Finding) {
        if f.severity < self.min_severity {
            return;
        }
        match self.suppressor.check(&mut f) {
            crate::collect::suppress::Verdict::Report => {}
            crate::collect::suppress::Verdict::Suppressed => {
                self.suppressed.fetch_add(1, Relaxed);
                return;
            }
            crate::collect::suppress::Verdict::Baselined => {
                self.baselined.fetch_add(1, Relaxed);
                return;
            }
        }
        self.found.fetch_add(1, Relaxed);
        if let Some(s) = &self.stream {
            let line = serde_json::to_string(&f.to_json(self.show_secrets)).expect("json");
            let mut w = s.lock().unwrap();
            // A closed pipe (`| head`) is not a scan error; the final flush reports real I/O failures.
            let _ = writeln!(w, "{line}");
        }
        self.findings.lock().unwrap().push(f);
    }

    pub fn push_all(&self, fs: impl IntoIterator<Item = Finding>) {
        for f in fs {
            self.push(f);
        }
    }

    pub fn error(&self, path: impl Into<String>, message: impl Into<String>) {
        let (path, message) = (path.into(), message.into());
        if self.suppressor.path_allowed(&path) {
            return self.skip(path, format!("allowlisted path: {message}"));
        }
        self.errors
            .lock()
            .unwrap()
            .push(ScanError { path, message });
    }

    pub fn skip(&self, path: impl Into<String>, reason: impl Into<String>) {
        self.skipped.lock().unwrap().push(Skipped {
            path: path.into(),
            reason: reason.into(),
        });
    }

    pub fn flush_stream(&self) -> std::io::Result<()> {
        if let Some(s) = &self.stream {
            s.lock().unwrap().flush()?;
        }
        Ok(())
    }

    /// Ends the scan: everything sorted for stable reports.
    pub fn finish(self) -> Outcome {
        let mut findings = self.findings.into_inner().unwrap();
        findings.sort_by(|a, b| {
            (&a.origin.display, a.line, a.column, &a.rule_id).cmp(&(
                &b.origin.display,
                b.line,
                b.column,
                &b.rule_id,
            ))
        });
        let mut errors = self.errors.into_inner().unwrap();
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        let mut skipped = self.skipped.into_inner().unwrap();
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let summary = Summary {
            files: self.files.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            findings: findings.len() as u64,
            suppressed: self.suppressed.load(Relaxed),
            baselined: self.baselined.load(Relaxed),
            skipped: skipped.len() as u64,
            errors: errors.len() as u64,
            seconds: self.started.elapsed().as_secs_f64(),
            by_severity: count_by_severity(&findings),
            long_lived: findings
                .iter()
                .filter(|f| {
                    f.lifetime
                        .as_ref()
                        .is_some_and(|l| l.kind == crate::finding::LifetimeKind::LongLived)
                })
                .count() as u64,
            incomplete: false,
        };
        Outcome {
            findings,
            errors,
            skipped,
            summary,
        }
    }
}

fn count_by_severity(fs: &[Finding]) -> std::collections::BTreeMap<String, u64> {
    let mut m = std::collections::BTreeMap::new();
    for f in fs {
        *m.entry(f.severity.as_str().to_string()).or_insert(0) += 1;
    }
    m
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub findings: u64,
    pub suppressed: u64,
    pub baselined: u64,
    pub skipped: u64,
    pub errors: u64,
    pub seconds: f64,
    pub by_severity: std::collections::BTreeMap<String, u64>,
    pub long_lived: u64,
    /// True when some content could not be read (missing objects, truncated layers): the scan did
    /// not see everything it was asked to.
    pub incomplete: bool,
}

/// The finished scan: what every report renders.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<ScanError>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
}
