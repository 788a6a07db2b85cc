//! The one resolved settings value. Parsed arguments become [`Settings`] once, before anything runs (as
//! ripgrep turns its flags into `HiArgs`); every layer receives the part it needs as a field. No statics,
//! no global overrides.

use std::path::PathBuf;

use crate::finding::Severity;
use crate::report::Format;

/// How far sources read: the same limits for every source.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Units larger than this are skipped (`--max-file-size`).
    pub max_file_size: u64,
    /// Image layers: stop reading a layer that expands past this (decompression bomb guard).
    pub max_layer_size: u64,
    /// Image layers: how deep to open archives inside layers; 0 opens none.
    pub max_archive_depth: usize,
    /// Image layers: stop opening an archive once its contents pass this size.
    pub max_archive_size: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 50 << 20,
            max_layer_size: 16 << 30,
            max_archive_depth: 3,
            max_archive_size: 256 << 20,
        }
    }
}

/// Which rules run: built-in plus extra files, narrowed by enable/disable.
#[derive(Debug, Clone, Default)]
pub struct RuleSelection {
    pub files: Vec<PathBuf>,
    pub enable: Vec<String>,
    pub disable: Vec<String>,
}

/// The project's own inputs: config file, suppressions, baseline, policy.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// `--config FILE`; otherwise `.nhiscan.toml` in the source's project directory.
    pub config: Option<PathBuf>,
    /// `--no-suppress`: report suppressed findings too.
    pub no_suppress: bool,
    /// `--baseline FILE`.
    pub baseline: Option<PathBuf>,
    /// `--policy FILE`; otherwise the config's `[policy]` table.
    pub policy: Option<PathBuf>,
}

/// Where and how reports are written.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub format: Format,
    /// `-o FILE`; None: standard output.
    pub output: Option<PathBuf>,
    /// `--report FORMAT=FILE`, in order.
    pub reports: Vec<(Format, PathBuf)>,
    pub min_severity: Severity,
    pub fail_on: Severity,
    pub show_secrets: bool,
    /// Colour in text on standard output, resolved from `--color`, `NO_COLOR` and the terminal.
    pub color: bool,
    /// `-q`: no progress line, summary or hints on standard error.
    pub quiet: bool,
    /// `-v`: every skipped unit on standard error.
    pub verbose: bool,
}

impl Default for OutputOptions {
    fn default() -> OutputOptions {
        OutputOptions {
            format: Format::TEXT,
            output: None,
            reports: Vec::new(),
            min_severity: Severity::Info,
            fail_on: Severity::Info,
            show_secrets: false,
            color: false,
            quiet: false,
            verbose: false,
        }
    }
}

/// Everything a scanning command resolved from its arguments, before any scan starts.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub rules: RuleSelection,
    pub project: ProjectOptions,
    pub output: OutputOptions,
    pub limits: Limits,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// Default worker count: the cores this process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
