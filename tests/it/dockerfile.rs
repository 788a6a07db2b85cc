//! The Dockerfile analyzer on fixtures/dockerfile/: positives, decoys and multi-stage builds in
//! process; `COPY . .` with and without a .dockerignore through `nhiscan scan`, which reads the build
//! context from disk.

use std::sync::OnceLock;

use nhiscan::finding::{Finding, Severity};
use nhiscan::scan::Scanner;

use crate::support::{finding_triples, json, nhiscan, root, scan_fixture, scanner_of, t, triples};

const RULES: &[&str] = &[
    "dockerfile-env-secret",
    "dockerfile-arg-secret-default",
    "dockerfile-arg-secret",
    "dockerfile-copy-credential-file",
    "dockerfile-copy-context-credentials",
    "dockerfile-run-inline-credential",
];

/// The Dockerfile rules only, so the provider rules do not stand in for their findings.
fn dockerfile_scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| scanner_of(RULES))
}

/// In process: the findings of `fixtures/dockerfile/<dir>/Dockerfile`.
fn analyze(dir: &str) -> Vec<Finding> {
    let res = scan_fixture(
        dockerfile_scanner(),
        &format!("fixtures/dockerfile/{dir}/Dockerfile"),
    );
    assert_eq!(res.errors, Vec::<String>::new());
    res.findings
}

/// Through the binary, from the repository root: the JSON report of `nhiscan scan DIR`.
fn scan(dir: &str) -> serde_json::Value {
    let out = nhiscan()
        .current_dir(root())
        .args([
            "scan",
            dir,
            "--format",
            "json",
            "--enable",
            &RULES.join(","),
        ])
        .args(["--config", "tests/data/fixtures.nhiscan.toml"])
        .output()
        .expect("runs");
    json(&out)
}

#[test]
fn positives_each_instruction_on_its_line() {
    let fs = analyze("positives");
    let p = "Dockerfile";
    assert_eq!(
        finding_triples(&fs, "fixtures/dockerfile/positives/"),
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
    // A continued instruction spans its lines; the message suggests secret mounts.
    let curl = fs.iter().find(|f| f.line == 13).unwrap();
    assert_eq!(curl.end_line, 14);
    assert!(curl.message.contains("--mount=type=secret"));
    // Secrets are redacted by default.
    let env = fs.iter().find(|f| f.line == 3).unwrap();
    assert_eq!(env.secret.as_deref(), Some("Pr0d-db-pw-2024"));
    assert!(!env.to_json(false).to_string().contains("Pr0d-db-pw-2024"));
}

#[test]
fn decoys_give_nothing() {
    assert_eq!(finding_triples(&analyze("decoys"), ""), vec![]);
}

#[test]
fn build_stage_secrets_are_lower_and_say_so() {
    let fs = analyze("multistage");
    let p = "Dockerfile";
    assert_eq!(
        finding_triples(&fs, "fixtures/dockerfile/multistage/"),
        vec![
            t(p, 2, "dockerfile-arg-secret-default"),
            t(p, 6, "dockerfile-env-secret"),
            t(p, 11, "dockerfile-env-secret")
        ]
    );
    let sev = |line: usize| fs.iter().find(|f| f.line == line).unwrap().severity;
    // Only the final stage's own ARG/ENV are in the final image: full severity. `builder` hands
    // over one binary (its ARG stays in the builder's history) and `tester` nothing: one step lower.
    assert_eq!(sev(2), Severity::Medium);
    assert_eq!(sev(6), Severity::Medium);
    assert_eq!(sev(11), Severity::High);
    let tester = fs.iter().find(|f| f.line == 6).unwrap();
    assert!(tester.message.contains("build stage `tester`"));
    let builder = fs.iter().find(|f| f.line == 2).unwrap();
    assert!(builder.message.contains("only through COPY --from"));
}

#[test]
fn copy_context_respects_dockerignore() {
    let leak = scan("fixtures/dockerfile/context-leak");
    assert_eq!(
        triples(&leak),
        vec![t(
            "fixtures/dockerfile/context-leak/Dockerfile",
            3,
            "dockerfile-copy-context-credentials"
        )]
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
fn copy_context_in_a_builder_counts_only_if_the_final_image_takes_it() {
    // Issue 10: `COPY . .` in a builder whose final stage copies one binary leaves the context on
    // the build machine; a final stage copying the builder's whole work directory takes it along.
    let builder = scan("fixtures/dockerfile/context-builder");
    assert_eq!(triples(&builder), vec![]);
    let whole = scan("fixtures/dockerfile/context-builder-whole");
    assert_eq!(
        triples(&whole),
        vec![t(
            "fixtures/dockerfile/context-builder-whole/Dockerfile",
            4,
            "dockerfile-copy-context-credentials"
        )]
    );
    assert_eq!(whole["findings"][0]["severity"], "high");
}

#[test]
fn other_dockerfile_names_are_analyzed() {
    let scanner = dockerfile_scanner();
    let mut found = Vec::new();
    for name in [
        "api.Dockerfile",
        "Dockerfile.prod",
        "Containerfile",
        "notes.txt",
    ] {
        let text = format!("FROM alpine\nENV DB_PASSWORD=Pr0d-db-pw-{}\n", name.len());
        found.extend(scanner.scan_file(name, text.as_bytes()).findings);
    }
    assert_eq!(
        finding_triples(&found, ""),
        vec![
            t("Containerfile", 2, "dockerfile-env-secret"),
            t("Dockerfile.prod", 2, "dockerfile-env-secret"),
            t("api.Dockerfile", 2, "dockerfile-env-secret"),
        ]
    );
}
