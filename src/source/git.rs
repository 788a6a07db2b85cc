//! The git history source: every blob reachable from the chosen refs, each unique blob once, read by
//! one `git cat-file --batch` process and scanned in parallel; provenance (the commit that introduced a
//! blob, its author, whether it is still at HEAD, exposure age) is looked up afterwards, and only for
//! blobs that had findings, so a clean history pays nothing for it.
//!
//! Why the git CLI and not a library: measured on the redis mirror (see docs/design-git.md), one
//! `git rev-list --objects` (0.8 s) plus one `git cat-file --batch` stream (5.0 s for 5.8 GB) reads every
//! blob as fast as anything we can link, handles every repository layout git itself handles (bare,
//! worktrees, alternates, shallow, partial clones, commit-graph, multi-pack index), and adds no C build.
//! The reader streams; at most a few blobs per worker thread are in memory at once.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Map};

use crate::collect::Collector;
use crate::finding::{Finding, Origin};
use crate::scan::Scanner;

/// A repository as git sees it.
pub struct Repo {
    /// The path the user gave (git runs with `-C` here, so worktrees and bare repositories just work).
    pub path: PathBuf,
    pub git_dir: PathBuf,
    /// The working tree's top directory; None for a bare repository.
    pub top: Option<PathBuf>,
    pub shallow: bool,
}

impl Repo {
    pub fn open(path: &Path) -> Result<Repo> {
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
        let git_dir = PathBuf::from(lines.next().unwrap_or_default());
        let bare = lines.next() == Some("true");
        let shallow = lines.next() == Some("true");
        let top = lines
            .next()
            .filter(|t| !bare && !t.is_empty())
            .map(PathBuf::from);
        Ok(Repo {
            path: path.to_path_buf(),
            git_dir,
            top,
            shallow,
        })
    }

    /// The directory reported paths and the project config belong to: the working tree's top, or the
    /// bare repository itself.
    pub fn root(&self) -> PathBuf {
        self.top.clone().unwrap_or_else(|| {
            std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone())
        })
    }

    /// git with bounded pack windows and delta cache: by default git maps whole packs, and on a large
    /// history the mapped pages are most of the peak RSS (redis: cat-file 534 MB by default). A delta
    /// cache larger than git's default pays on history order (redis: 256 MB peak, 0.3 s faster than
    /// 48m/16m windows at 96 MB).
    pub fn git(&self) -> Command {
        let mut c = Command::new("git");
        c.arg("-C").arg(&self.path);
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

    /// Runs git and returns stdout, or an error carrying git's own message.
    pub fn output(&self, args: &[&str]) -> Result<Vec<u8>> {
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
    pub fn resolve(&self, rev: &str) -> Option<String> {
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
    pub fn head_blobs(&self) -> HashSet<String> {
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

pub fn first_line(stderr: &[u8]) -> String {
    let s = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines
        .iter()
        .find(|l| l.starts_with("fatal:"))
        .or(lines.first())
        .map_or("git failed".into(), |l| l.to_string())
}

/// Which commits' blobs to scan.
#[derive(Debug, Clone)]
pub enum Revs {
    /// Every ref: branches, tags, remote-tracking refs, notes, stash (and HEAD).
    All,
    /// One ref and its history.
    Branch(String),
    /// Commits after REV up to HEAD (`REV..HEAD`).
    Since(String),
    /// `A..B` (or `A...B`).
    Range(String),
}

impl Revs {
    /// rev-list arguments, after checking every named revision exists (exit 2 otherwise).
    pub fn args(&self, repo: &Repo) -> Result<Vec<String>> {
        let check = |r: &str| -> Result<()> {
            if repo.resolve(r).is_none() {
                bail!("unknown revision `{r}` in {}", repo.path.display());
            }
            Ok(())
        };
        Ok(match self {
            Revs::All => vec!["--all".into()],
            Revs::Branch(r) => {
                check(r)?;
                vec![r.clone()]
            }
            Revs::Since(r) => {
                check(r)?;
                check("HEAD")?;
                vec![format!("{r}..HEAD")]
            }
            Revs::Range(r) => {
                let (a, b) = r
                    .split_once("...")
                    .or_else(|| r.split_once(".."))
                    .with_context(|| format!("--range `{r}`: expected A..B"))?;
                let a = if a.is_empty() { "HEAD" } else { a };
                let b = if b.is_empty() { "HEAD" } else { b };
                check(a)?;
                check(b)?;
                vec![r.clone()]
            }
        })
    }
}

/// One blob to read: its id and the path it was first seen at (empty if unreachable).
#[derive(Debug, Clone)]
pub struct BlobRef {
    pub oid: String,
    pub path: String,
}

/// Blobs reachable from `revs`, each once, with the first path each was seen at (`--all-objects` adds
/// unreachable and dangling blobs, with no path), handed to `batch` in runs of `size` as `git rev-list`
/// lists them. Returns the ids of objects the trees name but the repository lacks.
pub fn list_blobs(
    repo: &Repo,
    revs: &[String],
    all_objects: bool,
    size: usize,
    mut batch: impl FnMut(Vec<BlobRef>),
) -> Result<Vec<String>> {
    let mut cmd = repo.git();
    cmd.args([
        "rev-list",
        "--objects",
        "--filter=object:type=blob",
        "--filter-provided-objects",
        "--missing=print",
    ]);
    cmd.args(revs).arg("--");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run git rev-list")?;
    let mut stderr = child.stderr.take().expect("piped");
    let errs = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let mut seen = HashSet::new();
    let mut missing = Vec::new();
    let mut cur = Vec::with_capacity(size);
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
            missing.push(oid.to_string());
            continue;
        }
        let (oid, path) = l.split_once(' ').unwrap_or((&l, ""));
        if seen.insert(oid.to_string()) {
            cur.push(BlobRef {
                oid: oid.to_string(),
                path: path.to_string(),
            });
            if cur.len() >= size {
                batch(std::mem::replace(&mut cur, Vec::with_capacity(size)));
            }
        }
    }
    let status = child.wait().context("git rev-list")?;
    let stderr = errs.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "cannot list the history of {}: {}",
            repo.path.display(),
            first_line(&stderr)
        );
    }
    if all_objects {
        let out = repo.output(&[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
            "--unordered",
        ])?;
        for line in String::from_utf8_lossy(&out).lines() {
            if let Some(oid) = line.strip_suffix(" blob") {
                if seen.insert(oid.to_string()) {
                    cur.push(BlobRef {
                        oid: oid.to_string(),
                        path: String::new(),
                    });
                    if cur.len() >= size {
                        batch(std::mem::replace(&mut cur, Vec::with_capacity(size)));
                    }
                }
            }
        }
    }
    if !cur.is_empty() {
        batch(cur);
    }
    Ok(missing)
}

/// What reading one blob gave.
pub enum Read {
    Data(Vec<u8>),
    Missing,
    /// Over the size limit: its size.
    TooLarge(u64),
    Failed(String),
}

/// Streams the given blobs out of one `git cat-file --batch`, in order, calling `each` for every one.
/// A blob git cannot read (corrupt object) ends that git process: it is reported and a new process
/// goes on with the next blob, so one bad object never hides the rest.
pub fn read_blobs(repo: &Repo, oids: &[&str], max_size: u64, mut each: impl FnMut(usize, Read)) {
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
fn readers(threads: usize) -> usize {
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
fn batch_size() -> usize {
    std::env::var("NHISCAN_GIT_BATCH")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(16384)
        .max(1)
}

/// Options of a history scan.
pub struct HistoryOptions {
    pub revs: Revs,
    pub all_objects: bool,
    pub max_file_size: u64,
    pub threads: usize,
    pub verbose: bool,
}

/// Scans the history; returns true when it was complete (no missing or unreadable object).
pub fn scan(
    repo: &Repo,
    opts: &HistoryOptions,
    scanner: &Scanner,
    sink: &Collector,
) -> Result<bool> {
    let revs = opts.revs.args(repo)?;
    if repo.shallow {
        eprintln!(
            "warning: {} is a shallow clone: history before the shallow boundary is not there to scan",
            repo.path.display()
        );
    }
    let complete = std::sync::atomic::AtomicBool::new(true);
    let held: Mutex<Vec<(BlobRef, Vec<Finding>)>> = Mutex::new(Vec::new());
    let workers = opts.threads.max(1);
    let (tx, rx) = crossbeam_channel::bounded::<(BlobRef, Vec<u8>)>(workers * 2);
    // Batches of blobs go to reader threads (one cat-file each) as rev-list lists them, so reading
    // starts at once instead of after the whole history has been walked.
    let (batch_tx, batch_rx) = crossbeam_channel::unbounded::<Vec<BlobRef>>();
    let on_blob =
        |tx: &crossbeam_channel::Sender<(BlobRef, Vec<u8>)>, b: &BlobRef, read: Read| match read {
            Read::Data(data) => {
                if super::is_binary(&data) {
                    if opts.verbose {
                        eprintln!("note: {}: skipped, binary content", blob_display(b));
                    }
                    sink.skip(blob_display(b), "binary content");
                } else {
                    let _ = tx.send((b.clone(), data));
                }
            }
            Read::TooLarge(n) => {
                if opts.verbose {
                    eprintln!(
                        "note: {}: skipped, {n} bytes is over --max-file-size",
                        blob_display(b)
                    );
                }
                sink.skip(
                    blob_display(b),
                    format!(
                        "larger than --max-file-size ({n} > {} bytes)",
                        opts.max_file_size
                    ),
                );
            }
            Read::Missing => {
                complete.store(false, std::sync::atomic::Ordering::Relaxed);
                sink.error(
                    blob_display(b),
                    format!(
                        "object {} is missing from the repository; not scanned",
                        b.oid
                    ),
                );
            }
            Read::Failed(why) => {
                complete.store(false, std::sync::atomic::Ordering::Relaxed);
                sink.error(blob_display(b), why);
            }
        };
    let listed = std::thread::scope(|s| {
        for _ in 0..workers {
            let rx = rx.clone();
            let held = &held;
            s.spawn(move || {
                for (b, data) in rx {
                    let origin = Arc::new(blob_origin(&b));
                    let res = scanner.scan_bytes(&data, &origin);
                    sink.scanned(data.len() as u64);
                    for e in res.errors {
                        sink.error(origin.display.clone(), e);
                    }
                    if !res.findings.is_empty() {
                        held.lock().unwrap().push((b, res.findings));
                    }
                }
            });
        }
        drop(rx);
        // Several cat-file processes: git's decompression is single-threaded and the critical path.
        // Measured on redis, two processes on two halves cost the same CPU as one (each keeps its own
        // delta-base cache warm on a contiguous run of history) and finish in about half the time.
        for _ in 0..readers(opts.threads) {
            let batch_rx = batch_rx.clone();
            let on_blob = &on_blob;
            let tx = tx.clone();
            s.spawn(move || {
                for batch in batch_rx {
                    let oids: Vec<&str> = batch.iter().map(|b| b.oid.as_str()).collect();
                    read_blobs(repo, &oids, opts.max_file_size, |i, read| {
                        on_blob(&tx, &batch[i], read)
                    });
                }
            });
        }
        drop(batch_rx);
        drop(tx);
        let listed = list_blobs(repo, &revs, opts.all_objects, batch_size(), |batch| {
            let _ = batch_tx.send(batch);
        });
        drop(batch_tx);
        // The readers and workers finish when the channels drain; the scope waits for them.
        listed
    });
    let missing = listed?;
    if !missing.is_empty() {
        complete.store(false, std::sync::atomic::Ordering::Relaxed);
    }
    let mut held = held.into_inner().unwrap();
    held.sort_by(|a, b| a.0.oid.cmp(&b.0.oid));
    // Provenance, only for blobs with findings, and the paths of missing objects, in one history-wide
    // log pass after the blobs are read: running it alongside the readers took a CPU-second from git's
    // decompression, which is the critical path on two cores.
    let wanted: Vec<&str> = held
        .iter()
        .map(|h| h.0.oid.as_str())
        .chain(missing.iter().map(String::as_str))
        .collect();
    let prov = if wanted.is_empty() {
        HashMap::new()
    } else {
        provenance(repo, &revs, &wanted, true)?
    };
    let head = if held.is_empty() {
        HashSet::new()
    } else {
        repo.head_blobs()
    };
    let now = now_secs();
    for oid in &missing {
        let path = prov
            .get(oid.as_str())
            .and_then(|p| p.first_path())
            .unwrap_or_default();
        let shown = if path.is_empty() {
            format!("object {oid}")
        } else {
            format!("{path} (blob {})", short(oid))
        };
        sink.error(
            shown,
            format!("object {oid} is missing from the repository; not scanned"),
        );
    }
    for (b, findings) in held {
        let b = &b;
        let origin = Arc::new(history_origin(
            b,
            prov.get(b.oid.as_str()),
            head.contains(&b.oid),
            now,
        ));
        for mut f in findings {
            f.origin = origin.clone();
            sink.push(f);
        }
    }
    Ok(complete.into_inner())
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

fn blob_display(b: &BlobRef) -> String {
    if b.path.is_empty() {
        format!("unreachable blob {}", b.oid)
    } else {
        format!("{} (blob {})", b.path, short(&b.oid))
    }
}

fn blob_origin(b: &BlobRef) -> Origin {
    let mut properties = Map::new();
    properties.insert("blob".into(), json!(b.oid));
    Origin {
        artifact: if b.path.is_empty() {
            b.oid.clone()
        } else {
            b.path.clone()
        },
        display: blob_display(b),
        name: b.path.clone(),
        logical: None,
        properties,
    }
}

/// The origin a history finding is reported with: where and when the blob entered the history.
fn history_origin(b: &BlobRef, p: Option<&BlobHistory>, at_head: bool, now: i64) -> Origin {
    let mut o = blob_origin(b);
    let props = &mut o.properties;
    let Some(intro) = p.and_then(|p| p.introduced()) else {
        props.insert("at_head".into(), json!(at_head));
        if b.path.is_empty() {
            props.insert("reachable".into(), json!(false));
        }
        return o;
    };
    let p = p.expect("has an introduction");
    let path = intro.path.clone();
    o.artifact = path.clone();
    o.name = path.clone();
    o.display = format!("{path} (commit {})", short(&intro.commit.sha));
    o.logical = Some(format!("{}:{path}", intro.commit.sha));
    let c = &intro.commit;
    props.insert("path".into(), json!(path));
    props.insert("commit".into(), json!(c.sha));
    props.insert("author".into(), json!(c.author));
    props.insert("author_email".into(), json!(c.email));
    props.insert("date".into(), json!(iso_date(c.author_time)));
    props.insert("summary".into(), json!(c.summary));
    let mut paths: Vec<&str> = p
        .adds
        .iter()
        .map(|a| a.path.as_str())
        .filter(|q| *q != path)
        .collect();
    paths.sort();
    paths.dedup();
    let mut commits: Vec<&str> = p
        .adds
        .iter()
        .map(|a| a.commit.sha.as_str())
        .filter(|s| *s != c.sha)
        .collect();
    commits.sort();
    commits.dedup();
    props.insert("other_commits".into(), json!(commits.len()));
    props.insert("other_paths".into(), json!(paths));
    props.insert("at_head".into(), json!(at_head));
    let end = if at_head {
        now
    } else if let Some(r) = p.removed() {
        props.insert("removed_in".into(), json!(r.sha));
        props.insert("removed_date".into(), json!(iso_date(r.commit_time)));
        r.commit_time
    } else {
        now
    };
    let days = ((end - c.commit_time.min(c.author_time)).max(0)) / 86_400;
    props.insert("exposure_days".into(), json!(days));
    o
}

/// One commit as the provenance pass reads it.
#[derive(Debug)]
pub struct CommitInfo {
    pub sha: String,
    pub parents: usize,
    pub author: String,
    pub email: String,
    pub author_time: i64,
    pub commit_time: i64,
    pub summary: String,
}

#[derive(Debug)]
pub struct Event {
    pub commit: Arc<CommitInfo>,
    pub path: String,
}

/// Where one blob was added and removed in the history.
#[derive(Debug, Default)]
pub struct BlobHistory {
    /// Commits that introduced the blob at a path (for a merge: absent from the path in every parent).
    pub adds: Vec<Event>,
    /// Commits that took it away from a path.
    pub removes: Vec<Arc<CommitInfo>>,
    /// Any path the blob was seen at, for naming missing objects.
    pub paths: Vec<String>,
}

impl BlobHistory {
    /// The first introduction: the oldest adding commit.
    pub fn introduced(&self) -> Option<&Event> {
        self.adds
            .iter()
            .min_by_key(|e| (e.commit.commit_time, e.commit.author_time))
    }
    pub fn removed(&self) -> Option<&Arc<CommitInfo>> {
        self.removes.iter().max_by_key(|c| c.commit_time)
    }
    pub fn first_path(&self) -> Option<String> {
        self.introduced()
            .map(|e| e.path.clone())
            .or_else(|| self.paths.first().cloned())
    }
}

/// One `git log -m --raw --find-object` pass over the scanned revisions: for each wanted blob, the
/// commits that added it and removed it. Merges are diffed against each parent; a merge introduces a
/// blob at a path only if the blob is there in none of its parents.
/// `merges: false` skips diffing merges (a third cheaper on redis): enough to name a path.
pub fn provenance(
    repo: &Repo,
    revs: &[String],
    wanted: &[&str],
    merges: bool,
) -> Result<HashMap<String, BlobHistory>> {
    let wanted_set: HashSet<&str> = wanted.iter().copied().collect();
    let mut cmd = repo.git();
    cmd.arg("log");
    if merges {
        cmd.arg("-m");
    }
    cmd.args([
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "-z",
        "--format=%x01%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%s%x00",
    ]);
    // Few blobs: let git prune the diff to them. Many: read every change and filter here.
    if wanted.len() <= 500 {
        for w in wanted {
            cmd.arg(format!("--find-object={w}"));
        }
    }
    cmd.args(revs).arg("--");
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .context("cannot run git log")?;
    if !out.status.success() {
        bail!(
            "cannot read the history of {}: {}",
            repo.path.display(),
            first_line(&out.stderr)
        );
    }
    let mut hist: HashMap<String, BlobHistory> = HashMap::new();
    // Per (commit, blob, path): in how many parent diffs the blob was added there.
    let mut merge_adds: HashMap<(String, String, String), (usize, Arc<CommitInfo>)> =
        HashMap::new();
    let mut current: Option<Arc<CommitInfo>> = None;
    let mut fields = out
        .stdout
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .peekable();
    while let Some(f) = fields.next() {
        let f = f.trim_start_matches('\n');
        if let Some(sha) = f.strip_prefix('\u{1}') {
            let mut next = || fields.next().unwrap_or_default();
            let parents = next().split_whitespace().count();
            let author = next();
            let email = next();
            let author_time = next().trim().parse().unwrap_or(0);
            let commit_time = next().trim().parse().unwrap_or(0);
            let summary = next();
            current = Some(Arc::new(CommitInfo {
                sha: sha.to_string(),
                parents,
                author,
                email,
                author_time,
                commit_time,
                summary,
            }));
            continue;
        }
        let Some(meta) = f.strip_prefix(':') else {
            continue;
        };
        // `:old_mode new_mode old new status` NUL path
        let path = fields.next().unwrap_or_default();
        let mut m = meta.split(' ');
        let (_, _, old, new) = (
            m.next(),
            m.next(),
            m.next().unwrap_or(""),
            m.next().unwrap_or(""),
        );
        let Some(c) = &current else { continue };
        if old == new {
            continue;
        }
        if wanted_set.contains(new) {
            let h = hist.entry(new.to_string()).or_default();
            h.paths.push(path.clone());
            if c.parents <= 1 {
                h.adds.push(Event {
                    commit: c.clone(),
                    path: path.clone(),
                });
            } else {
                let e = merge_adds
                    .entry((c.sha.clone(), new.to_string(), path.clone()))
                    .or_insert_with(|| (0, c.clone()));
                e.0 += 1;
            }
        }
        if wanted_set.contains(old) {
            let h = hist.entry(old.to_string()).or_default();
            h.paths.push(path.clone());
            if c.parents <= 1 {
                h.removes.push(c.clone());
            }
        }
    }
    for ((_, blob, path), (n, c)) in merge_adds {
        if n >= c.parents {
            hist.entry(blob)
                .or_default()
                .adds
                .push(Event { commit: c, path });
        }
    }
    Ok(hist)
}

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso_date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Shown when findings come from history: what to do about a secret that is in a commit.
pub const HISTORY_HINT: &str = "hint: a secret in git history stays exposed to anyone with a clone even after it is deleted: revoke and rotate it first; rewriting history (git filter-repo) only limits further spread. Accept a finding with an [[allow]] entry (fingerprint, reason, expires) in .nhiscan.toml.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(iso_date(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}

/// The history of a repository as a source (TEMPORARY adapter over [`scan`]).
pub(crate) struct History {
    repo: Repo,
    shown: String,
    revs: Revs,
    all_objects: bool,
    threads: usize,
}

impl History {
    /// The history of the repository at `path`.
    pub(crate) fn open(
        path: &Path,
        revs: Revs,
        all_objects: bool,
        threads: usize,
    ) -> Result<History> {
        Ok(History {
            repo: Repo::open(path)?,
            shown: path.display().to_string(),
            revs,
            all_objects,
            threads,
        })
    }
}

impl super::Source for History {
    fn target(&self) -> String {
        self.shown.clone()
    }

    fn project_dir(&self) -> PathBuf {
        self.repo.root()
    }

    fn produce(&self, feed: &super::Feed<'_>) -> Result<()> {
        let (scanner, sink) = feed.legacy_parts();
        let opts = HistoryOptions {
            revs: self.revs.clone(),
            all_objects: self.all_objects,
            max_file_size: feed.limits().max_file_size,
            threads: self.threads,
            verbose: false,
        };
        if !scan(&self.repo, &opts, scanner, sink)? {
            feed.mark_incomplete();
        }
        Ok(())
    }

    fn hint(&self) -> Option<&'static str> {
        Some(HISTORY_HINT)
    }
}
