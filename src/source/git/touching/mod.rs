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

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

use super::list::Walked;
use super::odb::{Cursor, Found, Kind, Odb};

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

/// Why a commit goes to git: unclear here.
struct Unclear;

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
        match self.cursor.read_id(id, 64 << 20) {
            Found::Object(Kind::Tree, data, _) => Ok(data),
            _ => Err(Unclear),
        }
    }
}

/// One tree entry.
#[derive(Clone, Copy)]
struct Entry<'t> {
    name: &'t [u8],
    tree: bool,
    id: &'t [u8],
}

/// A name (with its kind) whose entry differs between a tree and a parent's: `m` in the tree, `p`
/// in the parent's (None: not there).
struct Change<'t> {
    m: Option<Entry<'t>>,
    p: Option<Entry<'t>>,
}

impl<'t> Change<'t> {
    fn key(&self) -> Entry<'t> {
        self.m.or(self.p).expect("a change has a side")
    }
}

/// A name whose entry differs between a tree (`m`) and each parent's so far (`ps`).
struct Differing<'t> {
    key: Entry<'t>,
    m: Option<Entry<'t>>,
    ps: Vec<Option<Entry<'t>>>,
}

/// The names in `keys` that `changes` has too (both in git's order), with that parent's side added.
fn intersect<'t>(keys: Vec<Differing<'t>>, changes: &[Change<'t>]) -> Vec<Differing<'t>> {
    let mut out = Vec::new();
    let mut c = changes.iter().peekable();
    for mut k in keys {
        while c
            .next_if(|x| compare(&x.key(), &k.key) == Ordering::Less)
            .is_some()
        {}
        if let Some(x) = c.next_if(|x| compare(&x.key(), &k.key) == Ordering::Equal) {
            k.ps.push(x.p);
            out.push(k);
        }
    }
    out
}

/// The entries of tree `m` and tree `p` that differ, in git's order. Runs of bytes the two share
/// are passed over whole entries at a time, without reading names: a commit changes few entries of
/// the large trees it touches (git/git's root has about 500).
fn diff<'t>(
    m: &'t [u8],
    p: &'t [u8],
    hash_len: usize,
    out: &mut Vec<Change<'t>>,
) -> Result<(), Unclear> {
    let start = shared_entries(m, p, hash_len)?;
    let tail = shared_tail(m, p, start);
    let (mut i, mut j) = (start, start);
    let (mut last_m, mut last_p): (Option<Entry>, Option<Entry>) = (None, None);
    loop {
        let left = m.len() - i;
        // What is left is the same bytes from an entry's start on both sides: the same entries.
        if left == p.len() - j && left <= tail {
            return Ok(());
        }
        let em = entry_end(m, i, hash_len)?;
        if let Some(a) = em {
            // The same bytes at `j`: the same entry (its NUL, so its end, is where it is in `m`),
            // then every whole entry after it that the bytes both sides share hold. One search
            // per entry, on one side only.
            let n = a - i;
            if p.len() - j >= n && m[i..a] == p[j..j + n] {
                let shared = a + common_prefix(&m[a..], &p[j + n..]);
                let mut at = a;
                while let Some(end) = entry_end(m, at, hash_len)? {
                    if end > shared {
                        break;
                    }
                    at = end;
                }
                (i, j) = (at, j + (at - i));
                continue;
            }
        }
        let ep = entry_end(p, j, hash_len)?;
        let a = em.map(|e| entry(&m[i..e], hash_len)).transpose()?;
        let b = ep.map(|e| entry(&p[j..e], hash_len)).transpose()?;
        let order = match (&a, &b) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => compare(x, y),
        };
        // Out of git's order (or a name twice): git's walk would pair them otherwise.
        let ordered = |last: &Option<Entry>, e: &Option<Entry>| match (last, e) {
            (Some(l), Some(e)) => compare(l, e) == Ordering::Less,
            _ => true,
        };
        let change = match order {
            Ordering::Less => Change { m: a, p: None },
            Ordering::Greater => Change { m: None, p: b },
            Ordering::Equal => Change { m: a, p: b },
        };
        if !ordered(&last_m, &change.m) || !ordered(&last_p, &change.p) {
            return Err(Unclear);
        }
        if let Some(e) = change.m {
            last_m = Some(e);
            i = em.expect("m has an entry");
        }
        if let Some(e) = change.p {
            last_p = Some(e);
            j = ep.expect("p has an entry");
        }
        out.push(change);
    }
}

/// Where the entry of `data` at `at` ends (`mode SP name NUL id`); None at the end.
fn entry_end(data: &[u8], at: usize, hash_len: usize) -> Result<Option<usize>, Unclear> {
    if at == data.len() {
        return Ok(None);
    }
    let nul = memchr::memchr(0, &data[at..]).ok_or(Unclear)?;
    let end = at + nul + 1 + hash_len;
    if end > data.len() {
        return Err(Unclear);
    }
    Ok(Some(end))
}

/// The entry `raw` holds, whole.
fn entry(raw: &[u8], hash_len: usize) -> Result<Entry<'_>, Unclear> {
    let nul = raw.len() - hash_len - 1;
    let sp = memchr::memchr(b' ', &raw[..nul]).ok_or(Unclear)?;
    if sp == 0 || nul == sp + 1 {
        return Err(Unclear);
    }
    Ok(Entry {
        name: &raw[sp + 1..nul],
        tree: octal(&raw[..sp]).ok_or(Unclear)? & 0o170000 == 0o040000,
        id: &raw[nul + 1..],
    })
}

/// git's order of tree entries: by name, a tree's name compared as if it ended in `/`.
fn compare(a: &Entry, b: &Entry) -> Ordering {
    let n = a.name.len().min(b.name.len());
    match a.name[..n].cmp(&b.name[..n]) {
        Ordering::Equal => {}
        o => return o,
    }
    let end = |e: &Entry| {
        e.name
            .get(n)
            .copied()
            .unwrap_or(if e.tree { b'/' } else { 0 })
    };
    end(a).cmp(&end(b))
}

/// Where the first entry of `a` that `b` does not hold byte for byte starts: the length of the
/// whole entries the two trees start with alike.
fn shared_entries(a: &[u8], b: &[u8], hash_len: usize) -> Result<usize, Unclear> {
    let same = common_prefix(a, b);
    let mut at = 0;
    while let Some(end) = entry_end(a, at, hash_len)? {
        if end > same {
            break;
        }
        at = end;
    }
    Ok(at)
}

/// How many bytes `a` and `b` end with alike, at most as many as either has after `start`.
fn shared_tail(a: &[u8], b: &[u8], start: usize) -> usize {
    let most = a.len().min(b.len()).saturating_sub(start);
    let (a, b) = (&a[a.len() - most..], &b[b.len() - most..]);
    let mut n = 0;
    // 32 bytes at a time first: trees are mostly alike and slices compare as vectors.
    while n + 32 <= most && a[most - n - 32..most - n] == b[most - n - 32..most - n] {
        n += 32;
    }
    n + a[..most - n]
        .iter()
        .rev()
        .zip(b[..most - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many bytes `a` and `b` start with alike.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let most = a.len().min(b.len());
    let mut n = 0;
    while n + 32 <= most && a[n..n + 32] == b[n..n + 32] {
        n += 32;
    }
    n + a[n..most]
        .iter()
        .zip(&b[n..most])
        .take_while(|(x, y)| x == y)
        .count()
}

fn octal(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 7 {
        return None;
    }
    s.iter().try_fold(0u32, |v, &c| {
        (b'0'..=b'7')
            .contains(&c)
            .then(|| v * 8 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests;
