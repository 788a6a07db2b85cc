//! One pipeline (issue 8, point 1): the same secrets and the same project config committed to one
//! repository give the same findings through `scan`, `git`, `staged` and an image built from it: the
//! same fingerprint for the same secret, the same `[[allow]]` suppression, the same `[policy]`
//! verdict; paths (and so location fingerprints) are repository-relative however the path was typed;
//! a baseline made by one command suppresses the same findings in the others.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{
    aws_key_id, aws_secret, config, docker_save, github_token, gz, json, layer, stderr, Entry, Repo,
};

const RBAC: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: deployer
rules:
- apiGroups: [\"*\"]
  resources: [\"*\"]
  verbs: [\"*\"]
";

/// The rules the planted content triggers; the others stay off so the test is exact.
const ENABLE: &str = "aws-access-key-id,aws-secret-access-key,github-pat-classic,k8s-rbac-wildcard";

/// The fake secrets (assembled at run time) in a `.env` file.
fn env_file() -> String {
    format!(
        "# deploy settings\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nGITHUB_TOKEN={}\n",
        aws_key_id(101),
        aws_secret(102),
        github_token("ghp_", 103)
    )
}

/// A repository with app/.env (AWS key id and secret, GitHub token) and k8s/rbac.yaml (a wildcard
/// ClusterRole) committed, and a `.nhiscan.toml` with a `[policy]` table and an `[[allow]]` entry
/// for the AWS secret's fingerprint (found by a first scan).
fn project() -> (Repo, String) {
    let r = Repo::new();
    r.write("app/.env", &env_file());
    r.write("k8s/rbac.yaml", RBAC);
    let first = report(&r, &r.dir, &["scan", "."]);
    let allowed = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws-secret-access-key")
        .unwrap_or_else(|| panic!("no AWS secret found: {first}"))["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    r.write(
        ".nhiscan.toml",
        &format!(
            "enable = [{}]\n\n[policy]\nrequire_secret_store = true\nforbid_wildcard = true\n\n\
             [[allow]]\nfingerprint = \"{allowed}\"\nreason = \"rotated, kept as a test fixture\"\n",
            ENABLE
                .split(',')
                .map(|id| format!("\"{id}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    r.commit("app config");
    (r, allowed)
}

/// The JSON report of `nhiscan ARGS --format json` run in `dir`.
fn report(r: &Repo, dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "-q"]);
    if !all.contains(&"--enable") && !r.dir.join(".nhiscan.toml").exists() {
        all.extend(["--enable", ENABLE]);
    }
    let out = r.cli(dir, &all);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        stderr(&out)
    );
    json(&out)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("findings")
}

/// rule id -> (fingerprint, policies) of every finding; one finding per rule here.
fn verdicts(report: &Value) -> BTreeMap<String, (String, Vec<String>)> {
    let mut m = BTreeMap::new();
    for f in findings(report) {
        let policies = f["policies"].as_array().map_or(vec![], |p| {
            p.iter().map(|p| p.as_str().unwrap().to_string()).collect()
        });
        let prev = m.insert(
            f["rule_id"].as_str().unwrap().to_string(),
            (f["fingerprint"].as_str().unwrap().to_string(), policies),
        );
        assert!(prev.is_none(), "two findings of {}: {report}", f["rule_id"]);
    }
    m
}

/// An image whose one layer holds the repository's committed files (as `COPY . /srv` would).
fn image_of(r: &Repo) -> std::path::PathBuf {
    let env = std::fs::read(r.dir.join("app/.env")).unwrap();
    let rbac = std::fs::read(r.dir.join("k8s/rbac.yaml")).unwrap();
    let l = gz(&layer(&[
        Entry::Dir("srv/"),
        Entry::File("srv/app/.env", env),
        Entry::File("srv/k8s/rbac.yaml", rbac),
    ]));
    let tarball = r.home().join("app.tar");
    std::fs::write(
        &tarball,
        docker_save(&[l], &config(&[], &["COPY . /srv # buildkit"])),
    )
    .unwrap();
    tarball
}

#[test]
fn every_command_gives_the_same_fingerprints_suppressions_and_policy_verdicts() {
    let (r, allowed) = project();
    let scan = report(&r, &r.dir, &["scan", "."]);
    let git = report(&r, &r.dir, &["git"]);
    let tarball = image_of(&r);
    let image = report(&r, &r.dir, &["image", tarball.to_str().unwrap()]);
    // The same secrets added in a new file, staged.
    r.write("deploy/prod.env", &env_file());
    r.write("deploy/rbac.yaml", RBAC);
    r.git(&["add", "-A"]);
    let staged = report(&r, &r.dir, &["staged"]);

    let want = verdicts(&scan);
    let ids: Vec<&str> = want.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "aws-access-key-id",
            "github-pat-classic",
            "k8s-rbac-wildcard"
        ],
        "the AWS secret is allowed: {scan}"
    );
    let policies = |id: &str| want[id].1.clone();
    assert_eq!(
        policies("aws-access-key-id"),
        ["policy-require-secret-store"]
    );
    assert_eq!(
        policies("github-pat-classic"),
        ["policy-require-secret-store"]
    );
    assert_eq!(policies("k8s-rbac-wildcard"), ["policy-forbid-wildcard"]);
    for (name, rep) in [("git", &git), ("image", &image), ("staged", &staged)] {
        assert_eq!(verdicts(rep), want, "{name} differs from scan: {rep}");
        assert_eq!(
            rep["summary"]["suppressed"], 1,
            "{name}: the allowed secret"
        );
        assert!(
            !rep.to_string().contains(&allowed),
            "{name}: the allowed fingerprint is reported"
        );
    }
    assert_eq!(scan["summary"]["suppressed"], 1);
    // Where each command found them.
    let places = |rep: &Value| -> Vec<String> {
        let mut v: Vec<String> = findings(rep)
            .iter()
            .map(|f| format!("{}:{}", f["artifact"].as_str().unwrap(), f["line"]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        places(&scan),
        ["app/.env:2", "app/.env:4", "k8s/rbac.yaml:6"]
    );
    assert_eq!(places(&git), places(&scan));
    assert_eq!(
        places(&staged),
        [
            "deploy/prod.env:2",
            "deploy/prod.env:4",
            "deploy/rbac.yaml:6"
        ]
    );
    // scan and git name the same file and line the same way: the same location fingerprint.
    for s in findings(&scan) {
        let g = findings(&git)
            .iter()
            .find(|g| g["rule_id"] == s["rule_id"])
            .unwrap();
        for key in ["artifact", "line", "location_fingerprint"] {
            assert_eq!(s[key], g[key], "{key} of {}", s["rule_id"]);
        }
    }
}

#[test]
fn paths_are_repository_relative_however_typed() {
    let (r, _) = project();
    let dir = r.dir.to_str().unwrap().to_string();
    let file = r.dir.join("app/.env");
    let app = r.dir.join("app");
    // (artifact, line, rule, fingerprint, location fingerprint, policies) of every finding.
    let seen = |cwd: &Path, path: &str| -> Vec<String> {
        let rep = report(&r, cwd, &["scan", path]);
        let mut v: Vec<String> = findings(&rep)
            .iter()
            .map(|f| {
                format!(
                    "{} {} {} {} {} {}",
                    f["artifact"].as_str().unwrap(),
                    f["line"],
                    f["rule_id"].as_str().unwrap(),
                    f["fingerprint"].as_str().unwrap(),
                    f["location_fingerprint"].as_str().unwrap(),
                    f["policies"]
                )
            })
            .filter(|s| s.starts_with("app/"))
            .collect();
        v.sort();
        v
    };
    let base = seen(&r.dir, ".");
    assert_eq!(base.len(), 2, "{base:?}");
    assert!(base.iter().all(|s| s.starts_with("app/.env ")), "{base:?}");
    assert_eq!(seen(r.home(), &dir), base, "scan DIR");
    assert_eq!(
        seen(r.home(), file.to_str().unwrap()),
        base,
        "scan DIR/file"
    );
    assert_eq!(seen(&r.dir, "app/.env"), base, "cd DIR && scan app/.env");
    assert_eq!(seen(&app, "."), base, "cd DIR/app && scan .");
    assert_eq!(seen(&app, ".env"), base, "cd DIR/app && scan .env");
    assert_eq!(seen(r.home(), app.to_str().unwrap()), base, "scan DIR/app");
}

#[test]
fn a_baseline_made_by_one_command_suppresses_the_same_findings_in_the_others() {
    let (r, _) = project();
    let home = r.home().to_path_buf();
    for (made_by, create) in [
        ("scan", vec!["baseline", "create", "."]),
        ("git", vec!["baseline", "create", "--git", "."]),
    ] {
        let base = home.join(format!("baseline-{made_by}.json"));
        let mut args = create.clone();
        args.extend(["-o", base.to_str().unwrap()]);
        let out = r.cli(&r.dir, &args);
        assert_eq!(out.status.code(), Some(0), "{made_by}: {}", stderr(&out));
        let base = base.to_str().unwrap();
        for cmd in [vec!["scan", "."], vec!["git"]] {
            let mut args = cmd.clone();
            args.extend(["--baseline", base]);
            let rep = report(&r, &r.dir, &args);
            assert_eq!(
                findings(&rep).len(),
                0,
                "baseline from {made_by}, {cmd:?}: {rep}"
            );
            assert_eq!(
                rep["summary"]["baselined"], 3,
                "baseline from {made_by}, {cmd:?}"
            );
        }
    }
}

#[test]
fn policy_option_is_accepted_by_every_scanning_command() {
    let r = Repo::new();
    r.write("app/.env", &env_file());
    r.write("k8s/rbac.yaml", RBAC);
    r.commit("app config");
    let policy = r.home().join("policy.toml");
    std::fs::write(
        &policy,
        "[policy]\nname = \"org\"\nrequire_secret_store = true\nforbid_wildcard = true\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let tarball = image_of(&r);
    let with = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--policy", policy, "--enable", ENABLE]);
        report(&r, &r.dir, &all)
    };
    let scan = with(&["scan", "."]);
    let git = with(&["git"]);
    let image = with(&["image", tarball.to_str().unwrap()]);
    r.write("deploy/prod.env", &env_file());
    r.write("deploy/rbac.yaml", RBAC);
    r.git(&["add", "-A"]);
    let staged = with(&["staged"]);
    let scan_staged = with(&["scan", "--staged"]);
    let want = verdicts(&scan);
    assert_eq!(want.len(), 4, "{scan}");
    for (id, (_, policies)) in &want {
        let expected = if id == "k8s-rbac-wildcard" {
            "policy-forbid-wildcard"
        } else {
            "policy-require-secret-store"
        };
        assert_eq!(policies, &[expected], "{id}");
    }
    for (name, rep) in [
        ("git", &git),
        ("image", &image),
        ("staged", &staged),
        ("scan --staged", &scan_staged),
    ] {
        assert_eq!(verdicts(rep), want, "{name} differs from scan: {rep}");
        assert!(
            findings(rep)
                .iter()
                .all(|f| f["properties"]["policy"] == "org"),
            "{name}: {rep}"
        );
    }
}
