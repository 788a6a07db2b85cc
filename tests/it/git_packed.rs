//! `nhiscan git` on packed histories: objects read in process from packs (delta chains, keyword
//! hits derived along them) and the provenance pass split over several git processes report
//! exactly what reading through `git cat-file` and one provenance pass report.

use crate::support::{aws_key_id, github_token, json, nhiscan, triples, Repo, ENABLE};

/// A history where one file changes a little in each of many commits, with secrets coming and
/// going, a branch, and a merge that brings a secret in itself; repacked so that most versions are
/// deltas of others.
fn packed_history() -> Repo {
    let r = Repo::new();
    let mut lines: Vec<String> = (0..300)
        .map(|i| format!("setting_{i} = value {i}\n"))
        .collect();
    for c in 0..40u64 {
        let at = (c as usize * 37) % lines.len();
        lines[at] = match c % 5 {
            0 => format!("aws_access_key_id = {}\n", aws_key_id(100 + c)),
            1 => format!("token: {}\n", github_token("ghp_", 200 + c)),
            _ => format!("setting_{at} = changed in {c}\n"),
        };
        r.write("config/app.conf", &lines.concat());
        r.commit(&format!("change {c}"));
        r.advance(1);
    }
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("topic.txt", "topic\n");
    r.commit("topic work");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", "main\n");
    r.commit("main work");
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "topic"]);
    r.write("merged.env", &format!("KEY={}\n", aws_key_id(999)));
    r.git(&["add", "merged.env"]);
    r.git(&["commit", "-q", "-m", "evil merge"]);
    r.git(&["repack", "-adfq", "--depth=50", "--window=50"]);
    r
}

/// The repository's one pack (`pack`) or its index (`idx`).
fn pack_file(r: &Repo, ext: &str) -> std::path::PathBuf {
    std::fs::read_dir(r.dir.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == ext))
        .unwrap()
}

/// The JSON report of `nhiscan git` run in `dir` with `env`, its timing blanked.
fn scan_in(r: &Repo, dir: &std::path::Path, env: &[(&str, &str)]) -> serde_json::Value {
    let rules = r.rules.to_string_lossy().to_string();
    let mut cmd = nhiscan();
    cmd.current_dir(dir).env("HOME", r.home());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args([
            "git", "--rules", &rules, "--enable", ENABLE, "--format", "json",
        ])
        .output()
        .unwrap();
    let mut rep = json(&out);
    rep["summary"]["seconds"] = serde_json::Value::Null;
    rep
}

/// [`scan_in`] the repository's own directory.
fn scan(r: &Repo, env: &[(&str, &str)]) -> serde_json::Value {
    scan_in(r, &r.dir, env)
}

#[test]
fn a_packed_history_reports_the_same_in_process_and_through_git() {
    let r = packed_history();
    let packed = r.git(&["count-objects", "-v"]);
    assert!(
        packed.contains("packs: 1"),
        "the history is packed: {packed}"
    );
    let idx = pack_file(&r, "idx");
    let chains = r.git(&["verify-pack", "-v", &idx.to_string_lossy()]);
    assert!(
        chains.contains("chain length = 5"),
        "versions are deltas: {chains}"
    );
    // In process, with the keyword hits of each version derived from its delta base's (every debug
    // build checks them against a whole keyword pass).
    let ours = scan(&r, &[]);
    let git = scan(&r, &[("NHISCAN_GIT_READER", "git")]);
    assert_eq!(ours, git);
    // 8 AWS keys, 8 GitHub tokens in the file's versions, and the merge's.
    let found = triples(&ours);
    assert_eq!(found.len(), 17, "{found:?}");
    let merged: Vec<_> = ours["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["path"] == "merged.env")
        .collect();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0]["properties"]["summary"], "evil merge");
    // The provenance pass split over several git processes, one commit per run.
    for split in ["1", "7"] {
        let rep = scan(&r, &[("NHISCAN_PROVENANCE_SPLIT", split)]);
        assert_eq!(rep, ours, "split from {split} commits");
    }
}

#[test]
fn a_store_with_a_damaged_pack_reports_what_git_reports() {
    let r = packed_history();
    let before = scan(&r, &[]);
    let pack = pack_file(&r, "pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    // Damage a stretch in the middle of the pack: some versions cannot be decoded.
    for b in &mut bytes[n / 2..n / 2 + 64] {
        *b ^= 0xff;
    }
    std::fs::remove_file(&pack).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    let ours = scan(&r, &[]);
    let git = scan(&r, &[("NHISCAN_GIT_READER", "git")]);
    assert_eq!(ours, git);
    assert_eq!(ours["summary"]["incomplete"], true);
    assert!(triples(&ours).len() < triples(&before).len());
}

#[test]
fn shared_partial_bare_and_worktree_layouts_report_the_same_in_process_and_through_git() {
    let r = packed_history();
    r.git(&["config", "uploadpack.allowFilter", "true"]);
    let src = r.dir.to_string_lossy().to_string();
    let home = r.home().to_path_buf();
    let whole = scan_in(&r, &r.dir, &[]);
    let layouts: [(&str, Vec<&str>); 3] = [
        // Objects borrowed through `objects/info/alternates`.
        ("shared", vec!["clone", "-q", "--shared"]),
        // What the promisor did not send is absent: reported, never fetched.
        (
            "partial",
            vec![
                "clone",
                "-q",
                "--no-local",
                "--filter=blob:none",
                "--no-checkout",
            ],
        ),
        ("bare", vec!["clone", "-q", "--bare"]),
    ];
    for (name, args) in layouts {
        let dest = home.join(name);
        let mut a = args.clone();
        let from = if name == "partial" {
            format!("file://{src}")
        } else {
            src.clone()
        };
        a.push(&from);
        let d = dest.to_string_lossy().to_string();
        a.push(&d);
        r.git_in(&home, &a);
        let ours = scan_in(&r, &dest, &[]);
        let git = scan_in(&r, &dest, &[("NHISCAN_GIT_READER", "git")]);
        assert_eq!(ours, git, "{name}");
        if name == "partial" {
            assert_eq!(ours["summary"]["incomplete"], true);
            assert!(!ours["errors"].as_array().unwrap().is_empty());
        } else {
            assert_eq!(triples(&ours), triples(&whole), "{name}");
        }
    }
    // A linked worktree reads the common directory's packs.
    let wt = home.join("wt");
    r.git(&["worktree", "add", "-q", "-b", "side", &wt.to_string_lossy()]);
    let ours = scan_in(&r, &wt, &[]);
    assert_eq!(ours, scan_in(&r, &wt, &[("NHISCAN_GIT_READER", "git")]));
    assert_eq!(triples(&ours), triples(&whole));
}

#[test]
fn a_sha256_repository_reports_the_same_in_process_and_through_git() {
    let r = Repo::new();
    let home = r.home().to_path_buf();
    let dir = home.join("sha256");
    r.git_in(
        &home,
        &[
            "init",
            "-q",
            "--object-format=sha256",
            "-b",
            "main",
            &dir.to_string_lossy(),
        ],
    );
    for c in 0..12u64 {
        let body: String = (0..200)
            .map(|i| {
                if i == c as usize * 7 {
                    format!("key = {}\n", aws_key_id(300 + c))
                } else {
                    format!("line {i}\n")
                }
            })
            .collect();
        std::fs::write(dir.join("app.conf"), body).unwrap();
        r.git_in(&dir, &["add", "-A"]);
        r.git_in(&dir, &["commit", "-q", "-m", &format!("v{c}")]);
    }
    r.git_in(&dir, &["repack", "-adfq", "--depth=20", "--window=20"]);
    let ours = scan_in(&r, &dir, &[]);
    assert_eq!(ours, scan_in(&r, &dir, &[("NHISCAN_GIT_READER", "git")]));
    assert_eq!(triples(&ours).len(), 12);
    assert_eq!(ours["summary"]["incomplete"], false);
}
