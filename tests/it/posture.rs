//! Posture analyzers end to end: every fixture under fixtures/posture/ scanned by the real binary, with
//! the exact (file, line, rule) of every finding, so a missed statement, a wrong line or a finding on a
//! negative fixture (Deny, scoped resources, explicit verbs, secret-store references) fails.

use std::path::PathBuf;

use crate::support::{json, nhiscan, triples};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scan(args: &[&str]) -> std::process::Output {
    nhiscan()
        .current_dir(root())
        .args(["scan", "--config", "tests/data/empty.nhiscan.toml"])
        .args(args)
        .output()
        .expect("runs")
}

fn expected(list: &[(&str, u64, &str)]) -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(f, l, r)| (f.to_string(), *l, r.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_posture_fixture_gives_exactly_these_findings() {
    let out = scan(&["fixtures/posture", "--format", "json", "-q"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings exit 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    // Only the deliberately malformed files are errors (not `update_kubeconfig.py`, not Helm templates).
    let mut errors: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "fixtures/posture/bad/alias-bomb.yaml",
            "fixtures/posture/bad/broken-policy.json",
            "fixtures/posture/bad/broken-rbac.yaml",
            "fixtures/posture/bad/broken.tf",
            "fixtures/posture/bad/deep.json"
        ]
    );
    let got = triples(&report);
    let want = expected(&[
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
        ("k8s/workloads.yaml", 13, "k8s-default-sa-token-mounted"),
        ("k8s/workloads.yaml", 13, "k8s-default-service-account"),
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
    ]);
    let missing: Vec<_> = want.iter().filter(|t| !got.contains(t)).collect();
    let extra: Vec<_> = got.iter().filter(|t| !want.contains(t)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
}

#[test]
fn severities_are_raised_for_owner_and_cluster_admin() {
    let report = json(&scan(&[
        "fixtures/posture/k8s",
        "fixtures/posture/gcp",
        "--format",
        "json",
        "-q",
    ]));
    let sev = |file: &str, line: u64| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["artifact"].as_str().unwrap().ends_with(file) && f["line"] == line)
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no finding at {file}:{line}"))
    };
    assert_eq!(sev("rbac.yaml", 45), "critical"); // cluster-admin
    assert_eq!(sev("rbac.yaml", 62), "high"); // edit
    assert_eq!(sev("iam-policy.yaml", 2), "critical"); // roles/owner
    assert_eq!(sev("iam-policy.yaml", 6), "high"); // roles/editor
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
        .args(["scan", "--config", "tests/data/empty.nhiscan.toml"])
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
    let out = scan(&["fixtures/posture/config/charts", "--format", "json", "-q"]);
    let report = json(&out);
    assert_eq!(report["errors"].as_array().unwrap().len(), 0, "{report}");
}

#[test]
fn lifetimes_are_decoded_offline() {
    let report = json(&scan(&[
        "fixtures/posture/config",
        "--format",
        "json",
        "-q",
    ]));
    let find = |file: &str, line: u64| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["artifact"].as_str().unwrap().ends_with(file) && f["line"] == line)
            .cloned()
            .unwrap_or_else(|| panic!("no finding at {file}:{line}"))
    };
    let aws = find("terraform.tfvars", 3);
    assert_eq!(aws["lifetime"]["kind"], "long-lived");
    assert!(
        aws["lifetime"]["reason"]
            .as_str()
            .unwrap()
            .contains("AWS account 609629065308"),
        "{aws}"
    );
    let jwt = find(".kube/config", 17);
    assert_eq!(jwt["lifetime"]["kind"], "long-lived");
    assert!(
        jwt["lifetime"]["reason"]
            .as_str()
            .unwrap()
            .contains("without an exp"),
        "{jwt}"
    );
    let expired = find("ci/kubeconfig", 10);
    assert_eq!(expired["lifetime"]["kind"], "expired");
    // The jwt rule (medium) reports it, one severity lower because it expired.
    assert_eq!(expired["severity"], "low");
    // The secret is extracted, redacted and fingerprinted like a regex finding.
    assert_eq!(aws["redacted"], "AKIA…");
    assert!(aws.get("secret").is_none());
    assert_eq!(report["summary"]["long_lived"].as_u64(), Some(14));
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
            ("svc-a/.git-credentials", 1, "git-credentials-password"),
            ("svc-b/.git-credentials", 2, "git-credentials-password"),
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
    assert_eq!(places.len(), 2, "{places:?}");
    assert!(
        places
            .iter()
            .any(|p| p.ends_with("svc-b/.git-credentials:1")),
        "{places:?}"
    );
    assert_eq!(report["summary"]["findings"].as_u64(), Some(2));
    assert!(report["findings"][1]["properties"].get("shared").is_none());
}

#[test]
fn policy_violations_are_findings_named_after_the_policy() {
    let out = scan(&[
        "fixtures/posture/policy-env",
        "--policy",
        "fixtures/posture/policy.toml",
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let policy: Vec<_> = triples(&report)
        .into_iter()
        .filter(|t| t.2.starts_with("policy-"))
        .collect();
    assert_eq!(
        policy,
        expected(&[
            ("prod/.npmrc", 1, "policy-max-token-lifetime"),
            ("prod/.npmrc", 1, "policy-require-secret-store"),
            ("prod/iam.json", 4, "policy-forbid-admin"),
            ("prod/iam.json", 4, "policy-forbid-wildcard"),
            ("prod/iam.json", 5, "policy-forbid-wildcard"),
        ])
    );
    let v = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "policy-forbid-admin")
        .unwrap();
    assert_eq!(v["properties"]["policy"], "prod-guardrails");
    assert_eq!(v["properties"]["violated_by"], "aws-iam-admin-wildcard");
    assert_eq!(v["severity"], "high");
    // A CI gate on high passes without the policy's findings only if there are none.
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
    // SARIF with policy findings stays well-formed (rule indexes only for known rules).
    let sarif = scan(&[
        "fixtures/posture/policy-env",
        "--policy",
        "fixtures/posture/policy.toml",
        "--format",
        "sarif",
        "-q",
    ]);
    let s: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let rules = s["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .len() as i64;
    for r in s["runs"][0]["results"].as_array().unwrap() {
        if let Some(i) = r["ruleIndex"].as_i64() {
            assert!(i < rules);
            assert_eq!(
                s["runs"][0]["tool"]["driver"]["rules"][i as usize]["id"],
                r["ruleId"]
            );
        }
    }
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
        let (rules, examples, failures) = nhiscan::cmd::rules::check_file(f, &text).unwrap();
        assert!(
            rules > 0 && examples >= 2 * rules,
            "{f}: {rules} rules, {examples} examples"
        );
        assert!(failures.is_empty(), "{f}:\n{}", failures.join("\n"));
    }
}

#[test]
fn regex_findings_carry_lifetimes_from_the_token_itself() {
    let dir = tempfile::tempdir().unwrap();
    let classic = crate::support::github_token("ghp_", 7);
    let install = crate::support::github_token("ghs_", 8);
    let key = crate::support::aws_key_id(9);
    std::fs::write(dir.path().join("env.sh"), format!("export GH_TOKEN={classic}\nexport APP_TOKEN={install}\nexport AWS_ACCESS_KEY_ID={key}\n")).unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "json", "-q"])
        .output()
        .unwrap();
    let report = json(&out);
    let lifetime = |line: u64| {
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["line"] == line)
            .unwrap_or_else(|| panic!("line {line}: {report}"));
        (
            f["lifetime"]["kind"].as_str().unwrap().to_string(),
            f["lifetime"]["reason"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(lifetime(1).0, "long-lived");
    assert_eq!(lifetime(2).0, "short-lived");
    let (kind, reason) = lifetime(3);
    assert_eq!(kind, "long-lived");
    let account = nhiscan::lifetime::aws_account_id(&key).unwrap();
    assert!(
        reason.contains(&format!("AWS account {account}")),
        "{reason}"
    );
}

#[test]
fn jsonl_output_includes_policy_violations() {
    let out = scan(&[
        "fixtures/posture/policy-env",
        "--policy",
        "fixtures/posture/policy.toml",
        "--format",
        "jsonl",
        "-q",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let rules: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["rule_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        rules.iter().filter(|r| r.starts_with("policy-")).count(),
        5,
        "{rules:?}"
    );
    assert_eq!(
        rules.iter().filter(|r| !r.starts_with("policy-")).count(),
        5,
        "{rules:?}"
    );
}
