//! `nhiscan scan` end to end: the core fixtures give exactly the planted findings and nothing on the
//! decoys; bad input is reported by name and does not stop the scan; secrets never leak by default.

use crate::support::*;
use base64::Engine as _;

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn core_subst(name: &str) -> String {
    match name {
        "GHP" => github_token("ghp_", 1),
        "AKIA" => aws_key_id(2),
        "AWS_SECRET" => aws_secret(3),
        "PGPASS" => password(4),
        "SLACK_BOT" => slack_bot(5),
        "STRIPE" => stripe_live(6),
        "SENDGRID" => sendgrid(7),
        "GHP2_B64" => base64::engine::general_purpose::STANDARD.encode(github_token("ghp_", 8)),
        "GHP3_URL" => url_encode(&format!(
            "postgres://reporter:{}@db.internal/reports",
            password(9)
        )),
        "GHP_BADSUM" => {
            let t = github_token("ghp_", 10);
            format!(
                "{}{}",
                &t[..34],
                if &t[34..] == "AAAAAA" {
                    "BBBBBB"
                } else {
                    "AAAAAA"
                }
            )
        }
        other => panic!("unknown fixture marker {other}"),
    }
}

fn expected() -> Vec<(String, u64, String)> {
    let mut v: Vec<(String, u64, String)> = [
        ("app/.env", 4, "github-pat-classic"),
        ("app/.env", 5, "aws-access-key-id"),
        ("app/.env", 6, "aws-secret-access-key"),
        ("app/.env", 7, "postgres-connection-string"),
        ("config/settings.yaml", 7, "slack-bot-token"),
        ("config/settings.yaml", 10, "stripe-live-secret-key"),
        ("k8s/secret.yaml", 8, "github-pat-classic"),
        ("src/mailer.py", 6, "sendgrid-api-key"),
        ("src/report.js", 2, "postgres-connection-string"),
    ]
    .iter()
    .map(|(f, l, r)| (f.to_string(), *l, r.to_string()))
    .collect();
    v.sort();
    v
}

#[test]
fn core_fixtures_give_exactly_the_planted_findings() {
    let dir = materialize("core", &core_subst);
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exit 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(triples(&report), expected());
    let summary = &report["summary"];
    assert_eq!(summary["findings"], 9);
    assert!(summary["files"].as_u64().unwrap() >= 11, "{summary}");
    // Decoded findings say how they were decoded.
    let decoded: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["decoded"].as_str())
        .collect();
    assert_eq!(decoded.len(), 2, "{decoded:?}");
}

#[test]
fn secrets_are_redacted_unless_asked_for() {
    let dir = materialize("core", &core_subst);
    let token = github_token("ghp_", 1);
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = run_in(dir.path(), &["scan", ".", "--format", format]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            all.contains(&token[..8]),
            "{format}: the redacted prefix is shown"
        );
        assert!(!all.contains(&token), "{format}: full secret leaked");
        let shown = run_in(
            dir.path(),
            &["scan", ".", "--format", format, "--show-secrets"],
        );
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains(&token),
            "{format}: --show-secrets shows it"
        );
    }
}

#[test]
fn clean_tree_exits_zero_and_fail_on_and_min_severity_filter() {
    let dir = materialize("core", &core_subst);
    let decoys = dir.path().join("decoys");
    let out = run_in(&decoys, &["scan", "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A high finding with --fail-on critical: reported, but the build passes.
    let args = [
        "scan",
        ".",
        "--enable",
        "slack-bot-token",
        "--format",
        "json",
    ];
    let out = run_in(
        dir.path(),
        &[&args[..], &["--fail-on", "critical"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0));
    let r = json(&out);
    assert_eq!(r["summary"]["findings"], 1);
    assert_eq!(r["findings"][0]["severity"], "high");
    let out = run_in(dir.path(), &[&args[..], &["--fail-on", "high"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let out = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--min-severity",
            "critical",
            "--format",
            "json",
        ],
    );
    let r = json(&out);
    let all = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let criticals = json(&all)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "critical")
        .count();
    assert!(criticals > 0 && criticals < 9);
    assert_eq!(r["summary"]["findings"], criticals as u64);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "critical"));
}

#[test]
fn stdin_is_scanned_with_a_line_number() {
    let token = github_token("ghp_", 11);
    let out = nhiscan()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(format!("first line\nexport GH_TOKEN={token}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    assert_eq!(
        triples(&r),
        vec![("stdin".to_string(), 2, "github-pat-classic".to_string())]
    );
}

#[test]
fn several_reports_in_one_run() {
    let dir = materialize("core", &core_subst);
    let out = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--report",
            "sarif=out.sarif",
            "--report",
            "json=out.json",
            "-q",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("app/.env") && text.contains("4:14"), "{text}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 9);
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.json")).unwrap()).unwrap();
    assert_eq!(j["summary"]["findings"], 9);
}

#[test]
fn jsonl_streams_one_finding_a_line() {
    let dir = materialize("core", &core_subst);
    let out = run_in(dir.path(), &["scan", ".", "--format", "jsonl", "-q"]);
    let (lines, end) = jsonl(&out);
    assert_eq!(lines.len(), 9);
    assert!(lines
        .iter()
        .all(|l| l["rule_id"].is_string() && l["fingerprint"].is_string()));
    // The trailer says the stream is whole and counts what it carried.
    assert_eq!(end["complete"], true);
    assert_eq!(end["summary"]["findings"], 9);
    assert_eq!(end["errors"].as_array().map(Vec::len), Some(0));
}

#[test]
fn bad_input_is_named_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let token = github_token("ghp_", 12);
    std::fs::write(p.join("empty.txt"), "").unwrap();
    // Latin-1 text (not UTF-8) around a secret: still scanned.
    let mut latin1 = b"caf\xe9 = 1\nGH_TOKEN=".to_vec();
    latin1.extend_from_slice(token.as_bytes());
    latin1.push(b'\n');
    std::fs::write(p.join("latin1.cfg"), latin1).unwrap();
    // Binary content is sniffed and skipped.
    let mut bin = vec![0u8, 1, 2, 3];
    bin.extend_from_slice(token.as_bytes());
    std::fs::write(p.join("blob.bin"), bin).unwrap();
    // A symlink loop, a dangling link (unreadable when followed).
    std::os::unix::fs::symlink(p, p.join("loop")).unwrap();
    std::os::unix::fs::symlink(p.join("missing-target"), p.join("dangling")).unwrap();
    // A minified bundle: one long line with the secret near its end.
    let mut bundle = "var a=1;".repeat(400_000);
    // Another token: one secret in two files would be folded into one shared-credential finding.
    let bundle_token = github_token("ghp_", 13);
    bundle.push_str(&format!("var t=\"{bundle_token}\";"));
    std::fs::write(p.join("bundle.min.js"), &bundle).unwrap();
    let out = run_in(p, &["scan", ".", "--follow", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    let t = triples(&r);
    assert!(
        t.contains(&("latin1.cfg".into(), 2, "github-pat-classic".into())),
        "{t:?}"
    );
    assert!(
        t.contains(&("bundle.min.js".into(), 1, "github-pat-classic".into())),
        "{t:?}"
    );
    assert!(!t.iter().any(|x| x.0 == "blob.bin"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("loop") && stderr.contains("symlink loop"),
        "{stderr}"
    );
    assert!(stderr.contains("dangling"), "{stderr}");
    assert_eq!(r["skipped"][0]["path"], "blob.bin");
    // Too large for --max-file-size: skipped with a reason, not an error.
    let out = run_in(
        p,
        &["scan", ".", "--max-file-size", "1K", "--format", "json"],
    );
    let r = json(&out);
    assert!(r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["path"] == "bundle.min.js"));
}

#[test]
fn usage_and_rule_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["scan", ".", "--enable", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rule"));
    std::fs::write(dir.path().join("bad.toml"), "[[rule]]\nid = \"x\"\n").unwrap();
    let out = run_in(dir.path(), &["scan", ".", "--rules", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("`x`"), "{err}");
    let out = run_in(dir.path(), &["scan", ".", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn enable_disable_and_custom_rules() {
    let dir = materialize("core", &core_subst);
    let out = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--disable",
            "github-pat-classic",
        ],
    );
    assert!(!triples(&json(&out))
        .iter()
        .any(|t| t.2 == "github-pat-classic"));
    let out = run_in(
        dir.path(),
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--enable",
            "slack-bot-token",
        ],
    );
    assert_eq!(
        triples(&json(&out)),
        vec![("config/settings.yaml".into(), 7, "slack-bot-token".into())]
    );
    std::fs::write(
        dir.path().join("mine.toml"),
        r#"[[rule]]
id = "internal-service-token"
title = "Internal service token"
description = "Tokens of our internal service mesh."
severity = "critical"
keywords = ["isvc_"]
pattern = '''\b(isvc_[a-z0-9]{24})\b'''
lifetime = { kind = "long-lived", reason = "never expire" }
remediation = "Revoke it in the mesh console and issue a new one."
examples = ["t = «isvc_abcdefghijklmnopqrstuvwx»"]
negative_examples = ["t = isvc_short"]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("svc.conf"),
        "x=1\nmesh = isvc_q8zr2lmx0vt4bn7cw1ye5uj3\n",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "scan",
            "svc.conf",
            "--rules",
            "mine.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        triples(&json(&out)),
        vec![("svc.conf".into(), 2, "internal-service-token".into())]
    );
}

#[test]
fn inline_allow_suppresses_that_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let a = github_token("ghp_", 21);
    let b = github_token("ghp_", 22);
    std::fs::write(
        dir.path().join("x.env"),
        format!("A={a} # nhiscan:allow test fixture\nB={b}\n"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    let r = json(&out);
    assert_eq!(
        triples(&r),
        vec![("x.env".into(), 2, "github-pat-classic".into())]
    );
    assert_eq!(r["summary"]["suppressed"], 1);
}
