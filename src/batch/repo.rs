//! One repository of a batch, from its target to its record: cloned or fetched when it is a URL,
//! opened and probed (tip, root commit), scanned through the one pipeline with the run's memory
//! (history with every analyzer at the tip, or the tip's tree alone; images when asked), and turned
//! into a [`RepoRecord`] with its coverage. Whatever goes wrong ends as this repository's failure,
//! never the batch's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::cache::Cache;
use super::input::{Location, Target};
use super::memo::RunMemo;
use super::probe::{config_hash, facts as facts_of, refs_key, Facts};
use super::tree::TipTree;
use crate::finding::{Category, Finding, Origin, ScanError};
use crate::settings::Settings;
use crate::source::git::{History, Repo, Revs};
use crate::source::Source;
use crate::store::record::{Coverage, Prior, RepoRecord, Scope};

/// How many reasons a partial coverage lists before it counts the rest.
const REASONS: usize = 20;

/// What every repository is scanned with.
pub(crate) struct Job<'a> {
    /// The pipeline's settings: every finding kept, secrets in full (for the store), quiet.
    pub settings: &'a Settings,
    pub scope: Scope,
    pub memo: &'a RunMemo,
    pub cache: &'a Cache,
    /// What the store remembers of each repository's last complete scan with this engine and
    /// scope (empty without a store, or with `--rescan`).
    pub priors: &'a HashMap<String, Prior>,
}

/// One scanned (or failed) repository.
pub(crate) struct Scanned {
    pub record: RepoRecord,
    /// Blob ids scanned clean, for the store.
    pub clean: Vec<String>,
    /// Blobs whose findings came from another repository of the run.
    pub reused: u64,
    /// Blobs not read because an earlier run scanned them clean.
    pub skipped_clean: u64,
    /// The directory SARIF paths are relative to.
    pub root: Option<PathBuf>,
    /// Suppressed and baselined findings (not in the record).
    pub suppressed: u64,
    pub baselined: u64,
    /// Units passed over on purpose.
    pub skipped: Vec<crate::finding::Skipped>,
    pub seconds: f64,
    /// Unchanged since this earlier scan: not scanned; its observations are carried forward.
    pub carried: Option<Prior>,
}

impl Scanned {
    fn failed(key: &str, scope: Scope, facts: Facts, why: String, started: Instant) -> Scanned {
        Scanned {
            record: RepoRecord {
                key: key.to_string(),
                tip: facts.tip,
                root_commit: facts.root,
                refs: None,
                scope,
                coverage: Coverage::Failed(why),
                files: 0,
                bytes: 0,
                findings: Vec::new(),
                errors: Vec::new(),
            },
            clean: Vec::new(),
            reused: 0,
            skipped_clean: 0,
            root: None,
            suppressed: 0,
            baselined: 0,
            skipped: Vec::new(),
            seconds: started.elapsed().as_secs_f64(),
            carried: None,
        }
    }

    /// A repository whose refs are those of `prior`'s complete scan: recorded as that scan saw
    /// it, its findings filled in from the store.
    fn carried(key: &str, scope: Scope, prior: &Prior, started: Instant) -> Scanned {
        Scanned {
            record: RepoRecord {
                key: key.to_string(),
                tip: prior.tip.clone(),
                root_commit: prior.root_commit.clone(),
                refs: Some(prior.refs.clone()),
                scope,
                coverage: prior.coverage.clone(),
                files: prior.files,
                bytes: prior.bytes,
                findings: Vec::new(),
                errors: Vec::new(),
            },
            carried: Some(prior.clone()),
            ..Scanned::failed(key, scope, Facts::default(), String::new(), started)
        }
    }
}

/// The record of a repository that could not be scanned at all.
pub(crate) fn failed(target: &Target, scope: Scope, why: String) -> Scanned {
    Scanned::failed(&target.key, scope, Facts::default(), why, Instant::now())
}

/// Scans one repository. Never fails: a failure is the record's coverage.
pub(crate) fn scan(job: &Job<'_>, target: &Target) -> Scanned {
    let started = Instant::now();
    let fail =
        |why: String, facts: Facts| Scanned::failed(&target.key, job.scope, facts, why, started);
    if let Some(p) = &target.problem {
        return fail(p.clone(), Facts::default());
    }
    if let Some(prior) = target.surveyed.as_ref().and_then(|s| s.carried.as_ref()) {
        return Scanned::carried(&target.key, job.scope, prior, started);
    }
    let path = match &target.location {
        Location::Local(p) => p.clone(),
        Location::Url(u) => match job.cache.get(u, &target.key, job.scope.history) {
            Ok(p) => p,
            Err(e) => return fail(format!("{e:#}"), Facts::default()),
        },
    };
    let repo = match Repo::open(&path) {
        Ok(r) => r,
        Err(e) => return fail(format!("{e:#}"), Facts::default()),
    };
    let root = repo.root();
    // A repository's own config may change the rules: its results are its own (see memo).
    let config = config_hash(&root, job.settings);
    let (refs, facts) = match &target.surveyed {
        Some(s) => (s.refs.clone(), s.facts.clone()),
        None => {
            // A clone URL's repository is known only now, after its fetch.
            let refs = refs_key(&repo, &config);
            if let (Some(refs), Some(prior)) = (&refs, job.priors.get(&target.key)) {
                if *refs == prior.refs {
                    return Scanned::carried(&target.key, job.scope, prior, started);
                }
            }
            (refs, None)
        }
    };
    let facts = match facts.map_or_else(|| facts_of(&repo), Ok) {
        Ok(f) => f,
        Err(e) => return fail(format!("{e:#}"), Facts::default()),
    };
    let memo = job.memo.repo(config);
    let threads = job.settings.threads;
    let entries = match (&facts.tip, job.scope.images) {
        (Some(tip), true) => super::tree::list(&repo, tip).ok(),
        _ => None,
    };
    let source: Option<Box<dyn Source>> = if job.scope.history {
        match History::open(&path, Revs::All, false, threads) {
            Ok(h) => Some(Box::new(h)),
            Err(e) => return fail(format!("{e:#}"), facts),
        }
    } else if job.scope.tree {
        facts
            .tip
            .clone()
            .map(|tip| Box::new(TipTree::new(repo, tip, threads)) as Box<dyn Source>)
    } else {
        None
    };
    let mut findings = Vec::new();
    let mut errors: Vec<ScanError> = Vec::new();
    let (mut files, mut bytes, mut incomplete) = (0, 0, false);
    let (mut suppressed, mut baselined, mut skipped) = (0, 0, Vec::new());
    if let Some(source) = &source {
        let done = match crate::run::scan_with(job.settings, source.as_ref(), Some(&memo)) {
            Ok(d) => d,
            Err(e) => return fail(format!("{e:#}"), facts),
        };
        let o = done.outcome;
        findings = o.findings;
        errors = o.errors;
        skipped = o.skipped;
        files = o.summary.files;
        bytes = o.summary.bytes;
        incomplete = o.summary.incomplete;
        suppressed = o.summary.suppressed;
        baselined = o.summary.baselined;
        if !job.scope.tree {
            // History alone is for secrets; the tip's posture findings belong to the tree scope.
            findings.retain(|f| matches!(f.kind, Category::Secret | Category::PasswordHash));
        }
    }
    if let Some(entries) = entries {
        let repo = crate::source::git::Repo::open(&path);
        if let Ok(repo) = repo {
            let limit = job.settings.limits.max_layer_size;
            let im = super::images::scan(job.settings, &repo, &entries, limit);
            findings.extend(im.findings);
            errors.extend(im.errors);
            files += im.files;
            bytes += im.bytes;
            incomplete |= im.incomplete;
        }
    }
    let reused = memo.reused.load(Relaxed);
    let skipped_clean = memo.skipped_clean.load(Relaxed);
    // Blobs known to the run count as covered: their findings are in this record.
    files += reused + skipped_clean;
    name_repository(&mut findings, &target.key);
    let coverage = if incomplete {
        // What was not read comes first; a file read but not understood (malformed YAML) is an
        // error of the report, not a reason for the coverage.
        let unread = |e: &&ScanError| {
            [
                "not scanned",
                "missing",
                "cannot",
                "not read",
                "truncated",
                "corrupt",
            ]
            .iter()
            .any(|w| e.message.contains(w))
        };
        let mut ordered: Vec<&ScanError> = errors.iter().filter(unread).collect();
        ordered.extend(errors.iter().filter(|e| !unread(e)));
        let mut reasons: Vec<String> = ordered
            .into_iter()
            .take(REASONS)
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect();
        if errors.len() > REASONS {
            reasons.push(format!("and {} more", errors.len() - REASONS));
        }
        if reasons.is_empty() {
            reasons.push("some content could not be read".into());
        }
        Coverage::Partial(reasons)
    } else {
        Coverage::Complete
    };
    let clean = memo.clean_blobs();
    Scanned {
        record: RepoRecord {
            key: target.key.clone(),
            tip: facts.tip,
            root_commit: facts.root,
            refs,
            scope: job.scope,
            coverage,
            files,
            bytes,
            findings,
            errors,
        },
        clean,
        reused,
        skipped_clean,
        root: Some(root),
        suppressed,
        baselined,
        skipped,
        seconds: started.elapsed().as_secs_f64(),
        carried: None,
    }
}

/// Every finding names its repository (`repository` in its origin's properties): one report
/// holds many.
fn name_repository(findings: &mut [Finding], key: &str) {
    let mut named: std::collections::HashMap<*const Origin, Arc<Origin>> = Default::default();
    for f in findings {
        let o = named
            .entry(Arc::as_ptr(&f.origin))
            .or_insert_with(|| {
                let mut o = (*f.origin).clone();
                o.properties.insert("repository".into(), json!(key));
                Arc::new(o)
            })
            .clone();
        f.origin = o;
    }
}
