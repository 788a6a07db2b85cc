//! Command-line definitions (clap derive) and the examples `--help` shows. Parsing only: what the
//! commands do lives in `src/cmd/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::finding::Severity;
use crate::report::Format;
use crate::settings::FailOn;

mod batch;
mod inventory;
mod resolve;
mod store;

pub use store::{DiffArgs, FindingsArgs, MergeArgs, StoreArg, TriageArgs};

pub(crate) use batch::parse_scope;
pub use batch::BatchArgs;
pub use inventory::{FindingsFrom, InventoryArgs, InventoryFormat, ReportArgs};

pub(crate) use resolve::settings;

/// The `nhiscan` command line.
#[derive(Parser, Debug)]
#[command(
    name = "nhiscan",
    version = env!("NHISCAN_LONG_VERSION"),
    about = "Find hardcoded secrets, long-lived keys and wildcard permissions of non-human identities",
    after_help = "Examples:\n  nhiscan scan .                          scan the working tree\n  nhiscan scan src/ --format sarif -o r.sarif\n  cat .env | nhiscan scan -               scan standard input\n  nhiscan rules list                      the built-in rules\n  nhiscan rules explain aws-access-key-id\n\nExit codes: 0 no findings at or above --fail-on, 1 findings, 2 error."
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `nhiscan`.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files and directories (a working tree) for secrets and risky permissions.
    #[command(
        after_help = "Examples:\n  nhiscan scan\n  nhiscan scan . --format sarif --output nhiscan.sarif\n  nhiscan scan . --report sarif=nhiscan.sarif --report json=nhiscan.json\n  nhiscan scan config/ --min-severity high --fail-on critical\n  printenv | nhiscan scan -"
    )]
    Scan(ScanArgs),
    /// Scan every blob in a git repository's history (all refs), with who introduced each secret and when.
    #[command(
        after_help = "Examples:\n  nhiscan git                             every blob reachable from every ref of .\n  nhiscan git repo.git --all-objects      also unreachable and dangling objects\n  nhiscan git --since origin/main         only what this branch adds (CI)\n  nhiscan git --range v1.0..v2.0 --format sarif -o history.sarif\n  nhiscan git --baseline .nhiscan-baseline.json --fail-on high"
    )]
    Git(GitArgs),
    /// Scan what is staged for the next commit (the pre-commit check): only added lines report.
    #[command(
        after_help = "Examples:\n  nhiscan staged\n  nhiscan install-hook                    run it before every commit"
    )]
    Staged(StagedArgs),
    /// Install nhiscan as the repository's git pre-commit hook.
    InstallHook(InstallHookArgs),
    /// Record the current findings so that later scans report only new ones.
    Baseline {
        /// The baseline subcommand (`create`).
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Scan a container image layer by layer (docker save tarball, OCI layout directory or tarball).
    #[command(
        after_help = "Examples:\n  docker save app:1 -o app.tar && nhiscan image app.tar\n  docker save app:1 | nhiscan image -\n  nhiscan image ./oci-layout --platform linux/arm64 --format sarif -o image.sarif\n\nEvery layer is scanned on its own, so files a later layer deletes are still found (and marked\n`deleted in layer N, still extractable`); the image config (Env, Labels, Cmd, Entrypoint, history)\nis scanned too."
    )]
    Image(ImageArgs),
    /// Scan many repositories (paths, directories of repositories, lists, clone URLs), with a manifest of what was covered.
    #[command(
        after_help = "Examples:\n  nhiscan batch ~/src/org/                 every repository under a directory\n  nhiscan batch --list repos.txt --format json -o batch.json\n  nhiscan batch --list urls.txt --store nhiscan.db --report sarif=batch.sarif\n  nhiscan batch --list urls.txt --plan-only --shards 8 > plan.json\n  nhiscan batch --plan plan.json --shard auto       one pod of a Kubernetes Indexed Job\n\nExit codes: 0 clean, 1 findings at or above --fail-on, 2 a repository could not be scanned (after\nreporting every other one) or an error."
    )]
    Batch(BatchArgs),
    /// List, explain and check rules.
    Rules {
        /// The rules subcommand: list, explain or check.
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  nhiscan completions bash > /etc/bash_completion.d/nhiscan\n  nhiscan completions zsh > \"${fpath[1]}/_nhiscan\"\n  nhiscan completions fish > ~/.config/fish/completions/nhiscan.fish"
    )]
    Completions {
        /// The shell to print the script for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `nhiscan man > nhiscan.1 && man ./nhiscan.1`.
    Man,
    /// Group findings by non-human identity: credentials, exposure, environments, owners, OWASP NHI risks.
    #[command(
        after_help = "Examples:\n  nhiscan inventory .\n  nhiscan inventory --git . --format json -o inventory.json\n  nhiscan inventory --from-report report.json --format csv -o nhi.csv\n  nhiscan inventory --store nhiscan.db --format json"
    )]
    Inventory(InventoryArgs),
    /// Write a self-contained HTML report (summary, inventory, coverage, findings).
    #[command(
        after_help = "Examples:\n  nhiscan report --html report.html .\n  nhiscan report --html report.html --from-report report.json\n  nhiscan report --html report.html --store nhiscan.db"
    )]
    Report(ReportArgs),
    /// Show what a results store knows (every report format; one SARIF per repository).
    #[command(
        after_help = "Examples:\n  nhiscan findings --store nhiscan.db --status new\n  nhiscan findings --store nhiscan.db --format sarif --sarif-dir sarif/\n  nhiscan findings --store postgres://nhiscan@db/nhiscan --repo https://github.com/org/app --since 2026-01-01"
    )]
    Findings(FindingsArgs),
    /// What changed between two runs of a results store: new, fixed, reopened.
    #[command(
        after_help = "Examples:\n  nhiscan diff --store nhiscan.db\n  nhiscan diff --store nhiscan.db RUN_A RUN_B --format json"
    )]
    Diff(DiffArgs),
    /// Record a decision about a credential in a results store (kept across rescans).
    #[command(
        after_help = "Examples:\n  nhiscan triage 3f2a9c1b7d4e --store nhiscan.db --resolve revoked --comment \"rotated 2026-03-01\""
    )]
    Triage(TriageArgs),
    /// Combine shard stores into one and advance the run once every shard is complete.
    #[command(
        after_help = "Examples:\n  nhiscan merge --store nhiscan.db shard-0.db shard-1.db shard-2.db\n  nhiscan merge --store postgres://nhiscan@db/nhiscan --run nightly-2026-03-01\n\nExit codes: 0 merged (and advanced), 2 a shard missing or incomplete (named), or an error."
    )]
    Merge(MergeArgs),
}

/// The subcommands of `nhiscan rules`.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List every rule (built-in and from --rules files).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// Which rules to list (built-in, --rules files, --enable/--disable).
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Show what a rule detects, why it matters and how to fix it.
    Explain {
        /// The rule id (see `nhiscan rules list`).
        id: String,
        /// Where the rule is looked up (built-in and --rules files).
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Validate rule files and run their examples and negative examples.
    #[command(after_help = "Example:\n  nhiscan rules check my-rules.toml")]
    Check {
        /// Rule files to validate.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The subcommands of `nhiscan baseline`.
#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Scan PATH (like `nhiscan scan`) and write the findings' fingerprints to FILE.
    #[command(
        after_help = "Examples:\n  nhiscan baseline create . -o .nhiscan-baseline.json\n  nhiscan baseline create --git . -o .nhiscan-baseline.json   from the whole history\n  nhiscan scan . --baseline .nhiscan-baseline.json"
    )]
    Create(BaselineArgs),
}

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

/// How the filesystem is walked (`scan`, `baseline create`).
#[derive(Args, Debug, Clone, Default)]
pub struct WalkArgs {
    /// Do not respect .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long, short = 'L')]
    pub follow: bool,
}

/// The size limit every source reads within.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Skip files (blobs, image files) larger than this (bytes; K, M, G suffixes).
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_file_size: u64,
}

/// Limits of the image reader.
#[derive(Args, Debug, Clone)]
pub struct ImageLimitArgs {
    /// Stop reading a layer that expands past this (decompression bomb guard).
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_size)]
    pub max_layer_size: u64,
    /// How deep to open archives inside layers (zip, jar, tar, tar.gz); 0 opens none.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: usize,
    /// Stop opening an archive inside a layer once its contents pass this size (zip bomb guard).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_size)]
    pub max_archive_size: u64,
}

/// The project's own settings, shared by every scanning command.
#[derive(Args, Debug, Clone, Default)]
pub struct ProjectArgs {
    /// Project config (default: .nhiscan.toml in the scanned directory or repository, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Report suppressed findings too (inline nhiscan:allow, [[allow]], allow_paths).
    #[arg(long)]
    pub no_suppress: bool,
    /// Report only findings whose fingerprint is not in FILE (from `nhiscan baseline create` or a JSON report).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A TOML file with a `[policy]` table (max token lifetime, forbidden admin/wildcard grants,
    /// required secret store); default: the `[policy]` table of the project config. A finding that
    /// breaks the policy lists the policies it violates and takes the policy's severity.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
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

/// Output format of `nhiscan rules list`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    // `#[doc = concat!(..)]`: documented for rustdoc, but not shown by clap in `--help`.
    #[doc = concat!("One line per rule: id, severity and title.")]
    Text,
    #[doc = concat!("A JSON array with each rule's description, remediation and references.")]
    Json,
}

/// When text output is coloured (`--color`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    // `#[doc = concat!(..)]`: documented for rustdoc, but not shown by clap in `--help`.
    #[doc = concat!("Colour when writing to a terminal and NO_COLOR is unset or empty.")]
    Auto,
    #[doc = concat!("Colour even when not writing to a terminal.")]
    Always,
    #[doc = concat!("No colour.")]
    Never,
}

/// Which rules are loaded and run (`--rules`, `--enable`, `--disable`).
#[derive(Args, Debug, Clone, Default)]
pub struct RuleArgs {
    /// Extra rule file(s) in the rules/*.toml format (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Run only these rules (repeatable, comma-separated).
    #[arg(long, value_name = "RULE_ID", value_delimiter = ',')]
    pub enable: Vec<String>,
    /// Do not run these rules (repeatable, comma-separated).
    #[arg(long, value_name = "RULE_ID", value_delimiter = ',')]
    pub disable: Vec<String>,
}

/// Report options, shared by every scanning command.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Report format: text, json, jsonl, sarif (default: from the --output file's extension
    /// `.json`, `.jsonl`, `.sarif`, `.txt`, else text).
    #[arg(long, short = 'f', value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output (`-`: standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write FORMAT to FILE (repeatable), e.g. --report sarif=out.sarif.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub reports: Vec<(Format, PathBuf)>,
    /// Report only findings at or above this severity (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub min_severity: Severity,
    /// Report only findings at or above this confidence: low (generic rules), medium (provider
    /// formats and provider-named keys), high (verified checksum or structure). Default: low.
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidence)]
    pub min_confidence: Option<crate::finding::Confidence>,
    /// Which findings to show by the file they are in: `actionable` (default: generic and posture
    /// findings in test, example, docs and vendored files are hidden; provider secrets never are),
    /// `all`, or a list of contexts: production, test, example, docs, vendored, generated.
    #[arg(long, value_name = "CONTEXTS", value_parser = parse_context)]
    pub context: Option<crate::context::ContextFilter>,
    /// Which findings exit 1: categories and severities, e.g. `secret,permission:high`, `high`, `any`
    /// (categories: secret, permission, identity, dockerfile, policy, password-hash). Default: any
    /// secret and everything at high or above; `staged`: secrets only.
    #[arg(long, value_name = "SPEC", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// Print found secrets in full (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,
    /// Colour in text output (NO_COLOR is honoured with auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No progress line and no summary on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also list skipped files (binary, too large) on standard error.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Worker threads (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Exit 2 when the scan is incomplete (a file, object or layer could not be read), whatever was
    /// found; also `strict = true` in .nhiscan.toml.
    #[arg(long)]
    pub strict: bool,
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

fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (f, path) = s
        .split_once('=')
        .ok_or("expected FORMAT=FILE, e.g. sarif=out.sarif")?;
    let format = parse_format(f)?;
    if path.is_empty() {
        return Err("empty file name".into());
    }
    Ok((format, PathBuf::from(path)))
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

fn parse_confidence(s: &str) -> Result<crate::finding::Confidence, String> {
    s.parse()
}

fn parse_context(s: &str) -> Result<crate::context::ContextFilter, String> {
    s.parse()
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// `50M`, `512K`, `1G` or a plain byte count.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&s[..s.len() - 1], 1u64 << 10),
        Some('M') => (&s[..s.len() - 1], 1 << 20),
        Some('G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n.saturating_mul(mult))
        .map_err(|_| format!("`{s}` is not a size (e.g. 1048576, 512K, 50M, 1G)"))
}
