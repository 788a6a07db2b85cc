//! `nhiscan git`: history scans on repositories built here with the git CLI.

use crate::support::{
    aws_key_id, github_token, json, nhiscan, stderr, stdout, t, triples, Repo, ENABLE,
};

fn props(report: &serde_json::Value, i: usize) -> serde_json::Value {
    report["findings"][i]["properties"].clone()
}

#[test]
fn removed_secret_is_found_with_provenance() {
    let r = Repo::new();
    r.write("README", "hello\n");
    r.commit("init");
    let key = aws_key_id(1);
    r.write(
        "conf/app.ini",
        &format!("[aws]\nregion = eu-west-1\nkey = {key}\n"),
    );
    let added = r.commit("add config");
    r.advance(9);
    r.git(&["rm", "-q", "conf/app.ini"]);
    let removed = r.commit("remove config");
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("conf/app.ini", 3, "test-aws-key")]);
    let p = props(&rep, 0);
    assert_eq!(p["commit"], added.as_str());
    assert_eq!(p["author"], "Alice Example");
    assert_eq!(p["author_email"], "alice@example.com");
    assert_eq!(p["summary"], "add config");
    assert_eq!(p["date"], "2020-01-03T00:00:00Z");
    assert_eq!(p["path"], "conf/app.ini");
    assert_eq!(p["at_head"], false);
    assert_eq!(p["removed_in"], removed.as_str());
    assert_eq!(p["exposure_days"], 10);
    assert_eq!(p["other_commits"], 0);
    let f = &rep["findings"][0];
    assert_eq!(
        f["display"],
        format!("conf/app.ini (commit {})", &added[..7])
    );
    assert_eq!(f["logical"], format!("{added}:conf/app.ini"));
    assert_eq!(rep["summary"]["incomplete"], false);
}

#[test]
fn one_blob_in_many_commits_is_reported_once_with_first_introduction() {
    let r = Repo::new();
    let tok = github_token("ghp_", 7);
    r.write("a/token.txt", &format!("{tok}\n"));
    let first = r.commit("first");
    r.write("b/copy.txt", &format!("{tok}\n"));
    let second = r.commit("copy");
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rep = json(&out);
    assert_eq!(
        rep["findings"].as_array().unwrap().len(),
        1,
        "same blob, one finding"
    );
    let p = props(&rep, 0);
    assert_eq!(p["commit"], first.as_str());
    assert_eq!(p["path"], "a/token.txt");
    assert_eq!(p["other_commits"], 1);
    assert_eq!(p["other_paths"], serde_json::json!(["b/copy.txt"]));
    assert_eq!(p["at_head"], true);
    assert!(p.get("removed_in").is_none());
    let _ = second;
}

#[test]
fn secret_added_only_by_a_merge_commit_is_attributed_to_the_merge() {
    let r = Repo::new();
    r.write("base.txt", "base\n");
    r.commit("base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.txt", "feature\n");
    r.commit("feature work");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", "main\n");
    r.commit("main work");
    r.advance(1);
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "feature"]);
    let key = aws_key_id(3);
    r.write("merged.env", &format!("A=1\nAWS_ACCESS_KEY_ID={key}\n"));
    r.git(&["add", "merged.env"]);
    r.git(&["commit", "-q", "-m", "evil merge"]);
    let merge = r.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        r.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split(' ')
            .count(),
        3
    );
    let out = r.nhiscan(&["git", "--format", "json"]);
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("merged.env", 2, "test-aws-key")]);
    let p = props(&rep, 0);
    assert_eq!(p["commit"], merge.as_str());
    assert_eq!(p["summary"], "evil merge");
    assert_eq!(p["at_head"], true);
}

#[test]
fn tags_are_scanned_and_branch_limits_to_one_ref() {
    let r = Repo::new();
    r.write("a.txt", "clean\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "tmp"]);
    let key = aws_key_id(4);
    r.write("release.cfg", &format!("key={key}\n"));
    r.commit("release with key");
    r.git(&["tag", "v1.0"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "tmp"]);
    let all = json(&r.nhiscan(&["git", "--format", "json"]));
    assert_eq!(triples(&all), vec![t("release.cfg", 1, "test-aws-key")]);
    let main = r.nhiscan(&["git", "--branch", "main", "--format", "json"]);
    assert_eq!(main.status.code(), Some(0), "{}", stderr(&main));
    assert_eq!(triples(&json(&main)), vec![]);
    let tag = json(&r.nhiscan(&["git", "--branch", "v1.0", "--format", "json"]));
    assert_eq!(triples(&tag), vec![t("release.cfg", 1, "test-aws-key")]);
}

#[test]
fn since_and_range_scan_only_what_the_commits_introduce() {
    let r = Repo::new();
    r.write("old.txt", &format!("{}\n", aws_key_id(5)));
    let c1 = r.commit("old secret");
    r.write("new.txt", &format!("x\n{}\n", github_token("ghp_", 9)));
    let c2 = r.commit("new secret");
    let since = json(&r.nhiscan(&["git", "--since", "HEAD~1", "--format", "json"]));
    assert_eq!(triples(&since), vec![t("new.txt", 2, "test-github-pat")]);
    let range = json(&r.nhiscan(&["git", "--range", &format!("{c1}..{c2}"), "--format", "json"]));
    assert_eq!(triples(&range), vec![t("new.txt", 2, "test-github-pat")]);
    assert_eq!(props(&range, 0)["commit"], c2.as_str());
}

#[test]
fn bare_clone_and_linked_worktree_are_scanned() {
    let r = Repo::new();
    r.write("s.txt", &format!("{}\n", aws_key_id(6)));
    r.commit("secret");
    let bare = r.home().join("bare.git");
    r.git(&[
        "clone",
        "-q",
        "--bare",
        r.dir.to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let out = r.nhiscan_in(r.home(), &["git", "bare.git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(triples(&json(&out)), vec![t("s.txt", 1, "test-aws-key")]);
    let wt = r.home().join("wt");
    r.git(&["worktree", "add", "-q", "-b", "other", wt.to_str().unwrap()]);
    let out = r.nhiscan_in(&wt, &["git", "--format", "json"]);
    assert_eq!(triples(&json(&out)), vec![t("s.txt", 1, "test-aws-key")]);
}

#[test]
fn all_objects_adds_dangling_blobs() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    let key = aws_key_id(8);
    let p = r.home().join("loose.txt");
    std::fs::write(&p, format!("k={key}\n")).unwrap();
    r.git(&["hash-object", "-w", p.to_str().unwrap()]);
    let reach = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(reach.status.code(), Some(0));
    let all = json(&r.nhiscan(&["git", "--all-objects", "--format", "json"]));
    let f = &all["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["rule_id"], "test-aws-key");
    assert_eq!(f[0]["line"], 1);
    assert_eq!(f[0]["properties"]["reachable"], false);
}

#[test]
fn missing_object_is_reported_and_the_rest_scanned() {
    let r = Repo::new();
    r.write("keep.txt", &format!("{}\n", aws_key_id(10)));
    r.write("lost.txt", "this blob will be deleted\n");
    r.commit("two files");
    let lost = r.git(&["rev-parse", "HEAD:lost.txt"]);
    let obj = r.dir.join(".git/objects").join(&lost[..2]).join(&lost[2..]);
    std::fs::remove_file(&obj).expect("loose object");
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("keep.txt", 1, "test-aws-key")]);
    assert_eq!(rep["summary"]["incomplete"], true);
    let errors = rep["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["message"].as_str().unwrap().contains(&lost));
    assert!(
        errors[0]["path"].as_str().unwrap().starts_with("lost.txt"),
        "{errors:?}"
    );
    assert!(stderr(&out).contains("incomplete"));
}

#[test]
fn corrupt_object_is_reported_and_the_rest_scanned() {
    let r = Repo::new();
    r.write("keep.txt", &format!("{}\n", aws_key_id(11)));
    r.write("bad.txt", "this blob will be corrupted\n");
    r.commit("two files");
    let bad = r.git(&["rev-parse", "HEAD:bad.txt"]);
    let obj = r.dir.join(".git/objects").join(&bad[..2]).join(&bad[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"\x78\x01garbage").unwrap();
    let out = r.nhiscan(&["git", "--format", "json"]);
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![t("keep.txt", 1, "test-aws-key")],
        "{}",
        stderr(&out)
    );
    assert_eq!(rep["summary"]["incomplete"], true);
    let errors = rep["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains(&bad)),
        "{errors:?}"
    );
}

#[test]
fn not_a_repository_and_unknown_revision_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = nhiscan()
        .current_dir(dir.path())
        .args(["git", "."])
        .env("GIT_CEILING_DIRECTORIES", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a git repository"),
        "{}",
        stderr(&out)
    );
    let r = Repo::new();
    r.write("a", "a\n");
    r.commit("a");
    let out = r.nhiscan(&["git", "--since", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown revision `no-such-rev`"),
        "{}",
        stderr(&out)
    );
    let out = r.nhiscan(&["git", "--branch", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn binary_and_large_blobs_are_skipped() {
    let r = Repo::new();
    let key = aws_key_id(12);
    let mut bin = format!("k={key}\n").into_bytes();
    bin.push(0);
    std::fs::write(r.dir.join("blob.bin"), &bin).unwrap();
    r.write("big.txt", &format!("{}\nk={key}\n", "x".repeat(4000)));
    r.commit("bin and big");
    let out = r.nhiscan(&["git", "--max-file-size", "1K", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(rep["summary"]["skipped"], 2);
    let reasons: Vec<String> = rep["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(reasons.iter().any(|r| r == "binary content"), "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("max-file-size")),
        "{reasons:?}"
    );
}

#[test]
fn sarif_carries_provenance_and_stable_fingerprints() {
    let r = Repo::new();
    r.write("k.txt", &format!("{}\n", aws_key_id(13)));
    let c = r.commit("key");
    let run = || {
        let out = r.nhiscan(&["git", "--format", "sarif"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (a, b) = (run(), run());
    let ra = &a["runs"][0]["results"][0];
    assert_eq!(
        ra["partialFingerprints"],
        b["runs"][0]["results"][0]["partialFingerprints"]
    );
    assert_eq!(ra["properties"]["commit"], c.as_str());
    assert!(
        ra["properties"]["exposure_days"].as_i64().unwrap() > 2000,
        "committed in 2020, still at HEAD"
    );
    assert_eq!(
        ra["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.txt"
    );
}

#[test]
fn baseline_from_history_filters_known_findings() {
    let r = Repo::new();
    r.write("k.txt", &format!("{}\n", aws_key_id(14)));
    r.commit("known");
    let base = r.home().join("baseline.json");
    let out = r.nhiscan(&[
        "baseline",
        "create",
        "--git",
        ".",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = r.nhiscan(&[
        "git",
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let rep = json(&out);
    assert_eq!(rep["summary"]["baselined"], 1);
    assert_eq!(triples(&rep), vec![]);
    r.write("n.txt", &format!("{}\n", github_token("ghp_", 15)));
    r.commit("new");
    let out = r.nhiscan(&[
        "git",
        "--baseline",
        base.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(triples(&json(&out)), vec![t("n.txt", 1, "test-github-pat")]);
}

#[test]
fn clean_history_exits_0_and_text_report_shows_provenance() {
    let r = Repo::new();
    r.write("a.txt", "nothing here\n");
    r.commit("clean");
    let out = r.nhiscan(&["git"]);
    assert_eq!(out.status.code(), Some(0));
    r.write("b.txt", &format!("{}\n", aws_key_id(16)));
    let c = r.commit("oops");
    let out = r.nhiscan(&["git"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("b.txt (commit {})", &c[..7])),
        "{text}"
    );
    assert!(text.contains("exposure_days:"), "{text}");
}

#[test]
fn stash_and_remote_tracking_refs_are_scanned() {
    let r = Repo::new();
    r.write("app.cfg", "key=none\n");
    r.commit("init");
    r.write("app.cfg", &format!("key={}\n", aws_key_id(40)));
    r.git(&["stash", "-q"]);
    let rep = json(&r.nhiscan(&["git", "--format", "json"]));
    assert_eq!(triples(&rep), vec![t("app.cfg", 1, "test-aws-key")]);
    // A clone sees the origin's branches only as remote-tracking refs.
    r.git(&["stash", "drop", "-q"]);
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("topic.txt", &format!("{}\n", github_token("ghp_", 41)));
    r.commit("topic");
    r.git(&["checkout", "-q", "main"]);
    let clone = r.home().join("clone");
    r.git(&[
        "clone",
        "-q",
        "--no-local",
        r.dir.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    let out = r.nhiscan_in(&clone, &["git", "--format", "json"]);
    assert_eq!(
        triples(&json(&out)),
        vec![t("topic.txt", 1, "test-github-pat")]
    );
}

#[test]
fn shallow_clone_scans_what_exists_and_warns() {
    let r = Repo::new();
    r.write("old.txt", &format!("{}\n", aws_key_id(42)));
    r.commit("old");
    r.git(&["rm", "-q", "old.txt"]);
    r.commit("gone");
    r.write("new.txt", &format!("{}\n", github_token("ghp_", 43)));
    r.commit("new");
    let clone = r.home().join("shallow");
    let url = format!("file://{}", r.dir.display());
    r.git(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    let out = r.nhiscan_in(&clone, &["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("shallow clone"), "{}", stderr(&out));
    assert_eq!(
        triples(&json(&out)),
        vec![t("new.txt", 1, "test-github-pat")]
    );
}

#[test]
fn several_readers_find_the_same_and_report_damage() {
    let r = Repo::new();
    let mut expected = Vec::new();
    for i in 0..7u64 {
        r.write(
            &format!("f{i}.txt"),
            &format!("n={i}\nk={}\n", aws_key_id(50 + i)),
        );
        expected.push(t(&format!("f{i}.txt"), 2, "test-aws-key"));
    }
    r.write("lost.txt", "to be deleted\n");
    r.commit("many");
    let lost = r.git(&["rev-parse", "HEAD:lost.txt"]);
    std::fs::remove_file(r.dir.join(".git/objects").join(&lost[..2]).join(&lost[2..])).unwrap();
    for readers in ["1", "3", "16"] {
        let rules = r.rules.to_string_lossy().to_string();
        let out = nhiscan()
            .current_dir(&r.dir)
            .env("NHISCAN_GIT_READERS", readers)
            .env("NHISCAN_GIT_BATCH", "2")
            .args([
                "git", "--rules", &rules, "--enable", ENABLE, "--format", "json",
            ])
            .output()
            .unwrap();
        let rep = json(&out);
        assert_eq!(triples(&rep), expected, "{readers} readers");
        assert_eq!(rep["summary"]["incomplete"], true);
        // 7 files and the commit's message.
        assert_eq!(rep["summary"]["files"], 8, "{readers} readers");
        assert_eq!(
            rep["errors"].as_array().unwrap().len(),
            1,
            "{readers} readers"
        );
    }
}

#[test]
fn since_and_range_report_only_the_lines_the_commits_add() {
    let r = Repo::new();
    let (old, new) = (aws_key_id(60), aws_key_id(61));
    r.write("f.env", &format!("A={old}\nNAME=app\n"));
    let base = r.commit("base with a secret");
    r.git(&["checkout", "-q", "-b", "topic"]);
    // `++ B` shows as `+++ B` in the diff: a content line, not a file header.
    r.write("f.env", &format!("A={old}\nNAME=app\n++ B={new}\n"));
    let c = r.commit("topic adds a secret");
    // The whole-history scan sees both.
    let all = json(&r.nhiscan(&["git", "--format", "json"]));
    assert_eq!(
        triples(&all),
        vec![t("f.env", 1, "test-aws-key"), t("f.env", 3, "test-aws-key")]
    );
    let since = r.nhiscan(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(since.status.code(), Some(1), "{}", stderr(&since));
    let since = json(&since);
    assert_eq!(triples(&since), vec![t("f.env", 3, "test-aws-key")]);
    assert_eq!(props(&since, 0)["commit"], c.as_str());
    let range = json(&r.nhiscan(&["git", "--range", "main..topic", "--format", "json"]));
    assert_eq!(triples(&range), vec![t("f.env", 3, "test-aws-key")]);
    assert_eq!(props(&range, 0)["commit"], c.as_str());
    // An edit next to the old secret adds nothing to report.
    r.write("f.env", &format!("A={old}\nNAME=app2\n++ B={new}\n"));
    r.commit("rename the app");
    let last = r.nhiscan(&["git", "--since", "HEAD~1", "--format", "json"]);
    assert_eq!(last.status.code(), Some(0), "{}", stderr(&last));
    assert_eq!(triples(&json(&last)), vec![]);
}

#[test]
fn since_counts_what_a_merge_adds_not_what_it_brings_from_the_base() {
    let r = Repo::new();
    r.write("app.cfg", "name=app\n");
    r.commit("init");
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("topic.cfg", "x=1\n");
    r.commit("topic work");
    r.git(&["checkout", "-q", "main"]);
    let on_main = aws_key_id(62);
    r.write("app.cfg", &format!("name=app\nkey={on_main}\n"));
    r.commit("main gets a secret");
    // The topic branch merges main, and the merge resolution adds a secret of its own.
    r.git(&["checkout", "-q", "topic"]);
    r.advance(1);
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "main"]);
    let evil = github_token("ghp_", 63);
    r.write(
        "app.cfg",
        &format!("name=app\nkey={on_main}\ntoken={evil}\n"),
    );
    r.git(&["add", "app.cfg"]);
    r.git(&["commit", "-q", "-m", "merge main"]);
    let merge = r.git(&["rev-parse", "HEAD"]);
    let out = r.nhiscan(&["git", "--since", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("app.cfg", 3, "test-github-pat")]);
    assert_eq!(props(&rep, 0)["commit"], merge.as_str());
}

#[test]
fn since_skips_binary_files_and_scans_new_files_whole() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let base = r.commit("init");
    let mut bin = format!("k={}\n", aws_key_id(64)).into_bytes();
    bin.push(0);
    std::fs::write(r.dir.join("blob.bin"), &bin).unwrap();
    r.write(
        "dir with space/new.txt",
        &format!("one\n{}\n", github_token("ghp_", 65)),
    );
    r.commit("binary and new");
    let out = r.nhiscan(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![t("dir with space/new.txt", 2, "test-github-pat")]
    );
    let skipped = rep["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["reason"], "binary content");
    assert!(
        skipped[0]["path"].as_str().unwrap().starts_with("blob.bin"),
        "{skipped:?}"
    );
}

#[test]
fn all_objects_walks_unreachable_commits() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.write("lost/creds.env", &format!("KEY={}\n", aws_key_id(66)));
    let lost = r.commit("a commit nobody points at any more");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    assert_eq!(r.git(&["for-each-ref", "--contains", &lost]), "");
    let reach = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(reach.status.code(), Some(0), "{}", stderr(&reach));
    let out = r.nhiscan(&["git", "--all-objects", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("lost/creds.env", 1, "test-aws-key")]);
    let p = props(&rep, 0);
    assert_eq!(p["commit"], lost.as_str());
    assert_eq!(p["path"], "lost/creds.env");
    assert_eq!(p["author"], "Alice Example");
    assert_eq!(p["reachable"], false);
    assert_eq!(p["at_head"], false);
    assert_eq!(
        rep["findings"][0]["display"],
        format!("lost/creds.env (commit {})", &lost[..7])
    );
    assert_eq!(rep["summary"]["incomplete"], false);
}

#[test]
fn all_objects_scans_what_a_damaged_unreachable_commit_left() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    r.commit("init");
    r.write("b.txt", "b\n");
    let gone = r.commit("parent, to be deleted");
    r.write("lost.env", &format!("KEY={}\n", aws_key_id(70)));
    // git dies formatting the missing parent this walk meets: the walk is listed again by id and
    // the messages are read from the commit objects, each once.
    let lost = r.commit(&format!(
        "unreachable, its parent gone\n\n{}",
        github_token("ghp_", 70)
    ));
    r.git(&["reset", "-q", "--hard", "HEAD~2"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    std::fs::remove_file(r.dir.join(".git/objects").join(&gone[..2]).join(&gone[2..])).unwrap();
    let out = r.nhiscan(&["git", "--all-objects", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![
            t("<commit message>", 3, "test-github-pat"),
            t("lost.env", 1, "test-aws-key")
        ]
    );
    assert_eq!(props(&rep, 0)["commit"], lost.as_str());
    assert_eq!(props(&rep, 0)["reachable"], false);
    assert_eq!(props(&rep, 1)["reachable"], false);
    // The missing commit is named; the rest of the history is still scanned.
    assert_eq!(rep["summary"]["incomplete"], true);
    let errors = rep["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains(&gone)),
        "{errors:?}"
    );
}

#[test]
fn pull_request_notes_and_stash_refs_are_scanned_with_provenance() {
    let r = Repo::new();
    r.write("app.cfg", "key=none\n");
    let init = r.commit("init");
    // A commit reachable only from refs/pull/1/head (as in a mirror clone of a GitHub repository).
    r.git(&["checkout", "-q", "-b", "pr"]);
    r.write("k8s/secret.yaml", &format!("key: {}\n", aws_key_id(67)));
    let pr = r.commit("pull request");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "pr"]);
    r.git(&["update-ref", "refs/pull/1/head", &pr]);
    // A secret only in a note.
    r.advance(1);
    r.git(&[
        "notes",
        "add",
        "-m",
        &format!("token {}", github_token("ghp_", 68)),
        &init,
    ]);
    let note = r.git(&["rev-parse", "refs/notes/commits"]);
    // A secret only in the stash.
    r.write("app.cfg", &format!("key={}\n", aws_key_id(69)));
    r.advance(1);
    r.git(&["stash", "-q"]);
    let stash = r.git(&["rev-parse", "refs/stash"]);
    let check = |dir: &std::path::Path| {
        let out = r.nhiscan_in(dir, &["git", "--format", "json"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let rep = json(&out);
        let mut want = vec![
            t(&init, 1, "test-github-pat"),
            t("app.cfg", 1, "test-aws-key"),
            t("k8s/secret.yaml", 1, "test-aws-key"),
        ];
        want.sort();
        assert_eq!(triples(&rep), want);
        let by_path = |p: &str| {
            rep["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["artifact"] == p)
                .unwrap()["properties"]
                .clone()
        };
        assert_eq!(by_path("k8s/secret.yaml")["commit"], pr.as_str());
        assert_eq!(by_path("k8s/secret.yaml")["author"], "Alice Example");
        assert_eq!(by_path(&init)["commit"], note.as_str());
        assert_eq!(by_path("app.cfg")["commit"], stash.as_str());
    };
    check(&r.dir);
    // A mirror clone has the same refs, bare.
    let mirror = r.home().join("mirror.git");
    r.git(&[
        "clone",
        "-q",
        "--mirror",
        r.dir.to_str().unwrap(),
        mirror.to_str().unwrap(),
    ]);
    assert!(r
        .git_in(&mirror, &["show-ref"])
        .contains("refs/pull/1/head"));
    check(&mirror);
}

#[test]
fn since_over_many_commits_reads_the_same_with_several_git_processes() {
    use std::io::Write as _;
    let r = Repo::new();
    // 200 commits in one fast-import: each appends a line to f.txt; commit 150 appends a secret,
    // commit 5 (before the base) another.
    let (old, new) = (aws_key_id(71), github_token("ghp_", 72));
    let mut stream = String::new();
    let mut content = String::new();
    for i in 1..=200 {
        content.push_str(&match i {
            5 => format!("old={old}\n"),
            150 => format!("new={new}\n"),
            _ => format!("line {i}\n"),
        });
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter A <a@example.com> {} +0000\ndata 2\nc\n",
            1_600_000_000 + i * 60
        ));
        if i > 1 {
            stream.push_str(&format!("from :{}\n", i - 1));
        }
        stream.push_str(&format!(
            "M 100644 inline f.txt\ndata {}\n{content}\n",
            content.len()
        ));
    }
    let mut fi = crate::support::git_cmd(&r.dir, r.home())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    fi.stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(fi.wait().unwrap().success());
    r.git(&["reset", "-q", "--hard", "main"]);
    let base = r.git(&["rev-parse", "main~190"]);
    let at150 = r.git(&["rev-parse", "main~50"]);
    for readers in ["1", "3"] {
        let rules = r.rules.to_string_lossy().to_string();
        let out = nhiscan()
            .current_dir(&r.dir)
            .env("NHISCAN_GIT_READERS", readers)
            .args([
                "git", "--since", &base, "--rules", &rules, "--enable", ENABLE, "--format", "json",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let rep = json(&out);
        assert_eq!(
            triples(&rep),
            vec![t("f.txt", 150, "test-github-pat")],
            "{readers} processes"
        );
        assert_eq!(props(&rep, 0)["commit"], at150.as_str());
        // 190 versions of the file, and the 190 commits' messages.
        assert_eq!(rep["summary"]["files"], 380, "{readers} processes");
    }
}

#[test]
fn since_ignores_diff_and_log_configuration() {
    let r = Repo::new();
    let old = aws_key_id(73);
    let mut lines: Vec<String> = (1..=12).map(|i| format!("line {i}")).collect();
    lines[0] = format!("old={old}");
    r.write("f.txt", &(lines.join("\n") + "\n"));
    let base = r.commit("base");
    // Two added lines with unchanged (and blank) lines between them: context git may show.
    lines[3] = String::new();
    lines.insert(2, "added=1".into());
    lines.insert(6, format!("new={}", github_token("ghp_", 74)));
    r.write("f.txt", &(lines.join("\n") + "\n"));
    r.commit("add two lines");
    for (k, v) in [
        ("diff.interHunkContext", "20"),
        ("diff.context", "5"),
        ("diff.suppressBlankEmpty", "true"),
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.relative", "true"),
        ("diff.renames", "copies"),
        ("diff.submodule", "log"),
        ("color.ui", "always"),
        ("log.showSignature", "true"),
        ("log.showRoot", "false"),
        ("core.quotePath", "true"),
    ] {
        r.git(&["config", k, v]);
    }
    // Run on a subdirectory: diff.relative would then hide f.txt.
    std::fs::create_dir_all(r.dir.join("sub")).unwrap();
    let out = r.nhiscan(&["git", "sub", "--since", &base, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(triples(&json(&out)), vec![t("f.txt", 7, "test-github-pat")]);
}

/// Deletes the loose object `oid` of repository `r` (a damaged repository: a lost file, a bad copy).
fn delete_object(r: &Repo, oid: &str) {
    let obj = r.dir.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    std::fs::remove_file(&obj).unwrap_or_else(|e| panic!("{}: {e}", obj.display()));
}

/// The error whose message names `oid`.
fn error_naming<'a>(rep: &'a serde_json::Value, oid: &str) -> &'a serde_json::Value {
    let errors = rep["errors"].as_array().unwrap();
    errors
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains(oid))
        .unwrap_or_else(|| panic!("no error names {oid}: {errors:#?}"))
}

/// Issue 14.5: a token in a commit message (subject or body) is found, at its line of the message,
/// with the commit named; `--since`/`--range` count only their commits' messages, `--all-objects`
/// adds those of unreachable commits.
#[test]
fn a_token_in_a_commit_message_is_found_with_its_commit() {
    let r = Repo::new();
    let (in_subject, in_body, old, lost) = (
        github_token("ghp_", 140),
        aws_key_id(141),
        aws_key_id(142),
        aws_key_id(143),
    );
    r.write("a.txt", "a\n");
    let c0 = r.commit(&format!("first, with {old} pasted"));
    r.write("b.txt", "b\n");
    let c1 = r.commit(&format!(
        "deploy with {in_subject}\n\nWhy:\nthe key {in_body} expired"
    ));
    r.write("c.txt", "c\n");
    let c2 = r.commit("clean");
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![
            t("<commit message>", 1, "test-aws-key"),
            t("<commit message>", 1, "test-github-pat"),
            t("<commit message>", 4, "test-aws-key"),
        ]
    );
    let f = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "test-github-pat")
        .unwrap();
    assert_eq!(
        f["display"],
        format!("<commit message> (commit {})", &c1[..7])
    );
    assert_eq!(f["logical"], c1.as_str());
    assert_eq!(f["column"], 13);
    let p = &f["properties"];
    assert_eq!(p["commit"], c1.as_str());
    assert_eq!(p["commit_message"], true);
    assert_eq!(p["author"], "Alice Example");
    assert_eq!(p["date"], "2020-01-03T00:00:00Z");
    assert!(!stdout(&out).contains(&in_subject), "redacted");
    // The lines of the message in SARIF, under a uri that cannot be taken for a file of the tree.
    let sarif = json(&r.nhiscan(&["git", "--format", "sarif"]));
    let loc = &sarif["runs"][0]["results"][0]["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "%3Ccommit%20message%3E"
    );
    assert!(
        loc["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .len()
            >= 40
    );
    // Only the selected commits' messages.
    let since = json(&r.nhiscan(&["git", "--since", &c0, "--format", "json"]));
    assert_eq!(
        triples(&since),
        vec![
            t("<commit message>", 1, "test-github-pat"),
            t("<commit message>", 4, "test-aws-key"),
        ]
    );
    let range = json(&r.nhiscan(&["git", "--range", &format!("{c1}..{c2}"), "--format", "json"]));
    assert_eq!(triples(&range), vec![]);
    // A commit no ref reaches: its message with --all-objects only.
    r.write("d.txt", "d\n");
    let gone = r.commit(&format!("oops {lost}"));
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    let reach = json(&r.nhiscan(&["git", "--format", "json"]));
    assert_eq!(triples(&reach).len(), 3);
    let all = json(&r.nhiscan(&["git", "--all-objects", "--format", "json"]));
    let f = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["commit"] == gone.as_str())
        .expect("the unreachable commit's message");
    assert_eq!(f["properties"]["reachable"], false);
    assert_eq!(triples(&all).len(), 4);
}

/// Issue 14.8: a missing tree. The files under it are not scanned; everything else is, each
/// finding is kept, and the tree is named by id, path and commit; the scan says it is incomplete
/// in every format, and `--strict` exits 2.
#[test]
fn a_missing_tree_is_reported_and_the_rest_scanned() {
    let r = Repo::new();
    r.write("keep.env", &format!("KEY={}\n", aws_key_id(150)));
    r.write(
        "sub/deep/hidden.env",
        &format!("T={}\n", github_token("ghp_", 151)),
    );
    let c1 = r.commit("two files");
    r.write("later.txt", "later\n");
    r.commit("later");
    let tree = r.git(&["rev-parse", "HEAD:sub"]);
    delete_object(&r, &tree);
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("keep.env", 1, "test-aws-key")]);
    assert_eq!(rep["complete"], false);
    assert_eq!(rep["summary"]["incomplete"], true);
    let e = error_naming(&rep, &tree);
    assert_eq!(e["path"], format!("sub/ (tree {})", &tree[..7]));
    assert!(e["message"].as_str().unwrap().contains(&c1), "{e}");
    // The finding keeps its provenance although the history cannot be diffed past the tree.
    assert_eq!(props(&rep, 0)["path"], "keep.env");
    let text = r.nhiscan(&["git"]);
    assert_eq!(text.status.code(), Some(1));
    assert!(stdout(&text).contains("INCOMPLETE"), "{}", stdout(&text));
    assert!(stderr(&text).contains(&tree), "{}", stderr(&text));
    let sarif = json(&r.nhiscan(&["git", "--format", "sarif"]));
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    let strict = r.nhiscan(&["git", "--strict", "--format", "json"]);
    assert_eq!(strict.status.code(), Some(2));
}

/// Issue 14.8: the root tree of the only commit gone used to scan as "0 files", complete, exit 0.
/// Now the tree and its commit are named and the scan is incomplete; the commit's message, which
/// is still there, is scanned.
#[test]
fn a_missing_root_tree_is_not_a_clean_scan() {
    let r = Repo::new();
    r.write("app.env", &format!("KEY={}\n", aws_key_id(152)));
    let c = r.commit("only commit");
    let root = r.git(&["rev-parse", "HEAD^{tree}"]);
    delete_object(&r, &root);
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(rep["complete"], false);
    let e = error_naming(&rep, &root);
    assert_eq!(
        e["path"],
        format!("commit {} (root tree {})", &c[..7], &root[..7])
    );
    assert!(e["message"].as_str().unwrap().contains(&c), "{e}");
    let text = r.nhiscan(&["git"]);
    assert!(stdout(&text).contains("INCOMPLETE"), "{}", stdout(&text));
    assert_eq!(r.nhiscan(&["git", "--strict"]).status.code(), Some(2));
    // What is readable still counts: a token in that commit's message.
    let r = Repo::new();
    r.write("app.env", &format!("KEY={}\n", aws_key_id(153)));
    r.commit(&format!("add {}", github_token("ghp_", 154)));
    delete_object(&r, &r.git(&["rev-parse", "HEAD^{tree}"]));
    let out = r.nhiscan(&["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![t("<commit message>", 1, "test-github-pat")]
    );
    assert_eq!(rep["complete"], false);
}

/// Issue 14.8: a missing commit cuts the history behind it; what is in front is scanned and the
/// commit is named with the child that points to it.
#[test]
fn a_missing_commit_is_reported_and_the_rest_scanned() {
    let r = Repo::new();
    r.write("old.env", &format!("KEY={}\n", aws_key_id(155)));
    r.commit("old");
    r.git(&["rm", "-q", "old.env"]);
    let gone = r.commit("remove old");
    r.write("new.env", &format!("T={}\n", github_token("ghp_", 156)));
    let child = r.commit("new");
    delete_object(&r, &gone);
    let out = r.nhiscan(&["git", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let (lines, end) = crate::support::jsonl(&out);
    let files: Vec<&str> = lines
        .iter()
        .map(|f| f["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec!["new.env"]);
    assert_eq!(end["complete"], false);
    let e = error_naming(&end, &gone);
    assert_eq!(e["path"], format!("commit {}", &gone[..7]));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains(&format!("a parent of commit {child}")),
        "{e}"
    );
}

/// Issue 14.8, `--since`/`--range`: a commit whose tree is missing is named, the lines the other
/// commits add are still scanned.
#[test]
fn since_reports_a_commit_it_cannot_diff_and_scans_the_others() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let base = r.commit("base");
    r.write("sub/x.env", &format!("A={}\n", aws_key_id(157)));
    let broken = r.commit("broken");
    r.write("y.env", &format!("B={}\n", github_token("ghp_", 158)));
    r.commit("fine");
    let tree = r.git(&["rev-parse", &format!("{broken}:sub")]);
    delete_object(&r, &tree);
    let out = r.nhiscan(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(triples(&rep), vec![t("y.env", 1, "test-github-pat")]);
    assert_eq!(rep["complete"], false);
    let e = error_naming(&rep, &broken);
    assert!(e["message"].as_str().unwrap().contains(&tree), "{e}");
    // A missing commit in the range: git cannot print the range's messages; they are read from
    // the commits, and the one whose parent is gone is named as not diffed.
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let base = r.commit("base");
    r.write("b.txt", "b\n");
    let gone = r.commit("to be lost");
    r.write("c.txt", "c\n");
    let top = r.commit(&format!("top {}", github_token("ghp_", 159)));
    delete_object(&r, &gone);
    let out = r.nhiscan(&["git", "--since", &base, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        triples(&rep),
        vec![t("<commit message>", 1, "test-github-pat")]
    );
    assert_eq!(rep["complete"], false);
    let errors = rep["errors"].as_array().unwrap();
    let lost = errors
        .iter()
        .find(|e| e["path"] == format!("commit {}", &gone[..7]))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    let says = lost["message"].as_str().unwrap();
    assert!(
        says.contains(&gone) && says.contains(&format!("a parent of commit {top}")),
        "{says}"
    );
    error_naming(&rep, &top);
    assert_eq!(rep["errors"].as_array().unwrap().len(), 2);
}

/// Issue 14.11, history: a submodule (gitlink) is listed as skipped (`-v` prints it), whether the
/// tip still has it, a `.gitmodules` of any version declares it, or a `--since` commit adds it.
#[test]
fn submodules_in_history_are_listed_as_skipped() {
    let r = Repo::new();
    r.write("a.txt", "a\n");
    let base = r.commit("init");
    let fake = "1111111111111111111111111111111111111111";
    r.write(
        ".gitmodules",
        "[submodule \"old\"]\n\tpath = deps/old\n\turl = ../old.git\n",
    );
    // Gitlinks are staged by hand (no directory in the worktree): committed without `add -A`.
    let commit = |msg: &str| {
        r.advance(1);
        r.git(&["commit", "-q", "-m", msg]);
    };
    r.git(&["add", ".gitmodules"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{fake},deps/old"),
    ]);
    commit("add a submodule");
    r.git(&["rm", "-q", "--cached", "deps/old"]);
    r.git(&["rm", "-q", ".gitmodules"]);
    commit("drop it");
    // A gitlink no .gitmodules declares (a nested repository added by mistake), still at the tip.
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{fake},nested"),
    ]);
    commit("nested repository");
    let reason = "submodule (gitlink): another repository's commits; scan that repository";
    let out = r.nhiscan(&["git", "-v", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let skipped: Vec<(String, String)> = json(&out)["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().into(),
                s["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("deps/old".into(), reason.into()),
            ("nested".into(), reason.into())
        ]
    );
    assert!(
        stderr(&out).contains(&format!("note: nested: skipped, {reason}")),
        "{}",
        stderr(&out)
    );
    let since = json(&r.nhiscan(&["git", "--since", &base, "--format", "json"]));
    let paths: Vec<&str> = since["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["deps/old", "nested"]);
}
