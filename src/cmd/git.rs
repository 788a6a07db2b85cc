//! `nhiscan git [REPO]`: every blob of the history through the pipeline, with provenance.

use anyhow::Result;

use crate::cli::GitArgs;
use crate::source::git::{History, Revs};

/// Runs `nhiscan git`.
pub fn run(args: &GitArgs) -> Result<i32> {
    let settings =
        crate::cli::settings(&args.rules, &args.project, &args.limits, None, &args.output);
    let revs = match (&args.since, &args.range, &args.branch) {
        (Some(r), _, _) => Revs::Since(r.clone()),
        (_, Some(r), _) => Revs::Range(r.clone()),
        (_, _, Some(r)) => Revs::Branch(r.clone()),
        _ => Revs::All,
    };
    let history = History::open(&args.repo, revs, args.all_objects, settings.threads)?
        .every_version(args.every_version);
    crate::run::run(&settings, &history)
}
