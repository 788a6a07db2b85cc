//! The one resolved settings value. Parsed arguments become [`Settings`] once, before anything runs (as
//! ripgrep turns its flags into `HiArgs`); every layer receives the part it needs as a field. No statics,
//! no global overrides.

use std::path::PathBuf;

use crate::finding::{Category, Severity};
use crate::report::Format;

/// How far sources read: the same limits for every source.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
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
pub(crate) struct RuleSelection {
    pub files: Vec<PathBuf>,
    pub enable: Vec<String>,
    pub disable: Vec<String>,
}

/// The project's own inputs: config file, suppressions, baseline, policy.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProjectOptions {
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
pub(crate) struct OutputOptions {
    pub format: Format,
    /// `-o FILE`; None: standard output.
    pub output: Option<PathBuf>,
    /// `--report FORMAT=FILE`, in order.
    pub reports: Vec<(Format, PathBuf)>,
    pub min_severity: Severity,
    /// `--min-confidence`; None: the config's, else low (everything).
    pub min_confidence: Option<crate::finding::Confidence>,
    /// `--context`; None: the config's, else actionable (demoted findings hidden).
    pub context: Option<crate::context::ContextFilter>,
    /// `--fail-on`; None: the source's default ([`FailOn::build`], or [`FailOn::secrets`] for a
    /// pre-commit check).
    pub fail_on: Option<FailOn>,
    pub show_secrets: bool,
    /// Colour in text on standard output, resolved from `--color`, `NO_COLOR` and the terminal.
    pub color: bool,
    /// `-q`: no progress line, summary or hints on standard error.
    pub quiet: bool,
    /// `-v`: every skipped unit on standard error.
    pub verbose: bool,
    /// `--strict`: an incomplete scan exits 2.
    pub strict: bool,
}

impl Default for OutputOptions {
    fn default() -> OutputOptions {
        OutputOptions {
            format: Format::TEXT,
            output: None,
            reports: Vec::new(),
            min_severity: Severity::Info,
            min_confidence: None,
            context: None,
            fail_on: None,
            show_secrets: false,
            color: false,
            quiet: false,
            verbose: false,
            strict: false,
        }
    }
}

/// Everything a scanning command resolved from its arguments, before any scan starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub rules: RuleSelection,
    pub project: ProjectOptions,
    pub output: OutputOptions,
    pub limits: Limits,
    /// Worker threads (at least 1).
    pub threads: usize,
}

/// Default worker count: the cores this process may use.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Which findings fail the run (exit 1): `--fail-on`, a comma-separated list of `CATEGORY`,
/// `CATEGORY:SEVERITY` or `SEVERITY` (any category) terms; a finding fails when any term matches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailOn {
    terms: Vec<(Option<Category>, Severity)>,
}

impl FailOn {
    /// `scan`, `git` and `image`: any secret, and everything else at high or above.
    pub fn build() -> FailOn {
        FailOn {
            terms: vec![
                (Some(Category::Secret), Severity::Info),
                (None, Severity::High),
            ],
        }
    }

    /// `staged` and the pre-commit hook: secrets only; the rest is shown, as warnings.
    pub fn secrets() -> FailOn {
        FailOn {
            terms: vec![(Some(Category::Secret), Severity::Info)],
        }
    }

    /// True when `category` at `severity` fails the run. A finding that violates a policy also
    /// counts as the `policy` category.
    pub fn fails(&self, category: Category, severity: Severity, violates_policy: bool) -> bool {
        self.terms.iter().any(|(c, s)| {
            severity >= *s
                && match c {
                    None => true,
                    Some(Category::Policy) => violates_policy,
                    Some(c) => *c == category,
                }
        })
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<FailOn, String> {
        let mut terms = Vec::new();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let t = match term.split_once(':') {
                Some((c, sev)) => (Some(c.parse()?), sev.parse()?),
                None => match term.parse::<Severity>() {
                    Ok(sev) => (None, sev),
                    Err(_) if term == "any" => (None, Severity::Info),
                    Err(_) => (
                        Some(term.parse().map_err(|e: String| {
                            format!(
                                "{e}; or a severity (info, low, medium, high, critical), or `any`"
                            )
                        })?),
                        Severity::Info,
                    ),
                },
            };
            terms.push(t);
        }
        if terms.is_empty() {
            return Err("expected categories and severities, e.g. `secret,permission:high`".into());
        }
        Ok(FailOn { terms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_terms() {
        let f: FailOn = "secret,permission:high".parse().unwrap();
        assert!(f.fails(Category::Secret, Severity::Low, false));
        assert!(f.fails(Category::Permission, Severity::Critical, false));
        assert!(!f.fails(Category::Permission, Severity::Medium, false));
        assert!(!f.fails(Category::Identity, Severity::Critical, false));
        let any: FailOn = "high".parse().unwrap();
        assert!(any.fails(Category::Identity, Severity::High, false));
        assert!(!any.fails(Category::Secret, Severity::Medium, false));
        let p: FailOn = "policy".parse().unwrap();
        assert!(p.fails(Category::Permission, Severity::Low, true));
        assert!(!p.fails(Category::Permission, Severity::Low, false));
        assert!("secret:urgent".parse::<FailOn>().is_err());
        assert!("secrets".parse::<FailOn>().is_err());
        assert!("".parse::<FailOn>().is_err());
        let b = FailOn::build();
        assert!(b.fails(Category::Secret, Severity::Low, false));
        assert!(!b.fails(Category::Permission, Severity::Medium, false));
        assert!(b.fails(Category::Identity, Severity::High, false));
        assert!(!FailOn::secrets().fails(Category::Permission, Severity::Critical, true));
        // Password hashes are low: neither default fails on them; naming the category does.
        assert!(!b.fails(Category::PasswordHash, Severity::Low, false));
        assert!(!FailOn::secrets().fails(Category::PasswordHash, Severity::Low, false));
        let h: FailOn = "password-hash".parse().unwrap();
        assert!(h.fails(Category::PasswordHash, Severity::Low, false));
    }
}
