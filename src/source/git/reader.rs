//! The object reader: the blobs (and commit objects) [`super::list`] lists, read in process from
//! the packs and loose objects ([`super::odb`]) and handed to the caller in the buffer they were
//! decoded into. What the in-process store does not find or cannot decode streams out of
//! `git cat-file --batch` as before, so a damaged or partial repository is reported exactly as git
//! sees it. At most one blob per caller is in memory at once; a blob over the size limit is never
//! decoded (in process) or buffered (from git).

use std::io::{BufRead, BufReader, Read as _, Write};
use std::process::Stdio;

use super::odb::{Cursor, Found, Kind};
use super::repo::{first_line, spawn_fed, Repo};
use crate::engine::keywords::{Hit, Keywords};

/// One blob to read: its id and the path it was first seen at (empty if unreachable).
#[derive(Debug, Clone)]
pub(crate) struct BlobRef {
    /// The object id.
    pub oid: String,
    /// The repository-relative path it was first listed at.
    pub path: String,
    /// False when no ref's history has it (`--all-objects`: listed from an unreachable commit, or
    /// named by no commit at all).
    pub reachable: bool,
    /// Not a blob but a commit, whose message is to be read (when the listing could not print it).
    pub commit: bool,
}

/// What reading one blob gave.
pub(crate) enum Read<'a> {
    /// The blob's content, and its keyword hits when the reader was given the keyword pass.
    Data(&'a [u8], Option<&'a [Hit]>),
    /// Not in the repository (a partial clone, a damaged repository).
    Missing,
    /// Over the size limit: its size.
    TooLarge(u64),
    /// git could not read it: why.
    Failed(String),
    /// Not a blob (the listing hands over a tree or a tag it could not tell from one): nothing to
    /// scan.
    NotBlob,
    /// A commit object (asked for its message).
    Commit(&'a [u8]),
}

/// One thread's reader of a repository's objects: its in-process cursor (and delta cache) lives as
/// long as the reader, so consecutive runs of history share decoded bases.
pub(crate) struct Reader<'r> {
    repo: &'r Repo,
    cursor: Option<Cursor<'r>>,
}

impl<'r> Reader<'r> {
    /// A reader of `repo`'s objects.
    pub(crate) fn new(repo: &'r Repo) -> Reader<'r> {
        Reader {
            repo,
            cursor: repo.odb().map(|o| o.cursor()),
        }
    }

    /// The same reader giving each text blob read in process with its keyword hits.
    pub(crate) fn with_keywords(mut self, kw: Option<&'r Keywords>) -> Reader<'r> {
        self.cursor = self.cursor.map(|c| c.with_keywords(kw));
        self
    }

    /// Reads the given objects, calling `each` for every one with its index in `oids`: in order
    /// for what the in-process store has, then what git reads for it.
    pub(crate) fn read(
        &mut self,
        oids: &[&str],
        max_size: u64,
        mut each: impl FnMut(usize, Read<'_>),
    ) {
        let Some(cursor) = self.cursor.as_mut() else {
            return read_with_git(self.repo, oids, max_size, each);
        };
        let mut left: Vec<usize> = Vec::new();
        for (i, oid) in oids.iter().enumerate() {
            match cursor.read(oid, max_size) {
                Found::Object(Kind::Blob, d, h) => {
                    each(i, Read::Data(&d, h.as_deref().map(|v| &v[..])))
                }
                Found::Object(Kind::Commit, d, _) => each(i, Read::Commit(&d)),
                Found::Object(..) => each(i, Read::NotBlob),
                Found::TooLarge(Kind::Blob | Kind::Commit, n) => each(i, Read::TooLarge(n)),
                Found::TooLarge(..) => each(i, Read::NotBlob),
                Found::Elsewhere => left.push(i),
            }
        }
        if !left.is_empty() {
            let ids: Vec<&str> = left.iter().map(|&i| oids[i]).collect();
            read_with_git(self.repo, &ids, max_size, |j, read| each(left[j], read));
        }
    }
}

/// Reads the given objects (in process where the store has them, else through git), calling `each`
/// for every one with its index in `oids`.
pub(crate) fn read_blobs(
    repo: &Repo,
    oids: &[&str],
    max_size: u64,
    each: impl FnMut(usize, Read<'_>),
) {
    Reader::new(repo).read(oids, max_size, each);
}

/// Streams the given blobs out of one `git cat-file --batch`, in order, calling `each` for every one.
/// A blob git cannot read (corrupt object) ends that git process: it is reported and a new process
/// goes on with the next blob, so one bad object never hides the rest.
fn read_with_git(repo: &Repo, oids: &[&str], max_size: u64, mut each: impl FnMut(usize, Read<'_>)) {
    let mut next = 0;
    while next < oids.len() {
        next = read_from(repo, oids, next, max_size, &mut each);
    }
}

fn read_from(
    repo: &Repo,
    oids: &[&str],
    start: usize,
    max_size: u64,
    each: &mut impl FnMut(usize, Read<'_>),
) -> usize {
    let child = repo
        .git()
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            for i in start..oids.len() {
                each(i, Read::Failed(format!("cannot run git cat-file: {e}")));
            }
            return oids.len();
        }
    };
    let mut stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    grow_pipe(&stdout);
    let mut stderr = child.stderr.take().expect("piped");
    let ids: Vec<String> = oids[start..].iter().map(|s| s.to_string()).collect();
    let writer = std::thread::spawn(move || {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, &mut stdin);
        for id in ids {
            if writeln!(w, "{id}").is_err() {
                return;
            }
        }
        let _ = w.flush();
    });
    let errs = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let mut r = BufReader::with_capacity(1 << 20, stdout);
    let mut i = start;
    let mut header = String::new();
    let mut failed = false;
    while i < oids.len() {
        header.clear();
        match r.read_line(&mut header) {
            Ok(0) | Err(_) => {
                failed = true;
                break;
            }
            Ok(_) => {}
        }
        let h = header.trim_end();
        if h.ends_with(" missing") || h.ends_with(" ambiguous") {
            each(i, Read::Missing);
            i += 1;
            continue;
        }
        // `<oid> <type> <size>`
        let mut f = h.split(' ').skip(1);
        let (kind, size) = (f.next(), f.next().and_then(|s| s.parse::<u64>().ok()));
        let (Some(kind), Some(size)) = (kind, size) else {
            failed = true;
            break;
        };
        let wanted = kind == "blob" || kind == "commit";
        if !wanted || size > max_size {
            if std::io::copy(&mut (&mut r).take(size + 1), &mut std::io::sink())
                .map_or(true, |n| n != size + 1)
            {
                failed = true;
                break;
            }
            each(
                i,
                if wanted {
                    Read::TooLarge(size)
                } else {
                    Read::NotBlob
                },
            );
            i += 1;
            continue;
        }
        let mut data = vec![0u8; size as usize + 1];
        if r.read_exact(&mut data).is_err() {
            failed = true;
            break;
        }
        data.pop();
        each(
            i,
            if kind == "commit" {
                Read::Commit(&data)
            } else {
                Read::Data(&data, None)
            },
        );
        i += 1;
    }
    drop(r);
    let _ = writer.join();
    let _ = child.wait();
    let stderr = errs.join().unwrap_or_default();
    if failed && i < oids.len() {
        let why = first_line(&stderr);
        each(
            i,
            Read::Failed(format!("cannot read object {}: {why}", oids[i])),
        );
        return i + 1;
    }
    oids.len()
}

/// A 1 MiB pipe instead of 64 KiB: a tenth of the wakeups and context switches for gigabytes of blobs.
#[cfg(target_os = "linux")]
fn grow_pipe(p: &std::process::ChildStdout) {
    use std::os::fd::AsRawFd;
    // SAFETY: F_SETPIPE_SZ on a pipe fd we own; failure (over /proc/sys/fs/pipe-max-size) is harmless.
    unsafe {
        libc::fcntl(p.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn grow_pipe(_: &std::process::ChildStdout) {}

/// The type of each object (`blob`, `tree`, ..., `missing`), in order; None when git could not say.
/// Read from the pack headers in process where the store has the object, else asked of git.
pub(crate) fn object_types(repo: &Repo, oids: &[String]) -> Option<Vec<String>> {
    let Some(odb) = repo.odb() else {
        return object_types_from_git(repo, oids);
    };
    let mut cursor = odb.cursor();
    let mut types: Vec<Option<String>> = oids
        .iter()
        .map(|o| cursor.kind(o).map(|k| k.name().to_string()))
        .collect();
    let left: Vec<String> = oids
        .iter()
        .zip(&types)
        .filter(|(_, t)| t.is_none())
        .map(|(o, _)| o.clone())
        .collect();
    if !left.is_empty() {
        let mut from_git = object_types_from_git(repo, &left)?.into_iter();
        for t in types.iter_mut().filter(|t| t.is_none()) {
            *t = from_git.next();
        }
    }
    types.into_iter().collect()
}

fn object_types_from_git(repo: &Repo, oids: &[String]) -> Option<Vec<String>> {
    let mut cmd = repo.git();
    cmd.args(["cat-file", "--batch-check=%(objecttype)"]);
    let (child, writer) = spawn_fed(&mut cmd, oids, "cat-file").ok()?;
    let out = child.wait_with_output().ok()?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    let types: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            // `<oid> missing` for an object that is not there.
            if l.ends_with(" missing") {
                "missing".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    (out.status.success() && types.len() == oids.len()).then_some(types)
}

/// How many `git log` processes diff the commits of `--since`/`--range` ([`super::added`]): one per
/// worker thread (at most 4), one for small jobs.
pub(crate) fn readers(threads: usize) -> usize {
    // NHISCAN_GIT_READERS forces the count (tests exercise the split on small repositories).
    if let Some(n) = std::env::var("NHISCAN_GIT_READERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        return n.clamp(1, 16);
    }
    threads.clamp(1, 4)
}

/// Blobs per hand-over from the listing to the history's queue, which hands workers runs of its
/// own size (measured when this was the hand-over to a worker, in listing order, on redis: 16,384,
/// 4,096 and 2,048 the same, 512 slower).
pub(crate) fn batch_size() -> usize {
    std::env::var("NHISCAN_GIT_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(16384)
        .max(1)
}
