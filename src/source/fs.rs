//! The filesystem source: a parallel walk (the `ignore` crate, as ripgrep) that respects .gitignore
//! (in a git repository, as ripgrep and git do) and .ignore unless told not to, scans hidden files
//! (secrets live in `.env` and `.npmrc`), never enters `.git/`, and follows symlinks only with `--follow` (loops are reported, not followed forever).
//!
//! Each worker thread reads a file and scans it in place: there is one level of parallelism (files),
//! and no queue of file contents, so memory stays at one file per thread.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::{WalkBuilder, WalkState};

use crate::analyze::BuildContext;
use crate::collect::Collector;
use crate::finding::Origin;
use crate::scan::Scanner;

pub struct WalkOptions {
    pub no_ignore: bool,
    pub follow: bool,
    pub max_file_size: u64,
    pub threads: usize,
    pub verbose: bool,
}

/// The directory SARIF uris are relative to: the one directory scanned, else the current directory.
pub fn scan_root(paths: &[PathBuf]) -> PathBuf {
    match paths {
        [one] if one.is_dir() => one.clone(),
        _ => PathBuf::from("."),
    }
}

pub fn scan(paths: &[PathBuf], opts: &WalkOptions, scanner: &Scanner, sink: &Collector) {
    let root = scan_root(paths);
    let mut builder = WalkBuilder::new(&paths[0]);
    for p in &paths[1..] {
        builder.add(p);
    }
    let respect = !opts.no_ignore;
    builder
        .hidden(false)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .parents(respect)
        .follow_links(opts.follow)
        .threads(opts.threads)
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));
    for p in paths {
        if !p.exists() && p.symlink_metadata().is_err() {
            sink.error(p.display().to_string(), "no such file or directory");
        }
    }
    builder.build_parallel().run(|| {
        let root = root.clone();
        let mut buf = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    report_walk_error(&err, sink);
                    return WalkState::Continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue;
            };
            if !ft.is_file() {
                return WalkState::Continue;
            }
            scan_file(entry.path(), &root, opts, scanner, sink, &mut buf);
            WalkState::Continue
        })
    });
}

fn report_walk_error(err: &ignore::Error, sink: &Collector) {
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
    sink.error(path_of(err).unwrap_or_else(|| "<walk>".into()), inner(err));
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn scan_file(
    path: &Path,
    root: &Path,
    opts: &WalkOptions,
    scanner: &Scanner,
    sink: &Collector,
    buf: &mut Vec<u8>,
) {
    let shown = display(path);
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return sink.error(shown, format!("cannot open: {e}")),
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > opts.max_file_size {
        if opts.verbose {
            eprintln!(
                "note: {shown}: skipped, {len} bytes is over --max-file-size ({})",
                opts.max_file_size
            );
        }
        return sink.skip(
            shown,
            format!(
                "larger than --max-file-size ({len} > {} bytes)",
                opts.max_file_size
            ),
        );
    }
    buf.clear();
    if let Err(e) = (&mut file).take(opts.max_file_size + 1).read_to_end(buf) {
        return sink.error(shown, format!("cannot read: {e}"));
    }
    if super::is_binary(buf) {
        if opts.verbose {
            eprintln!("note: {shown}: skipped, binary content");
        }
        return sink.skip(shown, "binary content");
    }
    let artifact = path
        .strip_prefix(root)
        .ok()
        .filter(|_| root != Path::new("."))
        .map(display)
        .unwrap_or_else(|| shown.clone());
    let origin = Arc::new(Origin::file(shown.clone(), artifact));
    let context = super::fs_context::for_dockerfile(path);
    let unit = super::Unit {
        data: buf,
        origin,
        context: context.as_ref().map(|c| c as &dyn BuildContext),
    };
    let res = scanner.scan(&unit);
    sink.scanned(buf.len() as u64);
    for e in res.errors {
        sink.error(shown.clone(), e);
    }
    sink.push_all(res.findings);
    // Do not let one huge file pin its buffer for the rest of the walk.
    if buf.capacity() > 8 << 20 {
        *buf = Vec::new();
    }
}
