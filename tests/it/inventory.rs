//! `nhiscan inventory`: findings grouped by non-human identity, from a scan, a history scan and a JSON
//! report; JSON validated against docs/inventory.schema.json; CSV and text; OWASP NHI ids on findings.

use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{aws_key_id, aws_secret, github_token, nhiscan, sarif_schema_errors, Repo};

fn inventory_schema_errors(doc: &Value) -> Vec<String> {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let v = V.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(include_str!("../../docs/inventory.schema.json")).unwrap();
        jsonschema::validator_for(&schema).expect("schema compiles")
    });
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// A repository with one AWS key pair in prod and its key id again in dev, a GitHub App token, a
/// database URL, a ServiceAccount bound to cluster-admin, a workload on the default ServiceAccount,
/// and CODEOWNERS. Returns the repository and its secrets.
pub(crate) fn estate() -> (Repo, Vec<String>) {
    let r = Repo::new();
    let (key, secret, token) = (aws_key_id(41), aws_secret(42), github_token("ghs_", 43));
    let db = format!(
        "postgres://billing_svc:{}@db-prod.internal:5432/billing",
        crate::support::password(44)
    );
    r.write(
        "deploy/prod/credentials",
        &format!("[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    );
    r.write(".github/CODEOWNERS", "* @org/platform\n/deploy/ @org/ops\n");
    r.write(
        "k8s/rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ci-admin}\nroleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n  - kind: ServiceAccount\n    name: deployer\n    namespace: payments-prod\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: payments-prod}\nspec:\n  containers:\n    - name: a\n      image: app:1\n",
    );
    r.commit("initial");
    r.advance(400);
    r.write(
        "config/dev.env",
        &format!("AWS_ACCESS_KEY_ID={key}\nDATABASE_URL={db}\n"),
    );
    r.write("ci/release.sh", &format!("export GH_TOKEN={token}\n"));
    r.commit("dev config");
    (r, vec![key, secret, token, db])
}

fn run_ok(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let out = nhiscan().current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "nhiscan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn by_type<'a>(inv: &'a Value, t: &str) -> Vec<&'a Value> {
    inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["type"] == t)
        .collect()
}

#[test]
fn identities_from_a_history_scan() {
    let (r, secrets) = estate();
    let out = run_ok(&r.dir, &["inventory", "--git", ".", "--format", "json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for s in &secrets {
        let shown = s.rsplit(':').next().unwrap();
        assert!(!text.contains(shown), "a secret is printed in full");
    }
    let inv: Value = serde_json::from_str(&text).unwrap();
    let errors = inventory_schema_errors(&inv);
    assert!(errors.is_empty(), "{errors:#?}");

    let aws = by_type(&inv, "aws-access-key");
    assert_eq!(
        aws.len(),
        1,
        "the key id and its secret are one identity: {aws:#?}"
    );
    let aws = aws[0];
    assert_eq!(aws["credentials"].as_array().unwrap().len(), 2);
    let account = aws["attributes"]["account_id"].as_str().unwrap();
    assert!(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(aws["attributes"]["paired"], true);
    assert_eq!(aws["environments"], serde_json::json!(["dev", "prod"]));
    assert_eq!(aws["cross_environment"], true);
    let risks: Vec<&str> = aws["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in ["NHI2:2025", "NHI7:2025", "NHI8:2025"] {
        assert!(risks.contains(&r), "{risks:?}");
    }
    // Introduced by the first commit, still at HEAD.
    let creds = aws["credentials"].as_array().unwrap();
    let secret_cred = creds
        .iter()
        .find(|c| c["rule_id"] == "aws-secret-access-key")
        .unwrap();
    assert_eq!(secret_cred["introduced"]["author"], "Alice Example");
    assert_eq!(secret_cred["at_head"], true);
    assert!(secret_cred["exposure_days"].as_u64().unwrap() >= 400);
    assert_eq!(
        secret_cred["lifetime"]["kind"], "long-lived",
        "paired with an AKIA key id"
    );
    let owners: Vec<&str> = aws["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["who"].as_str().unwrap())
        .collect();
    assert!(owners.contains(&"@org/ops"), "{owners:?}");
    assert!(
        owners.iter().any(|o| o.starts_with("Alice Example")),
        "{owners:?}"
    );
    assert!(aws["remediation"].as_str().unwrap().ends_with('.'));

    let gh = by_type(&inv, "github-token");
    assert_eq!(gh[0]["attributes"]["actor"], "app");
    let db = by_type(&inv, "database-user");
    assert_eq!(db[0]["attributes"]["user"], "billing_svc");
    assert_eq!(db[0]["attributes"]["host"], "db-prod.internal");

    let sas = by_type(&inv, "k8s-service-account");
    let deployer = sas
        .iter()
        .find(|s| s["attributes"]["service_account"] == "deployer")
        .unwrap();
    assert_eq!(deployer["attributes"]["namespace"], "payments-prod");
    assert!(deployer["roles"][0]
        .as_str()
        .unwrap()
        .starts_with("cluster-admin"));
    assert!(deployer["risks"]
        .as_array()
        .unwrap()
        .contains(&"NHI5:2025".into()));
    let default = sas
        .iter()
        .find(|s| s["attributes"]["service_account"] == "default")
        .unwrap();
    assert_eq!(default["workloads"], serde_json::json!(["Pod/web"]));
    assert_eq!(default["token_mounted"], true);
    // The commits are dated 2020: every credential has been exposed for years (ServiceAccounts
    // have no credential of their own here).
    assert_eq!(inv["summary"]["exposed_over_a_year"], 3);
}

#[test]
fn from_a_report_csv_and_text() {
    let (r, secrets) = estate();
    let report = r.home().join("report.json");
    // `git` exits 1: it found secrets.
    nhiscan()
        .current_dir(&r.dir)
        .args([
            "git",
            ".",
            "--format",
            "json",
            "-o",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let direct: Value = serde_json::from_slice(
        &run_ok(&r.dir, &["inventory", "--git", ".", "--format", "json"]).stdout,
    )
    .unwrap();
    let from: Value = serde_json::from_slice(
        &run_ok(
            &r.dir,
            &[
                "inventory",
                "--from-report",
                report.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert!(inventory_schema_errors(&from).is_empty());
    let ids = |v: &Value| -> Vec<String> {
        v["identities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&direct),
        ids(&from),
        "a report carries everything the inventory needs"
    );

    let csv =
        String::from_utf8(run_ok(&r.dir, &["inventory", "--git", ".", "--format", "csv"]).stdout)
            .unwrap();
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(rows[0].starts_with("id,type,name,severity,risks"));
    assert_eq!(rows.len() - 1, ids(&direct).len());
    let text = String::from_utf8(run_ok(&r.dir, &["inventory", "--git", "."]).stdout).unwrap();
    assert!(text.contains("aws-access-key") && text.contains("identities from"));
    for s in &secrets {
        let shown = s.rsplit(':').next().unwrap();
        assert!(!csv.contains(shown) && !text.contains(shown));
    }
}

#[test]
fn owasp_ids_on_every_finding_in_json_and_sarif() {
    let (r, _) = estate();
    let out = nhiscan()
        .current_dir(&r.dir)
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = crate::support::report_schema_errors(&json);
    assert!(errors.is_empty(), "{errors:#?}");
    for f in json["findings"].as_array().unwrap() {
        let ids = f["properties"]["owasp_nhi"]
            .as_array()
            .unwrap_or_else(|| panic!("no owasp_nhi: {f}"));
        assert!(!ids.is_empty());
        if f["category"] == "permission" {
            assert!(ids.contains(&"NHI5:2025".into()));
        }
    }
    let out = nhiscan()
        .current_dir(&r.dir)
        .args(["scan", ".", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(sarif_schema_errors(&sarif).is_empty());
    for res in sarif["runs"][0]["results"].as_array().unwrap() {
        assert!(res["properties"]["owasp_nhi"].is_array(), "{res}");
    }
}

/// An image report: the same GitHub token in two layers of an image and in a repository is one
/// identity exposed in two services (the image and the repository), with its layers named.
#[test]
fn image_layers_and_reuse_across_services() {
    use crate::support::{config, docker_save, layer, Entry};
    let dir = tempfile::tempdir().unwrap();
    let token = github_token("ghp_", 77);
    let env = format!("GH_TOKEN={token}\n");
    let layers = vec![
        layer(&[Entry::File("app/.env", env.clone().into_bytes())]),
        layer(&[Entry::File("srv/deploy/prod.env", env.clone().into_bytes())]),
    ];
    let cfg = config(&[], &["COPY .env /app/", "COPY prod.env /srv/deploy/"]);
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    let image = nhiscan()
        .current_dir(dir.path())
        .args(["image", "app.tar", "--format", "json"])
        .output()
        .unwrap();
    let mut doc: Value = serde_json::from_slice(&image.stdout).unwrap();
    // The repository the image was built from holds the token too (as a batch report puts it).
    let mut repo_finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "github-pat-classic")
        .expect("the token is found in the image")
        .clone();
    repo_finding["artifact"] = "config/dev.env".into();
    repo_finding["properties"] = serde_json::json!({
        "repository": "github.com/example/app",
        "nhi": repo_finding["properties"]["nhi"].clone(),
    });
    doc["findings"].as_array_mut().unwrap().push(repo_finding);
    let report = dir.path().join("r.json");
    std::fs::write(&report, serde_json::to_vec(&doc).unwrap()).unwrap();
    let inv: Value = serde_json::from_slice(
        &run_ok(
            dir.path(),
            &[
                "inventory",
                "--from-report",
                report.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert!(inventory_schema_errors(&inv).is_empty());
    let gh = by_type(&inv, "github-token");
    assert_eq!(gh.len(), 1, "{inv:#}");
    let places = gh[0]["exposures"].as_array().unwrap();
    assert!(
        places.iter().filter(|p| p["layer"].is_string()).count() >= 1,
        "{places:#?}"
    );
    assert_eq!(gh[0]["reuse_count"], 2, "the image and the repository");
    assert!(gh[0]["risks"]
        .as_array()
        .unwrap()
        .contains(&"NHI9:2025".into()));
    assert_eq!(
        gh[0]["cross_environment"], true,
        "prod in the image, dev in the repository"
    );
}

/// From a results store: only what is not fixed, each repository's coverage, and the runs with
/// their new and fixed findings (in the HTML report's data).
#[test]
fn from_a_results_store() {
    use crate::store::{engine, findings, repo, run, ALL};
    use nhiscan::store::{Coverage, Options, Store};
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("nhiscan.db").to_string_lossy().into_owned();
    let mut store = Store::open(&spec, Options::default()).unwrap();
    let eng = engine("0.1.0", "rules");
    let both = findings(&[("deploy/prod/app.env", 501), ("config/dev.env", 502)]);
    run(
        &mut store,
        "run-1",
        None,
        &eng,
        vec![repo(
            "github.com/example/app",
            ALL,
            Coverage::Complete,
            both.clone(),
        )],
    );
    // The dev token is removed; a second repository could be read only in part.
    run(
        &mut store,
        "run-2",
        None,
        &eng,
        vec![
            repo(
                "github.com/example/app",
                ALL,
                Coverage::Complete,
                both[..1].to_vec(),
            ),
            repo(
                "github.com/example/lib",
                ALL,
                Coverage::Partial(vec!["missing blob 1234".into()]),
                Vec::new(),
            ),
        ],
    );
    drop(store);
    let inv: Value = serde_json::from_slice(
        &run_ok(
            dir.path(),
            &["inventory", "--store", &spec, "--format", "json"],
        )
        .stdout,
    )
    .unwrap();
    assert!(inventory_schema_errors(&inv).is_empty());
    let gh = by_type(&inv, "github-token");
    assert_eq!(
        gh.len(),
        1,
        "the fixed token is not in the inventory: {inv:#}"
    );
    assert_eq!(gh[0]["environments"], serde_json::json!(["prod"]));
    assert_eq!(
        gh[0]["repositories"],
        serde_json::json!(["github.com/example/app"])
    );

    let page = dir.path().join("r.html");
    run_ok(
        dir.path(),
        &["report", "--html", page.to_str().unwrap(), "--store", &spec],
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let start = html.find("id=\"nhiscan-data\">").unwrap() + "id=\"nhiscan-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&html[start..end]).unwrap();
    let runs = data["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(
        (&runs[0]["new"], &runs[1]["fixed"]),
        (&2.into(), &1.into()),
        "{runs:#?}"
    );
    let cov = data["coverage"].as_array().unwrap();
    let lib = cov
        .iter()
        .find(|c| c["repo"] == "github.com/example/lib")
        .unwrap();
    assert_eq!(lib["status"], "partial");
    assert_eq!(lib["reasons"][0], "missing blob 1234");
}

/// Environments from branches: the same token committed on `deploy/production` and on `develop`
/// (at paths that name no environment) is in prod and dev, so it breaks their isolation (NHI8); a
/// token committed on `main` only is in none.
#[test]
fn environments_from_the_branches_that_contain_the_commit() {
    let r = Repo::new();
    let (shared, other) = (github_token("ghp_", 61), github_token("ghp_", 62));
    r.write("README.md", "app\n");
    r.commit("initial");
    r.git(&["checkout", "-q", "-b", "deploy/production"]);
    r.write("config/app.yml", &format!("token: {shared}\n"));
    let prod = r.commit("deploy settings");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["checkout", "-q", "-b", "develop"]);
    // Another blob than the production one: its own introducing commit.
    r.write("config/app.yml", &format!("# local\ntoken: {shared}\n"));
    let dev = r.commit("dev settings");
    r.git(&["checkout", "-q", "main"]);
    r.write("src/client.txt", &format!("token = {other}\n"));
    let client = r.commit("client");

    // The source: each finding names the branches that contain its introducing commit.
    let out = nhiscan()
        .current_dir(&r.dir)
        .args(["git", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = crate::support::report_schema_errors(&report);
    assert!(errors.is_empty(), "{errors:#?}");
    // The shared token is one finding; its other place keeps its commit and branches.
    let mut branches: std::collections::BTreeMap<String, Value> = Default::default();
    for f in report["findings"].as_array().unwrap() {
        let p = &f["properties"];
        let places = p["locations"].as_array().cloned().unwrap_or_default();
        for at in std::iter::once(p).chain(&places) {
            if let Some(c) = at["commit"].as_str() {
                branches.insert(c.to_string(), at["branches"].clone());
            }
        }
    }
    assert_eq!(branches[&prod], serde_json::json!(["deploy/production"]));
    assert_eq!(branches[&dev], serde_json::json!(["develop"]));
    assert_eq!(branches[&client], serde_json::json!(["main"]));

    let inv: Value = serde_json::from_slice(
        &run_ok(&r.dir, &["inventory", "--git", ".", "--format", "json"]).stdout,
    )
    .unwrap();
    assert!(inventory_schema_errors(&inv).is_empty());
    let gh = by_type(&inv, "github-token");
    let both = gh
        .iter()
        .find(|i| i["exposures"].as_array().unwrap().len() == 2)
        .unwrap_or_else(|| panic!("the shared token: {inv:#}"));
    assert_eq!(both["environments"], serde_json::json!(["dev", "prod"]));
    assert_eq!(both["cross_environment"], true);
    assert!(both["risks"]
        .as_array()
        .unwrap()
        .contains(&"NHI8:2025".into()));
    let main_only = gh.iter().find(|i| i["id"] != both["id"]).unwrap();
    assert_eq!(main_only["environments"], serde_json::json!([]));
    assert_eq!(main_only["cross_environment"], false);
    assert_eq!(inv["summary"]["cross_environment"], 1);
}

/// Owners from CODEOWNERS for a results store too: each repository that is a directory here (a
/// batch of local repositories), a bare one included, gives the owners of its HEAD's CODEOWNERS.
#[test]
fn codeowners_of_stored_repositories() {
    use crate::store::{engine, findings, repo, run, ALL};
    use nhiscan::store::{Coverage, Options, Store};
    let r = Repo::new();
    r.write(".github/CODEOWNERS", "* @org/platform\n/deploy/ @org/ops\n");
    r.commit("owners");
    let bare = r.home().join("app.git");
    r.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let key = bare.to_string_lossy().into_owned();
    let spec = r.home().join("nhiscan.db").to_string_lossy().into_owned();
    let mut store = Store::open(&spec, Options::default()).unwrap();
    let found = findings(&[("deploy/prod/app.env", 71), ("src/main.env", 72)]);
    run(
        &mut store,
        "run-1",
        None,
        &engine("0.1.0", "rules"),
        vec![repo(&key, ALL, Coverage::Complete, found)],
    );
    drop(store);
    let inv: Value = serde_json::from_slice(
        &run_ok(
            r.home(),
            &["inventory", "--store", &spec, "--format", "json"],
        )
        .stdout,
    )
    .unwrap();
    let owners = |path: &str| -> Vec<String> {
        let i = inv["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["exposures"][0]["path"] == path)
            .unwrap_or_else(|| panic!("{path}: {inv:#}"));
        i["owners"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["source"] == "codeowners")
            .map(|o| o["who"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(owners("deploy/prod/app.env"), ["@org/ops"]);
    assert_eq!(owners("src/main.env"), ["@org/platform"]);
}
