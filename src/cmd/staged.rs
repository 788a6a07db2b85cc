//! `nhiscan staged [REPO]` (and `nhiscan scan --staged`): the pre-commit check.

use std::path::Path;

use anyhow::Result;

use crate::cli::{ScanArgs, StagedArgs};
use crate::settings::Settings;
use crate::source::staged::Staged;

/// Runs `nhiscan staged`.
pub fn run(args: &StagedArgs) -> Result<i32> {
    let settings =
        crate::cli::settings(&args.rules, &args.project, &args.limits, None, &args.output);
    check(&args.repo, &settings)
}

/// `nhiscan scan --staged [PATH]`: the same check, PATH being the repository.
pub fn run_from_scan(args: &ScanArgs) -> Result<i32> {
    let repo = match args.paths.as_slice() {
        [one] if one.as_os_str() != "-" => one.clone(),
        _ => {
            anyhow::bail!("--staged takes one repository path (or none for the current directory)")
        }
    };
    if args.walk.no_ignore || args.walk.follow {
        anyhow::bail!("--no-ignore and --follow do not apply to --staged (it reads the git index)");
    }
    let settings =
        crate::cli::settings(&args.rules, &args.project, &args.limits, None, &args.output);
    check(&repo, &settings)
}

fn check(path: &Path, settings: &Settings) -> Result<i32> {
    crate::run::run(settings, &Staged::open(path)?)
}
