//! Arguments of `nhiscan inventory` and `nhiscan report`.

use std::path::PathBuf;

use clap::Args;

use super::{LimitArgs, ProjectArgs, RuleArgs, WalkArgs};
pub use crate::inventory::output::InventoryFormat;

/// Where the findings come from: a scan of PATH now, or a JSON report written earlier.
#[derive(Args, Debug, Clone)]
pub struct FindingsFrom {
    /// Directory (or repository with --git) to scan.
    #[arg(conflicts_with = "from_report")]
    pub path: Option<PathBuf>,
    /// Read the findings of a `--format json` report of `scan`, `git`, `image` or `batch` instead of scanning.
    #[arg(long, value_name = "FILE.json")]
    pub from_report: Option<PathBuf>,
    /// Read what a results store knows (a SQLite file or a postgres:// URL): every finding not
    /// fixed, each repository's coverage in its latest run, and new and fixed findings per run.
    #[arg(long, value_name = "PATH|URL", conflicts_with_all = ["from_report", "path"])]
    pub store: Option<String>,
    /// Scan PATH's git history (every ref) rather than its files: credentials then carry the commit
    /// and author that introduced them and their exposure age.
    #[arg(long, conflicts_with_all = ["from_report", "store"])]
    pub git: bool,
    /// How PATH is walked.
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The file size limit.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Which rules run.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The project's config, suppressions, baseline and policy.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Threads (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

/// Options of `nhiscan inventory`.
#[derive(Args, Debug, Clone)]
pub struct InventoryArgs {
    /// What to build the inventory from.
    #[command(flatten)]
    pub from: FindingsFrom,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InventoryFormat::Text)]
    pub format: InventoryFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `nhiscan report`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// What to build the report from.
    #[command(flatten)]
    pub from: FindingsFrom,
    /// Write a self-contained HTML report (no network resource) to FILE.
    #[arg(long, value_name = "FILE", required = true)]
    pub html: PathBuf,
}
