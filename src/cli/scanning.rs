//! The options of the scanning commands: `scan`, `git`, `staged`, `image`, `baseline create` and
//! `install-hook`, each made of the shared groups in [`super::options`] and its own.

use std::path::PathBuf;

use clap::Args;

use super::options::{ImageLimitArgs, LimitArgs, OutputArgs, ProjectArgs, RuleArgs, WalkArgs};

/// Options of `nhiscan baseline create`.
#[derive(Args, Debug, Clone)]
pub struct BaselineArgs {
    /// Directory (or repository with --git) to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Where to write the baseline (JSON).
    #[arg(long, short = 'o', value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// Take the findings from the git history of PATH instead of its files.
    #[arg(long)]
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
    /// Worker threads (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// No progress line and no summary on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Options of `nhiscan git`.
#[derive(Args, Debug, Clone)]
pub struct GitArgs {
    /// The repository (a working tree, a worktree or a bare repository).
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Also scan unreachable and dangling objects.
    #[arg(long)]
    pub all_objects: bool,
    /// Report only what the commits after REV add, up to HEAD (REV..HEAD): secrets on added lines.
    #[arg(long, value_name = "REV", conflicts_with_all = ["range", "branch", "all_objects"])]
    pub since: Option<String>,
    /// Report only what the commits in A..B add: secrets on added lines.
    #[arg(long, value_name = "A..B", conflicts_with_all = ["branch", "all_objects"])]
    pub range: Option<String>,
    /// Scan only the history of one ref (branch, tag or commit).
    #[arg(long, value_name = "REF", conflicts_with = "all_objects")]
    pub branch: Option<String>,
    /// Report permission, identity and Dockerfile findings of every version of every file; by
    /// default they come from the tip of the default branch only, each once, with the commit that
    /// introduced it (secrets are always reported from every version).
    #[arg(long)]
    pub every_version: bool,
    /// The blob size limit.
    #[command(flatten)]
    pub limits: LimitArgs,
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

/// Options of `nhiscan staged`.
#[derive(Args, Debug, Clone)]
pub struct StagedArgs {
    /// The repository whose index to check.
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// The blob size limit.
    #[command(flatten)]
    pub limits: LimitArgs,
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

/// Options of `nhiscan install-hook`.
#[derive(Args, Debug, Clone)]
pub struct InstallHookArgs {
    /// The repository to install the hook in.
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Replace an existing pre-commit hook that nhiscan did not write.
    #[arg(long)]
    pub force: bool,
}

/// Options of `nhiscan scan`.
#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// How directories are walked.
    #[command(flatten)]
    pub walk: WalkArgs,
    /// The file size limit.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Scan what is staged in the repository at PATH instead (same as `nhiscan staged PATH`).
    #[arg(long)]
    pub staged: bool,
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

/// Options of `nhiscan image`.
#[derive(Args, Debug, Clone)]
pub struct ImageArgs {
    /// A `docker save` tarball, an OCI image layout directory or tarball; `-` reads a tarball from
    /// standard input.
    pub image: PathBuf,
    /// Scan only the image for this platform of a multi-platform index (e.g. linux/arm64); default:
    /// every platform.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// The size limit for files inside the image.
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Layer and nested-archive limits.
    #[command(flatten)]
    pub image_limits: ImageLimitArgs,
    /// The project's config, suppressions, baseline and policy.
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Which rules run.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Report format, destination and exit policy.
    #[command(flatten)]
    pub output: OutputArgs,
}
