//! `nhiscan staged [REPO]` (and `nhiscan scan --staged`): the pre-commit check.

use std::path::Path;

use anyhow::Result;

use crate::cli::{OutputArgs, ProjectArgs, RuleArgs, ScanArgs, StagedArgs};
use crate::source::git::Repo;
use crate::source::staged;

pub fn run(args: &StagedArgs) -> Result<i32> {
    check(
        &args.repo,
        &args.rules,
        &args.project,
        &args.output,
        args.max_file_size,
    )
}

/// `nhiscan scan --staged [PATH]`: the same check, PATH being the repository.
pub fn run_from_scan(args: &ScanArgs) -> Result<i32> {
    let repo = match args.paths.as_slice() {
        [one] if one.as_os_str() != "-" => one.clone(),
        _ => {
            anyhow::bail!("--staged takes one repository path (or none for the current directory)")
        }
    };
    if args.policy.is_some() {
        anyhow::bail!(
            "--policy does not apply to --staged yet; run `nhiscan scan --policy FILE` on the tree"
        );
    }
    if args.no_ignore || args.follow {
        anyhow::bail!("--no-ignore and --follow do not apply to --staged (it reads the git index)");
    }
    check(
        &repo,
        &args.rules,
        &args.project,
        &args.output,
        args.max_file_size,
    )
}

fn check(
    path: &Path,
    rules: &RuleArgs,
    project: &ProjectArgs,
    output: &OutputArgs,
    max_size: u64,
) -> Result<i32> {
    let repo = Repo::open(path)?;
    let root = repo.top.clone().unwrap_or_else(|| path.to_path_buf());
    // git diffs the index while the rules compile: this runs before every commit, so it must be quick.
    let (changes, project) = std::thread::scope(|s| {
        let diff = s.spawn(|| staged::changes(&repo));
        let project = super::project(rules, project, &root);
        (diff.join().expect("diff thread"), project)
    });
    let (scanner, suppressor, _) = project?;
    let changes = changes?;
    let sink = super::collector(output, suppressor)?;
    staged::scan(&repo, changes, &scanner, &sink, max_size);
    let code = super::finish(
        output,
        &scanner,
        sink,
        root,
        format!("{} (staged)", path.display()),
        |_| {},
    )?;
    if code == super::EXIT_FINDINGS && !output.quiet {
        eprintln!("{}", staged::HINT);
    }
    Ok(code)
}
