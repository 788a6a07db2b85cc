//! `nhiscan baseline create [PATH] -o FILE`: the fingerprints of what a scan finds now, so that later
//! scans with `--baseline FILE` report only new findings (and count the known ones).

use std::collections::BTreeSet;

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::cli::BaselineArgs;
use crate::source;

pub fn create(args: &BaselineArgs) -> Result<i32> {
    if args.git && args.no_ignore {
        anyhow::bail!("--no-ignore applies to files, not to --git (history has no ignore files)");
    }
    let (root, repo) = if args.git {
        let repo = source::git::Repo::open(&args.path)?;
        (
            repo.top.clone().unwrap_or_else(|| args.path.clone()),
            Some(repo),
        )
    } else {
        (
            source::fs::scan_root(std::slice::from_ref(&args.path)),
            None,
        )
    };
    let (scanner, suppressor, _) = super::project(&args.rules, &args.project, &root)?;
    let sink = crate::collect::Collector::new(crate::finding::Severity::Info, false, suppressor);
    let threads = super::threads(args.threads);
    let complete = crate::progress::while_running(&sink, args.quiet, || -> Result<bool> {
        match &repo {
            Some(repo) => {
                let opts = source::git::HistoryOptions {
                    revs: source::git::Revs::All,
                    all_objects: false,
                    max_file_size: args.max_file_size,
                    threads,
                    verbose: false,
                };
                source::git::scan(repo, &opts, &scanner, &sink)
            }
            None => {
                let opts = source::fs::WalkOptions {
                    no_ignore: args.no_ignore,
                    follow: false,
                    max_file_size: args.max_file_size,
                    threads,
                    verbose: false,
                };
                source::fs::scan(std::slice::from_ref(&args.path), &opts, &scanner, &sink);
                Ok(true)
            }
        }
    })?;
    let outcome = sink.finish();
    for e in &outcome.errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
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
            if complete {
                ""
            } else {
                " (the scan was incomplete)"
            }
        );
    }
    Ok(super::EXIT_CLEAN)
}
