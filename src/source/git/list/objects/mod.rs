//! The object part of a listing, walked in process: what `git rev-list --objects` prints after the
//! commits, the same objects in the same order with the same paths, so every blob keeps the first
//! path git would give it.
//!
//! git's order, which this follows: after the commit walk it takes its pending objects in turn, the
//! tags, trees and blobs the refs name first (listed by git itself, [`ObjectWalk::see`]), then each
//! walked commit's tree in walk order. A tree not seen before is printed at its path, then its
//! entries in the order the tree holds them, depth first: a subtree likewise, a blob not seen
//! before at its path, a gitlink never. A blob the repository lacks is printed at the end as
//! `?<id>`, not at its place; a tree it lacks, git's walk takes over from.
//!
//! Why in process: on git/git (203,352 commits, about 380,000 distinct trees) `rev-list --objects`
//! took 7.4 CPU-s, against 1.5 for the commits alone; most of it is a hash lookup for every entry
//! of every new tree. Here an entry a tree shares byte for byte with the last tree walked at the
//! same path is known to be seen without a lookup, since a walked tree leaves everything under it
//! seen, and whole runs of shared entries are passed over as bytes ([`trees::diff`]).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crossbeam_channel::{Receiver, Sender};

use crate::source::git::odb::{hex, unhex, Cursor, Found, Kind, Odb};
use crate::source::git::trees::{self, Entry, Unclear, MAX_TREE};

/// git's limit on how deep trees nest (`core.maxTreeDepth`'s default): deeper, git stops.
const MAX_DEPTH: usize = 2048;
/// Bytes of trees kept as the last one walked at their path: past this, the references start over
/// (a history with very many directories), which only costs lookups.
const MAX_KEPT: usize = 64 << 20;

/// The walk's delta cache: it runs beside the readers, so its memory adds to theirs. Measured on
/// git/git, the walk alone: 6.0 s at 16 MiB as at 32, 7.1 s at 8.
const CACHE: usize = 16 << 20;
/// Blobs per hand-over to the listing thread.
const RUN: usize = 256;

/// An object id, zero-padded to the longest hash.
type Key = [u8; 32];

/// A tree or blob the walk lists, at the path git prints it with (raw bytes, before git cuts it
/// at a line break).
pub(super) struct Listed<'p> {
    pub id: &'p [u8],
    pub path: &'p [u8],
    pub tree: bool,
}

/// The walk's state across commits: what was seen, the last tree at each path.
pub(super) struct ObjectWalk<'a> {
    odb: &'a Odb,
    cursor: Cursor<'a>,
    hash_len: usize,
    /// Seeded per run: ids are the repository's to choose, and a crafted history must not make
    /// them collide.
    seen: HashSet<Key, foldhash::fast::RandomState>,
    last: HashMap<Vec<u8>, Rc<Vec<u8>>>,
    kept: usize,
    absent: Vec<Vec<u8>>,
}

/// A tree being walked: its bytes, the entries left to visit (byte ranges), and the length of the
/// path up to and including its own name.
struct Frame {
    data: Rc<Vec<u8>>,
    todo: Vec<(usize, usize)>,
    next: usize,
    path_len: usize,
}

impl<'a> ObjectWalk<'a> {
    pub(super) fn new(odb: &'a Odb) -> ObjectWalk<'a> {
        ObjectWalk {
            odb,
            cursor: odb.cursor().with_cache(CACHE),
            hash_len: odb.hash_len(),
            seen: HashSet::default(),
            last: HashMap::new(),
            kept: 0,
            absent: Vec::new(),
        }
    }

    /// Marks the object with hex id `oid` as listed already (by git, before the walk).
    pub(super) fn see(&mut self, oid: &str) {
        if let Some(id) = unhex(oid) {
            if let Some(k) = key(&id) {
                self.seen.insert(k);
            }
        }
    }

    /// The blobs met that this store does not hold, in the order met: missing, unless git has
    /// them in a store this one does not read.
    pub(super) fn absent(&self) -> &[Vec<u8>] {
        &self.absent
    }

    /// Walks the tree `root` (a commit's, hex id) as git would after the trees walked before,
    /// handing `out` each tree and blob listed. Unclear when git would read something otherwise (a
    /// tree that is missing, malformed, not a tree, not decodable here, or too deep): the caller
    /// lists with git from there.
    pub(super) fn walk(
        &mut self,
        root: &str,
        out: &mut dyn FnMut(Listed<'_>),
    ) -> Result<(), Unclear> {
        let id = unhex(root).ok_or(Unclear)?;
        let mut path = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(f) = self.open(&id, &mut path, out)? {
            stack.push(f);
        }
        while let Some(top) = stack.last_mut() {
            let Some(&(a, b)) = top.todo.get(top.next) else {
                let done = stack.pop().expect("a frame");
                // Everything under it is seen now: the reference for the next tree at its path.
                let at = done.path_len.saturating_sub(usize::from(done.path_len > 0));
                let dir = path[..at].to_vec();
                path.truncate(stack.last().map_or(0, |f| f.path_len));
                self.keep(dir, done.data);
                continue;
            };
            top.next += 1;
            let data = Rc::clone(&top.data);
            let e = trees::entry(&data[a..b], self.hash_len)?;
            let base = top.path_len;
            path.truncate(base);
            path.extend_from_slice(e.name);
            if e.tree {
                if stack.len() >= MAX_DEPTH {
                    return Err(Unclear);
                }
                if let Some(f) = self.open(e.id, &mut path, out)? {
                    stack.push(f);
                }
            } else if !e.gitlink {
                self.blob(e, &path, out)?;
            }
        }
        Ok(())
    }

    /// A blob entry: listed unless seen.
    fn blob(
        &mut self,
        e: Entry<'_>,
        path: &[u8],
        out: &mut dyn FnMut(Listed<'_>),
    ) -> Result<(), Unclear> {
        let k = key(e.id).ok_or(Unclear)?;
        if !self.seen.insert(k) {
            return Ok(());
        }
        if self.odb.has(e.id) {
            out(Listed {
                id: e.id,
                path,
                tree: false,
            });
        } else {
            self.absent.push(e.id.to_vec());
        }
        Ok(())
    }

    /// A tree entry at `path` (without its trailing `/`): None when seen; else it is
    /// listed and its entries left to visit become a frame, `path` then ending in `/` unless empty.
    fn open(
        &mut self,
        id: &[u8],
        path: &mut Vec<u8>,
        out: &mut dyn FnMut(Listed<'_>),
    ) -> Result<Option<Frame>, Unclear> {
        let k = key(id).ok_or(Unclear)?;
        if !self.seen.insert(k) {
            return Ok(None);
        }
        // A tree not read here (missing, or in a store not read here) goes to git: whether git
        // walks it decides the first path of everything under it.
        let Found::Object(Kind::Tree, data, _) = self.cursor.read_id(id, MAX_TREE) else {
            return Err(Unclear);
        };
        out(Listed {
            id,
            path,
            tree: true,
        });
        let todo = self.todo(&data, path)?;
        if !path.is_empty() {
            path.push(b'/');
        }
        Ok(Some(Frame {
            data,
            todo,
            next: 0,
            path_len: path.len(),
        }))
    }

    /// The entries of tree `data` (at `dir`) that may not be seen: those the last tree walked at
    /// `dir` does not hold byte for byte, else all of them; as byte ranges, in the tree's order.
    fn todo(&self, data: &[u8], dir: &[u8]) -> Result<Vec<(usize, usize)>, Unclear> {
        let range = |e: &Entry| {
            let start = e.raw.as_ptr() as usize - data.as_ptr() as usize;
            (start, start + e.raw.len())
        };
        if let Some(r) = self.last.get(dir) {
            let mut changes = Vec::new();
            if trees::diff(data, r, self.hash_len, &mut changes).is_ok() {
                return Ok(changes
                    .iter()
                    .filter_map(|c| c.m.as_ref())
                    .map(range)
                    .collect());
            }
        }
        Ok(trees::entries(data, self.hash_len)?
            .iter()
            .map(range)
            .collect())
    }

    /// Keeps `data` as the last tree walked at `dir`.
    fn keep(&mut self, dir: Vec<u8>, data: Rc<Vec<u8>>) {
        if self.kept + data.len() > MAX_KEPT {
            self.last.clear();
            self.kept = 0;
        }
        self.kept += data.len();
        if let Some(old) = self.last.insert(dir, data) {
            self.kept -= old.len();
        }
    }
}

/// Walks the trees that come on `trees` (the commits' trees, in git's walk order) after the
/// objects `named` (hex ids git listed itself), sending the blobs listed to `out` in runs, each with
/// the path as git prints it (cut at a line break). Then the blobs met that this store lacks (hex);
/// Unclear where the walk stopped, what it sent before standing.
pub(super) fn walk(
    odb: &Odb,
    named: &[String],
    trees: &Receiver<String>,
    out: &Sender<Vec<(String, String)>>,
) -> Result<Vec<String>, Unclear> {
    let mut walk = ObjectWalk::new(odb);
    for id in named {
        walk.see(id);
    }
    let mut run = Vec::with_capacity(RUN);
    let mut walked = Ok(());
    for tree in trees.iter() {
        walked = walk.walk(&tree, &mut |l| {
            if !l.tree {
                let end = memchr::memchr(b'\n', l.path).unwrap_or(l.path.len());
                let path = String::from_utf8_lossy(&l.path[..end]).into_owned();
                run.push((hex(l.id), path));
                if run.len() >= RUN {
                    let _ = out.send(std::mem::replace(&mut run, Vec::with_capacity(RUN)));
                }
            }
        });
        if walked.is_err() {
            break;
        }
    }
    if !run.is_empty() {
        let _ = out.send(run);
    }
    walked?;
    Ok(walk.absent().iter().map(|id| hex(id)).collect())
}

/// `id` as a key; None when longer than any hash.
fn key(id: &[u8]) -> Option<Key> {
    let mut k = [0u8; 32];
    k.get_mut(..id.len())?.copy_from_slice(id);
    Some(k)
}

#[cfg(test)]
mod tests;
