//! Every built-in rule file is valid, and every rule's examples and negative examples behave as the
//! file says (the same check as `nhiscan rules check`).

use nhiscan::cmd::rules::check_file;
use nhiscan::engine::rule::{builtin, BUILTIN};

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
    nhiscan::engine::rule::check_unique(&rules).expect("unique ids");
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
    let err = nhiscan::engine::rule::parse_file("custom.toml", bad, true)
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
    let err = nhiscan::engine::rule::parse_file("custom.toml", &unknown, true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("severity_level"), "{err}");
}
