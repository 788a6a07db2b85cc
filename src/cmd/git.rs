//! `nhiscan git [REPO]`: every blob of the history through the scanner, with provenance.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use anyhow::Result;

use crate::cli::GitArgs;
use crate::source::git::{self, HistoryOptions, Repo, Revs};

pub fn run(args: &GitArgs) -> Result<i32> {
    let repo = Repo::open(&args.repo)?;
    // The config lives in the working tree's top directory, or in the bare repository itself.
    let root = repo.top.clone().unwrap_or_else(|| args.repo.clone());
    let (scanner, suppressor, _) = super::project(&args.rules, &args.project, &root)?;
    let revs = match (&args.since, &args.range, &args.branch) {
        (Some(r), _, _) => Revs::Since(r.clone()),
        (_, Some(r), _) => Revs::Range(r.clone()),
        (_, _, Some(r)) => Revs::Branch(r.clone()),
        _ => Revs::All,
    };
    let opts = HistoryOptions {
        revs,
        all_objects: args.all_objects,
        max_file_size: args.max_file_size,
        threads: super::threads(args.output.threads),
        verbose: args.output.verbose,
    };
    let sink = super::collector(&args.output, suppressor)?;
    let complete = crate::progress::while_running(&sink, args.output.quiet, || {
        git::scan(&repo, &opts, &scanner, &sink)
    })?;
    let incomplete = AtomicBool::new(!complete);
    let target = args.repo.display().to_string();
    let code = super::finish(&args.output, &scanner, sink, root, target, |o| {
        o.summary.incomplete = incomplete.load(Relaxed);
    })?;
    if !complete {
        eprintln!("warning: some objects could not be read (see the errors above): the scan is incomplete");
    }
    if code == super::EXIT_FINDINGS && !args.output.quiet {
        eprintln!("{}", git::HISTORY_HINT);
    }
    Ok(code)
}
