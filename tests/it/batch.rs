//! `nhiscan batch`: many repositories in one run. Repositories are built at test time with git
//! (forks by `git clone` and diverging commits); clone URLs are `file://` (loopback only). What a
//! user checks: every repository in the manifest with the right status and counts, failures
//! reported while the rest completes, blobs shared by forks read once, shards stable, disjoint,
//! forks together, and their union the unsharded set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{aws_key_id, git_cmd, json, jsonl, nhiscan, sarif_schema_errors, stderr};

/// A directory of repositories with a clean git environment.
struct Org {
    tmp: TempDir,
    clock: std::cell::Cell<i64>,
}

impl Org {
    fn new() -> Org {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("gitconfig"),
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[protocol \"file\"]\n\tallow = always\n[uploadpack]\n\tallowFilter = true\n",
        )
        .unwrap();
        Org {
            tmp,
            clock: std::cell::Cell::new(1_577_836_800),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        self.clock.set(self.clock.get() + 86_400);
        let t = format!("{} +0000", self.clock.get());
        let out = git_cmd(dir, self.tmp.path())
            .env("GIT_AUTHOR_DATE", &t)
            .env("GIT_COMMITTER_DATE", &t)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A new repository at `rel` with one commit of `files`.
    fn repo(&self, rel: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.path(rel);
        std::fs::create_dir_all(&dir).unwrap();
        self.git(&dir, &["init", "-q", "-b", "main"]);
        self.commit(&dir, files, "first");
        dir
    }

    /// `git clone` of `from` at `rel` (a fork), with `files` committed on top.
    fn fork(&self, from: &Path, rel: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.path(rel);
        self.git(
            self.tmp.path(),
            &[
                "clone",
                "-q",
                &from.display().to_string(),
                &dir.display().to_string(),
            ],
        );
        if !files.is_empty() {
            self.commit(&dir, files, "diverge");
        }
        dir
    }

    fn commit(&self, dir: &Path, files: &[(&str, &str)], msg: &str) -> String {
        for (p, c) in files {
            let f = dir.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, c).unwrap();
        }
        self.git(dir, &["add", "-A"]);
        self.git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(dir, &["rev-parse", "HEAD"])
    }

    /// `nhiscan batch ARGS` with the org's git environment and its own clone cache.
    fn batch(&self, args: &[&str]) -> Output {
        self.batch_env(args, &[])
    }

    fn batch_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let cache = self.path("cache").display().to_string();
        let mut c = nhiscan();
        c.current_dir(self.tmp.path())
            .env("HOME", self.tmp.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.tmp.path().join("gitconfig"))
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("NHISCAN_SHARDS")
            .env_remove("NHISCAN_RUN_ID")
            .env_remove("NHISCAN_STORE")
            .arg("batch")
            .args(args)
            .args(["--cache", &cache, "--color", "never"]);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

fn secret_file(seed: u64) -> String {
    format!("aws_access_key_id = \"{}\"\n", aws_key_id(seed))
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// The manifest of a JSON report, by key.
fn manifest(report: &Value) -> BTreeMap<String, Value> {
    report["repositories"]
        .as_array()
        .expect("repositories")
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

fn canon(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().display().to_string()
}

/// The findings of one repository (by its `repository` property).
fn findings_of<'a>(report: &'a Value, key: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["repository"] == key)
        .collect()
}

#[test]
fn many_inputs_list_and_directory_with_failures_reported_and_the_rest_complete() {
    let org = Org::new();
    let up = org.repo(
        "src/app",
        &[("config.py", &secret_file(1)), ("README.md", "app\n")],
    );
    org.repo("src/lib", &[("lib.rs", "fn main() {}\n")]);
    // A bare clone served by URL, and a mirror in the directory of repositories.
    let served = org.path("served/app.git");
    org.git(
        org.tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &up.display().to_string(),
            &served.display().to_string(),
        ],
    );
    org.git(
        org.tmp.path(),
        &[
            "clone",
            "-q",
            "--mirror",
            &up.display().to_string(),
            &org.path("src/mirrors/app.git").display().to_string(),
        ],
    );
    // A damaged repository: its HEAD names a commit whose object is gone.
    let broken = org.repo("src/broken", &[("a.txt", "a\n")]);
    let head = org.git(&broken, &["rev-parse", "HEAD"]);
    std::fs::remove_file(
        broken
            .join(".git/objects")
            .join(&head[..2])
            .join(&head[2..]),
    )
    .unwrap();
    let list = org.path("repos.txt");
    std::fs::write(
        &list,
        format!(
            "# the organisation's repositories\n\nsrc   # a directory of repositories\n{}\n   # a comment after blanks\nfile://{}/nowhere.git\nsrc/app  # named twice: once\n",
            file_url(&served),
            org.tmp.path().display()
        ),
    )
    .unwrap();
    let out = org.batch(&[
        "--list",
        "repos.txt",
        "--format",
        "json",
        "--parallel-repos",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let report = json(&out);
    let m = manifest(&report);
    let served_key = format!(
        "file://{}",
        served.display().to_string().trim_end_matches(".git")
    );
    let expect: BTreeSet<String> = [
        canon(&up),
        canon(&org.path("src/lib")),
        canon(&org.path("src/mirrors/app.git")),
        canon(&broken),
        served_key.clone(),
        format!("file://{}/nowhere", org.tmp.path().display()),
    ]
    .into_iter()
    .collect();
    assert_eq!(m.keys().cloned().collect::<BTreeSet<_>>(), expect);
    let status = |k: &str| m[k]["status"].as_str().unwrap().to_string();
    assert_eq!(status(&canon(&up)), "complete");
    assert_eq!(status(&canon(&org.path("src/lib"))), "complete");
    assert_eq!(status(&served_key), "complete");
    assert_eq!(status(&canon(&broken)), "failed");
    assert!(
        m[&canon(&broken)]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("cannot read"),
        "{:?}",
        m[&canon(&broken)]
    );
    let nowhere = &m[&format!("file://{}/nowhere", org.tmp.path().display())];
    assert_eq!(nowhere["status"], "failed");
    assert!(
        nowhere["reasons"][0]
            .as_str()
            .unwrap()
            .contains("clone failed"),
        "{nowhere}"
    );
    // Counts: the app has its secret once (two files, one commit message); the clean library none.
    let app = &m[&canon(&up)];
    assert_eq!(app["findings"], 1);
    assert_eq!(app["files"], 3);
    assert_eq!(app["tip"].as_str().unwrap().len(), 40);
    assert_eq!(app["root_commit"], app["tip"]);
    assert_eq!(m[&canon(&org.path("src/lib"))]["findings"], 0);
    for key in [
        canon(&up),
        served_key.clone(),
        canon(&org.path("src/mirrors/app.git")),
    ] {
        let fs = findings_of(&report, &key);
        assert_eq!(fs.len(), 1, "{key}");
        assert_eq!(fs[0]["artifact"], "config.py");
        assert_eq!(fs[0]["line"], 1);
        assert_eq!(fs[0]["rule_id"], "aws-access-key-id");
    }
    assert_eq!(report["summary"]["repositories"]["failed"], 2);
    assert_eq!(report["summary"]["repositories"]["complete"], 4);
    assert_eq!(report["complete"], false);
    // The URL was cloned as a mirror into the cache.
    let cached: Vec<String> = std::fs::read_dir(org.path("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        cached.iter().any(|n| n.ends_with("-app.mirror.git")),
        "{cached:?}"
    );
    // The text report's table names every repository, failed ones with their reason.
    let text = org.batch(&["--list", "repos.txt", "--parallel-repos", "1"]);
    assert_eq!(text.status.code(), Some(2));
    let t = String::from_utf8_lossy(&text.stdout);
    for k in &expect {
        assert!(t.contains(k.as_str()), "{k} missing from\n{t}");
    }
    assert!(t.contains("failed") && t.contains("clone failed"), "{t}");
    assert!(
        t.contains("6 repositories: 4 complete, 0 partial, 2 failed"),
        "{t}"
    );
}

#[test]
fn forks_share_blobs_scanned_once_with_their_own_provenance() {
    let org = Org::new();
    let mut files: Vec<(String, String)> = (0..20)
        .map(|i| (format!("src/f{i}.txt"), format!("plain file {i}\n")))
        .collect();
    files.push(("deploy/keys.env".into(), secret_file(7)));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let up = org.repo("up", &refs);
    let a = org.fork(&up, "fork-a", &[("a.txt", "only in a\n")]);
    let b = org.fork(&up, "fork-b", &[("b.env", &secret_file(8))]);
    // Forks go to one worker in turn, however many run at once: the shared blobs are read once.
    let out = org.batch(&[
        "up",
        "fork-a",
        "fork-b",
        "--format",
        "json",
        "--parallel-repos",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let m = manifest(&report);
    // 21 blobs of the upstream, in each fork: read once, reused twice.
    assert_eq!(report["summary"]["blobs_reused"], 42);
    assert_eq!(m[&canon(&up)]["blobs_reused"], 0);
    assert_eq!(m[&canon(&a)]["blobs_reused"], 21);
    assert_eq!(m[&canon(&b)]["blobs_reused"], 21);
    // Covered all the same: 21 blobs + 1 message; forks add their blob and message.
    assert_eq!(m[&canon(&up)]["files"], 22);
    assert_eq!(m[&canon(&a)]["files"], 24);
    // Every fork reports the shared secret, with its own repository and the commit that brought it.
    for key in [canon(&up), canon(&a), canon(&b)] {
        let fs = findings_of(&report, &key);
        let shared: Vec<_> = fs
            .iter()
            .filter(|f| f["artifact"] == "deploy/keys.env")
            .collect();
        assert_eq!(shared.len(), 1, "{key}");
        assert_eq!(shared[0]["properties"]["summary"], "first");
        assert_eq!(shared[0]["properties"]["at_head"], true);
    }
    assert_eq!(findings_of(&report, &canon(&b)).len(), 2);
    // Roots shared: forks of one project.
    assert_eq!(m[&canon(&a)]["root_commit"], m[&canon(&up)]["root_commit"]);
    // The same run without forks beside it finds the same in each.
    for (dir, n) in [(&a, 1), (&b, 2)] {
        let alone = json(&org.batch(&[&dir.display().to_string(), "--format", "json"]));
        assert_eq!(alone["summary"]["blobs_reused"], 0);
        assert_eq!(alone["findings"].as_array().unwrap().len(), n);
    }
}

#[test]
fn shards_are_stable_disjoint_keep_forks_together_and_cover_everything() {
    let org = Org::new();
    let mut projects = Vec::new();
    for p in 0..4 {
        let up = org.repo(
            &format!("org/p{p}"),
            &[("x.txt", &format!("project {p}\n"))],
        );
        let fork = org.fork(&up, &format!("org/p{p}-fork"), &[("y.txt", "fork\n")]);
        projects.push((canon(&up), canon(&fork)));
    }
    let all = json(&org.batch(&["org", "--format", "json"]));
    let everything: BTreeSet<String> = manifest(&all).into_keys().collect();
    assert_eq!(everything.len(), 8);
    let mut union = BTreeSet::new();
    let mut shard_of = BTreeMap::new();
    for i in 0..3 {
        let spec = format!("{i}/3");
        let out = org.batch(&["org", "--shard", &spec, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let keys: BTreeSet<String> = manifest(&json(&out)).into_keys().collect();
        // Stable: the same shard again is the same set.
        let again: BTreeSet<String> = manifest(&json(
            &org.batch(&["org", "--shard", &spec, "--format", "json"]),
        ))
        .into_keys()
        .collect();
        assert_eq!(keys, again);
        for k in &keys {
            assert!(union.insert(k.clone()), "{k} in two shards");
            shard_of.insert(k.clone(), i);
        }
    }
    assert_eq!(union, everything);
    for (up, fork) in &projects {
        assert_eq!(shard_of[up], shard_of[fork], "forks apart: {up} {fork}");
    }
    // `auto`: the Kubernetes Indexed Job's index, the count from the environment.
    let auto = org.batch_env(
        &["org", "--shard", "auto", "--format", "json"],
        &[("JOB_COMPLETION_INDEX", "1"), ("NHISCAN_SHARDS", "3")],
    );
    let one: BTreeSet<String> = shard_of
        .iter()
        .filter(|(_, s)| **s == 1)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        manifest(&json(&auto)).into_keys().collect::<BTreeSet<_>>(),
        one
    );
    // Wrong specs: a clear message, exit 2, nothing scanned.
    for (args, env, says) in [
        (
            vec!["--shard", "3/3"],
            vec![],
            "index 3 is not below the shard count 3",
        ),
        (vec!["--shard", "1-3"], vec![], "expected I/N"),
        (vec!["--shard", "0/0"], vec![], "at least 1"),
        (
            vec!["--shard", "auto"],
            vec![],
            "JOB_COMPLETION_INDEX is not set",
        ),
        (
            vec!["--shard", "auto"],
            vec![("JOB_COMPLETION_INDEX", "0")],
            "--shards N or set NHISCAN_SHARDS",
        ),
    ] {
        let mut a = vec!["org"];
        a.extend(args);
        let out = org.batch_env(&a, &env);
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        assert!(stderr(&out).contains(says), "{a:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_plan_pins_url_forks_to_one_shard() {
    let org = Org::new();
    let up = org.repo("up", &[("a.txt", "a\n")]);
    let fork = org.fork(&up, "fork", &[("b.txt", "b\n")]);
    let other = org.repo("other", &[("c.txt", "c\n")]);
    let urls: Vec<String> = [&up, &fork, &other].iter().map(|p| file_url(p)).collect();
    std::fs::write(org.path("urls.txt"), urls.join("\n")).unwrap();
    let out = org.batch(&[
        "--list",
        "urls.txt",
        "--plan-only",
        "--shards",
        "4",
        "-o",
        "plan.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan: Value =
        serde_json::from_slice(&std::fs::read(org.path("plan.json")).unwrap()).unwrap();
    let repos = plan["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 3);
    let root = org.git(&up, &["rev-list", "--max-parents=0", "HEAD"]);
    assert_eq!(repos[0]["group"], root.as_str());
    assert_eq!(repos[1]["group"], root.as_str());
    assert_eq!(repos[0]["shard"], repos[1]["shard"]);
    // Each shard job runs its part of the plan; together, the plan.
    let mut seen = BTreeSet::new();
    for i in 0..4 {
        let spec = format!("{i}/4");
        let out = org.batch(&["--plan", "plan.json", "--shard", &spec, "--format", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let keys: Vec<String> = manifest(&json(&out)).into_keys().collect();
        for r in repos.iter().filter(|r| r["shard"] == i) {
            assert!(keys.contains(&r["key"].as_str().unwrap().to_string()));
        }
        seen.extend(keys);
    }
    assert_eq!(seen.len(), 3);
    // A URL that cannot be cloned is in the plan with its problem; the plan exits 2.
    std::fs::write(
        org.path("more.txt"),
        format!(
            "{}\nfile://{}/gone.git\n",
            urls[0],
            org.tmp.path().display()
        ),
    )
    .unwrap();
    let out = org.batch(&["--list", "more.txt", "--plan-only"]);
    assert_eq!(out.status.code(), Some(2));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(plan["repositories"][1]["problem"]
        .as_str()
        .unwrap()
        .contains("clone failed"));
    assert!(plan["repositories"][0].get("problem").is_none());
}

#[test]
fn sarif_has_one_run_per_repository_and_jsonl_streams_with_the_manifest_last() {
    let org = Org::new();
    org.repo("r/one", &[("k.env", &secret_file(3))]);
    org.repo("r/two", &[("ok.txt", "fine\n")]);
    std::fs::create_dir_all(org.path("r/bad/.git")).unwrap();
    let out = org.batch(&["r", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        sarif_schema_errors(&doc).is_empty(),
        "{:?}",
        sarif_schema_errors(&doc)
    );
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    let ids: BTreeSet<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "one category per repository");
    let one = runs
        .iter()
        .find(|r| {
            r["properties"]["repository"]
                .as_str()
                .unwrap()
                .ends_with("/one")
        })
        .unwrap();
    assert_eq!(one["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        one["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.env"
    );
    assert_eq!(
        one["versionControlProvenance"][0]["revisionId"]
            .as_str()
            .unwrap()
            .len(),
        40
    );
    let bad = runs
        .iter()
        .find(|r| r["properties"]["status"] == "failed")
        .unwrap();
    assert_eq!(bad["invocations"][0]["executionSuccessful"], false);
    let jl = org.batch(&["r", "--format", "jsonl"]);
    let (lines, end) = jsonl(&jl);
    assert_eq!(lines.len(), 1);
    assert_eq!(end["repositories"].as_array().unwrap().len(), 3);
    assert_eq!(end["complete"], false);
}

#[test]
fn tree_scope_clones_blobless_and_reads_only_the_tip() {
    let org = Org::new();
    let up = org.repo("up", &[("old.env", &secret_file(4))]);
    std::fs::remove_file(up.join("old.env")).unwrap();
    org.commit(&up, &[("new.env", &secret_file(5))], "rotate");
    let bare = org.path("served.git");
    org.git(
        org.tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            &up.display().to_string(),
            &bare.display().to_string(),
        ],
    );
    let url = file_url(&bare);
    let tree = json(&org.batch(&[&url, "--scope", "tree", "--format", "json"]));
    let arts: Vec<&str> = tree["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["artifact"].as_str().unwrap())
        .collect();
    assert_eq!(arts, ["new.env"]);
    assert_eq!(tree["repositories"][0]["scope"], "tree");
    let cached: Vec<String> = std::fs::read_dir(org.path("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(cached.iter().any(|n| n.ends_with(".tree")), "{cached:?}");
    // A later commit upstream is fetched, not cloned again.
    org.commit(&up, &[("third.env", &secret_file(6))], "third");
    org.git(&up, &["push", "-q", &bare.display().to_string(), "main"]);
    let again = json(&org.batch(&[&url, "--scope", "tree", "--format", "json"]));
    assert_eq!(again["findings"].as_array().unwrap().len(), 2);
    // History brings back the deleted one.
    let hist = json(&org.batch(&[&url, "--format", "json"]));
    let mut arts: Vec<&str> = hist["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["artifact"].as_str().unwrap())
        .collect();
    arts.sort();
    assert_eq!(arts, ["new.env", "old.env", "third.env"]);
}

#[test]
fn credentials_in_a_url_are_never_shown() {
    let org = Org::new();
    // A closed loopback port: the clone fails at once.
    let url = "http://robot:s3cr3t-t0ken@127.0.0.1:9/org/repo.git";
    let out = org.batch(&[url, "--format", "json", "--clone-timeout", "20"]);
    assert_eq!(out.status.code(), Some(2));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!all.contains("s3cr3t"), "{all}");
    assert!(!all.contains("robot"), "{all}");
    let report = json(&out);
    assert_eq!(
        report["repositories"][0]["key"],
        "http://127.0.0.1:9/org/repo"
    );
    assert_eq!(report["repositories"][0]["status"], "failed");
}

#[test]
fn a_repository_missing_an_object_is_partial_with_the_reason_and_strict_fails() {
    let org = Org::new();
    let r = org.repo(
        "r/damaged",
        &[("keep.txt", "kept\n"), ("gone.txt", "lost\n")],
    );
    let oid = org.git(&r, &["rev-parse", "HEAD:gone.txt"]);
    let loose = r.join(".git/objects").join(&oid[..2]).join(&oid[2..]);
    let object = std::fs::read(&loose).unwrap();
    std::fs::remove_file(&loose).unwrap();
    org.repo("r/fine", &[("a.txt", "a\n")]);
    let out = org.batch(&["r", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "partial is not failed: {}",
        stderr(&out)
    );
    let m = manifest(&json(&out));
    let d = &m[&canon(&r)];
    assert_eq!(d["status"], "partial");
    assert!(d["reasons"][0].as_str().unwrap().contains(&oid[..7]), "{d}");
    assert_eq!(m[&canon(&org.path("r/fine"))]["status"], "complete");
    let strict = org.batch(&["r", "--strict", "-q"]);
    assert_eq!(strict.status.code(), Some(2));
    // With a store, an unchanged damaged repository is carried as it was: partial, same reasons.
    let first = json(&org.batch(&["r", "--store", "s.db", "--format", "json"]));
    let again = json(&org.batch(&["r", "--store", "s.db", "--format", "json"]));
    let d2 = &manifest(&again)[&canon(&r)];
    assert!(d2["unchanged_since"].is_string(), "{d2}");
    assert_eq!(d2["status"], "partial");
    assert_eq!(d2["reasons"], manifest(&first)[&canon(&r)]["reasons"]);
    // The object is back (no ref moved): what can be read changed, so it is scanned again.
    std::fs::write(&loose, object).unwrap();
    let healed = json(&org.batch(&["r", "--store", "s.db", "--format", "json"]));
    let d3 = &manifest(&healed)[&canon(&r)];
    assert!(d3.get("unchanged_since").is_none(), "{d3}");
    assert_eq!(d3["status"], "complete");
    assert_eq!(
        manifest(&healed)[&canon(&org.path("r/fine"))]["status"],
        "complete"
    );
    assert_eq!(healed["summary"]["repositories"]["unchanged"], 1);
}

#[test]
fn batch_reports_what_git_reports_even_with_a_demoted_copy_first() {
    // One wildcard role in production and a copy under examples/ (demoted): the tip's production
    // place is reported whether or not demoted findings were collected.
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ops\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
    let org = Org::new();
    let r = org.repo(
        "r",
        &[
            ("examples/role.yaml", &format!("# an example\n{role}")),
            ("scripts/role.yaml", role),
            ("k.env", &secret_file(9)),
        ],
    );
    let place = |v: &Value| {
        let mut p: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().into(),
                    f["artifact"].as_str().unwrap().into(),
                )
            })
            .collect();
        p.sort();
        p
    };
    let git = nhiscan()
        .current_dir(&r)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["git", "--format", "json"])
        .output()
        .unwrap();
    let git = json(&git);
    let batch = json(&org.batch(&["r", "--format", "json"]));
    assert_eq!(place(&batch), place(&git));
    assert!(
        place(&git).iter().any(|(_, a)| a == "scripts/role.yaml"),
        "{:?}",
        place(&git)
    );
    // Everything was recorded: the demoted copy is counted, not shown.
    assert_eq!(batch["repositories"][0]["shown"], place(&git).len());
}

#[test]
fn images_committed_at_the_tip_are_scanned_when_asked() {
    use crate::support::{config, docker_save, layer, tar_of, Entry};
    let org = Org::new();
    let r = org.repo("r", &[("README.md", "images inside\n")]);
    let app = layer(&[Entry::File("app/.env", secret_file(11).into_bytes())]);
    let image = docker_save(&[app], &config(&["PATH=/usr/bin"], &["COPY . /app"]));
    std::fs::create_dir_all(r.join("dist")).unwrap();
    std::fs::write(r.join("dist/app.tar"), image).unwrap();
    // A tarball that is not an image: not taken for one.
    let plain = tar_of(&[("notes/k.env".into(), secret_file(12).into_bytes())]);
    std::fs::write(r.join("dist/backup.tar"), plain).unwrap();
    org.commit(&r, &[], "images");
    let without = json(&org.batch(&["r", "--format", "json"]));
    assert_eq!(without["findings"].as_array().unwrap().len(), 0);
    let with = json(&org.batch(&["r", "--scope", "tree,history,images", "--format", "json"]));
    let fs = with["findings"].as_array().unwrap();
    assert_eq!(fs.len(), 1, "{fs:#?}");
    assert_eq!(fs[0]["rule_id"], "aws-access-key-id");
    assert_eq!(fs[0]["artifact"], "dist/app.tar");
    assert!(
        fs[0]["display"].as_str().unwrap().contains("app/.env"),
        "{}",
        fs[0]["display"]
    );
    assert_eq!(with["repositories"][0]["scope"], "tree,history,images");
    assert_eq!(with["repositories"][0]["status"], "complete");
}

#[test]
fn a_store_makes_the_rescan_skip_clean_blobs_and_keeps_findings_exact() {
    let org = Org::new();
    let files: Vec<(String, String)> = (0..10)
        .map(|i| (format!("f{i}.txt"), format!("clean {i}\n")))
        .collect();
    let mut refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let key = secret_file(21);
    refs.push(("k.env", &key));
    org.repo("r/a", &refs);
    org.repo("r/b", &[("x.txt", "x\n")]);
    let first = org.batch(&["r", "--store", "s.db", "--format", "json"]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let first = json(&first);
    assert_eq!(first["summary"]["blobs_skipped_clean"], 0);
    // Nothing changed: neither repository is read; their findings are carried forward.
    let second = org.batch(&["r", "--store", "s.db", "--format", "json"]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let second = json(&second);
    assert_eq!(second["summary"]["repositories"]["unchanged"], 2);
    let progress = stderr(&org.batch(&["r", "--store", "s.db"]));
    assert!(
        progress.contains("unchanged")
            && progress.contains("not read, its 1 findings carried from run"),
        "{progress}"
    );
    assert_eq!(second["summary"]["blobs_skipped_clean"], 0);
    assert_eq!(second["findings"], first["findings"]);
    let m = manifest(&second);
    let first_run = first_run_id(&org);
    for e in m.values() {
        assert_eq!(e["status"], "complete");
        assert_eq!(e["unchanged_since"], first_run.as_str(), "{e}");
    }
    // The store saw the key again: open, not fixed; last seen by the second run.
    let open = org_findings(&org, &["--status", "open"]);
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(org_findings(&org, &["--status", "fixed"]).len(), 0);
    // A commit in one repository: it is scanned again, its ten clean blobs are not read, the key
    // file is, and is found again; the other repository is still unchanged.
    org.commit(&org.path("r/a"), &[("new.txt", "new\n")], "more");
    let third = json(&org.batch(&["r", "--store", "s.db", "--format", "json"]));
    assert_eq!(third["summary"]["repositories"]["unchanged"], 1);
    assert_eq!(third["summary"]["blobs_skipped_clean"], 10);
    assert_eq!(third["findings"], first["findings"]);
    // --rescan forgets all of it.
    let fourth = json(&org.batch(&["r", "--store", "s.db", "--rescan", "--format", "json"]));
    assert_eq!(fourth["summary"]["repositories"]["unchanged"], 0);
    assert_eq!(fourth["summary"]["blobs_skipped_clean"], 0);
    assert_eq!(fourth["findings"], first["findings"]);
    // Without --store-secrets the store never holds the secret, and --show-secrets, which needs
    // it, scans the repository holding it again.
    let id = aws_key_id(21);
    let db = std::fs::read(org.path("s.db")).unwrap();
    assert!(!db.windows(id.len()).any(|w| w == id.as_bytes()));
    let shown = json(&org.batch(&["r", "--store", "s.db", "--show-secrets", "--format", "json"]));
    assert_eq!(shown["summary"]["repositories"]["unchanged"], 1);
    assert_eq!(shown["findings"][0]["secret"], id.as_str());
}

/// The id of the first run a batch store recorded.
fn first_run_id(org: &Org) -> String {
    let out = nhiscan()
        .args(["findings", "--store"])
        .arg(org.path("s.db"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = json(&out);
    v["findings"][0]["properties"]["first_run"]
        .as_str()
        .unwrap_or_else(|| panic!("{v:#}"))
        .to_string()
}

/// `nhiscan findings --store s.db ARGS` as JSON findings.
fn org_findings(org: &Org, args: &[&str]) -> Vec<Value> {
    let out = nhiscan()
        .args(["findings", "--store"])
        .arg(org.path("s.db"))
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    json(&out)["findings"].as_array().unwrap().clone()
}

#[test]
fn a_shared_secret_is_reported_at_its_production_place_not_a_demoted_copy() {
    // The same password in the README (docs: demoted, and first in path order) and in a
    // production config: folded into one finding, which must be the production one, or hiding
    // demoted findings after the fold would hide the secret altogether.
    let pw = crate::support::password(31);
    let org = Org::new();
    let r = org.repo(
        "r",
        &[
            (
                "README.md",
                &format!("Connect with:\n\n    password: {pw}\n"),
            ),
            ("settings/app.yaml", &format!("db:\n  password: {pw}\n")),
        ],
    );
    let places = |v: &Value| -> Vec<(String, u64)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["artifact"].as_str().unwrap().into(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let want = vec![("settings/app.yaml".to_string(), 2)];
    let batch = json(&org.batch(&["r", "--format", "json"]));
    assert_eq!(places(&batch), want, "{batch:#}");
    let all = json(&org.batch(&["r", "--format", "json", "--context", "all"]));
    assert_eq!(places(&all), want);
    let locs = &all["findings"][0]["properties"]["locations"];
    assert!(
        locs[0]["file"]
            .as_str()
            .unwrap()
            .starts_with("settings/app.yaml "),
        "the finding's own place is listed first: {locs}"
    );
    let scan = nhiscan()
        .args(["scan", "--format", "json", "--context", "all"])
        .arg(&r)
        .output()
        .unwrap();
    assert_eq!(places(&json(&scan)), want);
}

#[test]
fn a_killed_batch_resumes_without_rescanning_what_it_recorded() {
    let org = Org::new();
    let n = 24;
    for i in 0..n {
        let files: Vec<(String, String)> = (0..20)
            .map(|j| (format!("src/f{j}.py"), format!("x = {i}{j}\n")))
            .collect();
        let mut refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let key = secret_file(100 + i);
        refs.push(("k.env", &key));
        org.repo(&format!("org/r{i:02}"), &refs);
    }
    let store = org.path("s.db");
    let cache = org.path("cache");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("nhiscan"))
        .current_dir(org.tmp.path())
        .env("HOME", org.tmp.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", org.tmp.path().join("gitconfig"))
        .env_remove("NHISCAN_STORE")
        .env_remove("NHISCAN_RUN_ID")
        .args([
            "batch",
            "org",
            "--parallel-repos",
            "1",
            "-j",
            "1",
            "--store",
        ])
        .arg(&store)
        .arg("--cache")
        .arg(&cache)
        .args(["--format", "json", "-o", "first.json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL: no clean-up of any kind) once it has recorded a repository.
    let recorded = |s: &Path| -> usize {
        let Ok(c) =
            rusqlite::Connection::open_with_flags(s, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        else {
            return 0;
        };
        c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
        c.query_row("SELECT COUNT(*) FROM run_repos", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0) as usize
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while recorded(&store) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the batch ended before it could be killed"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "nothing recorded in 120 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let done = recorded(&store);
    assert!(
        done >= 1 && done < n as usize,
        "{done} recorded when killed"
    );
    // The same command again: the same run, only the rest scanned.
    let out = org.batch(&[
        "org",
        "--parallel-repos",
        "1",
        "--store",
        "s.db",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{done} of {n} repositories were recorded before it was interrupted"
        )),
        "{err}"
    );
    let report = json(&out);
    let m = manifest(&report);
    assert_eq!(m.len(), n as usize);
    let resumed = m.values().filter(|e| e["resumed"] == true).count();
    assert_eq!(resumed, done);
    // Every repository recorded once, in one run, complete; every key found once.
    let c = rusqlite::Connection::open(&store).unwrap();
    let runs: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM runs WHERE status = 'complete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(runs, 1);
    let repos: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM run_repos WHERE coverage = 'complete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(repos, n as i64);
    let found: i64 = c
        .query_row("SELECT COUNT(*) FROM occurrences", [], |r| r.get(0))
        .unwrap();
    assert_eq!(found, n as i64);
}

#[test]
fn an_unchanged_clone_url_is_fetched_then_carried_forward() {
    let org = Org::new();
    let up = org.repo("up/app", &[("k.env", &secret_file(41))]);
    let url = file_url(&up);
    let first = json(&org.batch(&[&url, "--store", "s.db", "--format", "json"]));
    assert_eq!(first["findings"].as_array().unwrap().len(), 1);
    let again = json(&org.batch(&[&url, "--store", "s.db", "--format", "json"]));
    assert_eq!(
        again["summary"]["repositories"]["unchanged"], 1,
        "{again:#}"
    );
    assert_eq!(again["findings"], first["findings"]);
    // A new commit upstream: the fetch brings it, the repository is scanned again.
    org.commit(&up, &[("more.env", &secret_file(42))], "more");
    let moved = json(&org.batch(&[&url, "--store", "s.db", "--format", "json"]));
    assert_eq!(moved["summary"]["repositories"]["unchanged"], 0);
    assert_eq!(moved["findings"].as_array().unwrap().len(), 2);
}
