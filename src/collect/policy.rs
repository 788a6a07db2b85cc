//! Policy as code: a `[policy]` table (in `.nhiscan.toml`, or a file given with `--policy`) states what
//! the organisation does not accept. A breach attaches to the finding it judges: the finding lists the
//! `policy-*` rules it violates (each has a rule entry in `rules/policy.toml`) and takes the policy's
//! severity when that is higher, so CI gates on it the way an OPA/Kyverno admission rule would, and
//! no finding is duplicated.
//!
//! ```toml
//! [policy]
//! name = "prod-guardrails"          # shown in every violation (default "policy")
//! severity = "high"                 # of violations (default high)
//! max_token_lifetime_days = 30      # credentials living longer (no expiry, exp too far) violate
//! forbid_admin = ["prod/**"]        # admin grants under these paths (true: everywhere)
//! forbid_wildcard = ["prod/**"]     # wildcard / over-broad grants under these paths (true: everywhere)
//! require_secret_store = true       # any hardcoded secret under these paths violates
//! ```
//!
//! It does not parse the config file itself: the project-config loader hands over the table.

use anyhow::{bail, Context as _, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;

use std::collections::HashSet;

use crate::engine::Rule;
use crate::finding::{Finding, LifetimeKind, Severity};

const KEYS: &[&str] = &[
    "name",
    "severity",
    "max_token_lifetime_days",
    "forbid_admin",
    "forbid_wildcard",
    "require_secret_store",
];

/// The rule ids of each policy, as `rules/policy.toml` names them.
const MAX_LIFETIME: &str = "policy-max-token-lifetime";
const FORBID_ADMIN: &str = "policy-forbid-admin";
const FORBID_WILDCARD: &str = "policy-forbid-wildcard";
const SECRET_STORE: &str = "policy-require-secret-store";

/// Where a constraint applies: everywhere, or under some path globs.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    globs: Vec<String>,
    set: Option<GlobSet>,
}

impl Scope {
    fn everywhere() -> Scope {
        Scope {
            globs: Vec::new(),
            set: None,
        }
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        let p = path.strip_prefix("./").unwrap_or(path);
        self.set.as_ref().is_none_or(|s| s.is_match(p))
    }

    fn describe(&self) -> String {
        if self.globs.is_empty() {
            String::new()
        } else {
            format!(" (under {})", self.globs.join(", "))
        }
    }
}

/// A loaded `[policy]` table.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub name: String,
    pub severity: Severity,
    pub max_token_lifetime_days: Option<u64>,
    pub forbid_admin: Option<Scope>,
    pub forbid_wildcard: Option<Scope>,
    pub require_secret_store: Option<Scope>,
    /// Ids of the rules tagged `admin` and `wildcard` in the running rule set ([`Policy::bind`]).
    admin: HashSet<String>,
    wildcard: HashSet<String>,
}

fn scope(key: &str, v: &toml::Value) -> Result<Option<Scope>> {
    match v {
        toml::Value::Boolean(true) => Ok(Some(Scope::everywhere())),
        toml::Value::Boolean(false) => Ok(None),
        toml::Value::String(s) => scope(
            key,
            &toml::Value::Array(vec![toml::Value::String(s.clone())]),
        ),
        toml::Value::Array(a) => {
            let mut b = GlobSetBuilder::new();
            let mut globs = Vec::new();
            for g in a {
                let Some(g) = g.as_str() else {
                    bail!("[policy] `{key}`: expected path globs (strings), found {g}")
                };
                b.add(
                    Glob::new(g)
                        .with_context(|| format!("[policy] `{key}`: invalid glob `{g}`"))?,
                );
                globs.push(g.to_string());
            }
            Ok(Some(Scope {
                globs,
                set: Some(b.build()?),
            }))
        }
        other => bail!(
            "[policy] `{key}`: expected true/false or a list of path globs, found {}",
            other.type_str()
        ),
    }
}

impl Policy {
    /// Reads a `[policy]` table; unknown keys are an error naming them.
    pub(crate) fn from_table(t: &toml::Table) -> Result<Policy> {
        let unknown: Vec<&str> = t
            .keys()
            .map(String::as_str)
            .filter(|k| !KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "[policy]: unknown key{} {} (known: {})",
                if unknown.len() > 1 { "s" } else { "" },
                unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                KEYS.join(", ")
            );
        }
        let mut p = Policy {
            name: "policy".into(),
            severity: Severity::High,
            max_token_lifetime_days: None,
            forbid_admin: None,
            forbid_wildcard: None,
            require_secret_store: None,
            admin: HashSet::new(),
            wildcard: HashSet::new(),
        };
        for (k, v) in t {
            match k.as_str() {
                "name" => {
                    p.name = v
                        .as_str()
                        .context("[policy] `name`: expected a string")?
                        .to_string()
                }
                "severity" => {
                    let s = v
                        .as_str()
                        .context("[policy] `severity`: expected a string")?;
                    p.severity = s
                        .parse()
                        .map_err(|e| anyhow::anyhow!("[policy] `severity`: {e}"))?;
                }
                "max_token_lifetime_days" => {
                    let d = v.as_integer().filter(|d| *d > 0).context(
                        "[policy] `max_token_lifetime_days`: expected a positive integer",
                    )?;
                    p.max_token_lifetime_days = Some(d as u64);
                }
                "forbid_admin" => p.forbid_admin = scope(k, v)?,
                "forbid_wildcard" => p.forbid_wildcard = scope(k, v)?,
                "require_secret_store" => p.require_secret_store = scope(k, v)?,
                _ => unreachable!("checked above"),
            }
        }
        Ok(p)
    }

    /// Reads the `[policy]` table of a TOML file (`--policy FILE`).
    pub(crate) fn from_file(path: &std::path::Path) -> Result<Policy> {
        let text = crate::util::read_text(path, crate::util::MAX_CONFIG, "policy file")?;
        let doc: toml::Table =
            toml::from_str(&text).with_context(|| format!("{}: not valid TOML", path.display()))?;
        let t = doc
            .get("policy")
            .and_then(toml::Value::as_table)
            .with_context(|| format!("{}: no [policy] table", path.display()))?;
        Policy::from_table(t).with_context(|| path.display().to_string())
    }

    /// A policy with every constraint on, everywhere, and a one-day token lifetime: what the examples
    /// of the `policy-*` rules are checked under.
    pub(crate) fn everywhere() -> Policy {
        Policy {
            name: "policy".into(),
            severity: Severity::High,
            max_token_lifetime_days: Some(1),
            forbid_admin: Some(Scope::everywhere()),
            forbid_wildcard: Some(Scope::everywhere()),
            require_secret_store: Some(Scope::everywhere()),
            admin: HashSet::new(),
            wildcard: HashSet::new(),
        }
    }

    /// Learns which rules grant admin or wildcard access from their tags.
    pub(crate) fn bind(&mut self, rules: &[Rule]) {
        let ids = |tag: &str| {
            rules
                .iter()
                .filter(|r| r.has_tag(tag))
                .map(|r| r.id().to_string())
                .collect()
        };
        self.admin = ids("admin");
        self.wildcard = ids("wildcard");
    }

    /// The longest a token may live and still count as short-lived, in seconds, if the policy says.
    pub(crate) fn max_token_seconds(&self) -> Option<u64> {
        self.max_token_lifetime_days
            .map(|d| d.saturating_mul(86_400).max(1))
    }

    /// Attaches the policy's verdict to `f`: the policies it violates, the policy's severity when
    /// higher, and why in the message.
    pub(crate) fn judge(&self, f: &mut Finding) {
        let path = f.origin.artifact.as_str();
        let mut why: Vec<String> = Vec::new();
        let mut violated = |id: &str, reason: String| {
            f.policies.push(id.to_string());
            why.push(reason);
        };
        if let Some(days) = self.max_token_lifetime_days {
            if let Some(l) = f
                .lifetime
                .as_ref()
                .filter(|l| l.kind == LifetimeKind::LongLived)
            {
                violated(
                    MAX_LIFETIME,
                    format!("credential lives longer than {days} days ({})", l.reason),
                );
            }
        }
        if let Some(s) = self.forbid_admin.as_ref().filter(|s| s.matches(path)) {
            if self.admin.contains(&f.rule_id) {
                violated(
                    FORBID_ADMIN,
                    format!("admin grants are forbidden{}", s.describe()),
                );
            }
        }
        if let Some(s) = self.forbid_wildcard.as_ref().filter(|s| s.matches(path)) {
            if self.wildcard.contains(&f.rule_id) {
                violated(
                    FORBID_WILDCARD,
                    format!("wildcard grants are forbidden{}", s.describe()),
                );
            }
        }
        if let Some(s) = self
            .require_secret_store
            .as_ref()
            .filter(|s| s.matches(path))
        {
            // A password hash is what a system stores in place of a password, not a credential
            // that a secret store would hold.
            if f.secret.is_some() && f.kind != crate::finding::Category::PasswordHash {
                violated(
                    SECRET_STORE,
                    format!("secrets must come from a secret store{}", s.describe()),
                );
            }
        }
        if why.is_empty() {
            return;
        }
        f.severity = f.severity.max(self.severity);
        f.message = format!(
            "{} — violates policy `{}`: {}",
            f.message,
            self.name,
            why.join("; ")
        );
        f.properties
            .insert("policy".into(), Value::String(self.name.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> toml::Table {
        toml::from_str::<toml::Table>(s).unwrap()["policy"]
            .as_table()
            .unwrap()
            .clone()
    }

    #[test]
    fn every_policy_id_has_a_rule_entry() {
        let rules = crate::engine::rule::builtin().unwrap();
        for id in [MAX_LIFETIME, FORBID_ADMIN, FORBID_WILDCARD, SECRET_STORE] {
            let r = rules.iter().find(|r| r.id() == id);
            assert!(
                r.is_some_and(|r| r.spec.kind == crate::finding::Category::Policy),
                "{id} needs a `kind = \"policy\"` entry in rules/policy.toml"
            );
        }
        // The tags the policy selects by exist on some rule, so a renamed tag cannot silently
        // turn a policy off.
        for tag in ["admin", "wildcard"] {
            assert!(rules.iter().any(|r| r.has_tag(tag)), "no rule tagged {tag}");
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = Policy::from_table(&table(
            "[policy]\nmax_token_days = 3\nforbid_admins = true\n",
        ))
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("`max_token_days`") && msg.contains("`forbid_admins`"),
            "{msg}"
        );
    }

    #[test]
    fn scopes() {
        let p = Policy::from_table(&table("[policy]\nforbid_admin = [\"prod/**\"]\nrequire_secret_store = true\nmax_token_lifetime_days = 7\n")).unwrap();
        assert!(p
            .forbid_admin
            .as_ref()
            .unwrap()
            .matches("prod/iam/admin.json"));
        assert!(!p
            .forbid_admin
            .as_ref()
            .unwrap()
            .matches("dev/iam/admin.json"));
        assert!(p.require_secret_store.as_ref().unwrap().matches("anything"));
        assert_eq!(p.max_token_lifetime_days, Some(7));
        assert!(Policy::from_table(&table("[policy]\nforbid_wildcard = 3\n")).is_err());
        assert!(Policy::from_table(&table("[policy]\nseverity = \"urgent\"\n")).is_err());
    }
}
