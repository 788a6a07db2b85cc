//! `nhiscan inventory` and `nhiscan report --html`: the findings of a scan of PATH (the same
//! pipeline as `scan`, or `git` with `--git`) or of a JSON report, as an inventory of non-human
//! identities or as an HTML report.

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::cli::{FindingsFrom, InventoryArgs, OutputArgs, ReportArgs};
use crate::inventory::{Input, Record};
use crate::source::fs::Walk;
use crate::source::git::{History, Revs};
use crate::source::Source;

/// Runs `nhiscan inventory`.
pub fn inventory(args: &InventoryArgs) -> Result<i32> {
    let input = load(&args.from)?;
    let inv = crate::inventory::build(&input);
    let text = crate::inventory::output::render(&inv, args.format);
    write(args.output.as_deref(), &text)?;
    Ok(super::EXIT_CLEAN)
}

/// Runs `nhiscan report --html FILE`.
pub fn report(args: &ReportArgs) -> Result<i32> {
    let input = load(&args.from)?;
    let html = crate::report::html::render(&input);
    write(Some(&args.html), &html)?;
    eprintln!(
        "wrote {} ({} findings)",
        args.html.display(),
        input.findings.len()
    );
    Ok(super::EXIT_CLEAN)
}

fn write(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, text).with_context(|| format!("{}: cannot write", p.display()))
        }
        _ => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// The input: a results store, a JSON report, or a scan of PATH now (with its CODEOWNERS).
fn load(from: &FindingsFrom) -> Result<Input> {
    let rules = crate::ruleset::load(&from.rules.resolve(), &[])?;
    let stored = match (&from.store, &from.from_report) {
        (Some(spec), _) => Some(crate::inventory::store::input(spec)?),
        (None, Some(report)) => Some(Input::from_report_file(report)?),
        (None, None) => None,
    };
    if let Some(input) = stored {
        let mut input = input.with_rules(&rules);
        // Each repository's CODEOWNERS, when it is a directory or repository here (a batch of
        // local repositories).
        let targets: Vec<String> = input.coverage.iter().map(|c| c.repo.clone()).collect();
        for t in targets {
            let owners = crate::inventory::owners::read(Path::new(&t));
            if !owners.is_empty() {
                input.codeowners.insert(t, owners);
            }
        }
        return Ok(input);
    }
    let path = from.path.clone().unwrap_or_else(|| ".".into());
    let output = OutputArgs {
        quiet: true,
        threads: from.threads,
        ..OutputArgs::default()
    };
    let settings = crate::cli::settings(&from.rules, &from.project, &from.limits, None, &output);
    let source: Box<dyn Source> = if from.git {
        Box::new(History::open(&path, Revs::All, false, settings.threads)?)
    } else {
        Box::new(Walk::new(
            vec![path.clone()],
            from.walk.no_ignore,
            from.walk.follow,
            settings.threads,
        )?)
    };
    let done = crate::run::scan(&settings, source.as_ref())?;
    crate::run::print_errors(&done.outcome);
    let target = done.target.clone();
    let findings: Vec<Record> = done
        .outcome
        .findings
        .iter()
        .map(|f| Record {
            repo: target.clone(),
            finding: f.to_json(false),
        })
        .collect();
    let o = &done.outcome;
    let mut input = Input {
        coverage: vec![crate::inventory::RepoCoverage {
            repo: target.clone(),
            status: if o.summary.incomplete {
                "partial"
            } else {
                "complete"
            }
            .into(),
            reasons: o
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.path, e.message))
                .collect(),
            findings: findings.len() as u64,
        }],
        findings,
        source: target.clone(),
        ..Default::default()
    }
    .with_rules(&rules);
    let owners = crate::inventory::owners::read(&done.root);
    if !owners.is_empty() {
        input.codeowners.insert(target, owners);
    }
    Ok(input)
}
