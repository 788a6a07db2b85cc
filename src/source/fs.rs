//! The filesystem source: a parallel walk (the `ignore` crate, as ripgrep) that respects .gitignore
//! (in a git repository, as ripgrep and git do) and .ignore unless told not to, scans hidden files
//! (secrets live in `.env` and `.npmrc`), never enters `.git/`, and follows symlinks only with
//! `--follow` (loops are reported, not followed forever).
//!
//! Each worker thread reads a file and hands it to the feed in place: there is one level of
//! parallelism (files), and no queue of file contents, so memory stays at one file per thread.
//! Paths in reports are relative to the repository root when the scanned paths are inside one git
//! work tree, else to the one directory scanned, so the same file has the same fingerprint however
//! its path was typed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use ignore::{WalkBuilder, WalkState};

use super::fs_dirs::{Dirs, Names};
use super::fs_read::{open, read_sized, read_stream, Got};
use super::{Feed, Source, Unit};
use crate::analyze::BuildContext;
use crate::finding::Origin;

/// A walk over files and directories.
pub(crate) struct Walk {
    paths: Vec<PathBuf>,
    no_ignore: bool,
    follow: bool,
    threads: usize,
    /// Absolute: the repository root, or the one directory scanned, or the current directory.
    root: PathBuf,
    /// Where the project config is looked for first (then up to `root`).
    start: PathBuf,
    /// The current directory, absolute: relative paths are made absolute against it without asking
    /// the kernel again for every file.
    cwd: PathBuf,
}

impl Walk {
    /// A walk over `paths` (`-` excluded: standard input is its own source). A path that does not
    /// exist is an error (exit 2), as in gitleaks and Kingfisher: a CI job that scans a wrong path
    /// must not pass.
    pub(crate) fn new(
        paths: Vec<PathBuf>,
        no_ignore: bool,
        follow: bool,
        threads: usize,
    ) -> Result<Walk> {
        for p in &paths {
            if p.symlink_metadata().is_err() {
                anyhow::bail!("{}: no such file or directory", p.display());
            }
        }
        let (root, start) = roots(&paths);
        Ok(Walk {
            paths,
            no_ignore,
            follow,
            threads,
            root,
            start,
            cwd: std::path::absolute(".").unwrap_or_else(|_| PathBuf::from(".")),
        })
    }
}

/// The repository root containing `p` (a directory holding `.git`), walking up from its absolute
/// form without resolving symlinks, so the result is a prefix of `absolute(p)`.
pub(crate) fn repo_root(p: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(p).ok()?;
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
}

/// (root, config start) for a set of scanned paths.
fn roots(paths: &[PathBuf]) -> (PathBuf, PathBuf) {
    let cwd = std::path::absolute(".").unwrap_or_else(|_| PathBuf::from("."));
    let dir_of = |p: &Path| {
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        if abs.is_dir() {
            abs
        } else {
            abs.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| cwd.clone())
        }
    };
    let start = match paths {
        [one] => dir_of(one),
        _ => cwd.clone(),
    };
    let repos: Vec<Option<PathBuf>> = paths.iter().map(|p| repo_root(p)).collect();
    if let Some(Some(first)) = repos.first() {
        if repos.iter().all(|r| r.as_ref() == Some(first)) {
            return (first.clone(), start);
        }
    }
    match paths {
        [one] if one.is_dir() => (dir_of(one), start),
        _ => (cwd, start),
    }
}

impl Source for Walk {
    fn target(&self) -> String {
        self.paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn project_dir(&self) -> PathBuf {
        self.root.clone()
    }

    fn config_start(&self) -> PathBuf {
        self.start.clone()
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let Some(first) = self.paths.first() else {
            return Ok(());
        };
        let mut builder = WalkBuilder::new(first);
        for p in &self.paths[1..] {
            builder.add(p);
        }
        let respect = !self.no_ignore;
        builder
            .hidden(false)
            .ignore(respect)
            .git_ignore(respect)
            .git_global(respect)
            .git_exclude(respect)
            .parents(respect)
            .follow_links(self.follow)
            .threads(self.threads)
            .filter_entry(|e| {
                !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir()))
            });
        builder.build_parallel().run(|| {
            let mut buf = Vec::new();
            let mut dirs = Dirs::new(self.threads);
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(err) => {
                        report_walk_error(&err, feed, &self.root, &self.cwd);
                        return WalkState::Continue;
                    }
                };
                match entry.file_type() {
                    Some(t) if t.is_file() => {
                        let path = entry.path();
                        // A file met inside a directory is opened and named through it; one named
                        // on the command line by its path.
                        let inside = (entry.depth() > 0)
                            .then(|| dirs.file(path, |p| self.names(p)))
                            .flatten();
                        match inside {
                            Some((names, dir, name)) => {
                                self.file(path, names, || dir.open(name), feed, &mut buf, false)
                            }
                            None => self.file(
                                path,
                                self.names(path),
                                || open(path, false),
                                feed,
                                &mut buf,
                                false,
                            ),
                        }
                    }
                    // A FIFO, character device or `<(cmd)` named on the command line is read as a
                    // stream, like `-`; met inside a tree it is listed as skipped (reading one could
                    // block forever).
                    Some(t) if !t.is_dir() && !t.is_symlink() => {
                        if entry.depth() == 0 {
                            let path = entry.path();
                            let names = self.names(path);
                            self.file(path, names, || open(path, true), feed, &mut buf, true);
                        } else {
                            feed.skip(&display(entry.path()), "not a regular file");
                        }
                    }
                    _ => {}
                }
                WalkState::Continue
            })
        });
        Ok(())
    }
}

impl Walk {
    /// The names of the file at `path`: as shown, and relative to the repository root.
    pub(super) fn names(&self, path: &Path) -> Names {
        Names {
            shown: display(path),
            rel: relative(path, &self.root, &self.cwd),
        }
    }

    /// Reads one file (`stream`: a pipe or device named on the command line), opened by `open`,
    /// and feeds it.
    fn file(
        &self,
        path: &Path,
        names: Names,
        open: impl FnOnce() -> std::io::Result<std::fs::File>,
        feed: &Feed<'_>,
        buf: &mut Vec<u8>,
        stream: bool,
    ) {
        let Names { shown, rel } = names;
        let mut file = match open() {
            Ok(f) => f,
            Err(e) => return feed.error_in(shown, &rel, format!("cannot open: {e}")),
        };
        let meta = file.metadata();
        // The walk saw a regular file; what was opened must be one too (a file swapped for a FIFO
        // in between would block the read forever).
        if !stream && !meta.as_ref().is_ok_and(|m| m.is_file()) {
            return feed.skip(&shown, "not a regular file when opened");
        }
        let len = meta.map(|m| m.len()).unwrap_or(0);
        if !stream && !feed.admits(&shown, len) {
            return;
        }
        let max = feed.limits().max_file_size;
        // A regular file is read to the size it had when opened (at most max + 1 bytes), into the
        // room it needs, so it takes one read call (two for a file over WHOLE_READ) and none to
        // find its end: std's `read_to_end` reads a file of unknown size 8 KiB first, then in
        // growing pieces (linux-6.1: 129,532 read calls for 78,576 files that way, 79,332 in all
        // now). A stream, or a file whose size says nothing (procfs shows 0), is
        // read to its end.
        let read = if stream || len == 0 {
            read_stream(&mut file, buf, max + 1)
        } else {
            read_sized(&mut file, buf, len.min(max + 1))
        };
        let n = match read {
            Ok(Got::Text(n)) => n,
            Ok(Got::Binary) => return feed.skip(&shown, "binary content"),
            Err(e) => return feed.error_in(shown, &rel, e),
        };
        let mut data = &buf[..n];
        if data.len() as u64 > max {
            // A stream has no size to skip by: scan what fits and say the rest was not read.
            feed.error_in(
                shown.clone(),
                &rel,
                format!("larger than --max-file-size ({max} bytes); scanned the first {max} bytes"),
            );
            data = &data[..max as usize];
        }
        // Analyzers choose by the repository-relative path, as in `git` and `staged` (GitHub runs
        // only the root's .github/workflows), whatever path was typed.
        let origin = Arc::new(Origin {
            name: rel.clone(),
            ..Origin::file(shown, rel)
        });
        // A Dockerfile on disk has a build context: what `COPY .` would send.
        let context = super::fs_context::for_dockerfile(path);
        feed.unit(Unit {
            context: context.as_ref().map(|c| c as &dyn BuildContext),
            ..Unit::new(data, origin)
        });
        // Do not let one huge file pin its buffer for the rest of the walk.
        if buf.capacity() > 8 << 20 {
            *buf = Vec::new();
        }
    }
}

/// `path` relative to `root` (the repository root), as reports name it; as shown when outside.
/// `cwd`: the absolute current directory. A relative path is joined to it rather than passed to
/// `std::path::absolute`, which asks getcwd for every file. Components drop the `.`s a walk path
/// may hold (`src/./a.py` when `src/.` was typed), as `absolute` does.
fn relative(path: &Path, root: &Path, cwd: &Path) -> String {
    let abs = if path.is_absolute() {
        std::path::absolute(path).ok()
    } else {
        Some(cwd.join(path))
    };
    abs.and_then(|a| {
        a.strip_prefix(root)
            .ok()
            .map(|rest| display(&rest.components().collect::<PathBuf>()))
    })
    .unwrap_or_else(|| display(path))
}

fn report_walk_error(err: &ignore::Error, feed: &Feed<'_>, root: &Path, cwd: &Path) {
    // The ignore crate wraps errors with the path; unwrap for a message that names the file once.
    fn path_of(e: &ignore::Error) -> Option<String> {
        match e {
            ignore::Error::WithPath { path, .. } => Some(display(path)),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(display(child)),
            _ => None,
        }
    }
    fn inner(e: &ignore::Error) -> String {
        match e {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => inner(err),
            ignore::Error::Loop { ancestor, .. } => {
                format!(
                    "symlink loop (points back to {}); not followed",
                    display(ancestor)
                )
            }
            other => other.to_string(),
        }
    }
    let shown = path_of(err).unwrap_or_else(|| "<walk>".into());
    let rel = relative(Path::new(&shown), root, cwd);
    feed.error_in(shown, &rel, inner(err));
}

/// A path as reports show it: as typed, without a leading `./`, `/`-separated.
fn display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
