//! The repositories a batch covers, from what the user named: local paths (a work tree, a bare or
//! mirror repository, or a directory holding many, found by a walk of bounded depth), files listing
//! paths or clone URLs one a line (`#` comments), and a plan written by `--plan-only`. Each
//! repository once, by key; an input that names no repository is kept too, as a failed entry, so
//! nothing the user named is dropped silently.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::key::{is_url, path_key, redact, url_key};

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// On disk.
    Local(PathBuf),
    /// To clone (as given: credentials, if any, are used to clone and never shown).
    Url(String),
}

/// One repository of the batch, before it is cloned or opened.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The repository key (see [`super::key`]).
    pub key: String,
    /// Where it is.
    pub location: Location,
    /// Why it cannot be scanned, when that is known from the input alone (no such path, no
    /// repository under a directory).
    pub problem: Option<String>,
    /// The shard group a plan pinned (the root commit, read after cloning).
    pub group: Option<String>,
    /// What the survey before the scans learnt of it (local repositories).
    pub surveyed: Option<super::probe::Surveyed>,
}

impl Target {
    /// How the repository was named, credentials removed.
    pub(crate) fn shown(&self) -> String {
        match &self.location {
            Location::Local(p) => p.display().to_string(),
            Location::Url(u) => redact(u),
        }
    }
}

/// Collects the repositories of `inputs` (paths and URLs) and of the `lists` files, each once, in
/// the order first named. `depth`: how many directory levels below a named directory are searched.
pub(crate) fn collect(inputs: &[String], lists: &[PathBuf], depth: usize) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for i in inputs {
        add(&mut out, i, Path::new("."), depth);
    }
    for l in lists {
        let text = std::fs::read_to_string(l)
            .with_context(|| format!("--list {}: cannot read", l.display()))?;
        // Relative paths in a list are relative to the list, as it was written next to them.
        let base = l.parent().unwrap_or(Path::new("."));
        for line in text.lines() {
            let line = strip_comment(line);
            if !line.is_empty() {
                add(&mut out, line, base, depth);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t: &Target| seen.insert(t.key.clone()));
    Ok(out)
}

/// A list line without its comment: a line starting with `#`, or ` #` and what follows.
fn strip_comment(line: &str) -> &str {
    let line = line.trim();
    if line.starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => line[..i].trim_end(),
        None => line,
    }
}

fn add(out: &mut Vec<Target>, input: &str, base: &Path, depth: usize) {
    if is_url(input) {
        out.push(Target {
            key: url_key(input),
            location: Location::Url(input.to_string()),
            problem: None,
            group: None,
            surveyed: None,
        });
        return;
    }
    let path = if Path::new(input).is_absolute() || base == Path::new(".") {
        PathBuf::from(input)
    } else {
        base.join(input)
    };
    let failed = |why: String| Target {
        key: path_key(&path),
        location: Location::Local(path.clone()),
        problem: Some(why),
        group: None,
        surveyed: None,
    };
    if path.symlink_metadata().is_err() {
        return out.push(failed("no such file or directory".into()));
    }
    if is_repository(&path) {
        return out.push(local(&path));
    }
    if !path.is_dir() {
        return out.push(failed("not a git repository".into()));
    }
    let before = out.len();
    walk(&path, depth, out);
    if out.len() == before {
        out.push(failed(format!(
            "not a git repository, and no repository found under it (searched {depth} levels deep; --max-depth)"
        )));
    }
}

fn local(path: &Path) -> Target {
    Target {
        key: path_key(path),
        location: Location::Local(path.to_path_buf()),
        problem: None,
        group: None,
        surveyed: None,
    }
}

/// True for a work tree's top (it holds `.git`, a directory or a worktree's file) and for a bare or
/// mirror repository (`HEAD`, `objects/`, `refs/`). A damaged repository still looks like one, and
/// is reported failed when git cannot read it.
pub(crate) fn is_repository(p: &Path) -> bool {
    p.join(".git").symlink_metadata().is_ok()
        || (p.join("HEAD").is_file() && p.join("objects").is_dir() && p.join("refs").is_dir())
}

/// The repositories under `dir`, `depth` levels down at most, in name order; a repository's own
/// directories are not searched further (its submodules and nested clones are its own business).
fn walk(dir: &Path, depth: usize, out: &mut Vec<Target>) {
    if depth == 0 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != ".git"))
        .collect();
    subdirs.sort();
    for d in subdirs {
        if is_repository(&d) {
            out.push(local(&d));
        } else {
            walk(&d, depth - 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_comments() {
        assert_eq!(strip_comment("  # a comment"), "");
        assert_eq!(strip_comment("repo-a   # the first"), "repo-a");
        assert_eq!(strip_comment("https://h/o/r#frag"), "https://h/o/r#frag");
        assert_eq!(strip_comment("   "), "");
    }

    #[test]
    fn directories_of_repositories() {
        let t = tempfile::tempdir().unwrap();
        let mk = |p: &str| std::fs::create_dir_all(t.path().join(p)).unwrap();
        mk("org/a/.git");
        mk("org/a/vendor/nested/.git");
        mk("org/deep/er/b/.git");
        mk("org/c.git/objects");
        mk("org/c.git/refs");
        std::fs::write(t.path().join("org/c.git/HEAD"), "ref: refs/heads/main\n").unwrap();
        mk("org/empty");
        let org = t.path().join("org").display().to_string();
        let got = collect(std::slice::from_ref(&org), &[], 2).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|t| t.key.rsplit('/').next().unwrap().to_string())
            .collect();
        // `deep/er/b` is three levels down; `a`'s nested clone is a's own.
        assert_eq!(names, ["a", "c.git"]);
        let deeper = collect(std::slice::from_ref(&org), &[], 3).unwrap();
        assert_eq!(deeper.len(), 3);
        let none = collect(&[t.path().join("org/empty").display().to_string()], &[], 3).unwrap();
        assert!(none[0]
            .problem
            .as_deref()
            .unwrap()
            .contains("no repository found"));
        let missing = collect(&["/no/such/dir/x".into()], &[], 3).unwrap();
        assert_eq!(
            missing[0].problem.as_deref(),
            Some("no such file or directory")
        );
        // Named twice (two spellings of one directory): once.
        let a = t.path().join("org/a").display().to_string();
        let twice = collect(&[a.clone(), format!("{a}/")], &[], 1).unwrap();
        assert_eq!(twice.len(), 1);
    }
}
