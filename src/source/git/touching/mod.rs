//! Which commits can matter to a provenance pass: those whose diff against their parents shows a
//! wanted object, found by comparing trees in process ([`super::odb`]), so `git log` diffs only them.
//!
//! Measured on git/git (203,352 commits, 56,356 merges, 19 blobs with findings): every commit
//! diffed by `git log -c --find-object` cost 15.7 CPU-s, most of it diffing commits that show none
//! of the wanted objects. Here a subtree that is the same in a commit and in one of its parents is
//! never opened: nothing under it can show in that commit's diff.
//!
//! The answer is a superset: a commit is kept whenever it is unclear (an object not readable here,
//! a tree out of git's order, a root commit), and `git log` decides as before, so what the pass
//! prints for the kept commits is what it printed for all of them.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

use super::list::Walked;
use super::odb::{Cursor, Found, Kind, Odb};
use super::trees::{diff, intersect, Differing, Entry, Unclear, MAX_TREE};

/// Commits per piece of work a thread takes at a time.
const CHUNK: usize = 512;
/// Objects at most one tree comparison opens before giving the commit to git: a merge that brings
/// in a whole new directory opens every tree under it.
const MAX_TREES: usize = 10_000;

/// For each of `commits`, whether its `git log -c` diff can show one of `wanted` (hex ids of blobs
/// or trees): false only when it provably cannot. Read by `threads` threads.
pub(crate) fn may_show(
    odb: &Odb,
    commits: &[Walked],
    wanted: &[&str],
    threads: usize,
) -> Vec<bool> {
    let wanted: HashSet<Vec<u8>> = wanted.iter().filter_map(|w| super::odb::unhex(w)).collect();
    // The scan's readers freed their delta caches into their threads' malloc arenas, which the new
    // threads below do not reuse: handed back first, or they add up (redis peak RSS 401-418 MB).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
    // A parent's tree, from the listing when it walked the parent too.
    let trees: HashMap<&str, &str> = commits
        .iter()
        .map(|c| (c.sha.as_str(), c.tree.as_str()))
        .collect();
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<bool>> = Mutex::new(vec![true; commits.len()]);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut walk = Walk {
                    cursor: odb.cursor(),
                    hash_len: odb.hash_len(),
                    wanted: &wanted,
                    trees: &trees,
                    opened: 0,
                };
                let mut part = Vec::with_capacity(CHUNK);
                loop {
                    let at = next.fetch_add(CHUNK, AtomicOrdering::Relaxed);
                    let Some(chunk) = commits.get(at..(at + CHUNK).min(commits.len())) else {
                        break;
                    };
                    part.clear();
                    part.extend(chunk.iter().map(|c| walk.commit(c)));
                    let mut all = out.lock().unwrap_or_else(|e| e.into_inner());
                    all[at..at + part.len()].copy_from_slice(&part);
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// One thread's comparisons.
struct Walk<'a> {
    cursor: Cursor<'a>,
    hash_len: usize,
    wanted: &'a HashSet<Vec<u8>>,
    /// The tree of each listed commit, by id.
    trees: &'a HashMap<&'a str, &'a str>,
    /// Trees opened for the current commit.
    opened: usize,
}

impl Walk<'_> {
    /// Whether `commit` may show a wanted object (true when unclear).
    fn commit(&mut self, commit: &Walked) -> bool {
        self.opened = 0;
        self.commit_shows(commit).unwrap_or(true)
    }

    fn commit_shows(&mut self, commit: &Walked) -> Result<bool, Unclear> {
        let tree = super::odb::unhex(&commit.tree).ok_or(Unclear)?;
        // A root commit (or one at the shallow boundary) is diffed against nothing: every path
        // shows. Few; git decides.
        if commit.parents.is_empty() {
            return Err(Unclear);
        }
        let mut ptrees = Vec::new();
        for p in commit.parents.split(' ') {
            ptrees.push(Some(self.tree_of(p)?));
        }
        self.shows(Some(tree), &ptrees)
    }

    /// The tree of commit `sha`: as listed, else read from the commit (a parent the walk did not
    /// reach, as in `A..B`).
    fn tree_of(&mut self, sha: &str) -> Result<Vec<u8>, Unclear> {
        if let Some(t) = self.trees.get(sha) {
            return super::odb::unhex(t).ok_or(Unclear);
        }
        let id = super::odb::unhex(sha).ok_or(Unclear)?;
        let data = match self.cursor.read_id(&id, 1 << 20) {
            Found::Object(Kind::Commit, data, _) => data,
            _ => return Err(Unclear),
        };
        data.split(|&b| b == b'\n')
            .next()
            .and_then(|l| l.strip_prefix(b"tree "))
            .and_then(|t| super::odb::unhex(std::str::from_utf8(t).ok()?))
            .ok_or(Unclear)
    }

    /// Whether anything under `m` (the commit's tree here, None: absent) that differs from the
    /// same place in every parent (`ps`, None: absent there) is or replaces a wanted object. This
    /// is where `git log -c` shows a path: `-c` shows one only where the commit differs from every
    /// parent, and `--find-object` only when a side of the change is wanted.
    fn shows(&mut self, m: Option<Vec<u8>>, ps: &[Option<Vec<u8>>]) -> Result<bool, Unclear> {
        // The same subtree in a parent: no path under it differs from that parent.
        if ps.contains(&m) {
            return Ok(false);
        }
        let mt = self.tree(m.as_deref())?;
        let mut pts = Vec::with_capacity(ps.len());
        for p in ps {
            pts.push(self.tree(p.as_deref())?);
        }
        // What differs from the first parent, kept where it differs from every other one too.
        let mut changes = Vec::new();
        diff(&mt, &pts[0], self.hash_len, &mut changes)?;
        let mut keys: Vec<Differing> = changes
            .iter()
            .map(|c| Differing {
                key: c.key(),
                m: c.m,
                ps: vec![c.p],
            })
            .collect();
        for pt in &pts[1..] {
            if keys.is_empty() {
                break;
            }
            changes.clear();
            diff(&mt, pt, self.hash_len, &mut changes)?;
            keys = intersect(keys, &changes);
        }
        for k in keys {
            let wanted = |e: &Option<Entry>| e.as_ref().is_some_and(|e| self.wanted.contains(e.id));
            if wanted(&k.m) || k.ps.iter().any(wanted) {
                return Ok(true);
            }
            if k.key.tree {
                let sub = |e: &Option<Entry>| e.as_ref().map(|e| e.id.to_vec());
                let ps: Vec<Option<Vec<u8>>> = k.ps.iter().map(sub).collect();
                if self.shows(sub(&k.m), &ps)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The bytes of tree `id` (empty for an absent one).
    fn tree(&mut self, id: Option<&[u8]>) -> Result<Rc<Vec<u8>>, Unclear> {
        let Some(id) = id else {
            return Ok(Rc::new(Vec::new()));
        };
        self.opened += 1;
        if self.opened > MAX_TREES {
            return Err(Unclear);
        }
        match self.cursor.read_id(id, MAX_TREE) {
            Found::Object(Kind::Tree, data, _) => Ok(data),
            _ => Err(Unclear),
        }
    }
}

#[cfg(test)]
mod tests;
