//! The walk against `git rev-list --objects --missing=print` itself: the same lines after the
//! commits, in the same order, and the same missing objects, on a history with the shapes that
//! decide a first path (a blob at two paths, a rename, a file that becomes a directory and back,
//! trees shared between commits and between directories, a merge, an orphan branch), what the walk
//! never follows or lists (a gitlink, a symlink's target), what refs name directly (an annotated
//! tag, a tag of a tree, a lightweight tag of a blob) and what the repository lacks.

use std::path::Path;
use std::time::Instant;

use super::{Listed, ObjectWalk};
use crate::source::git::odb::{hex, Odb};
use crate::source::git::testing::{commit, git, write};

/// Objects in order, and the missing ones sorted.
type Listing = (Vec<String>, Vec<String>);

fn lines(out: Vec<u8>) -> Vec<String> {
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect()
}

/// What git prints after the commits (the objects in order, and the missing ones sorted), and the
/// same as the walk here lists it, for the history of the repository whose git directory is `gd`.
/// None for the walk's when it stopped at something git would read otherwise.
fn both(gd: &Path) -> (Listing, Option<Listing>) {
    let commits = lines(git(gd, &["rev-list", "--all", "--missing=print"]));
    let full = lines(git(
        gd,
        &["rev-list", "--objects", "--all", "--missing=print"],
    ));
    let split = |l: &[String]| {
        let (mut missing, objects): (Vec<String>, Vec<String>) =
            l.iter().cloned().partition(|l| l.starts_with('?'));
        missing.sort();
        (objects, missing)
    };
    let theirs = split(&full[commits.len()..]);

    let named = lines(git(
        gd,
        &[
            "rev-list",
            "--objects",
            "--all",
            "--missing=print",
            "--max-count=0",
        ],
    ));
    let trees = lines(git(
        gd,
        &["rev-list", "--all", "--no-commit-header", "--format=%T"],
    ));
    let odb = Odb::open(&gd.join("objects"), 20);
    let mut walk = ObjectWalk::new(&odb);
    let mut listed: Vec<String> = Vec::new();
    for l in &named {
        walk.see(l.trim_start_matches('?').split(' ').next().unwrap());
        listed.push(l.clone());
    }
    let start = Instant::now();
    for t in &trees {
        let clear = walk.walk(t, &mut |l: Listed<'_>| {
            listed.push(format!("{} {}", hex(l.id), String::from_utf8_lossy(l.path)));
        });
        if clear.is_err() {
            return (theirs, None);
        }
    }
    eprintln!("walked {} trees in {:?}", trees.len(), start.elapsed());
    listed.extend(walk.absent().iter().map(|id| format!("?{}", hex(id))));
    (theirs, Some(split(&listed)))
}

/// The history described at the top of this file.
fn history() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "a.txt", "same\n");
    write(d, "docs/copy.txt", "same\n");
    write(d, "lib/deep/x.rs", "x\n");
    write(d, "lib/deep/y.rs", "y\n");
    write(d, "thing", "a file\n");
    commit(d, "start");
    // The same subtree at a second place, a rename, a file that becomes a directory.
    git(d, &["mv", "lib/deep/y.rs", "lib/y2.rs"]);
    std::fs::remove_file(d.join("thing")).unwrap();
    write(d, "thing/inside.txt", "now a dir\n");
    write(d, "vendor/deep/x.rs", "x\n");
    commit(d, "move");
    std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
    git(d, &["add", "-A"]);
    // A gitlink: an index entry for a commit this repository does not have.
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,1111111111111111111111111111111111111111,sub",
        ],
    );
    git(d, &["commit", "-q", "-m", "link and submodule"]);
    git(d, &["checkout", "-q", "-b", "topic", "HEAD~1"]);
    write(d, "lib/deep/x.rs", "x on topic\n");
    write(d, "topic.txt", "t\n");
    commit(d, "topic");
    git(d, &["checkout", "-q", "main"]);
    git(d, &["merge", "-q", "--no-ff", "-m", "merge", "topic"]);
    // A directory that becomes a file again, and a blob back at an old path.
    std::fs::remove_dir_all(d.join("thing")).unwrap();
    write(d, "thing", "a file\n");
    commit(d, "back");
    git(d, &["checkout", "-q", "--orphan", "other"]);
    git(d, &["rm", "-rq", "--cached", "."]);
    write(d, "other.txt", "same\n");
    git(d, &["add", "other.txt"]);
    commit(d, "orphan");
    git(d, &["checkout", "-q", "main"]);
    git(d, &["tag", "-a", "-m", "release", "v1"]);
    let tree = lines(git(d, &["rev-parse", "HEAD:lib"])).remove(0);
    git(d, &["tag", "-a", "-m", "a tree", "tree-tag", &tree]);
    write(d, "loose-only.txt", "named by a tag only\n");
    let b = lines(git(d, &["hash-object", "-w", "loose-only.txt"])).remove(0);
    std::fs::remove_file(d.join("loose-only.txt")).unwrap();
    git(d, &["tag", "blob-tag", &b]);
    git(d, &["repack", "-adq"]);
    dir
}

#[test]
fn lists_what_git_lists_in_its_order() {
    let dir = history();
    let (theirs, ours) = both(&dir.path().join(".git"));
    assert!(theirs.0.iter().any(|l| l.ends_with(" thing/inside.txt")));
    assert!(!theirs.0.iter().any(|l| l.ends_with(" sub")));
    assert_eq!(ours, Some(theirs));
}

/// The history above, then a commit adding `path`, then the loose object at `rev` (`HEAD:…`)
/// removed from the store: its id, and both listings.
fn losing(path: &str, rev: &str) -> (String, Listing, Option<Listing>) {
    let dir = history();
    let d = dir.path();
    write(d, path, "soon missing\n");
    write(d, "kept.txt", "kept\n");
    commit(d, "to lose");
    let id = lines(git(d, &["rev-parse", rev])).remove(0);
    std::fs::remove_file(d.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let (theirs, ours) = both(&d.join(".git"));
    (id, theirs, ours)
}

#[test]
fn reports_the_blobs_the_repository_lacks_as_git_does() {
    let (blob, theirs, ours) = losing("gone/file.txt", "HEAD:gone/file.txt");
    assert!(theirs.1.contains(&format!("?{blob}")));
    assert_eq!(ours, Some(theirs));
}

#[test]
fn leaves_a_missing_tree_to_git() {
    let (tree, theirs, ours) = losing("gone/file.txt", "HEAD:gone");
    assert!(theirs.1.contains(&format!("?{tree}")));
    assert_eq!(ours, None);
}

/// The walk on a real history: `NHISCAN_LIST_REPO=/path/to/repo.git cargo test --release --lib
/// walks_a_real_history -- --ignored --nocapture` (git/git: 203,352 commits).
#[test]
#[ignore]
fn walks_a_real_history() {
    let Some(gd) = std::env::var_os("NHISCAN_LIST_REPO") else {
        return;
    };
    let (theirs, ours) = both(Path::new(&gd));
    let ours = ours.expect("the walk is clear");
    assert_eq!(ours.1, theirs.1);
    assert_eq!(ours.0.len(), theirs.0.len());
    assert!(ours.0 == theirs.0);
}
