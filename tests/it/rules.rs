//! Every built-in rule file is valid, and every rule's examples and negative examples behave as the
//! file says (the same check as `nhiscan rules check`); `nhiscan rules list|explain` cover every id
//! nhiscan can report, `policy-*` included.

use nhiscan::finding::Category;
use nhiscan::rules::check_file;
use nhiscan::rules::{builtin, BUILTIN};

use crate::support::nhiscan;

/// The ids a `[policy]` verdict names (`policies` of a finding).
const POLICY_IDS: &[&str] = &[
    "policy-forbid-admin",
    "policy-forbid-wildcard",
    "policy-max-token-lifetime",
    "policy-require-secret-store",
];

#[test]
fn every_builtin_rule_passes_its_examples() {
    let mut all = Vec::new();
    for (name, text, _) in BUILTIN {
        let (rules, examples, failures) =
            check_file(&format!("rules/{name}"), text).expect("valid rule file");
        assert!(
            rules > 0 && examples >= rules * 2,
            "{name}: {rules} rules, {examples} examples"
        );
        all.extend(failures);
    }
    assert!(
        all.is_empty(),
        "{} failing examples:\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn the_builtin_set_is_large_unique_and_documented() {
    let rules = builtin().expect("built-in rules load");
    nhiscan::rules::check_unique(&rules).expect("unique ids");
    let secret_rules = rules.iter().filter(|r| r.spec.pattern.is_some()).count();
    assert!(secret_rules >= 150, "only {secret_rules} secret rules");
    for r in &rules {
        assert!(
            !r.spec.description.trim().is_empty(),
            "{}: no description",
            r.id()
        );
        assert!(
            r.spec.remediation.len() > 20,
            "{}: remediation too thin",
            r.id()
        );
    }
}

#[test]
fn a_bad_rule_file_names_the_file_rule_and_field() {
    let bad = r#"
[[rule]]
id = "my-rule"
title = "t"
description = "d"
severity = "high"
keywords = ["abc"]
pattern = '''(unclosed'''
lifetime = { kind = "unknown", reason = "r" }
remediation = "rotate it"
"#;
    let err = nhiscan::rules::parse_file("custom.toml", bad, true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("custom.toml") && err.contains("my-rule") && err.contains("pattern"),
        "{err}"
    );
    let unknown = bad.replace(
        "pattern = '''(unclosed'''",
        "pattern = 'x(y)'\nseverity_level = 1",
    );
    let err = nhiscan::rules::parse_file("custom.toml", &unknown, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("severity_level"), "{err}");
}

#[test]
fn rules_list_and_explain() {
    let out = nhiscan()
        .args(["rules", "list", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 150);
    let out = nhiscan()
        .args(["rules", "explain", "github-pat-classic"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("How to fix") && text.contains("ghp_"),
        "{text}"
    );
    let out = nhiscan()
        .args(["rules", "explain", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn policy_ids_have_rule_entries() {
    let rules = builtin().unwrap();
    for id in POLICY_IDS {
        let r = rules
            .iter()
            .find(|r| r.id() == *id)
            .unwrap_or_else(|| panic!("no rule entry for {id}"));
        assert_eq!(r.spec.kind, Category::Policy, "{id}");
        assert!(r.spec.pattern.is_none(), "{id}: a verdict, not a pattern");
        let out = nhiscan().args(["rules", "explain", id]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "rules explain {id}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with(&format!("{id} — Policy: ")) && text.contains("How to fix"),
            "{text}"
        );
    }
    // Only policy verdicts are of the policy kind.
    let mut kinds: Vec<&str> = rules
        .iter()
        .filter(|r| r.spec.kind == Category::Policy)
        .map(|r| r.id())
        .collect();
    kinds.sort();
    assert_eq!(kinds, POLICY_IDS);
}

#[test]
fn rules_list_text() {
    let out = nhiscan().args(["rules", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}
