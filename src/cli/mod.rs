//! Command-line definitions (clap derive) and the examples `--help` shows. Parsing only: what the
//! commands do lives in `src/cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod batch;
mod inventory;
mod options;
mod resolve;
mod scanning;
mod store;

pub use options::{
    parse_size, ColorChoice, ImageLimitArgs, LimitArgs, OutputArgs, ProjectArgs, RuleArgs, WalkArgs,
};
pub use scanning::{BaselineArgs, GitArgs, ImageArgs, InstallHookArgs, ScanArgs, StagedArgs};

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

/// Output format of `nhiscan rules list`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    // `#[doc = concat!(..)]`: documented for rustdoc, but not shown by clap in `--help`.
    #[doc = concat!("One line per rule: id, severity and title.")]
    Text,
    #[doc = concat!("A JSON array with each rule's description, remediation and references.")]
    Json,
}
