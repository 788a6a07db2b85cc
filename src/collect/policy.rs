//! Policy as code: a `[policy]` table (in `.nhiscan.toml`, or a file given with `--policy`) states what
//! the organisation does not accept, and every breach becomes a finding naming the policy, so CI gates
//! on it the way an OPA/Kyverno admission rule would.
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

use crate::collect::Outcome;
use crate::finding::{self, Finding, LifetimeKind, Severity};

const KEYS: &[&str] = &[
    "name",
    "severity",
    "max_token_lifetime_days",
    "forbid_admin",
    "forbid_wildcard",
    "require_secret_store",
];

/// Analyzer rules that grant administrator access.
pub const ADMIN_RULES: &[&str] = &[
    "aws-iam-admin-wildcard",
    "k8s-rbac-admin-binding-sa",
    "gcp-basic-role-service-account",
    "azure-owner-service-principal",
    "azure-role-definition-wildcard",
    "gha-permissions-write-all",
];

/// Analyzer rules that grant through wildcards or open-ended statements.
pub const WILDCARD_RULES: &[&str] = &[
    "aws-iam-admin-wildcard",
    "aws-iam-service-wildcard",
    "aws-iam-allow-not-action",
    "aws-iam-passrole-wildcard",
    "aws-iam-assumerole-wildcard",
    "aws-iam-trust-any-principal",
    "aws-iam-github-oidc-unscoped",
    "k8s-rbac-wildcard",
    "gcp-project-wide-sa-impersonation",
    "azure-role-definition-wildcard",
];

/// Where a constraint applies: everywhere, or under some path globs.
#[derive(Debug, Clone)]
pub struct Scope {
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

    pub fn matches(&self, path: &str) -> bool {
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

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub severity: Severity,
    pub max_token_lifetime_days: Option<u64>,
    pub forbid_admin: Option<Scope>,
    pub forbid_wildcard: Option<Scope>,
    pub require_secret_store: Option<Scope>,
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
    pub fn from_table(t: &toml::Table) -> Result<Policy> {
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
                    p.severity = <Severity as clap::ValueEnum>::from_str(s, true)
                        .map_err(|_| anyhow::anyhow!("[policy] `severity`: `{s}` is not one of info, low, medium, high, critical"))?;
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
    pub fn from_file(path: &std::path::Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read policy file", path.display()))?;
        let doc: toml::Table =
            toml::from_str(&text).with_context(|| format!("{}: not valid TOML", path.display()))?;
        let t = doc
            .get("policy")
            .and_then(toml::Value::as_table)
            .with_context(|| format!("{}: no [policy] table", path.display()))?;
        Policy::from_table(t).with_context(|| path.display().to_string())
    }

    /// Must run before the scan: JWTs count as long-lived beyond the policy's maximum.
    pub fn prepare(&self) {
        if let Some(d) = self.max_token_lifetime_days {
            crate::lifetime::set_max_lifetime_days(d);
        }
    }

    /// The violations the findings of a scan make; [`Policy::apply`] adds them to the outcome.
    pub fn evaluate(&self, findings: &[Finding]) -> Vec<Finding> {
        let mut out = Vec::new();
        for f in findings {
            let path = f.origin.artifact.as_str();
            if let Some(days) = self.max_token_lifetime_days {
                if let Some(l) = f
                    .lifetime
                    .as_ref()
                    .filter(|l| l.kind == LifetimeKind::LongLived)
                {
                    out.push(self.violation(
                        f,
                        "policy-max-token-lifetime",
                        format!("credential lives longer than {days} days: {}", l.reason),
                    ));
                }
            }
            if let Some(s) = self.forbid_admin.as_ref().filter(|s| s.matches(path)) {
                if ADMIN_RULES.contains(&f.rule_id.as_str()) {
                    out.push(self.violation(
                        f,
                        "policy-forbid-admin",
                        format!("admin grants are forbidden{}", s.describe()),
                    ));
                }
            }
            if let Some(s) = self.forbid_wildcard.as_ref().filter(|s| s.matches(path)) {
                if WILDCARD_RULES.contains(&f.rule_id.as_str()) {
                    out.push(self.violation(
                        f,
                        "policy-forbid-wildcard",
                        format!("wildcard grants are forbidden{}", s.describe()),
                    ));
                }
            }
            if let Some(s) = self
                .require_secret_store
                .as_ref()
                .filter(|s| s.matches(path))
            {
                if f.secret.is_some() {
                    out.push(self.violation(
                        f,
                        "policy-require-secret-store",
                        format!("secrets must come from a secret store{}", s.describe()),
                    ));
                }
            }
        }
        out
    }

    fn violation(&self, f: &Finding, id: &str, why: String) -> Finding {
        let mut v = f.clone();
        v.rule_id = id.to_string();
        v.kind = "policy".into();
        v.severity = self.severity;
        v.title = format!(
            "Policy violation: {}",
            id.trim_start_matches("policy-").replace('-', " ")
        );
        v.message = format!(
            "policy `{}`: {why} [{}: {}]",
            self.name, f.rule_id, f.message
        );
        v.fingerprint = finding::fingerprint(id, f.fingerprint.as_bytes());
        v.location_fingerprint = finding::location_fingerprint(id, &f.origin.artifact, f.line);
        v.properties
            .insert("policy".into(), Value::String(self.name.clone()));
        v.properties
            .insert("violated_by".into(), Value::String(f.rule_id.clone()));
        v
    }

    /// Adds the violations to the outcome, keeping it sorted and its counts right.
    pub fn apply(&self, outcome: &mut Outcome) {
        let v = self.evaluate(&outcome.findings);
        if v.is_empty() {
            return;
        }
        outcome.findings.extend(v);
        outcome.findings.sort_by(|a, b| {
            (&a.origin.display, a.line, a.column, &a.rule_id).cmp(&(
                &b.origin.display,
                b.line,
                b.column,
                &b.rule_id,
            ))
        });
        crate::collect::shared::recount(outcome);
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
