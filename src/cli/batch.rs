//! Options of `nhiscan batch`.

use std::path::PathBuf;

use clap::Args;

use super::{ImageLimitArgs, LimitArgs, OutputArgs, ProjectArgs, RuleArgs};

/// Options of `nhiscan batch`.
#[derive(Args, Debug, Clone)]
pub struct BatchArgs {
    /// Repositories: work trees, bare or mirror repositories, directories holding repositories
    /// (searched --max-depth levels down), or clone URLs.
    #[arg(value_name = "REPO|DIR|URL")]
    pub inputs: Vec<String>,
    /// A file listing repositories (paths, relative to the file, or clone URLs), one a line; `#`
    /// starts a comment. Repeatable.
    #[arg(long = "list", value_name = "FILE")]
    pub lists: Vec<PathBuf>,
    /// Take the repositories and their shard groups from a plan written by `--plan-only`.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// What to scan in each repository: tree (the default branch's tip, every analyzer), history
    /// (every blob of every ref, for secrets), images (image tarballs committed at the tip).
    #[arg(long, value_name = "LIST", default_value = "tree,history", value_parser = check_scope)]
    pub scope: String,
    /// How deep directories are searched for repositories.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_depth: usize,
    /// Where URLs are cloned and fetched (default: $XDG_CACHE_HOME/nhiscan/repos).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Seconds one clone or fetch may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    pub clone_timeout: u64,
    /// Repositories scanned at once (default: half the cores, at least 2).
    #[arg(long, value_name = "N")]
    pub parallel_repos: Option<usize>,
    /// Scan only shard I of N (0-based): repositories are assigned by a stable hash of their root
    /// commit (forks together) or URL. `auto`: I from JOB_COMPLETION_INDEX (Kubernetes Indexed
    /// Job), N from --shards or NHISCAN_SHARDS.
    #[arg(long, value_name = "I/N|auto")]
    pub shard: Option<String>,
    /// The shard count for `--shard auto` and `--plan-only`.
    #[arg(long, value_name = "N", env = "NHISCAN_SHARDS")]
    pub shards: Option<u32>,
    /// Resolve the inputs, clone or fetch the URLs, and print each repository's shard group and
    /// shard as JSON (for `--plan FILE`); scan nothing.
    #[arg(long)]
    pub plan_only: bool,
    /// The results store: a SQLite file or a postgres:// URL. Each repository is recorded as it
    /// finishes; an interrupted run resumes where it stopped; blobs scanned clean before are
    /// skipped.
    #[arg(long, value_name = "FILE|URL", env = "NHISCAN_STORE")]
    pub store: Option<String>,
    /// Keep each credential's secret in the store (by default only its fingerprint and redacted
    /// form).
    #[arg(long, requires = "store")]
    pub store_secrets: bool,
    /// Scan every repository and blob again, ignoring what the store remembers: repositories
    /// whose refs have not changed since their last complete scan, and blobs scanned clean.
    #[arg(long, requires = "store")]
    pub rescan: bool,
    /// The run's id, shared by every shard of one run (default: derived from the inputs, scope,
    /// rules and, for shards, the date).
    #[arg(long, value_name = "ID", env = "NHISCAN_RUN_ID")]
    pub run_id: Option<String>,
    /// The blob size limit.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Limits for committed images.
    #[command(flatten)]
    pub image_limits: ImageLimitArgs,
    /// Which rules run.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The project's config, suppressions, baseline and policy.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Report format, destination and exit policy.
    #[command(flatten)]
    pub output: OutputArgs,
}

fn check_scope(s: &str) -> Result<String, String> {
    parse_scope(s).map(|_| s.to_string())
}

/// The scope `--scope` names (`tree,history,images`, or `all`).
pub(crate) fn parse_scope(s: &str) -> Result<crate::store::record::Scope, String> {
    let mut scope = crate::store::record::Scope::default();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "tree" => scope.tree = true,
            "history" => scope.history = true,
            "images" => scope.images = true,
            "all" => {
                scope.tree = true;
                scope.history = true;
                scope.images = true;
            }
            other => {
                return Err(format!(
                    "unknown scope `{other}` (tree, history, images, all)"
                ))
            }
        }
    }
    if scope == crate::store::record::Scope::default() {
        return Err("empty scope: give tree, history and/or images".into());
    }
    Ok(scope)
}
