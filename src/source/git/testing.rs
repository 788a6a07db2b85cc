//! What the in-process tests of this module share: git run on a repository built for a test.

use std::path::Path;
use std::process::Command;

/// `git -C dir args` with a fixed identity and no signing, as a fresh machine has none; its
/// standard output. Fails the test when git fails.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes `text` to `path` under `d`, making its directories.
pub(crate) fn write(d: &Path, path: &str, text: &str) {
    let p = d.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Commits everything in the work tree of `d` (an empty commit when nothing changed).
pub(crate) fn commit(d: &Path, msg: &str) {
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "--allow-empty", "-m", msg]);
}
