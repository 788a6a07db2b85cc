//! The Dockerfile analyzer through `nhiscan scan`, on fixtures/dockerfile/: positives, decoys,
//! multi-stage builds and `COPY . .` with and without a .dockerignore.

use std::path::Path;

use crate::support::{json, nhiscan, triples};

const RULES: &str = "dockerfile-env-secret,dockerfile-arg-secret-default,dockerfile-arg-secret,\
dockerfile-copy-credential-file,dockerfile-copy-context-credentials,dockerfile-run-inline-credential";

fn scan(dir: &str) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = nhiscan()
        .current_dir(root)
        .args(["scan", dir, "--format", "json", "--enable", RULES])
        .args(["--config", "tests/data/empty.nhiscan.toml"])
        .output()
        .expect("runs");
    json(&out)
}

fn t(path: &str, line: u64, rule: &str) -> (String, u64, String) {
    (path.to_string(), line, rule.to_string())
}

#[test]
fn positives_each_instruction_on_its_line() {
    let r = scan("fixtures/dockerfile/positives");
    let p = "Dockerfile";
    assert_eq!(
        triples(&r),
        vec![
            t(p, 3, "dockerfile-env-secret"),
            t(p, 5, "dockerfile-env-secret"),
            t(p, 6, "dockerfile-arg-secret"),
            t(p, 7, "dockerfile-arg-secret-default"),
            t(p, 9, "dockerfile-copy-credential-file"),
            t(p, 10, "dockerfile-copy-credential-file"),
            t(p, 11, "dockerfile-copy-credential-file"),
            t(p, 12, "dockerfile-copy-credential-file"),
            t(p, 13, "dockerfile-run-inline-credential"),
            t(p, 15, "dockerfile-run-inline-credential"),
            t(p, 16, "dockerfile-run-inline-credential"),
            t(p, 17, "dockerfile-run-inline-credential"),
            t(p, 18, "dockerfile-run-inline-credential"),
            t(p, 19, "dockerfile-run-inline-credential"),
        ]
    );
    let fs = r["findings"].as_array().unwrap();
    // A continued instruction spans its lines; the message suggests secret mounts.
    let curl = fs.iter().find(|f| f["line"] == 13).unwrap();
    assert_eq!(curl["end_line"], 14);
    assert!(curl["message"]
        .as_str()
        .unwrap()
        .contains("--mount=type=secret"));
    // Secrets are redacted by default.
    let env = fs.iter().find(|f| f["line"] == 3).unwrap();
    assert!(!env.to_string().contains("Pr0d-db-pw-2024"));
}

#[test]
fn decoys_give_nothing() {
    let r = scan("fixtures/dockerfile/decoys");
    assert_eq!(triples(&r), vec![]);
}

#[test]
fn build_stage_secrets_are_lower_and_say_so() {
    let r = scan("fixtures/dockerfile/multistage");
    let p = "Dockerfile";
    assert_eq!(
        triples(&r),
        vec![
            t(p, 2, "dockerfile-arg-secret-default"),
            t(p, 6, "dockerfile-env-secret"),
            t(p, 11, "dockerfile-env-secret")
        ]
    );
    let fs = r["findings"].as_array().unwrap();
    let sev = |line: u64| {
        fs.iter().find(|f| f["line"] == line).unwrap()["severity"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // `builder` is copied from by the final stage: full severity; `tester` is not: one step lower.
    assert_eq!(sev(2), "high");
    assert_eq!(sev(6), "medium");
    assert_eq!(sev(11), "high");
    let tester = fs.iter().find(|f| f["line"] == 6).unwrap();
    assert!(tester["message"]
        .as_str()
        .unwrap()
        .contains("build stage `tester`"));
}

#[test]
fn copy_context_respects_dockerignore() {
    let leak = scan("fixtures/dockerfile/context-leak");
    assert_eq!(
        triples(&leak),
        vec![t("Dockerfile", 3, "dockerfile-copy-context-credentials")]
    );
    assert!(leak["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains(".env"));
    let ignored = scan("fixtures/dockerfile/context-ignored");
    assert_eq!(triples(&ignored), vec![]);
    // Copying only what the build needs leaves the context's .env out.
    let scoped = scan("fixtures/dockerfile/context-scoped");
    assert_eq!(triples(&scoped), vec![]);
}

#[test]
fn other_dockerfile_names_are_analyzed() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["api.Dockerfile", "Dockerfile.prod", "Containerfile"] {
        std::fs::write(
            dir.path().join(name),
            // A different value per file: one secret in several places is reported once.
            format!("FROM alpine\nENV DB_PASSWORD=Pr0d-db-pw-{}\n", name.len()),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("notes.txt"),
        "ENV DB_PASSWORD=Pr0d-db-pw-2024\n",
    )
    .unwrap();
    let out = nhiscan()
        .args(["scan"])
        .arg(dir.path())
        .args(["--format", "json", "--enable", RULES])
        .output()
        .unwrap();
    assert_eq!(
        triples(&json(&out)),
        vec![
            t("Containerfile", 2, "dockerfile-env-secret"),
            t("Dockerfile.prod", 2, "dockerfile-env-secret"),
            t("api.Dockerfile", 2, "dockerfile-env-secret"),
        ]
    );
}
