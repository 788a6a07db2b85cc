//! Reading git objects in process: the packs (`objects/pack/*.pack` with their version 2 indexes)
//! and loose objects of a repository and of its alternates, decoded here, with no `git` process and
//! no pipe. Each reading thread has its own [`Cursor`]: its own inflate state and its own cache of
//! decoded entries, so packs are decoded on every core at once; the object is decoded into a buffer
//! the scan reads in place.
//!
//! This is the fast path, not the only one: an object it does not find or cannot decode is read by
//! `git cat-file` as before ([`super::reader`]), so what git reports of a damaged or partial
//! repository is unchanged. Why our own reader and not gitoxide's, measured: docs/git-reader.md.

mod cache;
mod cursor;
mod entry;
mod idx;
mod loose;
mod order;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::Mmap;

use crate::engine::keywords::Hit;
pub(crate) use cursor::Cursor;
pub(crate) use entry::Kind;
use idx::Idx;
pub(crate) use order::FamilyOrder;

/// How deep alternates of alternates are followed (git's own limit).
const MAX_ALTERNATE_DEPTH: usize = 5;
/// Longer delta chains are taken for corrupt (git writes at most 4,095 by `--depth`).
const MAX_CHAIN: usize = 10_000;
/// The largest object (whole, delta, or a delta's result, the bases on a chain included) decoded in
/// process; sizes come from the pack itself, so a damaged or crafted one never makes us allocate
/// more. A larger one is left to git, like anything else this reader cannot decode.
const MAX_OBJECT: u64 = 1 << 30;

/// One pack: its mapped data and index.
struct Pack {
    data: Mmap,
    idx: Idx,
}

/// The object store of a repository: its packs and its loose-object directories (its own first,
/// then its alternates').
pub(crate) struct Odb {
    packs: Vec<Pack>,
    dirs: Vec<PathBuf>,
    hash_len: usize,
    /// Compressed bytes read since the mapped packs were last trimmed, across threads.
    read: AtomicU64,
    trim_every: u64,
    cache_bytes: usize,
    /// Whether every object read is kept too, not only the bases on the way to it.
    keep_results: bool,
}

/// What reading one object gave.
pub(crate) enum Found {
    /// The object, and a blob's keyword hits when the cursor was given the keyword pass.
    Object(Kind, Rc<Vec<u8>>, Option<Rc<Vec<Hit>>>),
    /// Over the size limit: never decoded.
    TooLarge(Kind, u64),
    /// Not in this store, or not decodable here: for git to read.
    Elsewhere,
}

impl Odb {
    /// The store under `objects` (a repository's object directory) for ids of `hash_len` bytes. A pack
    /// whose index cannot be read is left out: its objects go to git.
    pub(crate) fn open(objects: &Path, hash_len: usize) -> Odb {
        let mut dirs = Vec::new();
        collect_dirs(objects, 0, &mut dirs);
        let mut packs = Vec::new();
        for dir in &dirs {
            let Ok(rd) = std::fs::read_dir(dir.join("pack")) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().and_then(|x| x.to_str()) != Some("idx") {
                    continue;
                }
                if let Some(pack) = open_pack(&p, hash_len) {
                    packs.push(pack);
                }
            }
        }
        // Larger packs first: most objects are there, so most lookups end at the first index.
        packs.sort_by_key(|p| std::cmp::Reverse(p.idx.len()));
        Odb {
            packs,
            dirs,
            hash_len,
            read: AtomicU64::new(0),
            trim_every: env_mib("NHISCAN_GIT_TRIM_MIB", TRIM_EVERY_MIB),
            cache_bytes: env_mib("NHISCAN_GIT_DELTA_CACHE", DELTA_CACHE_MIB) as usize,
            keep_results: std::env::var("NHISCAN_GIT_KEEP_RESULTS")
                .map_or(KEEP_RESULTS, |v| v == "1"),
        }
    }

    /// The length of an object id in bytes (20 for SHA-1, 32 for SHA-256).
    pub(crate) fn hash_len(&self) -> usize {
        self.hash_len
    }

    /// Whether this store holds the object with id `id` (binary). No: git may still have it, in a
    /// store this one does not read.
    pub(crate) fn has(&self, id: &[u8]) -> bool {
        id.len() == self.hash_len && self.locate(id).is_some()
    }

    /// A reader for one thread.
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        Cursor::new(self)
    }

    /// Counts compressed bytes read; every [`TRIM_EVERY_MIB`], drops the resident pages of the
    /// mapped packs. Every page a delta chain touches would otherwise stay resident, so reading a
    /// whole history makes the process as large as its packs; the pages are clean copies of the page
    /// cache, so a page touched again costs a minor fault, never a disk read.
    fn count(&self, n: u64) {
        if self.trim_every == 0 {
            return;
        }
        let before = self.read.fetch_add(n, Ordering::Relaxed);
        if before < self.trim_every && before + n >= self.trim_every {
            self.read.store(0, Ordering::Relaxed);
            for p in &self.packs {
                // SAFETY: a read-only private mapping of a file: MADV_DONTNEED drops its page-table
                // entries and the next access reads the same file pages back from the page cache,
                // so a thread reading the mapping meanwhile sees the same bytes.
                let _ = unsafe { p.data.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
            }
        }
    }

    /// The binary id of hex id `oid`; None when it is not one of this store's length.
    fn id_of(&self, oid: &str) -> Option<Vec<u8>> {
        unhex(oid).filter(|id| id.len() == self.hash_len)
    }

    /// The pack holding the object with id `id`, and the entry's offset there.
    fn packed(&self, id: &[u8]) -> Option<(usize, u64)> {
        self.packs
            .iter()
            .enumerate()
            .find_map(|(i, p)| Some((i, p.idx.find(id)?)))
    }

    /// The header of the entry at `off` of pack `p`.
    fn header_at(&self, p: usize, off: u64) -> Result<entry::Header, String> {
        let at = usize::try_from(off).map_err(|_| "offset past the address space")?;
        entry::header(&self.packs[p].data, at, self.hash_len)
    }

    /// [`Odb::header_at`] for a walk that reads headers only: each touches a page of the mapped
    /// pack, counted as one for the trim (a decode counts the bytes it reads instead).
    fn header_only(&self, p: usize, off: u64) -> Result<entry::Header, String> {
        self.count(4096);
        self.header_at(p, off)
    }

    fn locate(&self, id: &[u8]) -> Option<Place> {
        if let Some((i, off)) = self.packed(id) {
            return Some(Place::Packed(i, off));
        }
        let hex = hex(id);
        self.dirs
            .iter()
            .map(|d| d.join(&hex[..2]).join(&hex[2..]))
            .find(|p| p.is_file())
            .map(Place::Loose)
    }
}

/// Decoded bytes per delta-cache of each reading thread, in MiB (`NHISCAN_GIT_DELTA_CACHE`
/// overrides it): measured on the redis mirror, docs/git-reader.md. Most of a history is read by
/// delta family ([`FamilyOrder`]), where a cache needs to hold only a chain, not the versions
/// between two of a file's in listing order.
const DELTA_CACHE_MIB: u64 = 32;
/// Whether each object read is kept in the cache as well as the bases on its chain
/// (`NHISCAN_GIT_KEEP_RESULTS=0|1`): measured, docs/git-reader.md.
const KEEP_RESULTS: bool = true;
/// Compressed bytes read between two trims of the mapped packs, in MiB (`NHISCAN_GIT_TRIM_MIB`; 0
/// turns trimming off).
const TRIM_EVERY_MIB: u64 = 16;

fn env_mib(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(default)
        << 20
}

enum Place {
    Packed(usize, u64),
    Loose(PathBuf),
}

/// A packed entry as one number, its pack in the top 16 bits and its offset below (None past
/// those): the key of the delta cache and of the family order.
fn entry_key(pack: usize, offset: u64) -> Option<u64> {
    (pack < 1 << 16 && offset < 1 << 48).then_some((pack as u64) << 48 | offset)
}

/// `objects` and, through `info/alternates`, the object directories it borrows from.
fn collect_dirs(objects: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let canon = objects
        .canonicalize()
        .unwrap_or_else(|_| objects.to_path_buf());
    if out.contains(&canon) || depth > MAX_ALTERNATE_DEPTH {
        return;
    }
    out.push(canon.clone());
    let Ok(text) = std::fs::read_to_string(canon.join("info/alternates")) else {
        return;
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        // Comments, blank lines and quoted paths (rare; git unquotes them) are git's to follow.
        if line.is_empty() || line.starts_with('#') || line.starts_with('"') {
            continue;
        }
        collect_dirs(&canon.join(line), depth + 1, out);
    }
}

fn open_pack(idx_path: &Path, hash_len: usize) -> Option<Pack> {
    let map = |p: &Path| -> Option<Mmap> {
        let f = std::fs::File::open(p).ok()?;
        // SAFETY: git never rewrites a pack or index in place (new ones get new names, old ones are
        // deleted whole), so the mapping's contents do not change while it is read.
        unsafe { Mmap::map(&f) }.ok()
    };
    let idx = Idx::new(map(idx_path)?, hash_len).ok()?;
    let data = map(&idx_path.with_extension("pack"))?;
    // `PACK`, version 2 or 3, and as many objects as the index lists.
    let ok = data.len() >= 12 + hash_len
        && &data[..4] == b"PACK"
        && matches!(u32::from_be_bytes(data[4..8].try_into().ok()?), 2 | 3)
        && u32::from_be_bytes(data[8..12].try_into().ok()?) as usize == idx.len();
    ok.then_some(Pack { data, idx })
}

/// Lowercase hex of an id.
pub(crate) fn hex(id: &[u8]) -> String {
    use std::fmt::Write as _;
    id.iter()
        .fold(String::with_capacity(id.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes of a hex id; None if it is not one.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests;
