//! The project config, `.nhiscan.toml` at the scan root (or `--config FILE`), read by every scanning
//! command (scan, git, staged, image). Strict: an unknown key or a bad date is an error naming the key,
//! because a typo in a suppression file must not silently hide or unhide findings.
//!
//! ```toml
//! rules = ["ci/nhiscan-rules.toml"]      # extra rule files, relative to this file
//! enable = []                            # run only these rule ids (empty: all)
//! disable = ["generic-password-assignment"]   # never run these
//! allow_paths = ["tests/fixtures/**"]    # findings under these globs are suppressed
//!
//! [severity]                             # per-rule severity overrides
//! generic-hex-secret = "low"
//!
//! [[allow]]                              # accept one secret, everywhere it appears
//! fingerprint = "3f2a…"                  # from the report (`fingerprint`)
//! reason = "test key, revoked"
//! expires = "2026-12-31"                 # optional: after this day it is a finding again
//!
//! context = "all"                        # show demoted findings too (default: "actionable")
//! min_confidence = "medium"              # hide generic rules' findings
//!
//! [contexts]                             # globs that override the path conventions
//! production = ["tests/deploy/**"]
//! test = ["qa/**"]
//!
//! [policy]                               # reserved for the permission policy (parsed elsewhere)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;

use crate::finding::Severity;

pub(crate) const FILE_NAME: &str = ".nhiscan.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Extra rule files (the rules/*.toml format), relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    #[serde(default)]
    pub enable: Vec<String>,
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rule id → severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Globs (gitignore-like, matched on the path relative to the scan root or in the commit/image).
    #[serde(default)]
    pub allow_paths: Vec<String>,
    #[serde(default)]
    pub allow: Vec<Allow>,
    /// Globs per context (`[contexts] test = ["qa/**"]`), checked before the path conventions.
    #[serde(default)]
    pub contexts: BTreeMap<crate::context::Context, Vec<String>>,
    /// Which findings are shown by context (as `--context`): `all`, `actionable` or a list.
    #[serde(default)]
    pub context: Option<String>,
    /// The lowest confidence shown (as `--min-confidence`).
    #[serde(default)]
    pub min_confidence: Option<crate::finding::Confidence>,
    /// An incomplete scan (unreadable files, missing objects) exits 2, as `--strict`.
    #[serde(default)]
    pub strict: bool,
    /// The permission policy; another module reads it.
    #[serde(default)]
    pub policy: Option<toml::Table>,
    /// Where the config was read from (not a key).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Allow {
    pub fingerprint: String,
    pub reason: String,
    /// `YYYY-MM-DD`: the last day the suppression holds.
    #[serde(default)]
    pub expires: Option<String>,
    /// Checked `expires` as days since 1970-01-01.
    #[serde(skip)]
    pub expires_day: Option<i64>,
}

impl Config {
    /// `explicit` (from `--config`) must exist; otherwise the nearest `.nhiscan.toml` from `start` up
    /// to `root` (the repository root) is read, if there is one, as ruff and ripgrep find theirs.
    pub(crate) fn load(explicit: Option<&Path>, start: &Path, root: &Path) -> Result<Config> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let found = start
                    .ancestors()
                    .take_while(|d| d.starts_with(root))
                    .map(|d| d.join(FILE_NAME))
                    .find(|p| p.is_file())
                    .or_else(|| Some(root.join(FILE_NAME)).filter(|p| p.is_file()));
                match found {
                    Some(p) => p,
                    None => return Ok(Config::default()),
                }
            }
        };
        let text = crate::util::read_text(&path, crate::util::MAX_CONFIG, "config")?;
        let mut c =
            Config::parse(&text).with_context(|| format!("{}: invalid config", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for r in &mut c.rules {
            if r.is_relative() {
                *r = base.join(&*r);
            }
        }
        c.path = Some(path);
        Ok(c)
    }

    pub(crate) fn parse(text: &str) -> Result<Config> {
        // The message and the position only: toml's own rendering quotes the offending line, which
        // may hold a secret.
        let mut c: Config = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| {
                let before = &text.as_bytes()[..s.start.min(text.len())];
                let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
                let col = before.len()
                    - before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                    + 1;
                format!("line {line}, column {col}: ")
            });
            anyhow::anyhow!(
                "{}{}",
                at.unwrap_or_default(),
                unquoted(e.message().trim_end())
            )
        })?;
        for (i, a) in c.allow.iter_mut().enumerate() {
            if a.fingerprint.trim().is_empty() {
                bail!("key `allow[{i}].fingerprint`: must not be empty");
            }
            if a.reason.trim().is_empty() {
                bail!("key `allow[{i}].reason`: say why this finding is accepted");
            }
            if let Some(d) = &a.expires {
                a.expires_day =
                    Some(parse_date(d).with_context(|| {
                        format!("key `allow[{i}].expires`: not a YYYY-MM-DD date")
                    })?);
            }
        }
        if let Some(v) = &c.context {
            v.parse::<crate::context::ContextFilter>()
                .map_err(|e| anyhow::anyhow!("key `context`: {e}"))?;
        }
        for (i, g) in c.allow_paths.iter().enumerate() {
            globset::Glob::new(g).map_err(|e| anyhow::anyhow!("key `allow_paths[{i}]`: {e}"))?;
        }
        Ok(c)
    }
}

/// A parser message with the values it quotes redacted: `invalid type: string "ghp_…"` must not
/// print the token someone typed into the wrong key. Names of keys (in backticks) stay.
fn unquoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(a) = rest.find(['"', '`']) {
        let q = rest.as_bytes()[a] as char;
        let Some(b) = rest[a + 1..].find(q) else {
            break;
        };
        let inner = &rest[a + 1..a + 1 + b];
        out.push_str(&rest[..=a]);
        // Backticks also name keys (`strict`), short: only long spans are values.
        if q == '"' || inner.len() >= 16 {
            out.push_str(&crate::finding::redact(inner));
        } else {
            out.push_str(inner);
        }
        out.push(q);
        rest = &rest[a + b + 2..];
    }
    out.push_str(rest);
    out
}

/// `YYYY-MM-DD` to days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Result<i64> {
    crate::dates::parse_day(s)
}

/// Today (UTC) as days since 1970-01-01; `NHISCAN_TODAY=YYYY-MM-DD` overrides it for reproducible runs.
pub(crate) fn today() -> i64 {
    if let Some(d) = std::env::var("NHISCAN_TODAY")
        .ok()
        .and_then(|s| parse_date(&s).ok())
    {
        return d;
    }
    crate::dates::today()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_keys_and_dates() {
        assert!(Config::parse("colour = 1")
            .unwrap_err()
            .to_string()
            .contains("colour"));
        let e = Config::parse("[[allow]]\nfingerprint='a'\nreason='b'\nexpires='2025-02-30'\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("allow[0].expires"), "{e:#}");
        let c = Config::parse(
            "[policy]\nx = 1\n[[allow]]\nfingerprint='a'\nreason='b'\nexpires='2025-02-28'\n",
        )
        .unwrap();
        assert_eq!(
            c.allow[0].expires_day,
            Some(parse_date("2025-02-28").unwrap())
        );
        assert!(c.policy.is_some());
    }
}
