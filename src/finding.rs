//! The one finding type every source, rule and analyzer produces, and the one place that decides how a
//! secret is shown (redacted unless the user asks) and fingerprinted.
//!
//! Reports never branch on where a finding came from: an [`Origin`] carries what each report needs
//! (a display string, an artifact path, a logical location, and source-specific properties).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// How bad a finding is, from `info` to `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No risk by itself: a fact worth knowing.
    Info,
    /// Little exposure, e.g. a provider's test or sandbox key.
    Low,
    /// Real but limited exposure.
    Medium,
    /// Serious exposure; `scan`, `git` and `image` fail by default on any finding at or above it.
    High,
    /// The worst exposure, e.g. cloud account keys or admin grants.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in reports and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    /// GitHub code scanning's `security-severity` (a CVSS-like score).
    pub fn score(self) -> &'static str {
        match self {
            Severity::Info => "0.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
    /// One step down, for findings that are real but less exposed (expired tokens, build-only stages).
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            _ => Severity::Info,
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                // The value may be anything typed into a config file: never quote it in full.
                format!(
                    "`{}` is not one of info, low, medium, high, critical",
                    if s.len() > 12 {
                        redact(s)
                    } else {
                        s.to_string()
                    }
                )
            })
    }
}

/// What a finding is about. Rules declare it (`kind` in the rule file); reports and gates branch on
/// it, never on rule ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// A credential: key, token, password, private key.
    Secret,
    /// A permission grant: wildcard, admin, escalation.
    Permission,
    /// How an identity is set up (default service accounts, mounted tokens).
    Identity,
    /// A Dockerfile practice that puts credentials into images (COPY of key files, secret build args).
    Dockerfile,
    /// A policy of the project's `[policy]` table (attached to the findings it judges).
    Policy,
    /// A password hash (bcrypt, sha-crypt, argon2, ...): not a usable credential, but an offline
    /// cracking target, so it is reported apart from secrets and at low severity.
    #[serde(rename = "password-hash")]
    PasswordHash,
}

impl Category {
    /// Every category.
    pub const ALL: [Category; 6] = [
        Category::Secret,
        Category::Permission,
        Category::Identity,
        Category::Dockerfile,
        Category::Policy,
        Category::PasswordHash,
    ];

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Secret => "secret",
            Category::Permission => "permission",
            Category::Identity => "identity",
            Category::Dockerfile => "dockerfile",
            Category::Policy => "policy",
            Category::PasswordHash => "password-hash",
        }
    }

    /// True for what is found in content rather than in how things are configured (secrets and
    /// password hashes): every version of a history that holds it exposes it.
    pub fn is_content(self) -> bool {
        matches!(self, Category::Secret | Category::PasswordHash)
    }
}

impl std::str::FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Category, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a category (secret, permission, identity, dockerfile, policy, password-hash)"
                )
            })
    }
}

/// How sure nhiscan is that a finding is what its rule says. Rules declare it (`confidence` in the
/// rule file) or it follows from the rule: a verified checksum or structure is high, a provider's
/// format or a provider named in the key is medium, a generic rule is low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A generic rule: a password-like key with a random-looking value.
    Low,
    /// A provider's documented format, or a value of the provider's shape under a key naming it.
    Medium,
    /// A format with a verified checksum or structure (CRC32 tokens, PEM keys, analyzer findings).
    High,
}

impl Confidence {
    /// The lowercase name used in reports and options.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Confidence, String> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "`{}` is not one of low, medium, high",
                    s.chars().take(12).collect::<String>()
                )
            })
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a found credential stays valid, and why nhiscan thinks so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetime {
    /// Long-lived, short-lived, expired or unknown.
    pub kind: LifetimeKind,
    /// Why, in a sentence: what the token itself says, or what the rule declares.
    pub reason: String,
}

/// How long a credential stays valid (`lifetime.kind` in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifetimeKind {
    /// Valid until revoked, or for longer than the maximum token lifetime.
    LongLived,
    /// Expires on its own soon (STS credentials, installation tokens, short JWTs).
    ShortLived,
    /// Already past its expiry (a JWT's `exp`): the finding is one severity lower.
    Expired,
    /// The format does not say.
    Unknown,
}

/// Where content came from. Sources fill it; reports only read it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Origin {
    /// The file a SARIF result points at, relative to the scan root where possible.
    pub artifact: String,
    /// How a person reads the place, e.g. `app.tar layer 3 (sha256:ab12…) /app/.env`.
    pub display: String,
    /// The path analyzers use to choose themselves (the path inside a commit or an image; for a
    /// file on disk, relative to the repository root or the scanned directory, like `artifact`).
    pub name: String,
    /// A SARIF logical location (layer and in-image path, commit and path), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical: Option<String>,
    /// Source facts carried to every report: commit, blob, layer digest, ...
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

impl Origin {
    /// The origin of a plain file: `display` is also the name analyzers see; `artifact` is the SARIF path.
    pub fn file(display: impl Into<String>, artifact: impl Into<String>) -> Origin {
        let display = display.into();
        Origin {
            artifact: artifact.into(),
            name: display.clone(),
            display,
            ..Default::default()
        }
    }
}

/// One thing a rule or an analyzer found, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Id of the rule that found it (`nhiscan rules explain ID`).
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// What the finding is about (the rule's `kind`).
    pub kind: Category,
    /// How bad it is: the rule's severity, adjusted for expiry, analyzer facts, context and policies.
    pub severity: Severity,
    /// How sure the rule is (see [`Confidence`]).
    pub confidence: Confidence,
    /// What kind of file the finding is in (see [`crate::context`]).
    pub context: crate::context::Context,
    /// A generic or posture finding in a test, example, docs or vendored file: one severity lower,
    /// hidden unless `--context` asks for it, and it does not fail the run by default.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub demoted: bool,
    /// What reports print: the rule's title, plus details (encoding, analyzer note, policy, ...).
    pub message: String,
    /// Where the content came from (shared by every finding of a unit).
    #[serde(flatten)]
    pub origin: Arc<Origin>,
    /// 1-based line where the finding starts.
    pub line: usize,
    /// 1-based column, in characters, where the finding starts.
    pub column: usize,
    /// 1-based line where the finding ends.
    pub end_line: usize,
    /// 1-based column just past the end of the match (1 for analyzer findings).
    pub end_column: usize,
    /// The full secret. Serialized only through [`Finding::to_json`] with `show_secrets`.
    #[serde(skip)]
    pub secret: Option<String>,
    /// The secret as shown by default (see [`redact`]); `None` when the finding has no secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
    /// Hash of (rule id, secret), or of (rule id, what the analyzer flagged): stable when lines move.
    pub fingerprint: String,
    /// How long the secret stays valid; `None` when the finding has no secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<Lifetime>,
    /// Shannon entropy of the secret in bits per byte (pattern rules only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// How the content was decoded before the match (`base64`, `url`, `literals`, `key-body`), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// Anything an analyzer or source adds (policy names, provenance, ...).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// The `[policy]` rules this finding violates (`policy-forbid-admin`, ...), each with a rule entry.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// Why the finding is suppressed (inline `nhiscan:allow`, a config entry), if it is. Suppressed
    /// findings are dropped before reports unless `--no-suppress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
}

impl Finding {
    /// Hash of (rule id, repository-relative path, line): for tools that track a place rather than a
    /// value. Derived from the final origin, so it never needs recomputing.
    pub fn location_fingerprint(&self) -> String {
        location_fingerprint(&self.rule_id, &self.origin.artifact, self.line)
    }

    /// The finding as a JSON object (the secret only with `show_secrets`).
    pub fn to_json(&self, show_secrets: bool) -> Value {
        let mut v = serde_json::to_value(self).expect("finding serializes");
        if let Value::Object(m) = &mut v {
            m.insert(
                "location_fingerprint".into(),
                Value::String(self.location_fingerprint()),
            );
            m.insert("category".into(), Value::String(self.kind.to_string()));
        }
        // The origin's properties (layer, commit) and the finding's own (analyzer facts) share the
        // `properties` key: merge them, or the finding's would replace the origin's.
        if !self.origin.properties.is_empty() && !self.properties.is_empty() {
            if let Value::Object(m) = &mut v {
                let mut merged = self.origin.properties.clone();
                merged.extend(self.properties.clone());
                m.insert("properties".into(), Value::Object(merged));
            }
        }
        if show_secrets {
            if let (Some(s), Value::Object(m)) = (&self.secret, &mut v) {
                m.insert("secret".into(), Value::String(s.clone()));
            }
        }
        v
    }

    /// The secret as reports show it: redacted unless the user asked for it.
    pub fn shown_secret(&self, show_secrets: bool) -> Option<&str> {
        if show_secrets {
            self.secret.as_deref()
        } else {
            self.redacted.as_deref()
        }
    }
}

/// A short prefix then `…`: enough to recognise which key it is, not enough to use it.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = match chars.len() {
        0..=7 => 0,
        8..=15 => 2,
        16..=31 => 4,
        _ => 8,
    };
    // Keep a prefix such as `ghp_`/`sk-ant-` visible only as far as `keep` allows.
    let mut out: String = chars[..keep].iter().collect();
    out.push('…');
    out
}

/// Hex of the first 16 bytes of SHA-256 over the length-prefixed `parts`: the fingerprints' hash.
pub fn hash_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The fingerprint of a finding: hash of (rule id, secret or what the analyzer flagged).
pub fn fingerprint(rule_id: &str, value: &[u8]) -> String {
    hash_hex(&[rule_id.as_bytes(), value])
}

/// Hash of (rule id, artifact path, line): see [`Finding::location_fingerprint`].
pub fn location_fingerprint(rule_id: &str, artifact: &str, line: usize) -> String {
    hash_hex(&[
        rule_id.as_bytes(),
        artifact.as_bytes(),
        line.to_string().as_bytes(),
    ])
}

/// A file that could not be scanned (fully): it is reported, and the scan goes on.
#[derive(Debug, Clone, Serialize)]
pub struct ScanError {
    /// The file, object or layer that could not be read.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// A file passed over on purpose (binary, too large): counted and listed, not an error.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The file passed over.
    pub path: String,
    /// Why it was passed over (binary, too large, ...).
    pub reason: String,
}
