//! The option groups every scanning command flattens in (walking, limits, rules, the project's own
//! settings, reports) and the parsers of their values.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::finding::Severity;
use crate::report::Format;
use crate::settings::FailOn;

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
