//! Posture analyzers: every fixture under fixtures/posture/ scanned in process, with the exact (file,
//! line, rule) of every finding, so a missed statement, a wrong line or a finding on a negative fixture
//! (Deny, scoped resources, explicit verbs, secret-store references) fails. The binary is kept for what
//! the pipeline adds: repository-relative paths, shared credentials, policy verdicts, exit codes.

use std::path::PathBuf;

use nhiscan::finding::{LifetimeKind, Severity};

use crate::support::{
    expected, finding_at, finding_triples, json, nhiscan, scan_fixture, scan_tree, scanner,
    triples, Triple,
};

fn root() -> PathBuf {
    crate::support::root()
}

fn scan(args: &[&str]) -> std::process::Output {
    nhiscan()
        .current_dir(root())
        .args(["scan", "--config", "tests/data/fixtures.nhiscan.toml"])
        .args(args)
        .output()
        .expect("runs")
}

/// Every finding of fixtures/posture/, paths relative to it. One secret in several files
/// (shared/svc-a and svc-b, line 1) is one finding per file here; the report merges them.
/// The workflows of fixtures/posture/.github are not among them: inside nhiscan's repository they
/// are not at the repository root, where GitHub would run them ([`WORKFLOWS`]).
const POSTURE: &[(&str, u64, &str)] = &[
    (
        "aws/cdk.out/PipelineStack.template.json",
        8,
        "aws-iam-trust-any-principal",
    ),
    (
        "aws/github-oidc-trust.json",
        4,
        "aws-iam-github-oidc-unscoped",
    ),
    // Issue 10: a CloudFormation template PyYAML reads (byte-order mark before `---`, short-form
    // tags, a flow list closed under its key, a quoted description continued at its key's column).
    ("aws/cfn-shorthand.yaml", 34, "aws-iam-service-wildcard"),
    ("aws/cfn-shorthand.yaml", 39, "aws-iam-service-wildcard"),
    // Issue 10: `Principal: "*"` in VPC endpoint policies (CloudFormation, Terraform, a standalone
    // vpce-*.json) and stack policies (prod-stack-guard.json) opens nothing; in a bucket policy or
    // a trust policy it does.
    ("aws/endpoints.tf", 33, "aws-iam-trust-any-principal"),
    ("aws/endpoints.yaml", 22, "aws-iam-trust-any-principal"),
    ("aws/endpoints.yaml", 31, "aws-iam-trust-any-principal"),
    ("aws/main.tf", 13, "aws-iam-admin-wildcard"),
    ("aws/main.tf", 27, "aws-iam-service-wildcard"),
    ("aws/main.tf", 44, "aws-iam-passrole-wildcard"),
    ("aws/main.tf", 58, "aws-iam-github-oidc-unscoped"),
    ("aws/policies.json", 4, "aws-iam-admin-wildcard"),
    ("aws/policies.json", 10, "aws-iam-service-wildcard"),
    ("aws/policies.json", 16, "aws-iam-assumerole-wildcard"),
    ("aws/policies.json", 16, "aws-iam-passrole-wildcard"),
    ("aws/policies.json", 22, "aws-iam-allow-not-action"),
    ("aws/template.yaml", 10, "aws-iam-github-oidc-unscoped"),
    ("aws/template.yaml", 22, "aws-iam-admin-wildcard"),
    ("aws/template.yaml", 28, "aws-iam-service-wildcard"),
    (
        "azure/azuredeploy.json",
        14,
        "azure-role-definition-wildcard",
    ),
    (
        "azure/azuredeploy.json",
        25,
        "azure-owner-service-principal",
    ),
    ("azure/main.tf", 6, "azure-role-definition-wildcard"),
    ("azure/main.tf", 13, "azure-owner-service-principal"),
    ("azure/role.json", 5, "azure-role-definition-wildcard"),
    (
        "azure/role-assignments.json",
        2,
        "azure-owner-service-principal",
    ),
    ("config/.docker/config.json", 4, "docker-config-auth"),
    ("config/.git-credentials", 1, "git-credentials-password"),
    ("config/.kube/config", 17, "jwt"),
    ("config/.kube/config", 21, "kubeconfig-credential"),
    ("config/.kube/config", 28, "kubeconfig-credential"),
    ("config/ci/kubeconfig", 10, "jwt"),
    ("config/.netrc", 3, "netrc-password"),
    ("config/.npmrc", 2, "npmrc-auth-token"),
    ("config/.pypirc", 13, "pypirc-password"),
    ("config/charts/shop/values.yaml", 7, "helm-values-secret"),
    ("config/dotnet/appsettings.json", 5, "appsettings-secret"),
    (
        "config/spring/application-prod.yml",
        5,
        "spring-config-secret",
    ),
    (
        "config/spring/application.properties",
        4,
        "spring-config-secret",
    ),
    ("config/terraform.tfvars", 2, "tfvars-secret"),
    // The provider rule wins over the tfvars analyzer for the same secret on the same line.
    ("config/terraform.tfvars", 3, "aws-access-key-id"),
    ("gcp/iam-policy.json", 7, "gcp-basic-role-service-account"),
    ("gcp/iam-policy.yaml", 2, "gcp-basic-role-service-account"),
    ("gcp/iam-policy.yaml", 6, "gcp-basic-role-service-account"),
    (
        "gcp/iam-policy.yaml",
        9,
        "gcp-project-wide-sa-impersonation",
    ),
    ("gcp/main.tf", 3, "gcp-basic-role-service-account"),
    ("gcp/main.tf", 9, "gcp-project-wide-sa-impersonation"),
    ("gcp/main.tf", 32, "gcp-basic-role-service-account"),
    ("k8s/rbac.yaml", 10, "k8s-rbac-cluster-secrets-read"),
    ("k8s/rbac.yaml", 13, "k8s-rbac-wildcard"),
    ("k8s/rbac.yaml", 16, "k8s-rbac-escalation-verbs"),
    ("k8s/rbac.yaml", 19, "k8s-rbac-escalation-verbs"),
    ("k8s/rbac.yaml", 32, "k8s-rbac-wildcard"),
    ("k8s/rbac.yaml", 45, "k8s-rbac-admin-binding-sa"),
    ("k8s/rbac.yaml", 62, "k8s-rbac-admin-binding-sa"),
    // Issue 10: one finding per default-ServiceAccount workload; kustomize/kubebuilder patch
    // fragments (no selector, a container without an image) are not judged.
    // Merge keys merged: the canary's containers come from `<<: *pod`.
    ("k8s/anchors.yaml", 16, "k8s-default-sa-token-mounted"),
    ("k8s/anchors.yaml", 30, "k8s-default-service-account"),
    (
        "k8s/kustomize/overlays/prod/worker.yaml",
        12,
        "k8s-default-sa-token-mounted",
    ),
    ("k8s/workloads.yaml", 13, "k8s-default-sa-token-mounted"),
    ("k8s/workloads.yaml", 28, "k8s-default-service-account"),
    ("policy-env/dev/iam.json", 4, "aws-iam-admin-wildcard"),
    ("policy-env/dev/iam.json", 5, "aws-iam-service-wildcard"),
    ("policy-env/prod/.npmrc", 1, "npmrc-auth-token"),
    ("policy-env/prod/iam.json", 4, "aws-iam-admin-wildcard"),
    ("policy-env/prod/iam.json", 5, "aws-iam-service-wildcard"),
    (
        "shared/svc-a/.git-credentials",
        1,
        "git-credentials-password",
    ),
    (
        "shared/svc-b/.git-credentials",
        2,
        "git-credentials-password",
    ),
];

/// The findings of fixtures/posture/.github/workflows/ when that directory is at a repository root.
const WORKFLOWS: &[(&str, u64, &str)] = &[
    (".github/workflows/ci.yml", 4, "gha-permissions-missing"),
    (".github/workflows/deploy.yml", 10, "gha-secrets-inherit"),
    (
        ".github/workflows/preview.yml",
        14,
        "gha-pull-request-target-checkout",
    ),
    (
        ".github/workflows/release.yml",
        5,
        "gha-permissions-write-all",
    ),
    (
        ".github/workflows/release.yml",
        9,
        "gha-permissions-write-all",
    ),
];

/// The deliberately malformed files: the only ones with errors (not `update_kubeconfig.py`, not Helm
/// templates).
const MALFORMED: &[&str] = &[
    "bad/alias-bomb.yaml",
    "bad/broken-policy.json",
    "bad/broken-rbac.yaml",
    "bad/broken.tf",
    "bad/deep.json",
];

#[test]
fn every_posture_fixture_gives_exactly_these_findings() {
    let (findings, errors) = scan_tree(scanner(), "fixtures/posture");
    let got = finding_triples(&findings, "fixtures/posture/");
    let mut want = expected(POSTURE);
    // In process each file stands alone: svc-b repeats svc-a's secret on its line 1.
    want.push((
        "shared/svc-b/.git-credentials".into(),
        1,
        "git-credentials-password".into(),
    ));
    want.sort();
    let missing: Vec<_> = want.iter().filter(|t| !got.contains(t)).collect();
    let extra: Vec<_> = got.iter().filter(|t| !want.contains(t)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
    let mut failed: Vec<&str> = errors
        .iter()
        .map(|(p, _)| p.strip_prefix("fixtures/posture/").unwrap())
        .collect();
    failed.sort();
    failed.dedup();
    assert_eq!(failed, MALFORMED, "{errors:#?}");
}

#[test]
fn scanning_the_fixtures_reports_repository_relative_paths() {
    // fixtures/posture is inside nhiscan's own git work tree: paths are relative to its root.
    let out = scan(&["fixtures/posture", "--format", "json", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exit 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    let mut errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    errors.sort();
    let want_errors: Vec<String> = MALFORMED
        .iter()
        .map(|p| format!("fixtures/posture/{p}"))
        .collect();
    assert_eq!(errors, want_errors);
    // The binary finds what the scanner finds, one secret in several files merged into one finding.
    let want: Vec<Triple> = expected(POSTURE)
        .into_iter()
        .map(|(f, l, r)| (format!("fixtures/posture/{f}"), l, r))
        .collect();
    let got = triples(&report);
    let missing: Vec<_> = want.iter().filter(|t| !got.contains(t)).collect();
    let extra: Vec<_> = got.iter().filter(|t| !want.contains(t)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
    // The same from inside the directory: repository-relative whatever the path typed.
    let inside = nhiscan()
        .current_dir(root().join("fixtures/posture/k8s"))
        .args([
            "scan",
            ".",
            "--config",
            "../../../tests/data/fixtures.nhiscan.toml",
        ])
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    let k8s: Vec<Triple> = want
        .iter()
        .filter(|t| t.0.starts_with("fixtures/posture/k8s/"))
        .cloned()
        .collect();
    assert_eq!(triples(&json(&inside)), k8s);
}

#[test]
fn severities_are_raised_for_owner_and_cluster_admin() {
    let sev = |file: &str, line: usize| {
        finding_at(&scan_fixture(scanner(), file).findings, file, line).severity
    };
    assert_eq!(
        sev("fixtures/posture/k8s/rbac.yaml", 45),
        Severity::Critical
    ); // cluster-admin
    assert_eq!(sev("fixtures/posture/k8s/rbac.yaml", 62), Severity::High); // edit
    assert_eq!(
        sev("fixtures/posture/gcp/iam-policy.yaml", 2),
        Severity::Critical
    ); // roles/owner
    assert_eq!(
        sev("fixtures/posture/gcp/iam-policy.yaml", 6),
        Severity::High
    ); // roles/editor
}

#[test]
fn malformed_documents_are_reported_per_file_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",, \"Action\": \"*\"}\n  ],\n  \"note\": \"MARK-4821-7731\"\n}\n",
    )
    .unwrap();
    let rules = dir.path().join("mark.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"test-mark\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"MARK-\"]\npattern = 'MARK-[0-9]{4}-[0-9]{4}'\nlifetime = { kind = \"unknown\", reason = \"r\" }\nremediation = \"r\"\n",
    )
    .unwrap();
    let out = nhiscan()
        .current_dir(root())
        .args(["scan", "--config", "tests/data/fixtures.nhiscan.toml"])
        .args(["--format", "json", "-q", "--rules"])
        .arg(&rules)
        .arg(dir.path().join("broken.json"))
        .arg("fixtures/posture/bad")
        .arg("fixtures/posture/aws/policies.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let errors: Vec<(String, String)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |file: &str, words: &str| {
        errors
            .iter()
            .any(|(p, m)| p.ends_with(file) && m.contains(words))
    };
    assert!(has("broken.json", "invalid JSON at line 3"), "{errors:?}");
    assert!(
        has("broken-policy.json", "invalid JSON at line 4"),
        "{errors:?}"
    );
    assert!(has("broken-rbac.yaml", "invalid YAML"), "{errors:?}");
    assert!(has("broken.tf", "invalid HCL"), "{errors:?}");
    assert!(has("alias-bomb.yaml", "alias bomb"), "{errors:?}");
    assert!(has("deep.json", "nested deeper"), "{errors:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken-rbac.yaml: invalid YAML"),
        "{stderr}"
    );
    // The regex rules still ran on the malformed file, and other files were analyzed.
    let t = triples(&report);
    assert!(
        t.iter()
            .any(|(f, l, r)| f.ends_with("broken.json") && *l == 5 && r == "test-mark"),
        "{t:?}"
    );
    assert!(t
        .iter()
        .any(|(f, l, r)| f.ends_with("policies.json") && *l == 4 && r == "aws-iam-admin-wildcard"));
}

#[test]
fn helm_templates_are_not_yaml_errors() {
    let (_, errors) = scan_tree(scanner(), "fixtures/posture/config/charts");
    assert_eq!(errors, vec![]);
}

#[test]
fn lifetimes_are_decoded_offline() {
    let (findings, _) = scan_tree(scanner(), "fixtures/posture/config");
    let aws = finding_at(&findings, "terraform.tfvars", 3);
    let lifetime = aws.lifetime.as_ref().unwrap();
    assert_eq!(lifetime.kind, LifetimeKind::LongLived);
    assert!(
        lifetime.reason.contains("AWS account 609629065308"),
        "{aws:?}"
    );
    let jwt = finding_at(&findings, ".kube/config", 17);
    let lifetime = jwt.lifetime.as_ref().unwrap();
    assert_eq!(lifetime.kind, LifetimeKind::LongLived);
    assert!(lifetime.reason.contains("without an exp"), "{jwt:?}");
    let expired = finding_at(&findings, "ci/kubeconfig", 10);
    assert_eq!(
        expired.lifetime.as_ref().unwrap().kind,
        LifetimeKind::Expired
    );
    // The jwt rule (medium) reports it, one severity lower because it expired.
    assert_eq!(expired.severity, Severity::Low);
    // The secret is extracted, redacted and fingerprinted like a regex finding.
    assert_eq!(aws.redacted.as_deref(), Some("AKIA…"));
    assert!(aws.to_json(false).get("secret").is_none());
    let long_lived = findings
        .iter()
        .filter(|f| {
            f.lifetime
                .as_ref()
                .is_some_and(|l| l.kind == LifetimeKind::LongLived)
        })
        .count();
    assert_eq!(long_lived, 14);
}

#[test]
fn the_summary_counts_long_lived_credentials_once() {
    let report = json(&scan(&[
        "fixtures/posture/config",
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(report["summary"]["long_lived"].as_u64(), Some(14));
    // A policy judging every credential attaches to them: the count does not change.
    // (A one-day lifetime: the default, so no token changes side.)
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[policy]\nmax_token_lifetime_days = 1\nrequire_secret_store = true\n",
    )
    .unwrap();
    let report = json(&scan(&[
        "fixtures/posture/config",
        "--policy",
        policy.to_str().unwrap(),
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(report["summary"]["long_lived"].as_u64(), Some(14));
    let findings = report["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .all(|f| !f["rule_id"].as_str().unwrap().starts_with("policy-")));
    assert!(findings.iter().any(|f| f["policies"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p == "policy-max-token-lifetime"))));
}

#[test]
fn one_secret_in_several_files_is_one_shared_finding() {
    let report = json(&scan(&[
        "fixtures/posture/shared",
        "--format",
        "json",
        "-q",
    ]));
    let t = triples(&report);
    assert_eq!(
        t,
        expected(&[
            (
                "fixtures/posture/shared/svc-a/.git-credentials",
                1,
                "git-credentials-password"
            ),
            (
                "fixtures/posture/shared/svc-b/.git-credentials",
                2,
                "git-credentials-password"
            ),
        ])
    );
    let shared = &report["findings"][0];
    assert_eq!(shared["properties"]["shared"], true);
    let places: Vec<String> = shared["properties"]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| format!("{}:{}", l["file"].as_str().unwrap(), l["line"]))
        .collect();
    assert_eq!(
        places,
        [
            "fixtures/posture/shared/svc-a/.git-credentials:1",
            "fixtures/posture/shared/svc-b/.git-credentials:1"
        ]
    );
    assert_eq!(report["summary"]["findings"].as_u64(), Some(2));
    assert!(report["findings"][1]["properties"].get("shared").is_none());
}

/// (file, line, rule, policies, severity) of every finding in a JSON report or JSONL stream, sorted.
fn verdicts(findings: &[serde_json::Value]) -> Vec<(String, u64, String, Vec<String>, String)> {
    let mut v: Vec<_> = findings
        .iter()
        .map(|f| {
            let policies = f["policies"].as_array().map_or(vec![], |p| {
                p.iter().map(|p| p.as_str().unwrap().to_string()).collect()
            });
            (
                f["artifact"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                policies,
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// What fixtures/posture/policy.toml (`prod-guardrails`, severity high) makes of policy-env/: the
/// verdicts attach to the findings under prod/, nothing is added.
fn policy_env_verdicts() -> Vec<(String, u64, String, Vec<String>, String)> {
    let p = |f: &str| format!("fixtures/posture/policy-env/{f}");
    let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            p("dev/iam.json"),
            4,
            "aws-iam-admin-wildcard".into(),
            v(&[]),
            "critical".into(),
        ),
        (
            p("dev/iam.json"),
            5,
            "aws-iam-service-wildcard".into(),
            v(&[]),
            "high".into(),
        ),
        (
            p("prod/.npmrc"),
            1,
            "npmrc-auth-token".into(),
            v(&["policy-max-token-lifetime", "policy-require-secret-store"]),
            "high".into(),
        ),
        (
            p("prod/iam.json"),
            4,
            "aws-iam-admin-wildcard".into(),
            v(&["policy-forbid-admin", "policy-forbid-wildcard"]),
            "critical".into(),
        ),
        (
            p("prod/iam.json"),
            5,
            "aws-iam-service-wildcard".into(),
            v(&["policy-forbid-wildcard"]),
            "high".into(),
        ),
    ]
}

fn policy_env(format: &str, policy: &str) -> std::process::Output {
    scan(&[
        "fixtures/posture/policy-env",
        "--policy",
        policy,
        "--format",
        format,
        "-q",
    ])
}

#[test]
fn policy_verdicts_attach_to_the_findings_they_judge() {
    let out = policy_env("json", "fixtures/posture/policy.toml");
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(verdicts(findings), policy_env_verdicts());
    // No finding added: the same findings as without the policy, counted once.
    let plain = json(&scan(&[
        "fixtures/posture/policy-env",
        "--format",
        "json",
        "-q",
    ]));
    assert_eq!(triples(&report), triples(&plain));
    assert_eq!(report["summary"]["findings"], 5);
    assert_eq!(report["summary"]["findings"], plain["summary"]["findings"]);
    assert_eq!(
        report["summary"]["long_lived"],
        plain["summary"]["long_lived"]
    );
    // The judged finding says which policy and why.
    let admin = findings
        .iter()
        .find(|f| {
            f["policies"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p == "policy-forbid-admin"))
        })
        .unwrap();
    assert_eq!(admin["rule_id"], "aws-iam-admin-wildcard");
    assert_eq!(admin["properties"]["policy"], "prod-guardrails");
    let msg = admin["message"].as_str().unwrap();
    assert!(
        msg.contains("violates policy `prod-guardrails`")
            && msg.contains("admin grants are forbidden (under **/prod/**)")
            && msg.contains("wildcard grants are forbidden"),
        "{msg}"
    );
    // A CI gate on critical still fails on dev's critical admin grant, policy or not.
    let gate = scan(&[
        "fixtures/posture/policy-env/dev",
        "--policy",
        "fixtures/posture/policy.toml",
        "-q",
        "--fail-on",
        "critical",
        "--format",
        "json",
    ]);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "dev still has a critical admin grant"
    );
}

#[test]
fn a_policy_raises_the_severity_of_what_it_judges() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("critical.toml");
    let text = std::fs::read_to_string(root().join("fixtures/posture/policy.toml")).unwrap();
    std::fs::write(
        &policy,
        text.replace("severity = \"high\"", "severity = \"critical\""),
    )
    .unwrap();
    let report = json(&policy_env("json", policy.to_str().unwrap()));
    let want: Vec<_> = policy_env_verdicts()
        .into_iter()
        .map(|(f, l, r, p, sev)| {
            let sev = if p.is_empty() { sev } else { "critical".into() };
            (f, l, r, p, sev)
        })
        .collect();
    assert_eq!(verdicts(report["findings"].as_array().unwrap()), want);
    // The raised severity gates: the .npmrc token alone (high) passes `--fail-on critical` without
    // the policy and fails with it.
    let npmrc = "fixtures/posture/policy-env/prod/.npmrc";
    let without = scan(&[npmrc, "--fail-on", "critical", "-q"]);
    assert_eq!(without.status.code(), Some(0));
    let with = scan(&[
        npmrc,
        "--fail-on",
        "critical",
        "-q",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(with.status.code(), Some(1));
}

#[test]
fn policy_globs_match_repository_relative_paths_however_the_path_is_typed() {
    let r = crate::support::Repo::new();
    let iam =
        std::fs::read_to_string(root().join("fixtures/posture/policy-env/prod/iam.json")).unwrap();
    r.write("deploy/prod/iam.json", &iam);
    r.write("deploy/dev/iam.json", &iam);
    r.write(
        ".nhiscan.toml",
        "[policy]\nforbid_admin = [\"deploy/prod/**\"]\n",
    );
    r.commit("iam");
    let judged = |dir: &std::path::Path, path: &str| {
        let out = nhiscan()
            .current_dir(dir)
            .args(["scan", path, "--format", "json", "-q"])
            .args(["--enable", "aws-iam-admin-wildcard"])
            .output()
            .unwrap();
        let report = json(&out);
        verdicts(report["findings"].as_array().unwrap())
            .into_iter()
            .map(|(f, _, _, p, _)| (f, p))
            .collect::<Vec<_>>()
    };
    let prod = (
        "deploy/prod/iam.json".to_string(),
        vec!["policy-forbid-admin".to_string()],
    );
    let dev = ("deploy/dev/iam.json".to_string(), vec![]);
    assert_eq!(judged(&r.dir, "."), vec![dev.clone(), prod.clone()]);
    assert_eq!(judged(&r.dir, "deploy"), vec![dev, prod.clone()]);
    assert_eq!(judged(&r.dir, "deploy/prod"), vec![prod.clone()]);
    assert_eq!(judged(&r.dir.join("deploy/prod"), "."), vec![prod.clone()]);
    assert_eq!(judged(&r.dir.join("deploy"), "prod/iam.json"), vec![prod]);
}

#[test]
fn policy_verdicts_in_text_and_sarif() {
    let text = String::from_utf8(
        scan(&[
            "fixtures/posture/policy-env/prod",
            "--policy",
            "fixtures/posture/policy.toml",
            "--color",
            "never",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("    violates: policy-forbid-admin, policy-forbid-wildcard\n"),
        "{text}"
    );
    assert!(
        text.contains("    violates: policy-max-token-lifetime, policy-require-secret-store\n"),
        "{text}"
    );
    let s = json(&policy_env("sarif", "fixtures/posture/policy.toml"));
    let errors = crate::support::sarif_schema_errors(&s);
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &s["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    // One result per finding, and every policy a result names has a rule descriptor.
    assert_eq!(results.len(), 5);
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "policy-forbid-admin",
        "policy-forbid-wildcard",
        "policy-max-token-lifetime",
        "policy-require-secret-store",
    ] {
        assert!(ids.contains(&id), "no descriptor for {id}: {ids:?}");
    }
    let mut judged = Vec::new();
    for r in results {
        let i = r["ruleIndex"]
            .as_u64()
            .expect("every result has a rule index") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert_eq!(r["properties"]["policies"], r["properties"]["tags"]);
        if let Some(p) = r["properties"]["policies"].as_array() {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            judged.push((
                uri.to_string(),
                r["ruleId"].as_str().unwrap().to_string(),
                p.len(),
            ));
        }
    }
    judged.sort();
    let dir = "fixtures/posture/policy-env/prod";
    assert_eq!(
        judged,
        vec![
            (format!("{dir}/.npmrc"), "npmrc-auth-token".into(), 2),
            (
                format!("{dir}/iam.json"),
                "aws-iam-admin-wildcard".into(),
                2
            ),
            (
                format!("{dir}/iam.json"),
                "aws-iam-service-wildcard".into(),
                1
            ),
        ]
    );
}

#[test]
fn unknown_policy_keys_are_named() {
    let out = scan(&[
        "fixtures/posture/policy-env",
        "--policy",
        "fixtures/posture/bad-policy.toml",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`forbid_admins`") && stderr.contains("`max_days`"),
        "{stderr}"
    );
}

#[test]
fn posture_rule_files_pass_their_examples() {
    for f in [
        "posture-aws.toml",
        "posture-k8s.toml",
        "posture-gcp.toml",
        "posture-azure.toml",
        "posture-gha.toml",
        "config-files.toml",
    ] {
        let path = root().join("rules").join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        let (rules, examples, failures) = nhiscan::rules::check_file(f, &text).unwrap();
        assert!(
            rules > 0 && examples >= 2 * rules,
            "{f}: {rules} rules, {examples} examples"
        );
        assert!(failures.is_empty(), "{f}:\n{}", failures.join("\n"));
    }
}

#[test]
fn regex_findings_carry_lifetimes_from_the_token_itself() {
    let classic = crate::support::github_token("ghp_", 7);
    let install = crate::support::github_token("ghs_", 8);
    let key = crate::support::aws_key_id(9);
    let text = format!(
        "export GH_TOKEN={classic}\nexport APP_TOKEN={install}\nexport AWS_ACCESS_KEY_ID={key}\n"
    );
    let res = scanner().scan_file("env.sh", text.as_bytes());
    let lifetime = |line: usize| {
        finding_at(&res.findings, "env.sh", line)
            .lifetime
            .clone()
            .unwrap()
    };
    assert_eq!(lifetime(1).kind, LifetimeKind::LongLived);
    assert_eq!(lifetime(2).kind, LifetimeKind::ShortLived);
    let aws = lifetime(3);
    assert_eq!(aws.kind, LifetimeKind::LongLived);
    let account = nhiscan::aws_account_id(&key).unwrap();
    assert!(
        aws.reason.contains(&format!("AWS account {account}")),
        "{}",
        aws.reason
    );
}

#[test]
fn jsonl_carries_the_policy_verdicts() {
    let out = policy_env("jsonl", "fixtures/posture/policy.toml");
    assert_eq!(out.status.code(), Some(1));
    let (lines, end) = crate::support::jsonl(&out);
    // One line per finding, none of them a `policy-*` finding of its own.
    assert_eq!(verdicts(&lines), policy_env_verdicts());
    assert_eq!(end["summary"]["findings"], 5);
}

/// The workflow fixtures, (file name, bytes).
fn workflow_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("fixtures/posture/.github/workflows");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn workflows_run_only_from_the_repository_root() {
    // Issue 10: GitHub runs `.github/workflows/*.yml` of the repository root only; a vendored
    // action's workflows, or a subdirectory of workflows/, are never run.
    let mut got = Vec::new();
    for (name, data) in workflow_fixtures() {
        let res = scanner().scan_file(&format!(".github/workflows/{name}"), &data);
        got.extend(finding_triples(&res.findings, ""));
        for elsewhere in [
            "vendor/acme/deploy-action/.github/workflows",
            "node_modules/some-action/.github/workflows",
            "third_party/x/.github/workflows",
            "deps/lib/.github/workflows",
            ".github/workflows/disabled",
        ] {
            let res = scanner().scan_file(&format!("{elsewhere}/{name}"), &data);
            assert!(
                !res.findings.iter().any(|f| f.rule_id.starts_with("gha-")),
                "{elsewhere}/{name}"
            );
        }
    }
    got.sort();
    assert_eq!(got, expected(WORKFLOWS));
}

#[test]
fn vendored_workflows_are_not_workflows_in_scan_git_and_staged() {
    let r = crate::support::Repo::new();
    let (name, data) = workflow_fixtures()
        .into_iter()
        .find(|(n, _)| n == "ci.yml")
        .unwrap();
    let data = String::from_utf8(data).unwrap();
    r.write(&format!(".github/workflows/{name}"), &data);
    r.write(
        &format!("vendor/acme/action/.github/workflows/{name}"),
        &data,
    );
    r.write(&format!("node_modules/act/.github/workflows/{name}"), &data);
    let gha = |out: &std::process::Output| -> Vec<String> {
        let mut v: Vec<String> = json(out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"].as_str().unwrap().starts_with("gha-"))
            .map(|f| f["artifact"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let root_only = vec![".github/workflows/ci.yml".to_string()];
    let staged = r.cli(&r.dir, &["staged", "--format", "json", "--fail-on", "any"]);
    r.git(&["add", "-A"]);
    let staged_after = r.cli(&r.dir, &["staged", "--format", "json", "--fail-on", "any"]);
    assert!(gha(&staged).is_empty(), "nothing staged yet");
    assert_eq!(gha(&staged_after), root_only, "staged");
    r.commit("workflows");
    assert_eq!(
        gha(&r.cli(&r.dir, &["scan", ".", "--format", "json"])),
        root_only
    );
    assert_eq!(gha(&r.cli(&r.dir, &["git", "--format", "json"])), root_only);
    // Typed from inside the repository, or as an absolute path: still repository-relative.
    let wf = r.dir.join(".github/workflows");
    assert_eq!(
        gha(&r.cli(&wf, &["scan", "ci.yml", "--format", "json"])),
        root_only
    );
    let abs = r.dir.to_string_lossy().into_owned();
    assert_eq!(
        gha(&r.cli(&r.dir, &["scan", &abs, "--format", "json"])),
        root_only
    );
    // A vendored action scanned on its own is still inside the repository: not judged.
    let vendored = r.dir.join("vendor/acme/action");
    let out = r.cli(
        &r.dir,
        &["scan", &vendored.to_string_lossy(), "--format", "json"],
    );
    assert!(
        gha(&out).is_empty(),
        "still inside the repository: {:?}",
        gha(&out)
    );
}

#[test]
fn a_secret_in_many_files_names_ten_in_its_message_and_all_in_locations() {
    let key = crate::support::github_token("ghp_", 77);
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        std::fs::write(
            dir.path().join(format!("f{i:02}.env")),
            format!("GITHUB_TOKEN={key}\n"),
        )
        .unwrap();
    }
    let out = nhiscan()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "-q"])
        .output()
        .unwrap();
    let report = json(&out);
    let f = &report["findings"].as_array().unwrap()[..];
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        f[0]["properties"]["locations"].as_array().unwrap().len(),
        12
    );
    let msg = f[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("found in 12 places") && msg.ends_with("f09.env:1, and 2 more"),
        "{msg}"
    );
    assert!(!msg.contains("f10.env"), "{msg}");
}
