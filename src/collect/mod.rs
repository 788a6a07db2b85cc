//! Where findings go while a scan runs, and what happens to them after ([`outcome`]). Sources push findings into the [`Collector`] from many threads
//! (push, as ripgrep's searcher pushes into a `Sink`, so streaming JSONL, counting and collecting for
//! SARIF are the same code path); it applies the user's filters and suppressions as findings arrive,
//! streams JSONL at once, and keeps the rest for the reports rendered at the end.

pub(crate) mod history;
pub(crate) mod outcome;
pub(crate) mod policy;
pub(crate) mod scrub;
pub(crate) mod shared;
pub(crate) mod suppress;

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;

use self::policy::Policy;
use self::suppress::Suppressor;
use crate::context::ContextFilter;
use crate::finding::{Confidence, Finding, ScanError, Severity, Skipped};

pub(crate) use self::outcome::Outcome;

/// What the user asked to see: findings below these are counted, not kept.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    pub min_severity: Severity,
    pub min_confidence: Confidence,
    pub context: ContextFilter,
}

/// Receives findings, errors and skips from every source thread; filters as they arrive.
pub(crate) struct Collector {
    shown: Shown,
    show_secrets: bool,
    suppressor: Suppressor,
    /// The project's policy: its verdicts attach to findings before the severity filter.
    policy: Option<Policy>,
    /// The JSONL stream and the redaction of what it writes.
    stream: Option<Mutex<(Box<dyn Write + Send>, scrub::Streamed)>>,
    findings: Mutex<Vec<Finding>>,
    errors: Mutex<Vec<ScanError>>,
    skipped: Mutex<Vec<Skipped>>,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub found: AtomicU64,
    pub suppressed: AtomicU64,
    pub baselined: AtomicU64,
    /// Findings hidden by the context filter and by `--min-confidence`, each (secret, file) once so
    /// that every version of a history counts as one.
    hidden: Mutex<[HashSet<(String, String)>; 2]>,
    pub started: Instant,
}

impl Collector {
    /// A collector keeping the findings `shown` selects that `suppressor` lets through.
    pub(crate) fn new(
        shown: Shown,
        show_secrets: bool,
        suppressor: Suppressor,
        policy: Option<Policy>,
    ) -> Collector {
        Collector {
            shown,
            show_secrets,
            suppressor,
            policy,
            stream: None,
            findings: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            skipped: Mutex::new(Vec::new()),
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            found: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            baselined: AtomicU64::new(0),
            hidden: Default::default(),
            started: Instant::now(),
        }
    }

    /// Streams each accepted finding as one JSON line to `w` as soon as it is found.
    pub(crate) fn stream_jsonl(&mut self, w: Box<dyn Write + Send>) {
        self.stream = Some(Mutex::new((w, scrub::Streamed::default())));
    }

    /// Counts a unit as scanned.
    pub(crate) fn scanned(&self, bytes: u64) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }

    /// Takes one finding: policy verdict, severity filter, suppressions, then kept (and streamed).
    pub(crate) fn push(&self, mut f: Finding) {
        if let Some(p) = &self.policy {
            p.judge(&mut f);
        }
        if f.severity < self.shown.min_severity {
            return;
        }
        let hide = if !self.shown.context.shows(f.context, f.demoted) {
            Some(0)
        } else if f.confidence < self.shown.min_confidence {
            Some(1)
        } else {
            None
        };
        if let Some(i) = hide {
            self.hidden.lock().unwrap()[i].insert((f.fingerprint, f.origin.artifact.clone()));
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
            let mut guard = s.lock().unwrap();
            let (w, scrubber) = &mut *guard;
            let line = if self.show_secrets {
                serde_json::to_string(&f.to_json(true))
            } else {
                let mut shown = f.clone();
                scrubber.clean(&mut shown);
                serde_json::to_string(&shown.to_json(false))
            }
            .expect("json");
            // A closed pipe (`| head`) is not a scan error; the final flush reports real I/O failures.
            let _ = writeln!(w, "{line}");
        }
        self.findings.lock().unwrap().push(f);
    }

    /// Takes several findings.
    pub(crate) fn push_all(&self, fs: impl IntoIterator<Item = Finding>) {
        for f in fs {
            self.push(f);
        }
    }

    /// A unit that could not be (fully) read.
    pub(crate) fn error(&self, path: impl Into<String>, message: impl Into<String>) {
        let (path, message) = (path.into(), message.into());
        self.errors
            .lock()
            .unwrap()
            .push(ScanError { path, message });
    }

    /// True when `path` is under an `allow_paths` glob (and suppressions are on): problems with such
    /// a file (malformed fixtures kept on purpose) are skips, not errors.
    pub(crate) fn path_allowed(&self, path: &str) -> bool {
        self.suppressor.path_allowed(path)
    }

    /// A unit passed over on purpose.
    pub(crate) fn skip(&self, path: impl Into<String>, reason: impl Into<String>) {
        self.skipped.lock().unwrap().push(Skipped {
            path: path.into(),
            reason: reason.into(),
        });
    }

    /// Flushes the JSONL stream, if any.
    pub(crate) fn flush_stream(&self) -> std::io::Result<()> {
        if let Some(s) = &self.stream {
            s.lock().unwrap().0.flush()?;
        }
        Ok(())
    }

    /// Ends the scan: the findings, errors and skips as collected, and the counters.
    pub(crate) fn finish(self) -> outcome::Collected {
        let [by_context, by_confidence] = self.hidden.into_inner().unwrap();
        outcome::Collected {
            findings: self.findings.into_inner().unwrap(),
            errors: self.errors.into_inner().unwrap(),
            skipped: self.skipped.into_inner().unwrap(),
            files: self.files.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            suppressed: self.suppressed.load(Relaxed),
            baselined: self.baselined.load(Relaxed),
            hidden_context: by_context.len() as u64,
            hidden_confidence: by_confidence.len() as u64,
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}
