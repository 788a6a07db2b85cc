//! Test repositories built with the git CLI in a temp dir, and a test-local rule file (so the tests do
//! not depend on which shipped rules have landed: they run with `--enable` on these two rules only).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub const RULES: &str = r#"
[[rule]]
id = "test-github-pat"
title = "Test GitHub token"
description = "A GitHub classic token, for the git tests."
severity = "high"
keywords = ["ghp_"]
pattern = '''\b(ghp_[A-Za-z0-9]{36})\b'''
checksum = "github-crc32"
lifetime = { kind = "long-lived", reason = "test" }
remediation = "Revoke it."

[[rule]]
id = "test-aws-key"
title = "Test AWS key id"
description = "An AWS access key id, for the git tests."
severity = "critical"
keywords = ["AKIA"]
pattern = '''\b(AKIA[A-Z2-7]{16})\b'''
lifetime = { kind = "long-lived", reason = "test" }
remediation = "Revoke it."
"#;

pub const ENABLE: &str = "test-github-pat,test-aws-key";

pub struct Repo {
    pub tmp: TempDir,
    pub dir: PathBuf,
    /// Where the rule file lives (outside the repository).
    pub rules: PathBuf,
    clock: std::cell::Cell<i64>,
}

/// git with a clean, fixed environment (no user or system config).
pub fn git_cmd(dir: &Path, home: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com");
    c
}

impl Repo {
    pub fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        let rules = tmp.path().join("rules.toml");
        std::fs::write(&rules, RULES).unwrap();
        std::fs::write(
            tmp.path().join("gitconfig"),
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        )
        .unwrap();
        let r = Repo {
            tmp,
            dir,
            rules,
            clock: std::cell::Cell::new(1_577_836_800),
        }; // 2020-01-01
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    pub fn home(&self) -> &Path {
        self.tmp.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.dir, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let t = format!("{} +0000", self.clock.get());
        let out = git_cmd(dir, self.home())
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

    pub fn write(&self, path: &str, content: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// Moves the clock `days` forward (commit dates are deterministic).
    pub fn advance(&self, days: i64) {
        self.clock.set(self.clock.get() + days * 86_400);
    }

    /// Stages everything and commits one day after the previous commit; returns the commit id.
    pub fn commit(&self, msg: &str) -> String {
        self.advance(1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `nhiscan ARGS --rules <test rules> --enable <test rules>` run in the repository.
    pub fn nhiscan(&self, args: &[&str]) -> std::process::Output {
        self.nhiscan_in(&self.dir, args)
    }

    pub fn nhiscan_in(&self, dir: &Path, args: &[&str]) -> std::process::Output {
        let rules = self.rules.to_string_lossy().to_string();
        let mut all: Vec<&str> = args.to_vec();
        if args.first() != Some(&"install-hook") {
            all.extend(["--rules", &rules, "--enable", ENABLE]);
        }
        if !matches!(args.first(), Some(&"baseline") | Some(&"install-hook")) {
            all.extend(["--color", "never"]);
        }
        crate::support::nhiscan()
            .current_dir(dir)
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home().join("gitconfig"))
            .args(&all)
            .output()
            .unwrap()
    }
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
