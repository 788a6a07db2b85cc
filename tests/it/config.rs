//! `.nhiscan.toml` and `--baseline` on the scanning commands.

use crate::support::{aws_key_id, github_token, json, nhiscan, stderr, triples, Repo, RULES};

/// A directory with one AWS key (line 2 of conf/a.ini) and one GitHub token (line 1 of fixtures/t.txt).
fn project() -> Repo {
    let r = Repo::new();
    r.write("conf/a.ini", &format!("[x]\nkey={}\n", aws_key_id(30)));
    r.write("fixtures/t.txt", &format!("{}\n", github_token("ghp_", 31)));
    r
}

fn fingerprint_of(r: &Repo, rule: &str) -> String {
    let rep = json(&r.nhiscan(&["scan", ".", "--format", "json"]));
    let f = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap()
        .clone();
    f["fingerprint"].as_str().unwrap().to_string()
}

#[test]
fn unknown_key_is_rejected_naming_it() {
    let r = project();
    r.write(".nhiscan.toml", "allow_path = [\"x\"]\n");
    let out = r.nhiscan(&["scan", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("allow_path"), "{}", stderr(&out));
    r.write(
        ".nhiscan.toml",
        "[[allow]]\nfingerprint = \"ab\"\nreason = \"r\"\nexpires = \"2025-13-01\"\n",
    );
    let out = r.nhiscan(&["git"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("allow[0].expires"),
        "{}",
        stderr(&out)
    );
    r.write(".nhiscan.toml", "[severity]\nno-such-rule = \"low\"\n");
    let out = nhiscan()
        .current_dir(&r.dir)
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("severity.no-such-rule"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn allow_entries_suppress_until_they_expire() {
    let r = project();
    let fp = fingerprint_of(&r, "test-aws-key");
    r.write(
        ".nhiscan.toml",
        &format!(
            "[[allow]]\nfingerprint = \"{fp}\"\nreason = \"test key\"\nexpires = \"2999-12-31\"\n"
        ),
    );
    let rep = json(&r.nhiscan(&["scan", ".", "--format", "json"]));
    assert_eq!(
        triples(&rep),
        vec![("fixtures/t.txt".into(), 1, "test-github-pat".into())]
    );
    assert_eq!(rep["summary"]["suppressed"], 1);
    // --no-suppress shows everything.
    let rep = json(&r.nhiscan(&["scan", ".", "--no-suppress", "--format", "json"]));
    assert_eq!(rep["findings"].as_array().unwrap().len(), 2);
    // Expired: a finding again, and it says so.
    r.write(
        ".nhiscan.toml",
        &format!(
            "[[allow]]\nfingerprint = \"{fp}\"\nreason = \"test key\"\nexpires = \"2001-01-01\"\n"
        ),
    );
    let out = r.nhiscan(&["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rep = json(&out);
    let f = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "test-aws-key")
        .unwrap()
        .clone();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2001-01-01"),
        "{f}"
    );
    assert_eq!(f["properties"]["suppression_expired"], "2001-01-01");
    assert_eq!(rep["summary"]["suppressed"], 0);
}

#[test]
fn allow_also_applies_to_history_and_staged() {
    let r = project();
    let fp = fingerprint_of(&r, "test-aws-key");
    r.write(
        ".nhiscan.toml",
        &format!(
            "disable = [\"test-github-pat\"]\n[[allow]]\nfingerprint = \"{fp}\"\nreason = \"ok\"\n"
        ),
    );
    r.git(&["add", "-A"]);
    let out = r.nhiscan(&["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
    r.commit("c");
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
}

#[test]
fn severity_overrides_rules_and_allow_paths() {
    let r = project();
    let extra = r.home().join("cfgdir");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("more.toml"), RULES.replace("test-", "more-")).unwrap();
    let cfg = extra.join("nhiscan.toml");
    std::fs::write(
        &cfg,
        "rules = [\"more.toml\"]\nenable = [\"test-aws-key\", \"more-aws-key\", \"test-github-pat\"]\nallow_paths = [\"fixtures/\"]\n[severity]\nmore-aws-key = \"low\"\ntest-aws-key = \"low\"\n",
    )
    .unwrap();
    let rules = r.rules.to_string_lossy().to_string();
    let out = nhiscan()
        .current_dir(&r.dir)
        .args([
            "scan",
            ".",
            "--config",
            cfg.to_str().unwrap(),
            "--rules",
            &rules,
            "--format",
            "json",
            "--fail-on",
            "high",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rep = json(&out);
    let mut got: Vec<(String, String, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().contains("aws"))
        .map(|f| {
            (
                f["artifact"].as_str().unwrap().into(),
                f["rule_id"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("conf/a.ini".into(), "more-aws-key".into(), "low".into()),
            ("conf/a.ini".into(), "test-aws-key".into(), "low".into())
        ]
    );
    assert!(rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["artifact"] != "fixtures/t.txt"));
    assert_eq!(rep["summary"]["suppressed"], 1, "the token under fixtures/");
}

#[test]
fn baseline_reports_only_new_findings() {
    let r = project();
    let base = r.home().join("base.json");
    let out = r.nhiscan(&["baseline", "create", ".", "-o", base.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert_eq!(doc["fingerprints"].as_array().unwrap().len(), 2);
    let out = r.nhiscan(&[
        "scan",
        ".",
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let rep = json(&out);
    assert_eq!(rep["summary"]["baselined"], 2);
    assert_eq!(triples(&rep), vec![]);
    r.write("new.txt", &format!("x\n{}\n", aws_key_id(32)));
    let out = r.nhiscan(&[
        "scan",
        ".",
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        triples(&json(&out)),
        vec![("new.txt".into(), 2, "test-aws-key".into())]
    );
    // A JSON report works as a baseline too.
    let report = r.home().join("report.json");
    r.nhiscan(&[
        "scan",
        ".",
        "--format",
        "json",
        "-o",
        report.to_str().unwrap(),
    ]);
    let out = r.nhiscan(&[
        "scan",
        ".",
        "--baseline",
        report.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["summary"]["baselined"], 3);
}
