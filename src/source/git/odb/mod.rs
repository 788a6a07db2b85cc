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
mod entry;
mod idx;
mod loose;

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Decompress, FlushDecompress, Status};
use memmap2::Mmap;

use crate::engine::derive::{derive, sorted_hits, Piece};
use crate::engine::keywords::{Hit, Keywords};
use cache::{Cached, DeltaCache};
pub(crate) use entry::Kind;
use entry::{Base, Entry};
use idx::Idx;

/// How deep alternates of alternates are followed (git's own limit).
const MAX_ALTERNATE_DEPTH: usize = 5;
/// Longer delta chains are taken for corrupt (git writes at most 4,095 by `--depth`).
const MAX_CHAIN: usize = 10_000;

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

    /// A reader for one thread.
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        Cursor {
            odb: self,
            cache: DeltaCache::new(self.cache_bytes),
            z: Decompress::new(true),
            delta: Vec::new(),
            pieces: Vec::new(),
            kw: None,
        }
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

    fn locate(&self, id: &[u8]) -> Option<Place> {
        for (i, p) in self.packs.iter().enumerate() {
            if let Some(off) = p.idx.find(id) {
                return Some(Place::Packed(i, off));
            }
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
/// overrides it): measured on the redis mirror, docs/git-reader.md.
const DELTA_CACHE_MIB: u64 = 64;
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
fn hex(id: &[u8]) -> String {
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

/// One entry of a delta chain still to be applied.
struct Link {
    pack: usize,
    at: u64,
    data_at: usize,
    size: u64,
}

/// Where a chain starts: an object already decoded, or a whole entry still to inflate.
enum Start {
    Decoded(Kind, Rc<Vec<u8>>, Option<Rc<Vec<Hit>>>),
    Whole {
        kind: Kind,
        pack: usize,
        at: u64,
        data_at: usize,
        size: u64,
    },
}

/// One thread's reader of an [`Odb`].
pub(crate) struct Cursor<'a> {
    odb: &'a Odb,
    cache: DeltaCache,
    z: Decompress,
    /// The current delta's instructions, reused.
    delta: Vec<u8>,
    /// Where the parts of the current delta's result come from, reused.
    pieces: Vec<Piece>,
    /// The keyword pass whose hits each blob is read with.
    kw: Option<&'a Keywords>,
}

impl<'a> Cursor<'a> {
    /// The same cursor giving each text blob's keyword hits (sorted), derived from its delta base's
    /// where it has one ([`derive`]): the keyword pass then reads only what a version changed.
    pub(crate) fn with_keywords(mut self, kw: Option<&'a Keywords>) -> Cursor<'a> {
        self.kw = kw;
        self
    }

    /// A text blob's keyword hits, found by a whole pass.
    fn hits_of(&self, kind: Kind, data: &[u8]) -> Option<Rc<Vec<Hit>>> {
        let kw = self.kw?;
        (kind == Kind::Blob && !crate::source::is_binary(data))
            .then(|| Rc::new(sorted_hits(kw, data)))
    }

    /// Reads the object with id `oid` (hex), or only its kind and size when it is over `max_size`.
    pub(crate) fn read(&mut self, oid: &str, max_size: u64) -> Found {
        let Some(id) = unhex(oid).filter(|id| id.len() == self.odb.hash_len) else {
            return Found::Elsewhere;
        };
        match self.odb.locate(&id) {
            Some(Place::Packed(pack, at)) => {
                self.packed(pack, at, max_size).unwrap_or(Found::Elsewhere)
            }
            Some(Place::Loose(path)) => match loose::read(&path, max_size, &mut self.z) {
                Ok(l) => match l.data {
                    Some(d) => {
                        let hits = self.hits_of(l.kind, &d);
                        Found::Object(l.kind, Rc::new(d), hits)
                    }
                    None => Found::TooLarge(l.kind, l.size),
                },
                Err(_) => Found::Elsewhere,
            },
            None => Found::Elsewhere,
        }
    }

    /// The kind of the object with id `oid` (hex), from the headers of its delta chain, with nothing
    /// inflated but a loose object's header; None when it is not here or not readable.
    pub(crate) fn kind(&mut self, oid: &str) -> Option<Kind> {
        let id = unhex(oid).filter(|id| id.len() == self.odb.hash_len)?;
        let (mut p, mut off) = match self.odb.locate(&id)? {
            Place::Packed(p, off) => (p, off),
            Place::Loose(path) => return loose::read(&path, 0, &mut self.z).ok().map(|l| l.kind),
        };
        for _ in 0..=MAX_CHAIN {
            // A header read touches a page of the mapped pack: counted as one, for the trim.
            self.odb.count(4096);
            let h = entry::header(&self.odb.packs[p].data, usize::try_from(off).ok()?, {
                self.odb.hash_len
            })
            .ok()?;
            match h.entry {
                Entry::Whole(kind, _) => return Some(kind),
                Entry::Delta(Base::Offset(o), _) => off = o,
                Entry::Delta(Base::Id(id), _) => match self.odb.locate(&id)? {
                    Place::Packed(bp, bo) => (p, off) = (bp, bo),
                    Place::Loose(path) => {
                        return loose::read(&path, 0, &mut self.z).ok().map(|l| l.kind)
                    }
                },
            }
        }
        None
    }

    /// Decodes the entry at `at` of `pack`; Err when it is corrupt (git then says how).
    fn packed(&mut self, pack: usize, at: u64, max_size: u64) -> Result<Found, String> {
        let (mut p, mut off) = (pack, at);
        let mut chain: Vec<Link> = Vec::new();
        let start = loop {
            if let Some(c) = self.cache.get(p, off) {
                break Start::Decoded(c.kind, c.data, c.hits);
            }
            if chain.len() > MAX_CHAIN {
                return Err("delta chain too long".into());
            }
            let data = &self.odb.packs[p].data;
            let h = entry::header(data, usize::try_from(off).map_err(|_| "offset")?, {
                self.odb.hash_len
            })?;
            match h.entry {
                Entry::Whole(kind, size) => {
                    break Start::Whole {
                        kind,
                        pack: p,
                        at: off,
                        data_at: h.data_at,
                        size,
                    }
                }
                Entry::Delta(base, size) => {
                    chain.push(Link {
                        pack: p,
                        at: off,
                        data_at: h.data_at,
                        size,
                    });
                    match base {
                        Base::Offset(o) => off = o,
                        Base::Id(id) => match self.odb.locate(&id) {
                            Some(Place::Packed(bp, bo)) => (p, off) = (bp, bo),
                            Some(Place::Loose(path)) => {
                                let l = loose::read(&path, u64::MAX, &mut self.z)?;
                                let data = l.data.ok_or("loose base not read")?;
                                break Start::Decoded(l.kind, Rc::new(data), None);
                            }
                            None => return Err("delta base missing".into()),
                        },
                    }
                }
            }
        };
        let kind = match &start {
            Start::Decoded(k, ..) | Start::Whole { kind: k, .. } => *k,
        };
        // The result's size, before anything is decoded: an object over the limit never is.
        let size = match (chain.first(), &start) {
            (Some(top), _) => self.result_size(top)?,
            (None, Start::Decoded(_, d, _)) => d.len() as u64,
            (None, Start::Whole { size, .. }) => *size,
        };
        if size > max_size || !matches!(kind, Kind::Blob | Kind::Commit) {
            return Ok(Found::TooLarge(kind, size));
        }
        let (mut data, mut hits) = match start {
            Start::Decoded(_, d, h) => (d, h),
            Start::Whole {
                pack,
                at,
                data_at,
                size,
                ..
            } => {
                let mut out = Vec::new();
                self.inflate(pack, data_at, size, &mut out)?;
                // A whole object a delta was made on: the next version is likely made on it too,
                // and its hits are what every version above it derives its own from.
                let hits = if chain.is_empty() {
                    None
                } else {
                    self.hits_of(kind, &out)
                };
                let d = Rc::new(out);
                if !chain.is_empty() || self.odb.keep_results {
                    self.keep(pack, at, kind, &d, &hits);
                }
                (d, hits)
            }
        };
        for (i, link) in chain.iter().enumerate().rev() {
            let mut delta = std::mem::take(&mut self.delta);
            self.inflate(link.pack, link.data_at, link.size, &mut delta)?;
            let mut out = Vec::new();
            let applied = entry::apply(&data, &delta, &mut out, &mut self.pieces);
            self.delta = delta;
            applied.ok_or("corrupt delta")?;
            hits = match (&hits, self.kw) {
                (Some(base), Some(kw)) if !crate::source::is_binary(&out) => {
                    Some(Rc::new(derive(kw, base, &self.pieces, &out)))
                }
                _ => None,
            };
            data = Rc::new(out);
            // Every object on the way is a base of the one above it, and likely of the next read.
            if i > 0 || self.odb.keep_results {
                self.keep(link.pack, link.at, kind, &data, &hits);
            }
        }
        if hits.is_none() {
            hits = self.hits_of(kind, &data);
        }
        Ok(Found::Object(kind, data, hits))
    }

    fn keep(
        &mut self,
        pack: usize,
        at: u64,
        kind: Kind,
        data: &Rc<Vec<u8>>,
        hits: &Option<Rc<Vec<Hit>>>,
    ) {
        self.cache.put(
            pack,
            at,
            Cached {
                kind,
                data: Rc::clone(data),
                hits: hits.clone(),
            },
        );
    }

    /// The size of the object a delta entry makes, from the first bytes of its instructions.
    fn result_size(&mut self, link: &Link) -> Result<u64, String> {
        let input = &self.odb.packs[link.pack].data[link.data_at..];
        self.z.reset(true);
        // Two base-128 sizes of at most 10 bytes each.
        let mut head = [0u8; 20];
        self.z
            .decompress(input, &mut head, FlushDecompress::None)
            .map_err(|e| e.to_string())?;
        let got = self.z.total_out() as usize;
        entry::sizes(&head[..got])
            .map(|(_, result, _)| result)
            .ok_or_else(|| "corrupt delta".to_string())
    }

    /// Inflates the `size` bytes of the zlib stream at `data_at` of `pack` into `out`.
    fn inflate(
        &mut self,
        pack: usize,
        data_at: usize,
        size: u64,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let input = self.odb.packs[pack]
            .data
            .get(data_at..)
            .ok_or("entry past the pack's end")?;
        let size = usize::try_from(size).map_err(|_| "entry too large")?;
        out.clear();
        // One byte more than promised, so a stream longer than its header says is caught.
        out.reserve_exact(size + 1);
        self.z.reset(true);
        let status = self
            .z
            .decompress_vec(input, out, FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        self.odb.count(self.z.total_in());
        if status != Status::StreamEnd || out.len() != size {
            return Err("corrupt pack entry".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
