//! `nhiscan staged`, `nhiscan scan --staged` and `nhiscan install-hook`: the pre-commit check.

use crate::support::{aws_key_id, git_cmd, github_token, json, nhiscan, stderr, t, triples, Repo};

#[test]
fn first_commit_of_a_new_repository_is_checked() {
    let r = Repo::new();
    r.write(
        "src/settings.py",
        &format!("DEBUG = True\nAWS_KEY = \"{}\"\n", aws_key_id(20)),
    );
    r.git(&["add", "-A"]);
    let out = r.nhiscan(&["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("src/settings.py", 2, "test-aws-key")]);
    assert_eq!(rep["findings"][0]["properties"]["staged"], true);
    let err = stderr(&out);
    assert!(
        err.contains("nhiscan:allow") && err.contains("[[allow]]") && err.contains("--no-verify"),
        "{err}"
    );
}

#[test]
fn only_added_lines_report() {
    let r = Repo::new();
    let old = aws_key_id(21);
    r.write("app.env", &format!("OLD={old}\nNAME=app\n"));
    r.commit("existing secret");
    // An unrelated edit next to an old secret: nothing new.
    r.write("app.env", &format!("OLD={old}\nNAME=app2\n"));
    r.git(&["add", "-A"]);
    let out = r.nhiscan(&["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(triples(&json(&out)), vec![]);
    // A new secret on an added line: only it.
    r.write(
        "app.env",
        &format!("OLD={old}\nNAME=app2\nTOKEN={}\n", github_token("ghp_", 22)),
    );
    r.git(&["add", "-A"]);
    let out = r.nhiscan(&["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        triples(&json(&out)),
        vec![t("app.env", 3, "test-github-pat")]
    );
    // Unstaged changes are not the commit's business.
    r.write("other.txt", &format!("{}\n", aws_key_id(23)));
    let out = r.nhiscan(&["scan", "--staged", "--format", "json"]);
    assert_eq!(
        triples(&json(&out)),
        vec![t("app.env", 3, "test-github-pat")]
    );
}

#[test]
fn a_change_deep_in_a_large_file_is_checked_where_it_lands() {
    // Only windows that reach an added line are searched: a value added under a name already there,
    // and an encoded token, are still found, and the old secrets around them stay quiet.
    use base64::Engine as _;
    let r = Repo::new();
    let filler: String = (0..300)
        .map(|i| format!("# api_key and token notes, line {i}\n"))
        .collect();
    let old_value = super::support::password(26);
    let file = |value: &str, extra: &str| {
        format!(
            "old_key: {}\n{filler}db:\n  user: orders\n  password: |\n    {value}\n  host: db01\n{filler}{extra}",
            aws_key_id(27)
        )
    };
    r.write("deploy/values.txt", &file(&old_value, ""));
    r.commit("existing");
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(format!("token={}", github_token("ghp_", 28)));
    r.write(
        "deploy/values.txt",
        &file(
            &super::support::password(29),
            &format!("deploy_token_b64: {encoded}\n"),
        ),
    );
    r.git(&["add", "-A"]);
    // The built-in rules: the generic and encoded cases are theirs.
    let out = r.cli(&r.dir, &["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        triples(&json(&out)),
        vec![
            t("deploy/values.txt", 305, "generic-password-next-line"),
            t("deploy/values.txt", 607, "github-pat-classic"),
        ]
    );
}

#[test]
fn a_changed_block_value_under_an_old_key_is_the_change() {
    // The Helm analyzer places the finding on the key's line; the value of `password: |` is on the
    // line below, which is what the change adds.
    let r = Repo::new();
    let values = |pw: &str, host: &str| {
        format!("db:\n  user: orders\n  password: |\n    {pw}\n  host: {host}\n")
    };
    let pw = super::support::password(30);
    r.write("chart/values.yaml", &values(&pw, "db01"));
    r.commit("chart");
    r.write("chart/values.yaml", &values(&pw, "db02"));
    r.git(&["add", "-A"]);
    let out = r.cli(&r.dir, &["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    r.write(
        "chart/values.yaml",
        &values(&super::support::password(31), "db02"),
    );
    r.git(&["add", "-A"]);
    let out = r.cli(&r.dir, &["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![t("chart/values.yaml", 3, "helm-values-secret")]
    );
    assert_eq!(rep["findings"][0]["end_line"], 4);
}

#[test]
fn deletions_and_binary_files_do_not_report() {
    let r = Repo::new();
    r.write("k.txt", &format!("{}\n", aws_key_id(24)));
    r.commit("k");
    r.git(&["rm", "-q", "k.txt"]);
    let mut bin = format!("{}\n", aws_key_id(25)).into_bytes();
    bin.push(0);
    std::fs::write(r.dir.join("x.bin"), bin).unwrap();
    r.git(&["add", "-A"]);
    let out = r.nhiscan(&["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(triples(&json(&out)), vec![]);
}

#[test]
fn staged_outside_a_repository_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .env("GIT_CEILING_DIRECTORIES", dir.path())
        .args(["staged"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a git repository"));
}

#[test]
fn staged_in_a_bare_repository_exits_2_naming_it() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("a");
    let bare = r.dir.join("bare.git");
    r.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let out = r.cli(&r.dir, &["staged", "bare.git"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bare.git") && err.contains("no index to check"),
        "{err}"
    );
}

#[test]
fn install_hook_blocks_a_commit_and_respects_foreign_hooks() {
    let r = Repo::new();
    let hooks = r.dir.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho mine\n").unwrap();
    let out = r.nhiscan(&["install-hook"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nhiscan did not write it") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let out = r.nhiscan(&["install-hook", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Reinstalling our own hook needs no --force.
    assert_eq!(r.nhiscan(&["install-hook"]).status.code(), Some(0));
    // The hook runs `nhiscan staged` with the project config (test rules via .nhiscan.toml).
    let rules = r.rules.to_string_lossy().to_string();
    r.write(
        ".nhiscan.toml",
        &format!("rules = [{rules:?}]\nenable = [\"test-github-pat\", \"test-aws-key\"]\n"),
    );
    r.write("leak.txt", &format!("{}\n", aws_key_id(26)));
    let bin = assert_cmd::cargo::cargo_bin("nhiscan");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap()
    );
    r.git(&["add", "-A"]);
    let commit = git_cmd(&r.dir, r.home())
        .env("PATH", &path)
        .args(["commit", "-q", "-m", "leak"])
        .output()
        .unwrap();
    assert!(
        !commit.status.success(),
        "the hook must stop the commit: {}",
        String::from_utf8_lossy(&commit.stderr)
    );
    let err = String::from_utf8_lossy(&commit.stderr);
    assert!(
        err.contains("leak.txt") && err.contains("test-aws-key"),
        "{err}"
    );
    // Fixing the file lets the commit through.
    r.write("leak.txt", "KEY=from-the-environment\n");
    r.git(&["add", "-A"]);
    let commit = git_cmd(&r.dir, r.home())
        .env("PATH", &path)
        .args(["commit", "-q", "-m", "fixed"])
        .output()
        .unwrap();
    assert!(
        commit.status.success(),
        "{}",
        String::from_utf8_lossy(&commit.stderr)
    );
}
