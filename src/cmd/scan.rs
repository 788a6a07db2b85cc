//! `nhiscan scan [PATH...]`: the working tree (or standard input) through the scanner.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ScanArgs;
use crate::source;

pub fn run(args: &ScanArgs) -> Result<i32> {
    if args.staged {
        return super::staged::run_from_scan(args);
    }
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let (scanner, suppressor, config) =
        super::project(&args.rules, &args.project, &source::fs::scan_root(&paths))?;
    // --policy FILE, else the [policy] table of the project config.
    let policy = match (&args.policy, &config.policy) {
        (Some(f), _) => Some(crate::collect::policy::Policy::from_file(f)?),
        (None, Some(t)) => Some(crate::collect::policy::Policy::from_table(t)?),
        (None, None) => None,
    };
    if let Some(p) = &policy {
        p.prepare();
    }
    let sink = super::collector(&args.output, suppressor)?;
    let threads = super::threads(args.output.threads);
    crate::progress::while_running(&sink, args.output.quiet, || {
        if stdin {
            source::stdin::scan(&scanner, &sink, args.max_file_size);
        }
        if !paths.is_empty() {
            let opts = source::fs::WalkOptions {
                no_ignore: args.no_ignore,
                follow: args.follow,
                max_file_size: args.max_file_size,
                threads,
                verbose: args.output.verbose,
            };
            source::fs::scan(&paths, &opts, &scanner, &sink);
        }
    });
    let root = source::fs::scan_root(&paths);
    let target = args
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    super::finish(&args.output, &scanner, sink, root, target, |o| {
        if let Some(p) = &policy {
            p.apply(o);
        }
    })
}
