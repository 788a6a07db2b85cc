//! [`may_show`] against `git log -c --find-object` itself, on a history with every shape of merge
//! that shows or hides a path: a merge that only joins, an evil merge (a file, a whole new
//! directory), a conflict resolved to a third version, a deletion only the merge makes, a file
//! that becomes a directory, an octopus, a second root joined in, a mode change, a symlink and a
//! submodule entry.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use super::may_show;
use crate::source::git::list::Walked;
use crate::source::git::odb::Odb;
use crate::source::git::testing::{self, commit, write};

/// [`testing::git`]'s output as text.
fn git(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&testing::git(dir, args)).into_owned()
}

fn merge(d: &Path, args: &[&str]) {
    let mut a = vec!["merge", "-q", "--no-ff", "--no-commit"];
    a.extend_from_slice(args);
    // A conflict leaves the merge to be finished by hand, as the tests below do.
    let _ = Command::new("git")
        .arg("-C")
        .arg(d)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(&a)
        .output()
        .expect("git runs");
}

/// The history described at the top of this file, packed.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "a.txt", "a\n");
    write(d, "dir/x.txt", "x\n");
    write(d, "secret.env", "KEY=one\n");
    write(d, "thing", "a file\n");
    write(d, "c.env", "C=base\n");
    commit(d, "start");
    // A topic that edits, adds, and changes a mode; main moves on meanwhile.
    git(d, &["checkout", "-q", "-b", "topic"]);
    write(d, "dir/x.txt", "x topic\n");
    write(d, "t.env", "T=two\n");
    write(d, "c.env", "C=topic\n");
    git(d, &["update-index", "--chmod=+x", "secret.env"]);
    commit(d, "topic");
    git(d, &["checkout", "-q", "main"]);
    write(d, "a.txt", "a main\n");
    write(d, "c.env", "C=main\n");
    std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
    commit(d, "main");
    // A conflict resolved to a version neither side had, plus a file only the merge adds.
    merge(d, &["topic"]);
    write(d, "c.env", "C=resolved\n");
    write(d, "evil.env", "E=three\n");
    commit(d, "merge topic, resolving c.env");
    // A file that becomes a directory on one side while the other edits it.
    git(d, &["checkout", "-q", "-b", "shape"]);
    git(d, &["rm", "-q", "thing"]);
    write(d, "thing/inner.env", "I=four\n");
    commit(d, "thing becomes a directory");
    git(d, &["checkout", "-q", "main"]);
    write(d, "dir/y.txt", "y\n");
    commit(d, "main again");
    merge(d, &["shape"]);
    // A whole directory only the merge brings, and a deletion only the merge makes.
    write(d, "newdir/deep/k.env", "K=five\n");
    git(d, &["rm", "-q", "--cached", "secret.env"]);
    std::fs::remove_file(d.join("secret.env")).unwrap();
    commit(d, "merge shape, evil");
    // An octopus of three branches, and a submodule entry.
    for b in ["o1", "o2", "o3"] {
        git(d, &["checkout", "-q", "-b", b, "main"]);
        write(d, &format!("{b}.txt"), b);
        commit(d, b);
    }
    git(d, &["checkout", "-q", "main"]);
    merge(d, &["o1", "o2", "o3"]);
    commit(d, "octopus");
    let head = git(d, &["rev-parse", "HEAD"]);
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{},sub", head.trim()),
        ],
    );
    git(d, &["commit", "-q", "-m", "a submodule entry"]);
    // A second root, holding an old secret again, joined in.
    git(d, &["checkout", "-q", "--orphan", "other"]);
    git(d, &["rm", "-q", "-r", "--cached", "."]);
    git(d, &["clean", "-qfdx"]);
    write(d, "secret.env", "KEY=one\n");
    commit(d, "another root");
    git(d, &["checkout", "-q", "-f", "main"]);
    merge(d, &["--allow-unrelated-histories", "-X", "ours", "other"]);
    commit(d, "join the other root");
    git(d, &["repack", "-adq"]);
    dir
}

/// Every commit of the history as the listing gives them: id, tree, parents.
fn walked(d: &Path) -> Vec<Walked> {
    git(d, &["log", "--all", "--format=%H%x00%T%x00%P"])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\0').collect();
            Walked {
                sha: f[0].into(),
                tree: f[1].into(),
                parents: f[2].into(),
            }
        })
        .collect()
}

/// The commits `git log -c --find-object=wanted` shows a change in.
fn shown_by_git(d: &Path, wanted: &str) -> HashSet<String> {
    let out = git(
        d,
        &[
            "log",
            "--all",
            "-c",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--format=%x01%H",
            &format!("--find-object={wanted}"),
        ],
    );
    let mut shown = HashSet::new();
    let mut current = "";
    for l in out.lines() {
        if let Some(c) = l.strip_prefix('\u{1}') {
            current = c;
        } else if l.starts_with(':') {
            shown.insert(current.to_string());
        }
    }
    shown
}

#[test]
fn every_commit_git_shows_a_wanted_object_in_is_kept_and_a_plain_one_is_kept_only_then() {
    let dir = history();
    let d = dir.path();
    let odb = Odb::open(&d.join(".git/objects"), 20);
    let walked = walked(d);
    let commits: Vec<String> = walked.iter().map(|c| c.sha.clone()).collect();
    let merges: HashSet<String> = git(d, &["rev-list", "--all", "--min-parents=2"])
        .lines()
        .map(String::from)
        .collect();
    let roots: HashSet<String> = git(d, &["rev-list", "--all", "--max-parents=0"])
        .lines()
        .map(String::from)
        .collect();
    assert_eq!((merges.len(), roots.len()), (4, 2));
    // Every blob and tree of the history, wanted one at a time.
    let objects: Vec<String> = git(d, &["rev-list", "--all", "--objects"])
        .lines()
        .filter_map(|l| l.split(' ').next().map(String::from))
        .filter(|o| !commits.contains(o))
        .collect();
    assert!(objects.len() > 20, "{}", objects.len());
    let mut dropped = 0;
    for w in &objects {
        let git_shows = shown_by_git(d, w);
        let may = may_show(&odb, &walked, &[w.as_str()], 2);
        for (c, may) in commits.iter().zip(&may) {
            if git_shows.contains(c) {
                assert!(may, "git shows {w} in {c}, which was dropped");
            } else if !merges.contains(c) && !roots.contains(c) {
                // One parent: kept exactly when git shows the object.
                assert!(!may, "{c} kept for {w}, which git does not show there");
            }
            dropped += usize::from(!may);
        }
    }
    // Most commits show none of a given object: the filter leaves them out.
    assert!(dropped > objects.len() * commits.len() / 2, "{dropped}");
}

#[test]
fn unreadable_commits_and_trees_are_kept_for_git() {
    let dir = history();
    let d = dir.path();
    let odb = Odb::open(&d.join(".git/objects"), 20);
    let head = walked(d).remove(0);
    let absent = "0123456789abcdef0123456789abcdef01234567";
    let with = |tree: &str, parents: &str| Walked {
        sha: head.sha.clone(),
        tree: tree.into(),
        parents: parents.into(),
    };
    // A tree the store lacks, text that is no id, a parent neither listed nor in the store: git's
    // to judge. The real commit shows nothing wanted.
    let commits = [
        with(absent, &head.parents),
        with("not an id", &head.parents),
        with(&head.tree, absent),
        with(&head.tree, &head.parents),
    ];
    let may = may_show(&odb, &commits, &[], 1);
    assert_eq!(may, vec![true, true, true, false]);
}
