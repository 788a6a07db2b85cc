//! `nhiscan baseline create [PATH] -o FILE`: the fingerprints of what a scan finds now, so that later
//! scans with `--baseline FILE` report only new findings (and count the known ones). The scan is the
//! same pipeline as `scan` (or `git` with `--git`); only the report differs.

use std::collections::BTreeSet;

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::cli::{BaselineArgs, LimitArgs, OutputArgs};
use crate::source::fs::Walk;
use crate::source::git::{History, Revs};
use crate::source::Source;

/// Runs `nhiscan baseline create`.
pub fn create(args: &BaselineArgs) -> Result<i32> {
    if args.git && (args.walk.no_ignore || args.walk.follow) {
        anyhow::bail!("--no-ignore and --follow apply to files, not to --git (history has no ignore files or links)");
    }
    let output = OutputArgs {
        quiet: args.quiet,
        threads: args.threads,
        ..OutputArgs::default()
    };
    let limits = LimitArgs {
        max_file_size: args.limits.max_file_size,
    };
    let mut settings = crate::cli::settings(&args.rules, &args.project, &limits, None, &output);
    // A baseline records every finding, whatever the severity.
    settings.output.min_severity = crate::finding::Severity::Info;
    // A baseline accepts what exists, shown or not, so `--context all` later is as clean.
    settings.output.min_confidence = Some(crate::finding::Confidence::Low);
    settings.output.context = Some(crate::context::ContextFilter::All);
    let source: Box<dyn Source> = if args.git {
        Box::new(History::open(
            &args.path,
            Revs::All,
            false,
            settings.threads,
        )?)
    } else {
        Box::new(Walk::new(
            vec![args.path.clone()],
            args.walk.no_ignore,
            args.walk.follow,
            settings.threads,
        )?)
    };
    let done = crate::run::scan(&settings, source.as_ref())?;
    let outcome = &done.outcome;
    crate::run::print_errors(outcome);
    let fps: BTreeSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let doc = json!({
        "version": 1,
        "tool": "nhiscan",
        "note": "fingerprints of accepted findings: `--baseline FILE` reports only findings not listed here",
        "fingerprints": fps,
    });
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    std::fs::write(&args.output, text)
        .with_context(|| format!("{}: cannot write baseline", args.output.display()))?;
    if !args.quiet {
        eprintln!(
            "wrote {} fingerprints ({} findings) to {}{}",
            fps.len(),
            outcome.findings.len(),
            args.output.display(),
            if outcome.summary.incomplete {
                " (the scan was incomplete)"
            } else {
                ""
            }
        );
    }
    Ok(super::EXIT_CLEAN)
}
