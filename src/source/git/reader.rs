//! The object reader: one `git rev-list --objects` lists every blob once, in history order, and
//! batches of them stream out of `git cat-file --batch` processes. At most one blob per caller is in
//! memory at once; a blob over the size limit is skipped in the stream, never buffered.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read as _, Write};
use std::process::Stdio;

use anyhow::{bail, Context as _, Result};

use super::repo::{first_line, spawn_fed, Repo};

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
}

/// The commits and blobs of the object store (`--all-objects`), reachable or not.
#[derive(Debug, Default)]
pub(crate) struct Objects {
    pub commits: Vec<String>,
    pub blobs: Vec<String>,
}

/// Every commit and blob in the repository's object store (packs, loose objects, alternates).
pub(crate) fn all_objects(repo: &Repo) -> Result<Objects> {
    let out = repo.output(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(objecttype)",
        "--unordered",
    ])?;
    let mut o = Objects::default();
    for line in String::from_utf8_lossy(&out).lines() {
        match line.split_once(' ') {
            Some((oid, "commit")) => o.commits.push(oid.to_string()),
            Some((oid, "blob")) => o.blobs.push(oid.to_string()),
            _ => {}
        }
    }
    Ok(o)
}

/// What listing the blobs leaves for provenance.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Objects the trees name but the repository lacks.
    pub missing: Vec<String>,
    /// True when the extra commits were walked; false when they could not be (a damaged
    /// unreachable commit): their blobs were then listed with no path.
    pub walked_more: bool,
}

/// Blobs reachable from `revs`, each once, with the first path each was seen at, handed to `batch`
/// in runs of `size` as `git rev-list` lists them. Then (`--all-objects`) the blobs of the commits
/// `more` that `revs` do not reach (`more` go to git on its standard input, so thousands of them hit
/// no argument limit), marked unreachable; then the blobs of `loose` no commit names, with no path.
/// When `more` cannot be walked (a damaged unreachable commit), `warn` is told and their blobs come
/// with `loose`.
pub(crate) fn list_blobs(
    repo: &Repo,
    revs: &[String],
    more: &[String],
    loose: &[String],
    size: usize,
    batch: &mut dyn FnMut(Vec<BlobRef>),
    warn: &dyn Fn(&str),
) -> Result<Listing> {
    let mut w = Walk {
        seen: HashSet::new(),
        missing: Vec::new(),
        cur: Vec::with_capacity(size),
        size,
        reachable: true,
    };
    w.walk(repo, revs, &[], batch)?;
    w.reachable = false;
    let mut walked_more = false;
    if !more.is_empty() {
        match w.walk(repo, &not(revs), more, batch) {
            Ok(()) => walked_more = true,
            Err(e) => warn(&format!(
                "{e}; unreachable commits are left out, their blobs are scanned without path or commit"
            )),
        }
    }
    for oid in loose {
        w.push(oid, "", batch);
    }
    if !w.cur.is_empty() {
        batch(w.cur);
    }
    Ok(Listing {
        missing: w.missing,
        walked_more,
    })
}

/// The commits `revs` do not reach, as rev-list arguments (`--not REVS`).
pub(crate) fn not(revs: &[String]) -> Vec<String> {
    std::iter::once("--not".to_string())
        .chain(revs.iter().cloned())
        .collect()
}

/// The state of a listing: what was listed, what is missing, the batch being filled.
struct Walk {
    seen: HashSet<String>,
    missing: Vec<String>,
    cur: Vec<BlobRef>,
    size: usize,
    /// Whether the blobs listed now are reachable from the scanned refs.
    reachable: bool,
}

impl Walk {
    fn push(&mut self, oid: &str, path: &str, batch: &mut dyn FnMut(Vec<BlobRef>)) {
        if !self.seen.insert(oid.to_string()) {
            return;
        }
        self.cur.push(BlobRef {
            oid: oid.to_string(),
            path: path.to_string(),
            reachable: self.reachable,
        });
        if self.cur.len() >= self.size {
            let size = self.size;
            batch(std::mem::replace(&mut self.cur, Vec::with_capacity(size)));
        }
    }

    /// One `git rev-list --objects` pass.
    fn walk(
        &mut self,
        repo: &Repo,
        revs: &[String],
        more: &[String],
        batch: &mut dyn FnMut(Vec<BlobRef>),
    ) -> Result<()> {
        let mut cmd = repo.git();
        cmd.args([
            "rev-list",
            "--objects",
            "--filter=object:type=blob",
            "--filter-provided-objects",
            "--missing=print",
        ]);
        cmd.args(revs);
        if !more.is_empty() {
            // After `--not REVS`, which then does not apply to what comes on stdin.
            cmd.arg("--stdin");
        }
        cmd.arg("--");
        let (mut child, writer) = spawn_fed(&mut cmd, more, "rev-list")?;
        let mut stderr = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let mut r = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let l = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line));
            if l.is_empty() {
                continue;
            }
            if let Some(oid) = l.strip_prefix('?') {
                self.missing.push(oid.to_string());
                continue;
            }
            let (oid, path) = l.split_once(' ').unwrap_or((&l, ""));
            self.push(oid, path, batch);
        }
        let status = child.wait().context("git rev-list")?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        let stderr = errs.join().unwrap_or_default();
        if !status.success() {
            bail!(
                "cannot list the history of {}: {}",
                repo.path.display(),
                first_line(&stderr)
            );
        }
        Ok(())
    }
}

/// What reading one blob gave.
pub(crate) enum Read {
    /// The blob's content.
    Data(Vec<u8>),
    /// Not in the repository (a partial clone, a damaged repository).
    Missing,
    /// Over the size limit: its size.
    TooLarge(u64),
    /// git could not read it: why.
    Failed(String),
}

/// Streams the given blobs out of one `git cat-file --batch`, in order, calling `each` for every one.
/// A blob git cannot read (corrupt object) ends that git process: it is reported and a new process
/// goes on with the next blob, so one bad object never hides the rest.
pub(crate) fn read_blobs(
    repo: &Repo,
    oids: &[&str],
    max_size: u64,
    mut each: impl FnMut(usize, Read),
) {
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
    each: &mut impl FnMut(usize, Read),
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
        let size: Option<u64> = h.rsplit(' ').next().and_then(|s| s.parse().ok());
        let Some(size) = size else {
            failed = true;
            break;
        };
        if size > max_size {
            if std::io::copy(&mut (&mut r).take(size + 1), &mut std::io::sink())
                .map_or(true, |n| n != size + 1)
            {
                failed = true;
                break;
            }
            each(i, Read::TooLarge(size));
            i += 1;
            continue;
        }
        let mut data = vec![0u8; size as usize + 1];
        if r.read_exact(&mut data).is_err() {
            failed = true;
            break;
        }
        data.pop();
        each(i, Read::Data(data));
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

/// How many cat-file processes read the blobs: one per worker thread (at most 4), one for small jobs.
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

/// Blobs per cat-file batch: a contiguous run of history, long enough for git's delta-base cache to
/// pay off, short enough that reading starts early and the readers stay balanced.
pub(crate) fn batch_size() -> usize {
    std::env::var("NHISCAN_GIT_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(16384)
        .max(1)
}
