//! The batch, start to end: the repositories of this shard, the store's run begun or resumed, the
//! repositories scanned a bounded number at a time, each recorded and reported as it finishes and
//! then dropped, the reports ended, the exit code decided (2 when any repository failed, after
//! everything was reported).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use anyhow::Result;

use super::cache::Cache;
use super::engine::{engine, plan_key, Hasher};
use super::input::{Location, Target};
use super::manifest::Entry;
use super::manifest::Part;
use super::memo::RunMemo;
use super::probe::{config_hash, facts, refs_key, Surveyed};
use super::repo::{self, Job, Scanned};
use super::report::Reports;
use super::shard::Shard;
use super::totals::{summary_line, Totals};
use crate::finding::{Confidence, Finding};
use crate::report::escape::terminal;
use crate::run::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::settings::{FailOn, Settings};
use crate::source::git::Repo;
use crate::store::record::{Prior, RunStart, RunStore, Scope};

/// Everything a batch was asked to do.
pub(crate) struct Options {
    pub targets: Vec<Target>,
    pub scope: Scope,
    pub shard: Option<Shard>,
    /// Repositories scanned at once.
    pub parallel: usize,
    /// Worker threads for each repository.
    pub threads: usize,
    pub cache: Cache,
    /// `--run-id`: the id every shard of one run shares.
    pub run_id: Option<String>,
    /// `--rescan`: forget what the store remembers (unchanged repositories, clean blobs).
    pub rescan: bool,
    /// The user's settings (reports, filters, limits, threads per repository).
    pub settings: Settings,
}

/// What is known of a target before the batch scans anything: its shard group (what a plan pinned,
/// else a local repository's root commit, else its key) and, for a local repository, what
/// [`Surveyed`] holds. `refs`: a store will record the refs key (and may hold a prior scan).
fn survey(
    t: &Target,
    priors: &HashMap<String, Prior>,
    settings: &Settings,
    refs: bool,
) -> (String, Option<Surveyed>) {
    let pinned_or_key = || t.group.clone().unwrap_or_else(|| t.key.clone());
    let (Location::Local(p), None) = (&t.location, &t.problem) else {
        return (pinned_or_key(), None);
    };
    let Ok(repo) = Repo::open(p) else {
        return (pinned_or_key(), None);
    };
    let refs = refs
        .then(|| refs_key(&repo, &config_hash(&repo.root(), settings)))
        .flatten();
    // Unchanged: its root is the one recorded (the same refs, the same first commit).
    if let Some(prior) = priors
        .get(&t.key)
        .filter(|prior| refs.as_ref() == Some(&prior.refs))
    {
        let group = t.group.clone().or_else(|| prior.root_commit.clone());
        let surveyed = Surveyed {
            facts: None,
            refs,
            carried: Some(prior.clone()),
        };
        return (group.unwrap_or_else(|| t.key.clone()), Some(surveyed));
    }
    // A repository git cannot read facts of fails at its scan, which says why.
    let facts = facts(&repo).ok();
    let group = t
        .group
        .clone()
        .or_else(|| facts.as_ref().and_then(|f| f.root.clone()));
    let surveyed = Surveyed {
        facts,
        refs,
        carried: None,
    };
    (group.unwrap_or_else(|| t.key.clone()), Some(surveyed))
}

/// [`survey`] of every target, `threads` at a time: each costs a few git processes, which on an
/// unchanged organisation is most of a rescan.
fn surveys(
    targets: &[Target],
    priors: &HashMap<String, Prior>,
    settings: &Settings,
    refs: bool,
    threads: usize,
) -> Vec<(String, Option<Surveyed>)> {
    let next = AtomicUsize::new(0);
    let mut out: Vec<(usize, (String, Option<Surveyed>))> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.clamp(1, targets.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some(t) = targets.get(i) else { break mine };
                        mine.push((i, survey(t, priors, settings, refs)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("surveying a repository does not panic"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, g)| g).collect()
}

/// Runs the batch; `store` records it. Returns the exit code.
pub(crate) fn run(opts: Options, mut store: Option<Box<dyn RunStore>>) -> Result<i32> {
    let started = Instant::now();
    let settings = &opts.settings;
    let out = &settings.output;
    let engine = engine(settings);
    let all_keys: Vec<String> = opts.targets.iter().map(|t| t.key.clone()).collect();
    // What the store remembers of each repository, so that an unchanged one is not read again.
    let mut priors = HashMap::new();
    if let Some(st) = store.as_deref_mut().filter(|_| !opts.rescan) {
        priors = st.priors(&engine, opts.scope)?;
        if out.show_secrets {
            // A report that shows secrets needs them: a repository whose secrets the store did
            // not keep is scanned again.
            priors.retain(|_, p| p.secrets_kept);
        }
    }
    let mut targets = opts.targets;
    let threads = opts.parallel.max(crate::settings::default_threads());
    let surveyed = surveys(&targets, &priors, settings, store.is_some(), threads);
    for (t, (group, surveyed)) in targets.iter_mut().zip(surveyed) {
        t.group = Some(group);
        t.surveyed = surveyed;
    }
    if let Some(s) = opts.shard {
        targets.retain(|t| s.keeps(t.group.as_deref().unwrap_or(&t.key)));
    }
    let keys: Vec<String> = targets.iter().map(|t| t.key.clone()).collect();
    let plan = plan_key(&keys, opts.scope, &engine, opts.shard);
    let mut resumed: Vec<String> = Vec::new();
    let mut run_id = opts.run_id.clone().unwrap_or_else(|| {
        // Every shard of one run computes the same id: the whole input, not this shard's part,
        // and the day it runs (a nightly run is a new run).
        let mut h = Hasher::default();
        all_keys.iter().for_each(|k| h.text(k));
        h.text(&plan_key(&[], opts.scope, &engine, None));
        h.text(&opts.shard.map_or(String::new(), |s| s.count.to_string()));
        if opts.shard.is_some() {
            h.text(&crate::dates::iso_time(crate::dates::now_secs())[..10]);
        } else {
            h.text(&format!("{:?}", std::time::SystemTime::now()));
        }
        format!("batch-{}", &h.hex()[..16])
    });
    let mut prior_clean = HashSet::new();
    if let Some(st) = store.as_deref_mut() {
        match st.resume(&plan)? {
            Some((id, done)) => {
                if !out.quiet {
                    eprintln!(
                        "resuming run {id}: {} of {} repositories were recorded before it was interrupted",
                        done.len(),
                        keys.len()
                    );
                }
                run_id = id;
                resumed = done;
            }
            None => {
                let mut meta = BTreeMap::new();
                meta.insert("inputs".to_string(), all_keys.len().to_string());
                meta.insert("scope".to_string(), opts.scope.as_list());
                if let Ok(h) = std::env::var("HOSTNAME") {
                    meta.insert("host".to_string(), h);
                }
                let start = RunStart {
                    run_id: run_id.clone(),
                    shard: opts.shard.map(|s| (s.index, s.count)),
                    engine: engine.clone(),
                    scope: opts.scope,
                    expected: keys.clone(),
                    meta,
                };
                st.begin(&start, &plan)?;
            }
        }
        if !opts.rescan {
            prior_clean = st.clean_blobs(&engine)?;
        }
    }
    let done: HashSet<&str> = resumed.iter().map(String::as_str).collect();
    let memo = RunMemo::new(prior_clean);
    let inner = inner_settings(settings, opts.threads);
    let job = Job {
        settings: &inner,
        scope: opts.scope,
        memo: &memo,
        cache: &opts.cache,
        priors: &priors,
    };
    let loaded = crate::ruleset::load(&settings.rules, &[])?;
    let scanner = crate::scan::Scanner::new(loaded, crate::lifetime::DEFAULT_MAX_SECONDS)?;
    let lookup = |id: &str| scanner.rule(id);
    let mut outputs = vec![(out.format, out.output.clone())];
    outputs.extend(out.reports.iter().map(|(f, p)| (*f, Some(p.clone()))));
    let mut reports = Reports::new(&outputs, out.show_secrets, out.color, &lookup)?;
    let fail_on = out.fail_on.clone().unwrap_or_else(FailOn::build);
    let mut entries: Vec<(usize, Entry)> = Vec::new();
    let mut totals = Totals::default();
    let (mut failing, mut store_failed) = (false, false);
    // Forks (one group) go to one worker, one after the other: the first reads the blobs they
    // share, the others find them in the memo. Running them side by side would read them twice.
    let mut todo: Vec<Vec<usize>> = Vec::new();
    let mut slot: std::collections::HashMap<&str, usize> = Default::default();
    for (i, t) in targets.iter().enumerate() {
        if done.contains(t.key.as_str()) {
            continue;
        }
        let g = t.group.as_deref().unwrap_or(&t.key);
        let k = *slot.entry(g).or_insert_with(|| {
            todo.push(Vec::new());
            todo.len() - 1
        });
        todo[k].push(i);
    }
    for (i, t) in targets.iter().enumerate() {
        if done.contains(t.key.as_str()) {
            entries.push((i, Entry::resumed(&t.key, opts.scope)));
        }
    }
    let total: usize = todo.iter().map(Vec::len).sum();
    let next = AtomicUsize::new(0);
    let workers = opts.parallel.clamp(1, todo.len().max(1));
    std::thread::scope(|s| -> Result<()> {
        let (tx, rx) = crossbeam_channel::bounded::<(usize, Scanned)>(workers);
        for _ in 0..workers {
            let (tx, next, todo, targets, job) = (tx.clone(), &next, &todo, &targets, &job);
            s.spawn(move || loop {
                let n = next.fetch_add(1, Relaxed);
                let Some(group) = todo.get(n) else { break };
                for &i in group {
                    let t = &targets[i];
                    // A bug met in one repository is that repository's failure, not the batch's.
                    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        repo::scan(job, t)
                    }))
                    .unwrap_or_else(|_| {
                        repo::failed(
                            t,
                            job.scope,
                            "internal error while scanning this repository (a bug in nhiscan)"
                                .into(),
                        )
                    });
                    if tx.send((i, scanned)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for (k, (i, mut s)) in rx.into_iter().enumerate() {
            if let Some(st) = store.as_deref_mut() {
                let done = match &s.carried {
                    // Unchanged since a complete scan: that scan's observations, copied.
                    Some(p) => st
                        .carry(&run_id, &s.record.key, p)
                        .map(|found| s.record.findings = found),
                    None => st.record(&run_id, &s.record, &s.clean),
                };
                if let Err(e) = done {
                    eprintln!(
                        "error: {}: cannot record in the store: {e:#}",
                        terminal(&s.record.key)
                    );
                    store_failed = true;
                    if s.carried.is_some() {
                        // Nothing was read: this repository has no findings to show.
                        s.record.coverage = crate::store::Coverage::Failed(format!(
                            "unchanged since an earlier scan, whose record could not be copied: {e:#}"
                        ));
                    }
                }
            }
            let mut shown = shown(settings, &s.record.findings);
            let mut errors = s.record.errors.clone();
            let mut skipped = s.skipped.clone();
            if !out.show_secrets {
                crate::collect::scrub::scrub(&mut shown, &mut errors, &mut skipped);
            }
            failing |= shown.iter().any(|f| {
                (!f.demoted || out.fail_on.is_some())
                    && fail_on.fails(f.kind, f.severity, !f.policies.is_empty())
            });
            let entry = Entry::of(&s, shown.len() as u64);
            let part = Part {
                entry: &entry,
                findings: &shown,
                errors: &errors,
                skipped: &skipped,
                root: s.root.as_deref(),
            };
            reports.repo(&part)?;
            totals.add(&part, s.suppressed, s.baselined);
            if !out.quiet {
                eprintln!("{}", progress(k + 1, total, &entry));
            }
            if out.verbose {
                for e in &errors {
                    eprintln!(
                        "error: {}: {}: {}",
                        terminal(&entry.key),
                        terminal(&e.path),
                        terminal(&e.message)
                    );
                }
            }
            entries.push((i, entry));
        }
        Ok(())
    })?;
    if let Some(st) = store.as_deref_mut() {
        st.finish(&run_id)?;
    }
    entries.sort_by_key(|(i, _)| *i);
    let entries: Vec<Entry> = entries.into_iter().map(|(_, e)| e).collect();
    let seconds = started.elapsed().as_secs_f64();
    let on_stdout = reports.text_on_stdout();
    reports.finish(&entries, &totals, seconds)?;
    if !out.quiet && !on_stdout {
        eprint!("{}", super::manifest::table(&entries));
        eprintln!("{}", summary_line(&entries, &totals, seconds));
    }
    let (_, partial, failed) = super::manifest::counts(&entries);
    if failed > 0 || store_failed {
        if !out.quiet {
            eprintln!(
                "error: {failed} of {} repositories could not be scanned (see the manifest)",
                entries.len()
            );
        }
        return Ok(EXIT_ERROR);
    }
    if out.strict && partial > 0 {
        eprintln!("error: {partial} repositories were scanned incompletely and --strict is set");
        return Ok(EXIT_ERROR);
    }
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// The pipeline's settings for each repository: every finding kept with its secret (the store
/// gets everything; the report filters and redacts), nothing printed, `threads` each.
fn inner_settings(settings: &Settings, threads: usize) -> Settings {
    let mut s = settings.clone();
    let o = &mut s.output;
    o.output = None;
    o.reports = Vec::new();
    o.format = crate::report::Format::TEXT;
    o.min_severity = crate::finding::Severity::Info;
    o.min_confidence = Some(Confidence::Low);
    o.context = Some(crate::context::ContextFilter::All);
    o.show_secrets = true;
    o.quiet = true;
    o.verbose = false;
    o.strict = false;
    o.color = false;
    s.threads = threads.max(1);
    s
}

/// The findings the report shows: `--min-severity`, `--min-confidence`, `--context`.
fn shown(settings: &Settings, findings: &[Finding]) -> Vec<Finding> {
    let out = &settings.output;
    let context = out.context.clone().unwrap_or_default();
    let confidence = out.min_confidence.unwrap_or(Confidence::Low);
    findings
        .iter()
        .filter(|f| {
            f.severity >= out.min_severity
                && f.confidence >= confidence
                && context.shows(f.context, f.demoted)
        })
        .cloned()
        .collect()
}

fn progress(k: usize, n: usize, e: &Entry) -> String {
    if let Some(run) = &e.unchanged_since {
        return format!(
            "[{k}/{n}] unchanged {}: not read, its {} findings carried from run {run}",
            terminal(&e.key),
            e.findings
        );
    }
    let what = match e.reasons().first() {
        Some(r) if e.status() == "failed" => format!(": {}", terminal(r)),
        _ => format!(
            ": {} findings, {} files in {:.1}s",
            e.findings, e.files, e.seconds
        ),
    };
    format!("[{k}/{n}] {} {}{what}", e.status(), terminal(&e.key))
}
