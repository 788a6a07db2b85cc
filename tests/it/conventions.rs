//! Results CI can trust (issue 9): missing paths and read errors fail closed, paths and config are
//! anchored at the repository root, categories gate builds, history reports posture once, the
//! output conventions (`-o`, `-q`, `-v`, short fingerprints, `--version`, completions, man page)
//! and the JSON report schema.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::support::{
    aws_key_id, docker_save, gz, json, jsonl, jsonl_line_schema_errors, layer, nhiscan,
    report_schema_errors, run_in, sarif_schema_errors, stderr, stdout, Entry, Repo,
};

const RBAC: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  \
                    name: deployer\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  \
                    verbs: [\"*\"]\n";

/// A workflow without `permissions` (gha-permissions-missing, medium, at line 4: `build:`).
const WORKFLOW: &str = "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    \
                        steps:\n      - uses: actions/checkout@v4\n";

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The rule ids of a JSON report's findings, sorted.
fn rules_of(rep: &Value) -> Vec<String> {
    let mut v: Vec<String> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

// Fail closed.

#[test]
fn a_missing_path_exits_2_with_one_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "present/a.txt", "hello\n");
    let missing = "/nonexistent";
    assert!(!Path::new(missing).exists());
    for args in [
        vec!["scan", missing],
        vec!["scan", "present", missing],
        vec!["scan", "present", missing, "--format", "json"],
        vec!["scan", "present", missing, "--format", "sarif"],
    ] {
        let out = run_in(dir.path(), &args);
        assert_eq!(code(&out), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one error line: {err}");
        assert!(
            lines[0].starts_with("error:") && lines[0].contains(missing),
            "{args:?}: {err}"
        );
        assert_eq!(stdout(&out), "", "{args:?}: no report of a partial scan");
    }
}

/// A directory with one AWS key (d/a.txt) and a dangling symlink (d/dangling), read with `--follow`.
fn with_read_error() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "d/a.txt",
        &format!("key = \"{}\"\n", aws_key_id(901)),
    );
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("d/dangling")).unwrap();
    dir
}

#[test]
fn a_read_error_makes_the_scan_incomplete_in_every_format() {
    let dir = with_read_error();
    let p = dir.path();

    // Without --follow the link is not read: complete.
    let out = run_in(p, &["scan", "d", "--format", "json", "-q"]);
    assert_eq!(code(&out), Some(1));
    let rep = json(&out);
    assert_eq!(rep["complete"], true);
    assert_eq!(rep["errors"], serde_json::json!([]));

    let out = run_in(p, &["scan", "d", "--follow", "--format", "json", "-q"]);
    assert_eq!(
        code(&out),
        Some(1),
        "the findings still decide: {}",
        stderr(&out)
    );
    let rep = json(&out);
    assert_eq!(rep["complete"], false);
    assert_eq!(rep["summary"]["incomplete"], true);
    assert_eq!(rep["summary"]["errors"], 1);
    let errors = rep["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["path"].as_str().unwrap().ends_with("dangling"),
        "{errors:?}"
    );
    assert_eq!(rules_of(&rep), vec!["aws-access-key-id"]);

    let out = run_in(p, &["scan", "d", "--follow", "--format", "jsonl", "-q"]);
    let (lines, end) = jsonl(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(end["complete"], false);
    assert_eq!(end["errors"].as_array().unwrap().len(), 1);

    let out = run_in(p, &["scan", "d", "--follow", "--format", "sarif", "-q"]);
    assert_eq!(code(&out), Some(1));
    let doc = json(&out);
    let errs = sarif_schema_errors(&doc);
    assert!(errs.is_empty(), "{errs:#?}");
    let inv = &doc["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("dangling"),
        "{notes:?}"
    );

    // Text says so on stderr.
    let out = run_in(p, &["scan", "d", "--follow", "--color", "never"]);
    assert_eq!(code(&out), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("dangling") && err.contains("incomplete"),
        "{err}"
    );

    // --strict, or `strict = true`, makes it exit 2 whatever was found.
    let out = run_in(p, &["scan", "d", "--follow", "--strict", "-q"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--strict"), "{}", stderr(&out));
    // A complete scan under --strict exits on its findings as usual.
    let out = run_in(p, &["scan", "d", "--strict", "-q"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    write(p, "d/.nhiscan.toml", "strict = true\n");
    let out = run_in(p, &["scan", "d", "--follow", "-q"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    let out = run_in(&p.join("d"), &["scan", ".", "--follow", "-q"]);
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
}

// Anchored at the repository.

fn file_url(dir: &Path) -> String {
    format!(
        "file://{}/",
        std::fs::canonicalize(dir).unwrap().to_string_lossy()
    )
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root() {
    let r = Repo::new();
    r.write(
        "src/settings.py",
        &format!("DEBUG = False\nAWS_KEY = \"{}\"\n", aws_key_id(902)),
    );
    r.write("README.md", "hello\n");
    for (cwd, arg) in [
        (r.dir.clone(), "src/"),
        (r.dir.clone(), "src/settings.py"),
        (r.dir.join("src"), "."),
    ] {
        let out = r.cli(&cwd, &["scan", arg, "--format", "sarif"]);
        assert_eq!(code(&out), Some(1), "{arg}: {}", stderr(&out));
        let doc = json(&out);
        let run = &doc["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["SRCROOT"]["uri"],
            file_url(&r.dir).as_str(),
            "{arg}"
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "{arg}");
        let loc = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/settings.py", "{arg}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT", "{arg}");
        assert_eq!(loc["region"]["startLine"], 2, "{arg}");

        let rep = json(&r.cli(&cwd, &["scan", arg, "--format", "json"]));
        assert_eq!(rep["findings"][0]["artifact"], "src/settings.py", "{arg}");
    }
}

#[test]
fn the_config_is_found_from_each_scanned_path_up_to_the_repository_root() {
    let r = Repo::new();
    r.write("k8s/rbac.yaml", RBAC);
    r.write("README.md", "hello\n");
    let k8s = r.dir.join("k8s");
    // (cwd, path): the three ways of typing it that issue 9 found to disagree.
    let ways = [
        (r.dir.clone(), "k8s"),
        (r.dir.clone(), "k8s/rbac.yaml"),
        (k8s.clone(), "."),
    ];
    let run = |cwd: &Path, arg: &str| {
        let out = r.cli(cwd, &["scan", arg, "--format", "json", "-q"]);
        (code(&out), json(&out))
    };
    for (cwd, arg) in &ways {
        let (c, rep) = run(cwd, arg);
        assert_eq!(c, Some(1), "no config: {arg} in {cwd:?}");
        assert_eq!(rules_of(&rep), vec!["k8s-rbac-wildcard"]);
    }

    r.write(".nhiscan.toml", "disable = [\"k8s-rbac-wildcard\"]\n");
    for (cwd, arg) in &ways {
        let (c, rep) = run(cwd, arg);
        assert_eq!(c, Some(0), "root `disable`: {arg} in {cwd:?}");
        assert_eq!(rules_of(&rep), Vec::<String>::new(), "{arg} in {cwd:?}");
    }

    // allow_paths globs match the repository-relative path, wherever the scan starts.
    r.write(".nhiscan.toml", "allow_paths = [\"k8s/**\"]\n");
    for (cwd, arg) in &ways {
        let (c, rep) = run(cwd, arg);
        assert_eq!(c, Some(0), "root `allow_paths`: {arg} in {cwd:?}");
        assert_eq!(rep["summary"]["suppressed"], 1, "{arg} in {cwd:?}");
    }

    // The nearer config wins over the root one (it does not inherit the root's keys).
    r.write(".nhiscan.toml", "disable = [\"k8s-rbac-wildcard\"]\n");
    r.write("k8s/.nhiscan.toml", "allow_paths = [\"nothing/**\"]\n");
    for (cwd, arg) in &ways {
        let (c, rep) = run(cwd, arg);
        assert_eq!(c, Some(1), "k8s/.nhiscan.toml: {arg} in {cwd:?}");
        assert_eq!(
            rules_of(&rep),
            vec!["k8s-rbac-wildcard"],
            "{arg} in {cwd:?}"
        );
    }
    r.write(
        "k8s/.nhiscan.toml",
        "[severity]\nk8s-rbac-wildcard = \"low\"\n",
    );
    for (cwd, arg) in &ways {
        let (c, rep) = run(cwd, arg);
        assert_eq!(
            c,
            Some(0),
            "a low permission finding passes: {arg} in {cwd:?}"
        );
        assert_eq!(rep["findings"][0]["severity"], "low", "{arg} in {cwd:?}");
    }
}

// Categories gate builds.

#[test]
fn a_medium_posture_finding_is_listed_but_does_not_fail_scan() {
    let r = Repo::new();
    r.write(".github/workflows/ci.yml", WORKFLOW);
    let out = r.cli(&r.dir, &["scan", "."]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(".github/workflows/ci.yml") && text.contains("gha-permissions-missing"),
        "{text}"
    );
    assert!(
        !(text + &stderr(&out)).contains("revoke"),
        "no secret, no rotation advice"
    );

    let rep = json(&r.cli(&r.dir, &["scan", ".", "--format", "json"]));
    let f = &rep["findings"][0];
    assert_eq!(f["rule_id"], "gha-permissions-missing");
    assert_eq!(f["severity"], "medium");
    assert_eq!(f["category"], "permission");

    for (spec, want) in [
        ("any", 1),
        ("medium", 1),
        ("permission", 1),
        ("permission:medium", 1),
        ("permission:high", 0),
        ("secret", 0),
        ("high", 0),
        ("secret,permission:low", 1),
    ] {
        let out = r.cli(&r.dir, &["scan", ".", "--fail-on", spec, "-q"]);
        assert_eq!(code(&out), Some(want), "--fail-on {spec}: {}", stderr(&out));
    }
    let out = r.cli(&r.dir, &["scan", ".", "--fail-on", "bogus"]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("bogus"), "{}", stderr(&out));
}

#[test]
fn fail_on_selects_categories_and_severities() {
    let r = Repo::new();
    r.write("k8s/rbac.yaml", RBAC);
    let rep = json(&r.cli(&r.dir, &["scan", ".", "--format", "json"]));
    assert_eq!(rep["findings"][0]["category"], "permission");
    assert_eq!(rep["findings"][0]["severity"], "high");
    for (spec, want) in [
        (None, 1),
        (Some("permission:high"), 1),
        (Some("permission"), 1),
        (Some("secret"), 0),
        (Some("permission:critical"), 0),
        (Some("identity,dockerfile"), 0),
        (Some("secret,high"), 1),
    ] {
        let mut args = vec!["scan", ".", "-q"];
        if let Some(s) = spec {
            args.extend(["--fail-on", s]);
        }
        let out = r.cli(&r.dir, &args);
        assert_eq!(
            code(&out),
            Some(want),
            "--fail-on {spec:?}: {}",
            stderr(&out)
        );
    }

    // A secret is its own category.
    r.write("app.env", &format!("AWS_KEY={}\n", aws_key_id(903)));
    let rep = json(&r.cli(&r.dir, &["scan", ".", "--format", "json"]));
    let secret = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws-access-key-id")
        .expect("the key");
    assert_eq!(secret["category"], "secret");
    let out = r.cli(&r.dir, &["scan", ".", "-q", "--fail-on", "secret"]);
    assert_eq!(code(&out), Some(1));
    let out = r.cli(&r.dir, &["scan", ".", "-q", "--fail-on", "permission"]);
    assert_eq!(code(&out), Some(1));
    let out = r.cli(&r.dir, &["scan", ".", "-q", "--fail-on", "critical"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
}

#[test]
fn staged_blocks_on_secrets_only() {
    let r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init");
    r.write(".github/workflows/ci.yml", WORKFLOW);
    r.git(&["add", "-A"]);
    let out = r.cli(&r.dir, &["staged"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("gha-permissions-missing"),
        "shown as a warning: {}",
        stdout(&out)
    );
    let all = stdout(&out) + &stderr(&out);
    assert!(!all.contains("secrets listed above"), "{all}");
    assert!(!all.contains("revoke"), "{all}");

    r.write(
        "app/settings.py",
        &format!("KEY = \"{}\"\n", aws_key_id(904)),
    );
    r.git(&["add", "-A"]);
    let out = r.cli(&r.dir, &["staged"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("secrets listed above"),
        "{}",
        stderr(&out)
    );
    let rep = json(&r.cli(&r.dir, &["staged", "--format", "json"]));
    let mut cats: Vec<(String, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    cats.sort();
    assert_eq!(
        cats,
        vec![
            ("aws-access-key-id".to_string(), "secret".to_string()),
            (
                "gha-permissions-missing".to_string(),
                "permission".to_string()
            ),
        ]
    );
    // --fail-on widens what blocks a commit.
    r.git(&["rm", "-q", "--cached", "app/settings.py"]);
    let out = r.cli(&r.dir, &["staged", "--fail-on", "any", "-q"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
}

// History: posture once.

#[test]
fn history_reports_posture_once_from_the_tip_with_its_first_commit() {
    let r = Repo::new();
    let mut commits = Vec::new();
    // Three versions of each file, each with the same RBAC wildcard (line 6) and no `permissions`.
    for i in 1..=3 {
        r.write("k8s/rbac.yaml", &format!("{RBAC}# revision {i}\n"));
        r.write(
            ".github/workflows/ci.yml",
            &format!("{WORKFLOW}      - run: echo {i}\n"),
        );
        commits.push(r.commit(&format!("version {i}")));
    }
    // The fourth adds `permissions:` to the workflow.
    r.write(
        ".github/workflows/ci.yml",
        &format!(
            "{}      - run: echo 4\n",
            WORKFLOW.replace("jobs:", "permissions:\n  contents: read\njobs:")
        ),
    );
    r.commit("workflow permissions");

    let out = r.cli(&r.dir, &["git", "--format", "json"]);
    assert_eq!(
        code(&out),
        Some(1),
        "the wildcard is high: {}",
        stderr(&out)
    );
    let rep = json(&out);
    let findings = rep["findings"].as_array().unwrap();
    assert_eq!(rules_of(&rep), vec!["k8s-rbac-wildcard"], "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["artifact"], "k8s/rbac.yaml");
    assert_eq!(f["line"], 6);
    assert_eq!(f["properties"]["commit"], commits[0].as_str());
    assert_eq!(f["properties"]["date"], "2020-01-02T00:00:00Z");
    assert_eq!(f["properties"]["summary"], "version 1");
    assert_eq!(f["properties"]["at_head"], true);
    let text = r.cli(&r.dir, &["git"]);
    let all = stdout(&text) + &stderr(&text);
    assert!(!all.contains("revoke"), "no secret in history: {all}");

    let out = r.cli(&r.dir, &["git", "--every-version", "--format", "json"]);
    let rep = json(&out);
    let rules = rules_of(&rep);
    assert_eq!(rules.len(), 6, "{rules:?}");
    assert_eq!(
        rules.iter().filter(|r| *r == "k8s-rbac-wildcard").count(),
        3
    );
    assert_eq!(
        rules
            .iter()
            .filter(|r| *r == "gha-permissions-missing")
            .count(),
        3
    );

    // A secret committed then deleted is still reported, from every version.
    let key = aws_key_id(905);
    r.write("deploy/app.env", &format!("AWS_KEY={key}\n"));
    let added = r.commit("add env");
    r.git(&["rm", "-q", "deploy/app.env"]);
    r.commit("remove env");
    let out = r.cli(&r.dir, &["git", "--format", "json"]);
    assert_eq!(code(&out), Some(1));
    let rep = json(&out);
    let secret = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws-access-key-id")
        .expect("the deleted key");
    assert_eq!(secret["artifact"], "deploy/app.env");
    assert_eq!(secret["properties"]["commit"], added.as_str());
    assert_eq!(secret["properties"]["at_head"], false);
    assert_eq!(rules_of(&rep).len(), 2, "the key and the wildcard");
}

// Output conventions.

/// A directory (no repository) with one AWS key at line 2 of app/config.py.
fn one_secret() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/config.py",
        &format!("REGION = \"eu-west-1\"\nKEY = \"{}\"\n", aws_key_id(906)),
    );
    dir
}

#[test]
fn output_dash_is_stdout_and_the_extension_picks_the_format() {
    let dir = one_secret();
    let p = dir.path();
    let out = run_in(p, &["scan", "app", "-o", "-", "--color", "never"]);
    assert_eq!(code(&out), Some(1));
    assert!(
        stdout(&out).contains("aws-access-key-id"),
        "{}",
        stdout(&out)
    );
    assert!(!p.join("-").exists(), "no file named `-`");
    let out = run_in(p, &["scan", "app", "-o", "-", "--format", "json"]);
    assert_eq!(json(&out)["findings"][0]["rule_id"], "aws-access-key-id");
    assert!(!p.join("-").exists());

    for name in ["r.json", "r.sarif", "r.jsonl", "r.txt"] {
        let out = run_in(p, &["scan", "app", "-o", name, "-q", "--color", "never"]);
        assert_eq!(code(&out), Some(1), "{name}: {}", stderr(&out));
        assert!(
            !stdout(&out).contains("aws-access-key-id"),
            "{name}: the report goes to the file"
        );
        let text = std::fs::read_to_string(p.join(name)).unwrap();
        match name {
            "r.json" => {
                let v: Value = serde_json::from_str(&text).expect("JSON");
                let errs = report_schema_errors(&v);
                assert!(errs.is_empty(), "{errs:#?}");
                assert_eq!(v["findings"][0]["rule_id"], "aws-access-key-id");
            }
            "r.sarif" => {
                let v: Value = serde_json::from_str(&text).expect("SARIF is JSON");
                assert_eq!(v["version"], "2.1.0");
                let errs = sarif_schema_errors(&v);
                assert!(errs.is_empty(), "{errs:#?}");
                assert_eq!(v["runs"][0]["results"][0]["ruleId"], "aws-access-key-id");
            }
            "r.jsonl" => {
                let lines: Vec<Value> = text
                    .lines()
                    .map(|l| serde_json::from_str(l).expect("one object a line"))
                    .collect();
                assert_eq!(lines.len(), 2, "{text}");
                assert_eq!(lines[0]["rule_id"], "aws-access-key-id");
                assert_eq!(lines[1]["type"], "end");
                for l in &lines {
                    let errs = jsonl_line_schema_errors(l);
                    assert!(errs.is_empty(), "{errs:#?}");
                }
            }
            _ => {
                assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
                assert!(
                    text.contains("app/config.py") && text.contains("2:"),
                    "{text}"
                );
            }
        }
    }
}

#[test]
fn quiet_text_has_findings_but_no_summary_and_shows_short_fingerprints() {
    let dir = one_secret();
    let p = dir.path();
    let fp = json(&run_in(p, &["scan", "app", "--format", "json"]))["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fp.len(), 32, "{fp}");
    let short = &fp[..12];

    let out = run_in(p, &["scan", "app", "--color", "never"]);
    assert_eq!(code(&out), Some(1));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("aws-access-key-id"))
        .expect("the finding");
    assert!(line.starts_with("2:"), "{line}");
    assert!(line.contains(&format!("fp:{short}")), "{line}");
    assert!(!text.contains(&fp), "the short form only: {text}");
    let accept = text
        .lines()
        .find(|l| l.starts_with("accept a finding"))
        .unwrap_or_else(|| panic!("how to accept a finding: {text}"));
    assert!(
        accept.contains("[[allow]]") && accept.contains(short),
        "{accept}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("1 findings")),
        "the summary: {text}"
    );

    let out = run_in(p, &["scan", "app", "--color", "never", "-q"]);
    assert_eq!(code(&out), Some(1));
    let quiet = stdout(&out);
    assert!(quiet.contains(&format!("fp:{short}")), "{quiet}");
    assert!(!quiet.contains("findings"), "no summary: {quiet}");
    assert!(!quiet.contains("scanned in"), "no summary: {quiet}");
    assert!(!quiet.contains("accept a finding"), "no hints: {quiet}");
    assert_eq!(stderr(&out), "", "nothing on stderr");

    // The 12-hex short fingerprint is enough for an [[allow]] entry.
    write(
        p,
        "app/.nhiscan.toml",
        &format!("[[allow]]\nfingerprint = \"{short}\"\nreason = \"test key\"\n"),
    );
    let out = run_in(p, &["scan", "app", "--format", "json"]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(rep["findings"], serde_json::json!([]));
    assert_eq!(rep["summary"]["suppressed"], 1);
    // A different 12-hex prefix does not.
    let other = match short.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", &short[1..]),
    };
    write(
        p,
        "app/.nhiscan.toml",
        &format!("[[allow]]\nfingerprint = \"{other}\"\nreason = \"test key\"\n"),
    );
    let out = run_in(p, &["scan", "app", "-q"]);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
}

#[test]
fn verbose_lists_files_skipped_because_they_failed_to_parse() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // An IAM policy cut short: the analyzers cannot read it.
    write(
        p,
        "testdata/policy.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [ {\"Effect\": \"Allow\",\n",
    );
    // Not under allow_paths: an error, the scan still complete.
    let rep = json(&run_in(p, &["scan", ".", "--format", "json"]));
    assert_eq!(rep["errors"][0]["path"], "testdata/policy.json");
    assert_eq!(rep["complete"], true);

    write(p, ".nhiscan.toml", "allow_paths = [\"testdata/**\"]\n");
    let out = run_in(p, &["scan", ".", "--color", "never"]);
    assert_eq!(code(&out), Some(0));
    assert!(
        !stderr(&out).contains("testdata/policy.json"),
        "{}",
        stderr(&out)
    );
    let out = run_in(p, &["scan", ".", "-v", "--color", "never"]);
    assert_eq!(code(&out), Some(0));
    let note = stderr(&out)
        .lines()
        .find(|l| l.contains("testdata/policy.json"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("-v lists the skip: {}", stderr(&out)));
    assert!(
        note.contains("skipped") && note.contains("invalid JSON"),
        "{note}"
    );
    let rep = json(&run_in(p, &["scan", ".", "--format", "json"]));
    assert_eq!(rep["errors"], serde_json::json!([]));
    assert_eq!(rep["skipped"][0]["path"], "testdata/policy.json");
    assert_eq!(rep["summary"]["skipped"], 1);
}

#[test]
fn version_names_commit_rule_count_and_rules_hash() {
    let out = nhiscan().arg("--version").output().unwrap();
    assert_eq!(code(&out), Some(0));
    let v = stdout(&out);
    let re = regex::Regex::new(
        r"^nhiscan (\S+) \(commit ([0-9a-f]{7,40}|unknown), (\d+) built-in rules, rules sha256 ([0-9a-f]{12})\)\n$",
    )
    .unwrap();
    let caps = re
        .captures(&v)
        .unwrap_or_else(|| panic!("--version: {v:?}"));
    assert_eq!(&caps[1], env!("CARGO_PKG_VERSION"));
    let listed: Value = serde_json::from_slice(
        &nhiscan()
            .args(["rules", "list", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(
        caps[3].parse::<usize>().unwrap(),
        listed.as_array().unwrap().len(),
        "the rule count is the built-in rules"
    );
    // Reports name the same build.
    let dir = one_secret();
    let rep = json(&run_in(dir.path(), &["scan", "app", "--format", "json"]));
    assert_eq!(
        format!("nhiscan {}\n", rep["tool"]["build"].as_str().unwrap()),
        v
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = nhiscan().args(["completions", shell]).output().unwrap();
        assert_eq!(code(&out), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.len() > 200 && script.contains("nhiscan") && script.contains("staged"),
            "{shell}: {script}"
        );
    }
    let out = nhiscan().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(code(&out), Some(2), "an unknown shell is a usage error");
    let out = nhiscan().arg("man").output().unwrap();
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let roff = stdout(&out);
    assert!(
        roff.lines().any(|l| l.starts_with(".TH")),
        "roff: {}",
        &roff[..roff.len().min(400)]
    );
    assert!(roff.contains("nhiscan"), "{roff}");
}

// The JSON report schema.

#[test]
fn reports_of_every_source_validate_against_the_schema() {
    // scan, with findings and with an error.
    let dir = with_read_error();
    let p = dir.path();
    write(p, "d/k8s/rbac.yaml", RBAC);
    for extra in [&[][..], &["--follow"][..]] {
        let args = [&["scan", "d", "-q"][..], extra].concat();
        let rep = json(&run_in(p, &[&args[..], &["--format", "json"]].concat()));
        assert_eq!(rep["findings"].as_array().unwrap().len(), 2);
        assert_eq!(rep["schema_version"], 1);
        let (lines, end) = jsonl(&run_in(p, &[&args[..], &["--format", "jsonl"]].concat()));
        assert_eq!(lines.len(), 2);
        assert_eq!(end["complete"], extra.is_empty());
    }
    // A clean scan.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "a.txt", "nothing\n");
    let rep = json(&run_in(clean.path(), &["scan", ".", "--format", "json"]));
    assert_eq!(rep["findings"], serde_json::json!([]));
    jsonl(&run_in(clean.path(), &["scan", ".", "--format", "jsonl"]));

    // git (with provenance), staged.
    let r = Repo::new();
    r.write("k8s/rbac.yaml", RBAC);
    r.write("app.env", &format!("AWS_KEY={}\n", aws_key_id(907)));
    r.commit("one");
    r.write("more.env", &format!("AWS_KEY={}\n", aws_key_id(908)));
    r.git(&["add", "-A"]);
    for cmd in [
        &["git"][..],
        &["git", "--every-version"][..],
        &["staged"][..],
    ] {
        let rep = json(&r.cli(&r.dir, &[cmd, &["--format", "json"][..]].concat()));
        assert!(!rep["findings"].as_array().unwrap().is_empty(), "{cmd:?}");
        let (lines, _) = jsonl(&r.cli(&r.dir, &[cmd, &["--format", "jsonl"][..]].concat()));
        assert!(!lines.is_empty(), "{cmd:?}");
    }

    // image: a docker save tarball with a key in a layer, and one whose first layer is cut short
    // (an error, the other layer still scanned).
    let good = gz(&layer(&[Entry::File(
        "app/.env",
        format!("AWS_KEY={}\n", aws_key_id(909)).into_bytes(),
    )]));
    let filler: String = (0..4000)
        .map(|i| format!("line {i} of filler text\n"))
        .collect();
    let full = gz(&layer(&[Entry::File("big.txt", filler.into_bytes())]));
    let cut = full[..full.len() / 2].to_vec();
    let img = tempfile::tempdir().unwrap();
    let cfg = |n: usize| crate::support::config(&["PATH=/usr/bin"], &vec!["COPY . /app"; n]);
    std::fs::write(
        img.path().join("img.tar"),
        docker_save(std::slice::from_ref(&good), &cfg(1)),
    )
    .unwrap();
    std::fs::write(
        img.path().join("cut.tar"),
        docker_save(&[cut, good], &cfg(2)),
    )
    .unwrap();
    for (name, complete) in [("img.tar", true), ("cut.tar", false)] {
        let out = run_in(img.path(), &["image", name, "--format", "json"]);
        assert_eq!(code(&out), Some(1), "{name}: {}", stderr(&out));
        let rep = json(&out);
        assert_eq!(rules_of(&rep), vec!["aws-access-key-id"], "{name}");
        assert_eq!(rep["complete"], complete, "{name}");
        let (lines, end) = jsonl(&run_in(img.path(), &["image", name, "--format", "jsonl"]));
        assert_eq!(lines.len(), 1, "{name}");
        assert_eq!(end["complete"], complete, "{name}");
    }
}

#[test]
fn the_schema_rejects_what_it_should() {
    // The validation in support::json is not vacuous: a report missing a key, with an unknown key,
    // or with a bad severity or category fails.
    let dir = one_secret();
    let rep = json(&run_in(dir.path(), &["scan", "app", "--format", "json"]));
    assert!(report_schema_errors(&rep).is_empty());
    let mut missing = rep.clone();
    missing.as_object_mut().unwrap().remove("complete");
    assert!(!report_schema_errors(&missing).is_empty());
    let mut extra = rep.clone();
    extra["surprise"] = Value::Bool(true);
    assert!(!report_schema_errors(&extra).is_empty());
    let mut severity = rep.clone();
    severity["findings"][0]["severity"] = "urgent".into();
    assert!(!report_schema_errors(&severity).is_empty());
    let mut category = rep.clone();
    category["findings"][0]["category"] = "other".into();
    assert!(!report_schema_errors(&category).is_empty());
    let mut version = rep;
    version["schema_version"] = 2.into();
    assert!(!report_schema_errors(&version).is_empty());
    // A JSONL line is a finding or the end.
    let (lines, end) = jsonl(&run_in(dir.path(), &["scan", "app", "--format", "jsonl"]));
    assert!(jsonl_line_schema_errors(&lines[0]).is_empty());
    assert!(jsonl_line_schema_errors(&end).is_empty());
    let mut bad_end = end;
    bad_end.as_object_mut().unwrap().remove("complete");
    assert!(!jsonl_line_schema_errors(&bad_end).is_empty());
    assert!(!jsonl_line_schema_errors(&serde_json::json!({"type": "start"})).is_empty());
}
