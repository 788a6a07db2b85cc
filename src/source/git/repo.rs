//! The repository wrapper: where it is, what kind it is, and how git is run on it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};

/// A repository as git sees it.
pub(crate) struct Repo {
    /// The path the user gave (git runs with `-C` here, so worktrees and bare repositories just work).
    pub path: PathBuf,
    /// The working tree's top directory; None for a bare repository.
    pub top: Option<PathBuf>,
    /// True for a shallow clone (history before the boundary is not there).
    pub shallow: bool,
    /// The object directory (a linked worktree's is its common directory's).
    objects: PathBuf,
    /// The directory refs live in (a linked worktree shares its common directory's).
    common: PathBuf,
    /// Bytes per object id: 20 (SHA-1) or 32 (SHA-256).
    hash_len: usize,
    /// The object store read in process, opened on first use; None when git must read the objects.
    odb: std::sync::OnceLock<Option<super::odb::Odb>>,
}

impl Repo {
    /// Opens the repository at `path` (a working tree, a directory inside one, or a bare repository).
    pub(crate) fn open(path: &Path) -> Result<Repo> {
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
        // One git process in the common case (a working tree); a bare repository has no top level.
        let rev_parse = |with_top: bool| {
            let mut c = Command::new("git");
            c.arg("-C").arg(path).args([
                "rev-parse",
                "--absolute-git-dir",
                "--is-bare-repository",
                "--is-shallow-repository",
                "--git-path",
                "objects",
                "--git-common-dir",
            ]);
            if with_top {
                c.arg("--show-toplevel");
            }
            c.stdin(Stdio::null())
                .output()
                .context("cannot run `git` (is it installed and on PATH?)")
        };
        let mut out = rev_parse(true)?;
        if !out.status.success() {
            out = rev_parse(false)?;
        }
        if !out.status.success() {
            bail!(
                "{}: not a git repository ({})",
                path.display(),
                first_line(&out.stderr)
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        // The git directory: asked for because it is what fails outside a repository.
        lines.next();
        let bare = lines.next() == Some("true");
        let shallow = lines.next() == Some("true");
        // Both printed relative to `path` unless absolute.
        let objects = path.join(lines.next().unwrap_or_default());
        let common = path.join(lines.next().unwrap_or_default());
        let hash_len = hash_len(&common);
        let top = lines
            .next()
            .filter(|t| !bare && !t.is_empty())
            .map(PathBuf::from);
        Ok(Repo {
            path: path.to_path_buf(),
            top,
            shallow,
            objects,
            common,
            hash_len,
            odb: std::sync::OnceLock::new(),
        })
    }

    /// The object store read in process; None when git must read the objects: replacement refs
    /// (`git replace`, which `cat-file` applies), or object directories given through the environment.
    pub(crate) fn odb(&self) -> Option<&super::odb::Odb> {
        self.odb
            .get_or_init(|| {
                if std::env::var("NHISCAN_GIT_READER").as_deref() == Ok("git")
                    || std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES").is_some()
                    || self.has_replacements()
                {
                    return None;
                }
                Some(super::odb::Odb::open(&self.objects, self.hash_len))
            })
            .as_ref()
    }

    /// Whether `refs/replace/` may hold a ref, which git would apply to every object it reads.
    fn has_replacements(&self) -> bool {
        if std::env::var_os("GIT_NO_REPLACE_OBJECTS").is_some() {
            return false;
        }
        if std::env::var_os("GIT_REPLACE_REF_BASE").is_some()
            || self.common.join("reftable").exists()
        {
            // Refs not in files: git is asked.
            return !self
                .output(&["for-each-ref", "--count=1", "refs/replace/"])
                .is_ok_and(|o| o.is_empty());
        }
        let loose = std::fs::read_dir(self.common.join("refs/replace"))
            .is_ok_and(|mut d| d.next().is_some());
        let packed = std::fs::read(self.common.join("packed-refs"))
            .is_ok_and(|p| p.windows(13).any(|w| w == b"refs/replace/"));
        loose || packed
    }

    /// The directory reported paths and the project config belong to: the working tree's top, or the
    /// bare repository itself.
    pub(crate) fn root(&self) -> PathBuf {
        self.top.clone().unwrap_or_else(|| {
            std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone())
        })
    }

    /// git run in this repository, as [`git_at`] sets it up.
    pub(crate) fn git(&self) -> Command {
        git_at(&self.path)
    }

    /// Runs git and returns stdout, or an error carrying git's own message.
    pub(crate) fn output(&self, args: &[&str]) -> Result<Vec<u8>> {
        let out = self
            .git()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("cannot run git")?;
        if !out.status.success() {
            bail!("git {}: {}", args.join(" "), first_line(&out.stderr));
        }
        Ok(out.stdout)
    }

    /// Whether `rev` names a commit; the full object id if it does.
    pub(crate) fn resolve(&self, rev: &str) -> Option<String> {
        let spec = format!("{rev}^{{commit}}");
        let out = self
            .git()
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Blob ids at HEAD (empty for an unborn HEAD).
    pub(crate) fn head_blobs(&self) -> HashSet<String> {
        let Ok(out) = self.output(&["ls-tree", "-r", "-z", "--full-tree", "HEAD"]) else {
            return HashSet::new();
        };
        out.split(|&b| b == 0)
            .filter_map(|rec| {
                let rec = std::str::from_utf8(rec).ok()?;
                let meta = rec.split('\t').next()?;
                let mut f = meta.split(' ');
                let (_, kind, oid) = (f.next()?, f.next()?, f.next()?);
                (kind == "blob").then(|| oid.to_string())
            })
            .collect()
    }
}

/// Spawns `cmd` with its output piped and, when `stdin_lines` is not empty, those lines written to its
/// standard input on a thread ([`write_stdin`]; the caller passes `--stdin`). `what` names the git
/// command in the error.
pub(crate) fn spawn_fed(
    cmd: &mut std::process::Command,
    stdin_lines: &[String],
    what: &str,
) -> anyhow::Result<(std::process::Child, Option<std::thread::JoinHandle<()>>)> {
    use anyhow::Context as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(if stdin_lines.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run git {what}"))?;
    let writer = write_stdin(&mut child, stdin_lines);
    Ok((child, writer))
}

/// Writes `lines` to a child's standard input (revisions for `--stdin`) on a thread, so a large list
/// never blocks on a full pipe while the caller reads the child's output; closes it when done.
pub(crate) fn write_stdin(
    child: &mut std::process::Child,
    lines: &[String],
) -> Option<std::thread::JoinHandle<()>> {
    use std::io::Write as _;
    let stdin = child.stdin.take()?;
    let lines = lines.to_vec();
    Some(std::thread::spawn(move || {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, stdin);
        for l in lines {
            if writeln!(w, "{l}").is_err() {
                return;
            }
        }
        let _ = w.flush();
    }))
}

/// git run in `path` (`git -C path`) as nhiscan runs it, also before a [`Repo`] is opened (the staged
/// diff starts while `rev-parse` runs). Pack windows and the delta cache are bounded: by default git
/// maps whole packs, and on a large history the mapped pages are most of the peak RSS (redis:
/// cat-file 534 MB by default). A delta cache larger than git's default pays on history order
/// (redis: 256 MB peak, 0.3 s faster than 48m/16m windows at 96 MB).
pub(crate) fn git_at(path: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(path);
    // nhiscan makes no network request: in a partial clone, what is missing is reported, not
    // fetched from the promisor remote (git 2.44 and later honour this).
    c.env("GIT_NO_LAZY_FETCH", "1");
    // Into a pipe, rev-list and log flush after every commit unless told not to: one write
    // (and one wake-up of the reader) per commit. Nothing here reads git interactively, so
    // whole buffers (redis, 39,736 commit messages: 39,807 writes → 2,058, −80 ms of git's CPU).
    c.env("GIT_FLUSH", "0");
    for opt in [
        "core.quotePath=false",
        "core.packedGitWindowSize=64m",
        "core.packedGitLimit=192m",
        "core.deltaBaseCacheLimit=160m",
    ] {
        c.arg("-c").arg(opt);
    }
    c
}

/// The line of git's stderr worth showing: the `fatal:` line, else the first non-empty one.
pub(crate) fn first_line(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines
        .iter()
        .find(|l| l.starts_with("fatal:"))
        .or(lines.first())
        .map_or("git failed".into(), |l| l.to_string())
}

/// Bytes per object id: 32 when the repository's own config sets `extensions.objectFormat =
/// sha256` (git reads extensions from there only), else 20. Read here rather than asked of
/// `git rev-parse --show-object-format`, which git before 2.27 does not know.
fn hash_len(common: &Path) -> usize {
    let config = std::fs::read_to_string(common.join("config")).unwrap_or_default();
    let mut in_extensions = false;
    for line in config.lines() {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with('[') {
            in_extensions = l.trim_start_matches('[').starts_with("extensions");
        } else if in_extensions {
            if let Some((k, v)) = l.split_once('=') {
                if k.trim() == "objectformat" && v.trim().trim_matches('"') == "sha256" {
                    return 32;
                }
            }
        }
    }
    20
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_object_format_comes_from_the_repository_config() {
        for (format, len) in [("sha1", 20), ("sha256", 32)] {
            let dir = tempfile::tempdir().unwrap();
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["init", "-q", &format!("--object-format={format}")])
                .status()
                .unwrap()
                .success();
            assert!(ok);
            assert_eq!(super::hash_len(&dir.path().join(".git")), len, "{format}");
        }
    }
}
