//! `nhiscan scan [PATH...]`: the working tree (or standard input) through the pipeline.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ScanArgs;
use crate::source::{fs::Walk, stdin::Stdin, Source};

/// Runs `nhiscan scan`.
pub fn run(args: &ScanArgs) -> Result<i32> {
    if args.staged {
        return super::staged::run_from_scan(args);
    }
    let settings =
        crate::cli::settings(&args.rules, &args.project, &args.limits, None, &args.output);
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    match (stdin, paths.is_empty()) {
        (true, true) => crate::run::run(&settings, &Stdin),
        (true, false) => anyhow::bail!(
            "`-` (standard input) cannot be mixed with paths; run `nhiscan scan -` on its own"
        ),
        (false, _) => {
            let walk = Walk::new(
                paths,
                args.walk.no_ignore,
                args.walk.follow,
                settings.threads,
            )?;
            crate::run::run(&settings, &walk as &dyn Source)
        }
    }
}
