//! What the user allowed: inline `nhiscan:allow` comments (marked by the scanner), `[[allow]]`
//! fingerprints and `allow_paths` globs from the project config, and a baseline of known findings.
//! Keyed on the secret, never on a line number, so moving code keeps a suppression and a different
//! secret on the same line is not hidden. An `[[allow]]` entry past its `expires` day stops
//! suppressing: the finding is reported again and says why.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde_json::json;

use crate::config::{Allow, Config};
use crate::finding::Finding;

pub(crate) enum Verdict {
    Report,
    Suppressed,
    Baselined,
}

#[derive(Default)]
pub(crate) struct Suppressor {
    /// `--no-suppress`: report everything, suppressed or not (a `--baseline` still applies).
    pub disabled: bool,
    /// `[[allow]]` entries by fingerprint.
    pub allow: HashMap<String, Allow>,
    /// `allow_paths` globs.
    pub paths: Option<globset::GlobSet>,
    /// Fingerprints in the `--baseline` file.
    pub baseline: HashSet<String>,
    /// Today, as days since 1970-01-01, for `expires`.
    pub today: i64,
}

impl Suppressor {
    pub(crate) fn from_config(c: &Config, disabled: bool) -> Result<Suppressor> {
        let mut s = Suppressor {
            disabled,
            today: crate::config::today(),
            ..Default::default()
        };
        for a in &c.allow {
            s.allow.insert(a.fingerprint.clone(), a.clone());
        }
        if !c.allow_paths.is_empty() {
            let mut b = globset::GlobSetBuilder::new();
            for g in &c.allow_paths {
                b.add(
                    globset::GlobBuilder::new(g)
                        .literal_separator(false)
                        .build()?,
                );
                // `dir/` or `dir` also covers what is under it.
                b.add(globset::Glob::new(&format!(
                    "{}/**",
                    g.trim_end_matches('/')
                ))?);
            }
            s.paths = Some(b.build()?);
        }
        Ok(s)
    }

    /// Reads a baseline: `nhiscan baseline create` output, or any `--format json` report.
    pub(crate) fn load_baseline(&mut self, path: &Path) -> Result<()> {
        let text = crate::util::read_text(path, crate::util::MAX_BASELINE, "baseline")?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: baseline is not JSON", path.display()))?;
        let list = if let Some(fps) = v.get("fingerprints").and_then(|f| f.as_array()) {
            fps.iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        } else if let Some(fs) = v.get("findings").and_then(|f| f.as_array()) {
            fs.iter()
                .filter_map(|f| f.get("fingerprint")?.as_str().map(str::to_owned))
                .collect()
        } else {
            bail!(
                "{}: not a baseline (expected `fingerprints` or a JSON report's `findings`)",
                path.display()
            );
        };
        self.baseline.extend(list);
        Ok(())
    }

    pub(crate) fn check(&self, f: &mut Finding) -> Verdict {
        if !self.disabled {
            if f.suppressed.is_some() {
                return Verdict::Suppressed;
            }
            if let Some(a) = self.allowed(&f.fingerprint) {
                match (a.expires_day, &a.expires) {
                    (Some(day), Some(date)) if self.today > day => {
                        f.message.push_str(&format!(
                            " (its [[allow]] entry expired on {date}: {})",
                            a.reason
                        ));
                        f.properties
                            .insert("suppression_expired".into(), json!(date));
                        f.properties
                            .insert("suppression_reason".into(), json!(a.reason));
                    }
                    _ => {
                        f.suppressed = Some(format!("config: {}", a.reason));
                        return Verdict::Suppressed;
                    }
                }
            }
            if let Some(g) = &self.paths {
                let name = &f.origin.name;
                if (!name.is_empty() && g.is_match(name)) || g.is_match(&f.origin.artifact) {
                    f.suppressed = Some("config: allow_paths".into());
                    return Verdict::Suppressed;
                }
            }
        }
        if self.baseline.contains(&f.fingerprint) {
            return Verdict::Baselined;
        }
        Verdict::Report
    }

    /// The `[[allow]]` entry for `fp`: by the whole fingerprint, or by the short form the text
    /// report prints (a prefix of at least 8 characters).
    fn allowed(&self, fp: &str) -> Option<&Allow> {
        self.allow.get(fp).or_else(|| {
            self.allow
                .iter()
                .find(|(k, _)| k.len() >= 8 && fp.starts_with(k.as_str()))
                .map(|(_, a)| a)
        })
    }

    /// True when `path` is under an `allow_paths` glob (and suppressions are on): problems reading such a
    /// file (malformed fixtures kept on purpose) are noted as skipped, not reported as errors.
    pub(crate) fn path_allowed(&self, path: &str) -> bool {
        !self.disabled && self.paths.as_ref().is_some_and(|g| g.is_match(path))
    }
}
