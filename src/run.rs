//! The pipeline, once, for every command: project config → scanner → collector → source → outcome →
//! reports. Commands choose a [`Source`] and [`Settings`]; everything else happens here, the same way
//! for `scan`, `git`, `staged`, `image` and whatever comes next.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::collect::policy::Policy;
use crate::collect::suppress::Suppressor;
use crate::collect::{self, outcome, Collector, Outcome};
use crate::config::Config;
use crate::report::escape::terminal;
use crate::report::{self, Format};
use crate::scan::Scanner;
use crate::settings::Settings;
use crate::source::{Feed, Source};

/// Exit code: no finding at or above `--fail-on`.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code: findings at or above `--fail-on`.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage, configuration or fatal error.
pub const EXIT_ERROR: i32 = 2;

/// What the project (config file and flags) makes of the rules: the scanner, the suppressions and
/// the policy, built once before the source is read.
pub(crate) struct Project {
    pub scanner: Scanner,
    pub suppressor: Suppressor,
    pub policy: Option<Policy>,
    /// `strict = true` in the config.
    pub strict: bool,
    /// `context = ...` in the config (the flag wins).
    pub context: Option<crate::context::ContextFilter>,
    /// `min_confidence = ...` in the config (the flag wins).
    pub min_confidence: Option<crate::finding::Confidence>,
}

impl Project {
    /// Reads the project config found from `start` up to `root` (or `--config`) and builds the rest
    /// from it.
    pub(crate) fn load(settings: &Settings, start: &Path, root: &Path) -> Result<Project> {
        let p = &settings.project;
        let config = Config::load(p.config.as_deref(), start, root)?;
        let shown = config.path.as_ref().map_or_else(
            || crate::config::FILE_NAME.into(),
            |p| p.display().to_string(),
        );
        let mut select = settings.rules.clone();
        if select.enable.is_empty() {
            select.enable = config.enable.clone();
        }
        select.disable.extend(config.disable.iter().cloned());
        let mut rules = crate::ruleset::load(&select, &config.rules).with_context(|| {
            if config.path.is_some() {
                format!("with config {shown}")
            } else {
                "loading rules".into()
            }
        })?;
        for (id, sev) in &config.severity {
            match rules.iter_mut().find(|r| r.id() == id) {
                Some(r) => r.spec.severity = *sev,
                None if select.enable.is_empty() && !select.disable.contains(id) => {
                    anyhow::bail!("{shown}: key `severity.{id}`: unknown rule id `{id}` (see `nhiscan rules list`)")
                }
                None => {}
            }
        }
        // --policy FILE, else the [policy] table of the project config.
        let mut policy = match (&p.policy, &config.policy) {
            (Some(f), _) => Some(Policy::from_file(f)?),
            (None, Some(t)) => Some(Policy::from_table(t).with_context(|| shown.clone())?),
            (None, None) => None,
        };
        if let Some(pol) = &mut policy {
            pol.bind(&rules);
        }
        let max_token = policy
            .as_ref()
            .and_then(Policy::max_token_seconds)
            .unwrap_or(crate::lifetime::DEFAULT_MAX_SECONDS);
        let mut suppressor = Suppressor::from_config(&config, p.no_suppress)
            .with_context(|| format!("{shown}: invalid config"))?;
        if let Some(b) = &p.baseline {
            suppressor.load_baseline(b)?;
        }
        let contexts =
            crate::context::ContextRules::new(&config.contexts).with_context(|| shown.clone())?;
        Ok(Project {
            scanner: Scanner::new(rules, max_token)?.with_contexts(contexts),
            suppressor,
            policy,
            strict: config.strict,
            context: config
                .context
                .as_deref()
                .map(|c| c.parse().expect("checked")),
            min_confidence: config.min_confidence,
        })
    }
}

/// A finished scan: its outcome, and what reports need to render it.
pub(crate) struct Finished {
    pub outcome: Outcome,
    pub(crate) scanner: Scanner,
    /// The directory repository-relative paths are relative to (SARIF's `SRCROOT`).
    pub root: PathBuf,
    /// What was scanned, for the summary.
    pub target: String,
    /// What to tell the user when secrets fail the run.
    pub hint: Option<&'static str>,
    /// Which findings fail the run.
    pub fail_on: crate::settings::FailOn,
    /// An incomplete scan exits 2.
    pub strict: bool,
}

/// Runs `source` through the pipeline and returns the finished outcome.
pub(crate) fn scan(settings: &Settings, source: &dyn Source) -> Result<Finished> {
    scan_with(settings, source, None)
}

/// [`scan`], with the blobs `memo` already knows not read again (`nhiscan batch`).
pub(crate) fn scan_with(
    settings: &Settings,
    source: &dyn Source,
    memo: Option<&dyn crate::source::BlobMemo>,
) -> Result<Finished> {
    let dir = source.project_dir();
    // The source's own preparation (the staged diff) runs while the rules load: a pre-commit scan
    // must be quick.
    let (prepared, project) = std::thread::scope(|s| {
        let prep = s.spawn(|| source.prepare());
        let project = Project::load(settings, &source.config_start(), &dir);
        (prep.join().expect("prepare thread"), project)
    });
    let project = project?;
    prepared?;
    let strict = settings.output.strict || project.strict;
    let out = &settings.output;
    let shown = collect::Shown {
        min_severity: out.min_severity,
        min_confidence: out
            .min_confidence
            .or(project.min_confidence)
            .unwrap_or(crate::finding::Confidence::Low),
        context: out.context.clone().or(project.context).unwrap_or_default(),
    };
    let mut collector = Collector::new(shown, out.show_secrets, project.suppressor, project.policy);
    if out.format.streamed() {
        collector.stream_jsonl(output_writer(out.output.as_deref())?);
    }
    let scanner = project.scanner;
    let feed = Feed::new(
        &scanner,
        &collector,
        &settings.limits,
        out.verbose,
        out.quiet,
        source.defers_origins(),
    )
    .with_memo(memo);
    crate::progress::while_running(&collector, out.quiet, || source.produce(&feed))?;
    if source.defers_origins() {
        let held = feed.take_held();
        let origins: Vec<_> = held.iter().map(|(o, _)| o.clone()).collect();
        let finals = source.finalize(&origins, &feed)?;
        let mut all = Vec::new();
        for ((_, mut findings), origin) in held.into_iter().zip(finals) {
            let Some(origin) = origin else { continue };
            for f in &mut findings {
                f.origin = origin.clone();
            }
            all.extend(findings);
        }
        // Every finding of the source is known now: a secret one unit found (a token in a commit
        // message) is redacted where another copied it (that commit's subject in provenance)
        // before anything is streamed, not only in the reports rendered at the end.
        if !out.show_secrets {
            crate::collect::scrub::scrub(&mut all, &mut [], &mut []);
        }
        feed.push(all);
    }
    let incomplete = feed.incomplete();
    drop(feed);
    collector
        .flush_stream()
        .context("cannot write the JSONL report")?;
    Ok(Finished {
        outcome: outcome::finish(
            collector.finish(),
            incomplete,
            source.many_versions(),
            out.show_secrets,
        ),
        scanner,
        root: dir,
        target: source.target(),
        hint: source.hint(),
        strict,
        fail_on: out
            .fail_on
            .clone()
            .unwrap_or_else(|| source.default_fail_on()),
    })
}

/// Renders every requested report, prints errors, the summary and the hint, and returns the exit
/// code.
pub(crate) fn report(settings: &Settings, done: &Finished) -> Result<i32> {
    let out = &settings.output;
    let lookup = |id: &str| done.scanner.rule(id);
    let cx = report::Context {
        outcome: &done.outcome,
        show_secrets: out.show_secrets,
        color: out.color,
        root: done.root.clone(),
        rule: &lookup,
        target: done.target.clone(),
        summary: !out.quiet,
    };
    // A streamed format was written as findings came; its trailer ends it.
    if out.format.streamed() {
        append_report(out.output.as_deref(), &report::json::trailer(&cx))?;
    } else {
        write_report(out.output.as_deref(), &report::render(out.format, &cx))?;
    }
    for (format, path) in &out.reports {
        let cx = report::Context {
            color: false,
            ..cx.clone()
        };
        write_report(Some(path), &report::render(*format, &cx))?;
    }
    print_errors(&done.outcome);
    let text_on_stdout = out.format == Format::TEXT && out.output.is_none();
    if !out.quiet && !text_on_stdout {
        eprintln!("{}", report::text::summary(&cx));
    }
    if done.outcome.summary.incomplete && !out.quiet {
        eprintln!("warning: some content could not be read (see the errors above): the scan is incomplete");
    }
    let failing: Vec<&crate::finding::Finding> = done
        .outcome
        .findings
        .iter()
        // Demoted findings (generic or posture, in tests, examples, docs, vendored code) are shown
        // on request but fail the run only when `--fail-on` is given.
        .filter(|f| !f.demoted || out.fail_on.is_some())
        .filter(|f| {
            done.fail_on
                .fails(f.kind, f.severity, !f.policies.is_empty())
        })
        .collect();
    let failing_secret = failing
        .iter()
        .any(|f| f.kind == crate::finding::Category::Secret);
    if failing_secret && !out.quiet {
        if let Some(h) = done.hint {
            eprintln!("{h}");
        }
    }
    let failing = !failing.is_empty();
    if done.strict && done.outcome.summary.incomplete {
        eprintln!("error: the scan is incomplete and --strict (or `strict = true`) is set");
        return Ok(EXIT_ERROR);
    }
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// The outcome's errors on standard error, one a line, names escaped.
pub(crate) fn print_errors(outcome: &Outcome) {
    for e in &outcome.errors {
        eprintln!("error: {}: {}", terminal(&e.path), terminal(&e.message));
    }
}

/// Scans and reports: what every scanning command does.
pub(crate) fn run(settings: &Settings, source: &dyn Source) -> Result<i32> {
    let done = scan(settings, source)?;
    report(settings, &done)
}

fn output_writer(path: Option<&Path>) -> Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create output file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

fn append_report(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("{}: cannot write report", p.display())),
        None => write_report(None, text),
    }
}

fn write_report(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("{}: cannot write report", p.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // `nhiscan scan | head` closing the pipe is not an error worth exit 2.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}
