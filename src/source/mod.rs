//! Sources know where bytes come from and nothing about secrets. Each one produces [`Unit`]s (bytes plus
//! their [`Origin`]) into a [`Feed`]; the feed applies the per-unit gates (size, binary content, the
//! verbose note), runs the scanner and hands findings and errors to the collector. A source never
//! prints, gates, builds or patches findings: where its origins are final only after the scan (git
//! provenance, image whiteouts), it says so ([`Source::defers_origins`]) and the pipeline asks it for
//! the final origins of the units that produced findings ([`Source::finalize`]).

pub(crate) mod diff;
pub(crate) mod fs;
pub(crate) mod fs_context;
mod fs_dirs;
mod fs_read;
pub(crate) mod git;
pub(crate) mod image;
pub(crate) mod staged;
pub(crate) mod stdin;
pub(crate) mod text;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use crate::collect::Collector;
use crate::finding::{Finding, Origin};
use crate::report::escape::terminal;
use crate::scan::Scanner;
pub(crate) use crate::scan::Unit;
use crate::settings::Limits;

/// What every source implements. Registered sources are chosen by commands; the pipeline
/// (`crate::run`) drives them.
pub(crate) trait Source: Sync {
    /// What the report names as scanned (`src/ config/`, `repo (staged)`, `app.tar`).
    fn target(&self) -> String;
    /// The root reported paths are relative to: the repository root, or the directory scanned.
    fn project_dir(&self) -> PathBuf;
    /// Where the project config (`.nhiscan.toml`) is looked for first; from there up to
    /// [`Source::project_dir`], the nearest wins.
    fn config_start(&self) -> PathBuf {
        self.project_dir()
    }
    /// Work that can run while the rules load (the staged diff). Default: none.
    fn prepare(&self) -> Result<()> {
        Ok(())
    }
    /// Produces every unit into `feed`. An error stops the whole source (not an image, no such
    /// repository); problems with single units go to [`Feed::error`] and the rest goes on.
    fn produce(&self, feed: &Feed<'_>) -> Result<()>;
    /// True when origins are final only after the whole source was read.
    fn defers_origins(&self) -> bool {
        false
    }
    /// The final origins of `held` (same order): called once, after [`Source::produce`], with the
    /// origins of the units that produced findings, when [`Source::defers_origins`]. None drops the
    /// unit's findings: it turned out not to belong to the scan (an image stream holds the layers
    /// of platforms that were not asked for, and which blob is which is known only at its end).
    fn finalize(&self, held: &[Arc<Origin>], _feed: &Feed<'_>) -> Result<Vec<Option<Arc<Origin>>>> {
        Ok(held.iter().cloned().map(Some).collect())
    }
    /// True when the source holds many versions of the same files (a history): findings other than
    /// secrets are then reported once, from the tip, with the version that introduced them
    /// (`collect::history`).
    fn many_versions(&self) -> bool {
        false
    }
    /// A line printed after the report when secrets fail the run (how to act on them).
    fn hint(&self) -> Option<&'static str> {
        None
    }
    /// Which findings fail the run when `--fail-on` is not given.
    fn default_fail_on(&self) -> crate::settings::FailOn {
        crate::settings::FailOn::build()
    }
}

/// What a run already knows about blobs (`nhiscan batch`): a blob scanned earlier in the run at the
/// same path (a fork shares most of its history), or scanned clean by an earlier run with the same
/// engine. Sources that know a unit's blob id and path before reading it ask [`Feed::recall`], so
/// such a blob is neither read nor scanned again; the feed tells it what each blob unit found
/// ([`BlobMemo::remember`]).
pub(crate) trait BlobMemo: Sync {
    /// What scanning blob `oid` at `path` found, when it is known (empty: nothing).
    fn recall(&self, oid: &str, path: &str) -> Option<Vec<Finding>>;
    /// What scanning blob `oid` at `path` found (before suppression and filters, which are the
    /// repository's own and run again on a recalled finding).
    fn remember(&self, oid: &str, path: &str, findings: &[Finding]);
}

/// Binary content is sniffed like git and ripgrep do: a NUL byte in the first 8 KiB.
pub(crate) fn is_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8192)]).is_some()
}

/// Where sources hand their units: the per-unit gates, the scanner and the collector, the same for
/// every source.
pub(crate) struct Feed<'a> {
    scanner: &'a Scanner,
    collector: &'a Collector,
    limits: &'a Limits,
    verbose: bool,
    quiet: bool,
    /// Findings of sources whose origins are final only after the scan, by the unit's origin.
    held: Option<Mutex<Vec<Finding>>>,
    incomplete: AtomicBool,
    /// Blobs already known to this run ([`Feed::recall`]).
    memo: Option<&'a dyn BlobMemo>,
}

impl<'a> Feed<'a> {
    pub(crate) fn new(
        scanner: &'a Scanner,
        collector: &'a Collector,
        limits: &'a Limits,
        verbose: bool,
        quiet: bool,
        hold: bool,
    ) -> Feed<'a> {
        Feed {
            scanner,
            collector,
            limits,
            verbose,
            quiet,
            held: hold.then(|| Mutex::new(Vec::new())),
            incomplete: AtomicBool::new(false),
            memo: None,
        }
    }

    /// The same feed consulting `memo` before blobs are read ([`Feed::recall`]).
    pub(crate) fn with_memo(mut self, memo: Option<&'a dyn BlobMemo>) -> Feed<'a> {
        self.memo = memo;
        self
    }

    /// The memo gate, for sources that know a blob's id and path before reading it: true when the
    /// run already knows what blob `oid` at `path` finds, whose findings are then handed on as if
    /// it had been scanned again here, with `origin()` (this repository's origin of the blob); the
    /// source then neither reads nor scans it. False: read and scan it as usual.
    pub(crate) fn recall(
        &self,
        oid: &str,
        path: &str,
        origin: impl FnOnce() -> Arc<Origin>,
    ) -> bool {
        let Some(found) = self.memo.and_then(|m| m.recall(oid, path)) else {
            return false;
        };
        if !found.is_empty() {
            let origin = origin();
            self.deliver(
                found
                    .into_iter()
                    .map(|mut f| {
                        f.origin = origin.clone();
                        f
                    })
                    .collect(),
            );
        }
        true
    }

    /// The engine's keyword pass, for sources that give units with their hits ([`Unit::hits`]).
    pub(crate) fn keywords(&self) -> Option<&crate::engine::keywords::Keywords> {
        self.scanner.keywords()
    }

    /// The limits every source reads within.
    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    /// Scans one unit, after the gates every source shares: over `--max-file-size` or binary content
    /// is skipped (noted with `-v`), everything else is scanned and counted.
    pub(crate) fn unit(&self, unit: Unit<'_>) {
        if !self.admits(&unit.origin.display, unit.data.len() as u64) {
            return;
        }
        if is_binary(unit.data) {
            // UTF-16/32 text has NULs too: scanned as UTF-8, on the same lines.
            return match text::wide_to_utf8(unit.data) {
                Some(utf8) => self.scan(Unit {
                    data: &utf8,
                    hits: None,
                    ..unit
                }),
                None => {
                    // Nothing to find in it, wherever else it is: a fork need not read it again.
                    self.remember(&unit, &[]);
                    self.skip(&unit.origin.display, "binary content")
                }
            };
        }
        self.scan(unit);
    }

    fn scan(&self, unit: Unit<'_>) {
        // One unit that trips a bug must not cost the findings of every other.
        let scanned =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.scanner.scan(&unit)));
        let Ok(mut res) = scanned else {
            return self.error(
                unit.origin.display.clone(),
                "internal error while scanning this file (a bug in nhiscan); it was not scanned, the rest of the scan goes on",
            );
        };
        self.collector.scanned(unit.data.len() as u64);
        if unit.lines.is_some() {
            res.findings.retain(|f| unit.counts(f.line, f.end_line));
        }
        for e in res.errors {
            self.problem(&unit.origin, e);
        }
        self.remember(&unit, &res.findings);
        self.deliver(res.findings);
    }

    /// A unit's findings: held until the source finalizes their origins, or collected now.
    fn deliver(&self, findings: Vec<Finding>) {
        match &self.held {
            Some(h) if !findings.is_empty() => h.lock().unwrap().extend(findings),
            Some(_) => {}
            None => self.collector.push_all(findings),
        }
    }

    /// Tells the memo, if any, what a unit that is a whole blob (its origin names the blob) found.
    fn remember(&self, unit: &Unit<'_>, findings: &[Finding]) {
        let Some(memo) = self.memo else { return };
        // A unit with chosen lines found only part of its blob.
        let blob = unit.origin.properties.get("blob").and_then(|b| b.as_str());
        if let (Some(oid), None) = (blob, unit.lines) {
            memo.remember(oid, &unit.origin.name, findings);
        }
    }

    /// The size gate, for sources that know a unit's size before reading it: false (and the unit
    /// recorded as skipped) when it is over `--max-file-size`.
    pub(crate) fn admits(&self, display: &str, size: u64) -> bool {
        let max = self.limits.max_file_size;
        if size <= max {
            return true;
        }
        self.skip(
            display,
            &format!("larger than --max-file-size ({size} > {max} bytes)"),
        );
        false
    }

    /// A unit passed over on purpose: listed in reports, and on stderr with `-v`.
    pub(crate) fn skip(&self, display: &str, reason: &str) {
        if self.verbose {
            eprintln!("note: {}: skipped, {}", terminal(display), terminal(reason));
        }
        self.collector.skip(display, reason);
    }

    /// A unit that could not be read: reported, and the scan marked incomplete (under an
    /// `allow_paths` glob: a skip, listed with `-v`).
    pub(crate) fn error(&self, display: impl Into<String>, message: impl Into<String>) {
        let display = display.into();
        let rel = display.clone();
        self.error_in(display, &rel, message);
    }

    /// [`Feed::error`] for a unit whose repository-relative path (`rel`) differs from how it is
    /// shown: `allow_paths` globs match either.
    pub(crate) fn error_in(
        &self,
        display: impl Into<String>,
        rel: &str,
        message: impl Into<String>,
    ) {
        let (display, message) = (display.into(), message.into());
        if self.collector.path_allowed(&display) || self.collector.path_allowed(rel) {
            return self.skip(&display, &format!("allowlisted path: {message}"));
        }
        self.incomplete.store(true, Relaxed);
        self.collector.error(display, message);
    }

    /// A unit that was read but not fully understood (malformed YAML or JSON: the rules still ran,
    /// the analyzers could not): reported, the scan still complete; under `allow_paths` a skip.
    fn problem(&self, origin: &Origin, message: String) {
        let allowed = [&origin.display, &origin.artifact, &origin.name]
            .into_iter()
            .any(|p| !p.is_empty() && self.collector.path_allowed(p));
        if allowed {
            return self.skip(
                &origin.display,
                &format!("allowlisted path, not analyzed: {message}"),
            );
        }
        self.collector.error(origin.display.clone(), message);
    }

    /// A problem that is not about one unit (a shallow clone, a platform not in the archive):
    /// printed unless `-q`.
    pub(crate) fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln!("warning: {}", terminal(message));
        }
    }

    /// True when some content could not be read.
    pub(crate) fn incomplete(&self) -> bool {
        self.incomplete.load(Relaxed)
    }

    /// The held findings (sources that defer origins), grouped by their unit's origin.
    pub(crate) fn take_held(&self) -> Vec<(Arc<Origin>, Vec<Finding>)> {
        let Some(h) = &self.held else {
            return Vec::new();
        };
        let all = std::mem::take(&mut *h.lock().unwrap());
        let mut groups: Vec<(Arc<Origin>, Vec<Finding>)> = Vec::new();
        let mut index: HashMap<*const Origin, usize> = HashMap::new();
        for f in all {
            let key = Arc::as_ptr(&f.origin);
            let i = *index.entry(key).or_insert_with(|| {
                groups.push((f.origin.clone(), Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(f);
        }
        // Units finish in any order: sort, so what is streamed after finalizing is deterministic.
        groups.sort_by(|a, b| (&a.0.display, &a.0.artifact).cmp(&(&b.0.display, &b.0.artifact)));
        groups
    }

    /// Hands findings to the collector (after their origins were finalized).
    pub(crate) fn push(&self, findings: Vec<Finding>) {
        self.collector.push_all(findings);
    }
}
