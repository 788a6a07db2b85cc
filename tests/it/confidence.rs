//! Confidence and context on every finding: a provider secret is tagged with its context but never
//! hidden by it; generic and posture findings in tests, examples, docs and vendored code are demoted
//! (one severity lower, hidden by default, never failing the run unless `--fail-on` says so);
//! `--context` and `--min-confidence` choose what is shown; `[contexts]` globs override conventions.

use std::fs;
use std::path::Path;

use crate::support::*;

const RBAC_WILDCARD: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n";

/// A project with the same generic password and the same provider token in production code and in a
/// test fixture, plus a wildcard ClusterRole in `examples/`.
fn project() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let pw = password(41);
    let token = github_token("ghp_", 42);
    let write = |rel: &str, text: String| {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    };
    write(
        "app/settings.py",
        format!("DB_HOST = \"db\"\nDB_PASSWORD = \"{pw}\"\nGH = \"{token}\"\n"),
    );
    write(
        "tests/fixtures/settings.py",
        // Other values than production's: the same secret in two files is one shared finding.
        format!(
            "DB_PASSWORD = \"{}\"\nGH = \"{}\"\n",
            password(43),
            github_token("ghp_", 44)
        ),
    );
    write("examples/rbac.yaml", RBAC_WILDCARD.to_string());
    (dir, pw, token)
}

fn findings(dir: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, serde_json::Value, i32) {
    let mut args = vec!["scan", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run_in(dir, &args);
    let v = json(&out);
    let fs = v["findings"].as_array().unwrap().clone();
    (fs, v["summary"].clone(), out.status.code().unwrap())
}

fn find<'a>(
    fs: &'a [serde_json::Value],
    path: &str,
    rule_prefix: &str,
) -> Option<&'a serde_json::Value> {
    fs.iter()
        .find(|f| f["artifact"] == path && f["rule_id"].as_str().unwrap().starts_with(rule_prefix))
}

#[test]
fn provider_secrets_are_tagged_and_generic_ones_in_tests_are_hidden_by_default() {
    let (dir, _, _) = project();
    let (fs, summary, code) = findings(dir.path(), &[]);
    let prod_pw = find(&fs, "app/settings.py", "generic-password").expect("production password");
    assert_eq!(prod_pw["context"], "production");
    assert_eq!(prod_pw["confidence"], "low");
    assert_eq!(prod_pw["line"], 2);
    assert!(prod_pw.get("demoted").is_none());
    let test_token = find(&fs, "tests/fixtures/settings.py", "github")
        .expect("a provider token in a test is shown");
    assert_eq!(test_token["context"], "test");
    assert_eq!(
        test_token["confidence"], "high",
        "GitHub tokens carry a CRC32"
    );
    assert_eq!(test_token["line"], 2);
    assert!(
        find(&fs, "tests/fixtures/settings.py", "generic-password").is_none(),
        "the generic password in a test fixture is hidden by default"
    );
    assert!(find(&fs, "examples/rbac.yaml", "k8s-rbac").is_none());
    assert_eq!(summary["hidden_by_context"], 2, "{summary}");
    assert_eq!(code, 1, "the production secrets fail the run");
}

#[test]
fn context_all_shows_demoted_findings_one_severity_lower() {
    let (dir, _, _) = project();
    let (fs, summary, _) = findings(dir.path(), &["--context", "all"]);
    let prod = find(&fs, "app/settings.py", "generic-password").unwrap();
    let test = find(&fs, "tests/fixtures/settings.py", "generic-password").unwrap();
    assert_eq!(test["demoted"], true);
    let sev = |f: &serde_json::Value| f["severity"].as_str().unwrap().to_string();
    assert_eq!(sev(prod), "medium");
    assert_eq!(sev(test), "low");
    let rbac =
        find(&fs, "examples/rbac.yaml", "k8s-rbac-wildcard").expect("shown with --context all");
    assert_eq!(rbac["context"], "example");
    assert_eq!(rbac["demoted"], true);
    assert_eq!(
        sev(rbac),
        "medium",
        "high in production, one step lower in an example"
    );
    assert_eq!(summary["hidden_by_context"], 0);
}

#[test]
fn demoted_findings_do_not_fail_the_run_unless_fail_on_says_so() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("examples")).unwrap();
    fs::write(dir.path().join("examples/rbac.yaml"), RBAC_WILDCARD).unwrap();
    fs::create_dir_all(dir.path().join("deploy")).unwrap();
    let (_, _, code) = findings(dir.path(), &["--context", "all"]);
    assert_eq!(
        code, 0,
        "a wildcard role in an example does not fail by default"
    );
    let (_, _, code) = findings(dir.path(), &["--context", "all", "--fail-on", "medium"]);
    assert_eq!(code, 1, "an explicit --fail-on counts it");
    fs::write(dir.path().join("deploy/rbac.yaml"), RBAC_WILDCARD).unwrap();
    let (_, _, code) = findings(dir.path(), &[]);
    assert_eq!(code, 1, "the same role in deploy/ fails");
}

#[test]
fn context_list_and_min_confidence_select_what_is_shown() {
    let (dir, _, _) = project();
    let (fs, _, _) = findings(dir.path(), &["--context", "test"]);
    assert!(!fs.is_empty());
    assert!(fs.iter().all(|f| f["context"] == "test"), "{fs:#?}");
    assert!(find(&fs, "tests/fixtures/settings.py", "generic-password").is_some());
    let (fs, summary, _) = findings(dir.path(), &["--min-confidence", "medium"]);
    assert!(find(&fs, "app/settings.py", "generic-password").is_none());
    assert!(find(&fs, "app/settings.py", "github").is_some());
    assert!(summary["below_confidence"].as_u64().unwrap() >= 1);
    let out = run_in(dir.path(), &["scan", ".", "--context", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a context"), "{}", stderr(&out));
}

#[test]
fn project_globs_override_the_conventions() {
    let (dir, _, _) = project();
    fs::write(
        dir.path().join(".nhiscan.toml"),
        "[contexts]\nproduction = [\"tests/fixtures/**\"]\n",
    )
    .unwrap();
    let (fs, _, _) = findings(dir.path(), &[]);
    let f = find(&fs, "tests/fixtures/settings.py", "generic-password")
        .expect("the project says this folder is production");
    assert_eq!(f["context"], "production");
    fs::write(
        dir.path().join(".nhiscan.toml"),
        "context = \"everything\"\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["scan", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("key `context`"), "{}", stderr(&out));
}

#[test]
fn text_and_sarif_carry_the_context() {
    let (dir, _, _) = project();
    let out = run_in(dir.path(), &["scan", ".", "--color", "never"]);
    let text = stdout(&out);
    assert!(text.contains("[test]"), "{text}");
    assert!(text.contains("not shown (--context all)"), "{text}");
    let out = run_in(dir.path(), &["scan", ".", "--format", "sarif"]);
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let in_test = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "tests/fixtures/settings.py"
        })
        .unwrap();
    assert_eq!(in_test["properties"]["context"], "test");
    assert!(in_test["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("context:test")));
}

/// A PEM RSA key with a random body (the rule checks the armour and the body's shape, not the math).
fn rsa_pem(seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let body = format!("MIIEowIBAAKCAQEA{}", random(B64, 1560, seed));
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

#[test]
fn self_issued_keys_in_tests_are_demoted_like_generic_findings() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, seed) in [("tests/data/server.key", 51), ("deploy/server.key", 52)] {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, rsa_pem(seed)).unwrap();
    }
    let (fs, summary, code) = findings(dir.path(), &[]);
    assert!(find(&fs, "deploy/server.key", "private-key").is_some());
    assert!(find(&fs, "tests/data/server.key", "private-key").is_none());
    assert_eq!(summary["hidden_by_context"], 1);
    assert_eq!(code, 1);
    let (fs, _, _) = findings(dir.path(), &["--context", "all"]);
    let k = find(&fs, "tests/data/server.key", "private-key").unwrap();
    assert_eq!(
        (k["context"].as_str(), k["demoted"].as_bool()),
        (Some("test"), Some(true))
    );
    assert_eq!(k["line"], 1);
}
