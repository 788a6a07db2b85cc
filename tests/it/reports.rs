//! Snapshots of every report format (text, JSON, JSONL, SARIF) of one small fixed scan: a few fake
//! secrets assembled at run time, one posture finding and a `[policy]` table. What varies between runs
//! (seconds, the absolute root, the version) is redacted. Review changes with `cargo insta review`;
//! under CI (`CI=true`) a mismatch fails.

use std::path::Path;

use serde_json::Value;

use crate::support::{aws_key_id, aws_secret, github_token, json, run_in};

/// The scanned directory: outside any git repository, so paths are relative to it.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let write = |path: &str, text: &str| {
        let f = p.join(path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    write(
        "app/.env",
        &format!(
            "# deploy settings\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nDEBUG=0\n",
            aws_key_id(201),
            aws_secret(202)
        ),
    );
    write(
        "scripts/release.sh",
        &format!(
            "#!/bin/sh\nexport GH_TOKEN={}\ngh release create \"$1\"\n",
            github_token("ghp_", 203)
        ),
    );
    write(
        "k8s/rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deployer\n\
         rules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n",
    );
    write("README.md", "Nothing to see here.\n");
    write(
        ".nhiscan.toml",
        "[policy]\nname = \"snapshot-guardrails\"\nseverity = \"critical\"\n\
         require_secret_store = [\"app/**\"]\nforbid_wildcard = true\n",
    );
    dir
}

fn run(dir: &Path, format: &str) -> std::process::Output {
    let out = run_in(
        dir,
        &["scan", ".", "--format", format, "--color", "never", "-q"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn text_report() {
    let dir = project();
    // Not quiet: the summary line is part of the text report.
    let out = run_in(dir.path(), &["scan", ".", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let seconds = regex::Regex::new(r"in \d+\.\d\ds").unwrap();
    insta::assert_snapshot!(seconds.replace_all(&text, "in [seconds]s"));
}

#[test]
fn json_report() {
    let dir = project();
    let report = json(&run(dir.path(), "json"));
    insta::assert_json_snapshot!(report, {
        ".summary.seconds" => "[seconds]",
        ".tool.version" => "[version]",
        ".tool.build" => "[build]",
    });
}

#[test]
fn jsonl_report() {
    let dir = project();
    let out = run(dir.path(), "jsonl");
    let text = std::str::from_utf8(&out.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    for l in &lines {
        serde_json::from_str::<Value>(l).expect("each line is one JSON object");
    }
    // Findings stream as the walk finds them: sort them, keep each line as written; the trailer
    // (`"type":"end"`) comes last.
    let trailer = lines.pop().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(trailer).unwrap()["type"],
        "end"
    );
    lines.sort();
    let seconds = regex::Regex::new(r#""seconds":[0-9.e-]+"#).unwrap();
    let trailer = seconds.replace(trailer, r#""seconds":"[seconds]""#);
    lines.push(&trailer);
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn sarif_report() {
    let dir = project();
    let doc = json(&run(dir.path(), "sarif"));
    let errors = crate::support::sarif_schema_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    insta::assert_json_snapshot!(doc, {
        ".runs[].originalUriBaseIds.SRCROOT.uri" => "[file:///scanned/dir/]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
}
