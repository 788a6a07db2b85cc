//! The rule model: what a rule file says, how it is validated, and the compiled form the engine uses.
//!
//! Rules are data (`rules/*.toml`, embedded at build time, plus user files with the same format), so a
//! bad file is a user error: every message names the file, the rule id and the field.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::finding::{Lifetime, Severity};

/// The built-in rule files, embedded at build time (see build.rs).
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One rule as written in a rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    /// What the finding is about: `secret` for pattern rules; analyzers use other kinds.
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default)]
    pub checksum: Option<String>,
    #[serde(default)]
    pub generic: bool,
    #[serde(default)]
    pub window: Option<usize>,
    /// Set for rules whose findings come from a structural analyzer (no pattern).
    #[serde(default)]
    pub analyzer: Option<String>,
    pub lifetime: Lifetime,
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub example_path: Option<String>,
}

fn default_kind() -> String {
    "secret".into()
}

/// A rule ready to run. The regex is compiled on first use so that a scan of one small file pays only
/// for the rules its keywords trigger.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from, for messages: `builtin:cloud.toml` or a user path.
    pub source: String,
    regex: OnceLock<Regex>,
    pub secret_group: usize,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The compiled pattern; rules without one (analyzer rules) never reach the matcher.
    pub fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            compile(self.spec.pattern.as_deref().unwrap_or("$^"))
                .expect("pattern was validated when the rule was loaded")
        })
    }
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(32 << 20)
        .dfa_size_limit(16 << 20)
        .build()
}

#[derive(Deserialize)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Value>,
}

/// Parses one rule file. `eager` compiles every regex now (user files: fail early and loudly); built-in
/// files are checked by `cargo test` and compile lazily.
pub fn parse_file(source: &str, text: &str, eager: bool) -> Result<Vec<Rule>> {
    let file: RuleFile =
        toml::from_str(text).with_context(|| format!("{source}: not a valid rule file"))?;
    let mut rules = Vec::with_capacity(file.rule.len());
    for (i, value) in file.rule.into_iter().enumerate() {
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("#{}", i + 1));
        let spec: RuleSpec = value.try_into().map_err(|e: toml::de::Error| {
            anyhow::anyhow!("{source}: rule `{id}`: {}", e.message())
        })?;
        rules.push(validate(source, spec, eager)?);
    }
    Ok(rules)
}

pub fn load_path(path: &Path) -> Result<Vec<Rule>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read rule file", path.display()))?;
    parse_file(&path.display().to_string(), &text, true)
}

pub fn builtin() -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.extend(parse_file(&format!("builtin:{name}"), text, false)?);
    }
    Ok(out)
}

fn validate(source: &str, spec: RuleSpec, eager: bool) -> Result<Rule> {
    let id = spec.id.clone();
    let err =
        |field: &str, msg: String| anyhow::anyhow!("{source}: rule `{id}`: field `{field}`: {msg}");
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            "id",
            "must be non-empty lowercase letters, digits and '-'".into(),
        ));
    }
    let mut secret_group = 0;
    match (&spec.pattern, &spec.analyzer) {
        (Some(_), Some(_)) => {
            return Err(err(
                "analyzer",
                "a rule has a pattern or an analyzer, not both".into(),
            ))
        }
        (None, None) => return Err(err("pattern", "missing (or set `analyzer`)".into())),
        (None, Some(_)) => {}
        (Some(pattern), None) => {
            if spec.keywords.is_empty() {
                return Err(err(
                    "keywords",
                    "a pattern rule needs at least one keyword".into(),
                ));
            }
            if let Some(k) = spec.keywords.iter().find(|k| k.len() < 3) {
                return Err(err("keywords", format!("`{k}` is shorter than 3 bytes")));
            }
            let hir = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(pattern)
                .map_err(|e| err("pattern", format!("invalid regex: {e}")))?;
            let names = capture_names(&hir);
            secret_group = match names.iter().position(|n| n.as_deref() == Some("secret")) {
                Some(i) => i + 1,
                None if names.is_empty() => 0,
                None => 1,
            };
            if eager {
                compile(pattern).map_err(|e| err("pattern", format!("invalid regex: {e}")))?;
            }
        }
    }
    if let Some(c) = &spec.checksum {
        if crate::engine::checksum::Checksum::by_name(c).is_none() {
            return Err(err("checksum", format!("unknown validator `{c}`")));
        }
    }
    if let Some(e) = spec.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(err(
                "min_entropy",
                "must be between 0 and 8 bits per byte".into(),
            ));
        }
    }
    if spec.remediation.trim().is_empty() {
        return Err(err(
            "remediation",
            "must say how to revoke and rotate".into(),
        ));
    }
    Ok(Rule {
        spec,
        source: source.to_string(),
        regex: OnceLock::new(),
        secret_group,
    })
}

/// Capture group names in order (None for unnamed groups), read from the parsed pattern.
fn capture_names(hir: &regex_syntax::hir::Hir) -> Vec<Option<String>> {
    use regex_syntax::hir::HirKind;
    fn walk(h: &regex_syntax::hir::Hir, out: &mut Vec<(u32, Option<String>)>) {
        match h.kind() {
            HirKind::Capture(c) => {
                out.push((c.index, c.name.as_deref().map(str::to_owned)));
                walk(&c.sub, out);
            }
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().for_each(|x| walk(x, out)),
            HirKind::Repetition(r) => walk(&r.sub, out),
            _ => {}
        }
    }
    let mut v = Vec::new();
    walk(hir, &mut v);
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
}

/// Checks the whole set: unique ids.
pub fn check_unique(rules: &[Rule]) -> Result<()> {
    let mut seen = std::collections::HashMap::new();
    for r in rules {
        if let Some(prev) = seen.insert(r.id(), &r.source) {
            bail!(
                "{}: rule `{}`: field `id`: already defined in {prev}",
                r.source,
                r.id()
            );
        }
    }
    Ok(())
}
