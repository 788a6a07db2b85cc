//! The build context of a Dockerfile read from disk: the files of its directory, minus what
//! `.dockerignore` excludes, as BuildKit would send them. Listed lazily, on the analyzer's first
//! question (only `COPY .`/`ADD .` asks), and at most once per Dockerfile.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::analyze::dockerfile::is_dockerfile;
use crate::analyze::BuildContext;

/// Walk entries read at most: a Dockerfile at the top of a huge tree does not walk all of it.
const WALK_LIMIT: usize = 50_000;

/// The build context of one Dockerfile: its directory.
pub(crate) struct DirContext {
    dir: PathBuf,
    /// The Dockerfile's file name, for `<name>.dockerignore`.
    dockerfile_name: String,
    cache: OnceLock<Vec<String>>,
}

/// The context of `path` when it names a Dockerfile (by file name), else None.
pub(crate) fn for_dockerfile(path: &Path) -> Option<DirContext> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    if !is_dockerfile(&name) {
        return None;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some(DirContext {
        dir,
        dockerfile_name: name,
        cache: OnceLock::new(),
    })
}

impl BuildContext for DirContext {
    fn files(&self) -> Vec<String> {
        self.cache
            .get_or_init(|| walk(&self.dir, &self.dockerfile_name))
            .clone()
    }
}

/// Every file under `dir` that the Dockerfile's `.dockerignore` keeps, relative, `/`-separated,
/// sorted; `.git/` is never entered.
fn walk(dir: &Path, dockerfile: &str) -> Vec<String> {
    let ignore = dockerignore(dir, dockerfile);
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for (n, e) in walk.enumerate() {
        if n > WALK_LIMIT {
            break;
        }
        let Ok(e) = e else { continue };
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(dir) else {
            continue;
        };
        if ignore.matched_path_or_any_parents(rel, false).is_ignore() {
            continue;
        }
        out.push(rel.to_string_lossy().replace('\\', "/"));
    }
    out.sort();
    out
}

/// The exclusions of `<Dockerfile>.dockerignore`, else `.dockerignore` (the order BuildKit reads
/// them), as gitignore rules anchored at the context root.
fn dockerignore(dir: &Path, dockerfile: &str) -> ignore::gitignore::Gitignore {
    let file = [
        dir.join(format!("{dockerfile}.dockerignore")),
        dir.join(".dockerignore"),
    ]
    .into_iter()
    .find(|p| p.is_file());
    let mut b = ignore::gitignore::GitignoreBuilder::new(dir);
    if let Some(f) = &file {
        for line in std::fs::read_to_string(f).unwrap_or_default().lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (neg, pat) = match t.strip_prefix('!') {
                Some(p) => ("!", p.trim()),
                None => ("", t),
            };
            let pat = pat.trim_start_matches("./").trim_start_matches('/');
            // .dockerignore patterns are anchored at the context root, unlike gitignore's.
            let line = if pat.starts_with("**") {
                format!("{neg}{pat}")
            } else {
                format!("{neg}/{pat}")
            };
            let _ = b.add_line(None, &line);
        }
    }
    b.build()
        .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dockerfiles_have_a_context() {
        assert!(for_dockerfile(Path::new("src/main.rs")).is_none());
        let c = for_dockerfile(Path::new("Dockerfile")).unwrap();
        assert_eq!(c.dir, PathBuf::from("."));
        let c = for_dockerfile(Path::new("app/api.Dockerfile")).unwrap();
        assert_eq!(c.dir, PathBuf::from("app"));
        assert_eq!(c.dockerfile_name, "api.Dockerfile");
    }

    #[test]
    fn dockerignore_is_applied_and_git_left_out() {
        let d = tempfile::tempdir().unwrap();
        let w = |p: &str| {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        };
        for p in [
            "Dockerfile",
            ".env",
            "keep/.env",
            "logs/a.log",
            "logs/keep.log",
            ".git/config",
            "src/main.rs",
        ] {
            w(p);
        }
        std::fs::write(
            d.path().join(".dockerignore"),
            "# comment\n.env\nlogs\n!logs/keep.log\n",
        )
        .unwrap();
        let c = for_dockerfile(&d.path().join("Dockerfile")).unwrap();
        let want = [
            ".dockerignore",
            "Dockerfile",
            "keep/.env",
            "logs/keep.log",
            "src/main.rs",
        ];
        assert_eq!(c.files(), want);
        // A Dockerfile-specific ignore file wins.
        std::fs::write(d.path().join("Dockerfile.dockerignore"), "src\n").unwrap();
        let c = for_dockerfile(&d.path().join("Dockerfile")).unwrap();
        assert!(c.files().contains(&".env".to_string()));
        assert!(!c.files().contains(&"src/main.rs".to_string()));
    }
}
