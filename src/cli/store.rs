//! Arguments of the results-store commands: `findings`, `diff`, `triage`, `merge` (issue 11).

use std::path::PathBuf;

use clap::Args;

use crate::report::Format;

/// The store a command reads or writes.
#[derive(Args, Debug, Clone)]
pub struct StoreArg {
    /// The results store: a SQLite file, or a `postgres://user@host:port/db` URL (also from
    /// NHISCAN_STORE).
    #[arg(long, value_name = "PATH|URL", env = "NHISCAN_STORE")]
    pub store: String,
}

/// Options of `nhiscan findings`.
#[derive(Args, Debug, Clone)]
pub struct FindingsArgs {
    /// The store to read.
    #[command(flatten)]
    pub store: StoreArg,
    /// Only occurrences with this status: new (first seen in the latest run), open, fixed, reopened.
    #[arg(long, value_name = "STATUS", value_parser = ["new", "open", "fixed", "reopened"])]
    pub status: Option<String>,
    /// Only occurrences first seen on or after DATE (YYYY-MM-DD, or an RFC 3339 time).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only this repository (its key: remote URL or path, as `batch` recorded it).
    #[arg(long, value_name = "KEY")]
    pub repo: Option<String>,
    /// Only what run ID found.
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Report format: text, json, jsonl, sarif (default: from the --output file's extension, else text).
    #[arg(long, short = 'f', value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write one SARIF file per repository into DIR (for code scanning upload, one upload per
    /// repository).
    #[arg(long, value_name = "DIR")]
    pub sarif_dir: Option<PathBuf>,
}

/// Options of `nhiscan diff`.
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The store to read.
    #[command(flatten)]
    pub store: StoreArg,
    /// The older and the newer run (default: the last two complete runs).
    #[arg(value_name = "RUN", num_args = 2)]
    pub runs: Vec<String>,
    /// Output format: text or json.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Options of `nhiscan triage`.
#[derive(Args, Debug, Clone)]
pub struct TriageArgs {
    /// The credential's fingerprint (or the 12-digit short form text reports show, if unambiguous).
    #[arg(
        value_name = "FINGERPRINT",
        required_unless_present = "fingerprint_opt"
    )]
    pub fingerprint: Option<String>,
    /// The fingerprint, as an option.
    #[arg(
        long = "fingerprint",
        value_name = "FINGERPRINT",
        conflicts_with = "fingerprint"
    )]
    pub fingerprint_opt: Option<String>,
    /// The store to write.
    #[command(flatten)]
    pub store: StoreArg,
    /// The decision: revoked, false-positive, used-in-tests, wont-fix.
    #[arg(long, value_name = "RESOLUTION", value_parser = ["revoked", "false-positive", "used-in-tests", "wont-fix"])]
    pub resolve: String,
    /// Why.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub comment: String,
    /// Who decided (default: $USER).
    #[arg(long = "by", value_name = "WHO")]
    pub by: Option<String>,
}

/// Options of `nhiscan merge`.
#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// The store to merge into (and whose state advances).
    #[command(flatten)]
    pub store: StoreArg,
    /// Shard stores to copy runs from (none: the shards wrote into --store itself, e.g. a shared
    /// PostgreSQL).
    #[arg(value_name = "SHARD_STORE")]
    pub shards: Vec<String>,
    /// Only this run (default: every sharded run not advanced yet).
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}
