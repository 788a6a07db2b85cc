//! Provenance: where a blob entered the history and where it left it, read from one `git log` pass
//! over the scanned revisions, for the few blobs that had findings (and the missing ones, to name
//! their paths).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Context as _, Result};

use super::list::Walked;
use super::reader::BlobRef;
use super::repo::{first_line, spawn_fed, Repo};

/// Paths at most on the command line of the provenance pass limited to them.
const MAX_PATHSPECS: usize = 1000;

/// One commit as the provenance pass reads it.
#[derive(Debug)]
pub(crate) struct CommitInfo {
    /// The commit id.
    pub sha: String,
    /// How many parents it has (more than one: a merge).
    pub parents: usize,
    /// The author's name.
    pub author: String,
    /// The author's email address.
    pub email: String,
    /// When it was authored (Unix seconds).
    pub author_time: i64,
    /// When it was committed (Unix seconds).
    pub commit_time: i64,
    /// The first line of its message.
    pub summary: String,
}

/// A blob appearing at a path in a commit.
#[derive(Debug)]
pub(crate) struct Event {
    /// The commit.
    pub commit: Arc<CommitInfo>,
    /// The repository-relative path.
    pub path: String,
}

/// Where one blob was added and removed in the history.
#[derive(Debug, Default)]
pub(crate) struct BlobHistory {
    /// Commits that introduced the blob at a path (for a merge: absent from the path in every parent).
    pub adds: Vec<Event>,
    /// Commits that took it away from a path.
    pub removes: Vec<Arc<CommitInfo>>,
    /// Any path the blob was seen at, for naming missing objects.
    pub paths: Vec<String>,
    /// True when it was seen as a tree (`--find-object` shows trees too): a missing one is named so.
    pub tree: bool,
}

impl BlobHistory {
    /// The first introduction: the oldest adding commit.
    pub(crate) fn introduced(&self) -> Option<&Event> {
        self.adds
            .iter()
            .min_by_key(|e| (e.commit.commit_time, e.commit.author_time))
    }
    /// The last removal: the newest commit that took the blob away from a path.
    pub(crate) fn removed(&self) -> Option<&Arc<CommitInfo>> {
        self.removes.iter().max_by_key(|c| c.commit_time)
    }
    /// A path to name the blob by: where it was first introduced, else any path it was seen at.
    pub(crate) fn first_path(&self) -> Option<String> {
        self.introduced()
            .map(|e| e.path.clone())
            .or_else(|| self.paths.first().cloned())
    }
}

/// One `git log -c --raw --find-object` pass over the scanned revisions (`revs`, and `more` on its
/// standard input): for each wanted blob, the commits that added it and removed it. A merge shows a
/// path only where its result differs from every parent (`-c`), which is where a merge introduces a
/// blob (present in none of its parents). Measured: `-m`, diffing each merge against each parent
/// and keeping what was added against all, found the same and took twice as long on git/git
/// (25.3 s against 12.7 s; redis 1.27 against 0.91 CPU-s); without either, blobs a merge
/// introduces are missed.
///
/// A missing tree or commit stops `git log` where it meets it: what it printed until then is kept,
/// and why it stopped comes second (the damage itself is reported from the listing). Given `paths`,
/// only changes under them are diffed, so a missing tree elsewhere is never read (the fallback for
/// blobs the whole pass did not reach, at the paths they were listed at).
pub(crate) fn provenance(
    repo: &Repo,
    revs: &[String],
    more: &[String],
    wanted: &[&str],
    paths: &[&str],
) -> Result<(HashMap<String, BlobHistory>, Option<String>)> {
    let p = pass(repo, revs, more, wanted, paths)?;
    let stopped = p.stopped.clone();
    Ok((finish(vec![p]), stopped))
}

/// [`provenance`] of the commits `commits` (the scanned history, in the order `git log` walks it),
/// each diffed against its parents without walking, by `parts` `git log` processes at once, each
/// taking the next of several consecutive runs of the list until none is left (the cost of a run
/// varies: on git/git the newer half, with most merges, took 7.9 s against 6.0 s). The result is the
/// one pass's: the runs are joined in order. For an undamaged history only (a missing object would
/// stop one run and not the others).
pub(crate) fn provenance_split(
    repo: &Repo,
    commits: &[Walked],
    wanted: &[&str],
    parts: usize,
) -> Result<(HashMap<String, BlobHistory>, Option<String>)> {
    let parts = parts.max(1);
    // Only the commits whose diff can show a wanted object ([`super::touching`]): on git/git, 2,622
    // of 203,352 for the 19 findings, found in 4.1 s where diffing them all took the git processes
    // 8.8 s.
    let commits: Vec<String> = match repo.odb() {
        Some(odb) => {
            let may = super::touching::may_show(odb, commits, wanted, parts);
            commits
                .iter()
                .zip(may)
                .filter(|(_, may)| *may)
                .map(|(c, _)| c.sha.clone())
                .collect()
        }
        None => commits.iter().map(|c| c.sha.clone()).collect(),
    };
    let per = commits.len().div_ceil(parts * RUNS_PER_PROCESS).max(1);
    let runs: Vec<&[String]> = commits.chunks(per).collect();
    let walk = ["--no-walk=unsorted".to_string()];
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<std::sync::Mutex<Option<Result<Pass>>>> =
        runs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..parts.min(runs.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(run) = runs.get(i) else { break };
                let p = pass(repo, &walk, run, wanted, &[]);
                *done[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
            });
        }
    });
    let passes = done
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| anyhow::bail!("a git log run did not finish"))
        })
        .collect::<Result<Vec<Pass>>>()?;
    let stopped = passes.iter().find_map(|p| p.stopped.clone());
    Ok((finish(passes), stopped))
}

/// Runs of commits per `git log` process of [`provenance_split`]: enough for the processes to end
/// together, few enough that starting them costs nothing measurable.
const RUNS_PER_PROCESS: usize = 4;

/// What one `git log` pass read: per blob its non-merge events in log order, and, apart, the merges
/// that introduced a blob (appended after every pass's own events, as [`finish`] joins them).
struct Pass {
    hist: HashMap<String, BlobHistory>,
    merge_adds: Vec<(String, Event)>,
    stopped: Option<String>,
}

/// The passes joined in order: events in log order, then what merges introduced, as one pass over the
/// whole history gives them.
fn finish(passes: Vec<Pass>) -> HashMap<String, BlobHistory> {
    let mut hist: HashMap<String, BlobHistory> = HashMap::new();
    let mut merges = Vec::new();
    for p in passes {
        for (oid, h) in p.hist {
            let all = hist.entry(oid).or_default();
            all.adds.extend(h.adds);
            all.removes.extend(h.removes);
            all.paths.extend(h.paths);
            all.tree |= h.tree;
        }
        merges.extend(p.merge_adds);
    }
    for (blob, e) in merges {
        hist.entry(blob).or_default().adds.push(e);
    }
    hist
}

/// One `git log` pass (see [`provenance`]).
fn pass(
    repo: &Repo,
    revs: &[String],
    more: &[String],
    wanted: &[&str],
    paths: &[&str],
) -> Result<Pass> {
    let wanted_set: HashSet<&str> = wanted.iter().copied().collect();
    let mut cmd = repo.git();
    cmd.args([
        "log",
        "-c",
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
    if !paths.is_empty() {
        // Every commit that touches the paths, merges too, as the whole pass sees them.
        cmd.arg("--full-history").env("GIT_LITERAL_PATHSPECS", "1");
    }
    cmd.args(revs);
    if !more.is_empty() {
        cmd.arg("--stdin");
    }
    cmd.arg("--").args(paths);
    let (mut child, writer) = spawn_fed(&mut cmd, more, "log")?;
    // git's stderr is drained on a thread, so neither pipe can fill while the other is read.
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut e, &mut buf);
            buf
        })
    });
    // The output is parsed as it streams: on a large history without `--find-object` (more than
    // 500 blobs wanted) it is every change of every commit, 2.15 GB for git/git, which used to be
    // read whole before parsing (the peak RSS of `nhiscan git` there).
    let mut fields = Fields(std::io::BufReader::with_capacity(
        1 << 20,
        child.stdout.take().context("git log: no output pipe")?,
    ));
    let mut hist: HashMap<String, BlobHistory> = HashMap::new();
    // Blobs merges brought in themselves, in log order.
    let mut merge_adds: Vec<(String, Event)> = Vec::new();
    let mut current: Option<Arc<CommitInfo>> = None;
    while let Some(f) = fields.next_field() {
        let f = f.trim_start_matches('\n');
        if let Some(sha) = f.strip_prefix('\u{1}') {
            let sha = sha.to_string();
            let mut next = || fields.next_field().unwrap_or_default();
            let parents = next().split_whitespace().count();
            let author = next();
            let email = next();
            let author_time = next().trim().parse().unwrap_or(0);
            let commit_time = next().trim().parse().unwrap_or(0);
            let summary = next();
            current = Some(Arc::new(CommitInfo {
                sha,
                parents,
                author,
                email,
                author_time,
                commit_time,
                summary,
            }));
            continue;
        }
        // `:old_mode new_mode old new status` NUL path; for a merge (`-c`), one colon, one mode and
        // one id per parent before the result's: `::mode1 mode2 mode old1 old2 new status`.
        let parents = f.bytes().take_while(|&b| b == b':').count();
        if parents == 0 {
            continue;
        }
        let path = fields.next_field().unwrap_or_default();
        let tokens: Vec<&str> = f[parents..].split(' ').collect();
        if tokens.len() < 2 * (parents + 1) {
            continue;
        }
        let (modes, ids) = (&tokens[..=parents], &tokens[parents + 1..2 * parents + 2]);
        let (new_mode, new) = (modes[parents], ids[parents]);
        let Some(c) = &current else { continue };
        if parents == 1 && ids[0] == new {
            continue;
        }
        if wanted_set.contains(new) {
            let h = hist.entry(new.to_string()).or_default();
            h.paths.push(path.clone());
            h.tree |= new_mode == "040000";
            let e = Event {
                commit: c.clone(),
                path: path.clone(),
            };
            // A merge shows a path only where it differs from every parent: there it brought the
            // blob in itself (an evil merge, a conflict resolution).
            if c.parents <= 1 {
                h.adds.push(e);
            } else {
                merge_adds.push((new.to_string(), e));
            }
        }
        for (old, old_mode) in ids[..parents].iter().zip(modes) {
            if wanted_set.contains(old) {
                let h = hist.entry(old.to_string()).or_default();
                h.paths.push(path.clone());
                h.tree |= *old_mode == "040000";
                if c.parents <= 1 {
                    h.removes.push(c.clone());
                }
            }
        }
    }
    let status = child.wait().context("git log")?;
    if let Some(w) = writer {
        let _ = w.join();
    }
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    let stopped = (!status.success()).then(|| {
        format!(
            "cannot read the whole history of {}: {}",
            repo.path.display(),
            first_line(&stderr)
        )
    });
    Ok(Pass {
        hist,
        merge_adds,
        stopped,
    })
}

/// The NUL-separated fields of `git log -z`, read one at a time (lossy UTF-8, as paths and names
/// are shown).
struct Fields<R>(R);

impl<R: std::io::BufRead> Fields<R> {
    fn next_field(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.0.read_until(0, &mut buf) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                Some(String::from_utf8_lossy(&buf).into_owned())
            }
        }
    }
}

/// After a [`provenance`] pass that `git log` could not finish (a missing tree or commit): again
/// for the reachable `blobs` it did not reach, limited to the paths they were listed at, so git
/// never reads a missing tree elsewhere; what it finds is added to `prov`. True when that pass
/// finished.
pub(crate) fn retry_at_paths(
    repo: &Repo,
    revs: &[String],
    blobs: &[Option<BlobRef>],
    prov: &mut HashMap<String, BlobHistory>,
) -> bool {
    let (left, paths): (Vec<&str>, Vec<&str>) = blobs
        .iter()
        .flatten()
        .filter(|b| b.reachable && !b.path.is_empty())
        .filter(|b| prov.get(&b.oid).and_then(|h| h.introduced()).is_none())
        .map(|b| (b.oid.as_str(), b.path.as_str()))
        .unzip();
    if left.is_empty() {
        return true;
    }
    if paths.len() > MAX_PATHSPECS {
        return false;
    }
    let Ok((found, stopped)) = provenance(repo, revs, &[], &left, &paths) else {
        return false;
    };
    for (oid, h) in found {
        prov.entry(oid).or_insert(h);
    }
    stopped.is_none()
}
