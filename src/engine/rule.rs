//! The rule model: what a rule file says, how it is validated, and the compiled form the engine uses.
//!
//! Rules are data (`rules/*.toml`, embedded at build time, plus user files with the same format), so a
//! bad file is a user error: every message names the file, the rule id and the field.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_syntax::hir::Hir;
use serde::{Deserialize, Serialize};

use super::required::{Needs, OutlineCache};
use crate::finding::{Category, Confidence, Lifetime, Severity};

/// The built-in rule files, embedded at build time (see build.rs): (file name, TOML text, the same
/// converted to JSON for a fast start).
pub const BUILTIN: &[(&str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// One rule as written in a rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id: lowercase letters, digits and `-`.
    pub id: String,
    /// Short name shown in reports.
    pub title: String,
    /// What the credential or grant is and what an attacker can do with it.
    pub description: String,
    /// Severity of the rule's findings, before adjustments.
    pub severity: Severity,
    /// What the finding is about: `secret` for pattern rules; analyzers use other kinds.
    #[serde(default = "default_kind")]
    pub kind: Category,
    /// Facts code may branch on (`admin`, `wildcard`, ...): the policy selects rules by tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Case-insensitive literals (at least 3 bytes); the pattern runs only near them.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The regex: its `secret` group, else group 1, else the whole match is the secret.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Shannon entropy (bits per byte, 0 to 8) the secret must reach.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// The fewest bytes the secret may have (a shorter match is not reported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// The secret is random text whose alphabet has punctuation by design (framework keys and salts):
    /// `${`, `%s`, `{}` inside it are chance, not template syntax, so the placeholder filter judges it
    /// by words and whole-value shapes only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub punctuated: bool,
    /// Case-insensitive literals that, found in the matched text before the secret (the key name),
    /// mean the value is not a credential (`hashed_secret`, `authenticity_token`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_if_key_contains: Vec<String>,
    /// A named validator the secret must pass (`github-crc32`, `jwt-header`).
    #[serde(default)]
    pub checksum: Option<String>,
    /// A catch-all rule: a non-generic rule matching an overlapping span wins.
    #[serde(default)]
    pub generic: bool,
    /// How sure a match is; unset: high with a checksum or for analyzer findings other than secrets,
    /// low for generic rules, medium otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// How many bytes after a keyword hit the match may end; unset: on the hit's own line.
    #[serde(default)]
    pub window: Option<usize>,
    /// Speed only: a window is searched with `pattern` only when it holds one of these bytes, which
    /// every match must contain (the quote a generic assignment requires). Keyword hits in code far
    /// outnumber secrets; this skips the regex for most of them without changing what matches.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub needs_any_byte: String,
    /// Speed only: a window is searched only when it holds a run of at least this many hex digits,
    /// which every match must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_hex_run: Option<usize>,
    /// Set for rules whose findings come from a structural analyzer (no pattern).
    #[serde(default)]
    pub analyzer: Option<String>,
    /// The credential's lifetime, unless the token itself says otherwise.
    pub lifetime: Lifetime,
    /// How to revoke and rotate the credential (or fix the grant).
    pub remediation: String,
    /// Links to the provider's documentation.
    #[serde(default)]
    pub references: Vec<String>,
    /// Texts that must give a finding, the secret (or line) marked with « ».
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts that must give no finding of this rule.
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// The file name the examples are scanned as (default `example.txt`).
    #[serde(default)]
    pub example_path: Option<String>,
}

fn default_kind() -> Category {
    Category::Secret
}

/// A rule ready to run. The regex is compiled on first use so that a scan of one small file pays only
/// for the rules its keywords trigger.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written in its file.
    pub spec: RuleSpec,
    /// Where the rule came from, for messages: `builtin:cloud.toml` or a user path.
    pub source: String,
    regex: OnceLock<(Regex, usize)>,
    /// The pattern as parsed, read by both [`Rule::may_match`] and [`Rule::regex`]: parsing it
    /// twice was a third of the cost of waking a rule in a one-file scan.
    hir: OnceLock<Option<Hir>>,
    /// What every match contains (see [`super::required`]), read from the pattern on first use.
    needs: OnceLock<Needs>,
}

impl Rule {
    /// The rule id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// How sure the rule's findings are: the rule file's `confidence`, else what its fields imply.
    pub fn confidence(&self) -> Confidence {
        let s = &self.spec;
        s.confidence.unwrap_or(if s.checksum.is_some() {
            Confidence::High
        } else if s.generic {
            Confidence::Low
        } else if s.analyzer.is_some() && s.kind != Category::Secret {
            Confidence::High
        } else {
            Confidence::Medium
        })
    }

    /// True when the rule file tags the rule with `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.spec.tags.iter().any(|t| t == tag)
    }

    /// The compiled pattern and the index of the group that holds the secret (the one named `secret`,
    /// else the first group, else the whole match). Rules without a pattern never reach the matcher.
    pub fn regex(&self) -> (&Regex, usize) {
        let (re, group) = self.regex.get_or_init(|| {
            let re = match self.hir() {
                Some(hir) => builder().build_from_hir(hir).map_err(Box::new),
                None => compile(self.spec.pattern.as_deref().unwrap_or("$^")),
            }
            .expect("pattern was validated when the rule was loaded");
            let names: Vec<Option<&str>> = re
                .group_info()
                .pattern_names(regex_automata::PatternID::ZERO)
                .collect();
            let group = match names.iter().position(|n| *n == Some("secret")) {
                Some(i) => i,
                None if names.len() > 1 => 1,
                None => 0,
            };
            (re, group)
        });
        (re, *group)
    }

    /// The parsed pattern; `None` for a rule without one (or one that does not parse, which loading
    /// rejects).
    fn hir(&self) -> Option<&Hir> {
        self.hir
            .get_or_init(|| {
                let pattern = self.spec.pattern.as_deref()?;
                syntax::parse_with(pattern, &syntax_config()).ok()
            })
            .as_ref()
    }

    /// False when `window` cannot hold a match of the pattern: it lacks bytes every match has, as
    /// read from the pattern or declared in the rule file (`needs_any_byte`, `needs_hex_run`).
    /// Cheaper than the search, so it goes first.
    pub(crate) fn may_match(&self, window: &[u8]) -> bool {
        self.needs().within(window)
    }

    /// False when `window` cannot hold a match of the pattern's outline (see
    /// [`super::required`]). Checked on a window the memo does not know, right before the search:
    /// a window the memo answers costs less than the check. `cache`: the calling thread's, for
    /// this rule.
    pub(crate) fn outline_may_match(&self, window: &[u8], cache: &mut OutlineCache) -> bool {
        self.hir()
            .is_none_or(|hir| self.needs().outline_within(window, hir, cache))
    }

    fn needs(&self) -> &Needs {
        self.needs.get_or_init(|| {
            let s = &self.spec;
            self.hir()
                .map(|hir| Needs::of(hir, &s.keywords))
                .unwrap_or_default()
                .declared(s.needs_any_byte.as_bytes(), s.needs_hex_run)
        })
    }
}

/// How patterns are parsed, for compiling them and for reading what they require.
fn syntax_config() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// Patterns are compiled without Unicode classes: secrets are ASCII, and ASCII `\b`, `\w` and `(?i)` make
/// the automata an order of magnitude smaller and faster to build than their Unicode forms. The engine
/// keeps one search cache per thread and rule (see `engine::run_rule`), so the lazy DFA built for a
/// rule is reused for the whole scan instead of being rebuilt when a shared pool is contended.
fn compile(pattern: &str) -> Result<Regex, Box<regex_automata::meta::BuildError>> {
    builder().build(pattern).map_err(Box::new)
}

/// The one regex configuration, for a pattern given as text or already parsed.
fn builder() -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.syntax(syntax_config()).configure(
        Regex::config()
            .utf8_empty(false)
            .nfa_size_limit(Some(32 << 20))
            .hybrid_cache_capacity(16 << 20),
    );
    b
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<toml::Value>,
}

#[derive(Deserialize)]
struct JsonRuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// Parses one rule file. `eager` compiles every regex now (user files: fail early and loudly); built-in
/// files are checked by `cargo test` and compile lazily.
pub fn parse_file(source: &str, text: &str, eager: bool) -> Result<Vec<Rule>> {
    let file: RuleFile = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("{source}: not a valid rule file: {}", e.message()))?;
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

pub(crate) fn load_path(path: &Path) -> Result<Vec<Rule>> {
    let text = crate::util::read_text(path, crate::util::MAX_CONFIG, "rule file")?;
    parse_file(&path.display().to_string(), &text, true)
}

/// The built-in rules, from the JSON embedded at build time ([`BUILTIN`]).
pub fn builtin() -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for (name, _, json) in BUILTIN {
        let source = format!("builtin:{name}");
        let file: JsonRuleFile = serde_json::from_str(json)
            .with_context(|| format!("{source}: not a valid rule file"))?;
        for spec in file.rule {
            out.push(validate(&source, spec, false)?);
        }
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
            // Built-in patterns are compiled by `cargo test`; user patterns are compiled now so a bad
            // one fails before the scan, naming the file and rule.
            if eager {
                compile(pattern).map_err(|e| {
                    // The meta regex says only "error parsing pattern 0"; the syntax error says where.
                    let why = e
                        .syntax_error()
                        .map_or_else(|| e.to_string(), |s| s.to_string());
                    err("pattern", format!("invalid regex: {why}"))
                })?;
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
        hir: OnceLock::new(),
        needs: OnceLock::new(),
    })
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

#[cfg(test)]
mod window_tests {
    use super::{validate, Rule, RuleSpec};

    fn spec(toml_extra: &str) -> Rule {
        let text = format!(
            "id = \"t\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"abc\"]\npattern = \"abc\"\nremediation = \"r\"\nlifetime = {{ kind = \"unknown\", reason = \"r\" }}\n{toml_extra}"
        );
        let spec: RuleSpec = toml::from_str(&text).unwrap();
        validate("t", spec, true).unwrap()
    }

    #[test]
    fn a_window_without_what_every_match_needs_is_not_searched() {
        let quoted = spec("needs_any_byte = \"\\\"'\"");
        assert!(quoted.may_match(b"token = 'x1'"));
        assert!(!quoted.may_match(b"token = get_token(ctx);"));
        let hex = spec("needs_hex_run = 20");
        assert!(hex.may_match(b"key = 0123456789abcdef0123;"));
        // 19 hex digits, then a break: one short.
        assert!(!hex.may_match(b"key = 0123456789abcdef012 3;"));
        assert!(spec("").may_match(b"anything"));
    }
}
