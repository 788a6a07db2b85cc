//! One thread's reader of an [`Odb`]: finds an object, walks its delta chain down to a whole
//! object or one it already holds, and applies the deltas back up, keeping every object on the way
//! (and, given the keyword pass, each text blob's keyword hits, derived along the chain).

use std::rc::Rc;

use flate2::{Decompress, FlushDecompress, Status};

use super::cache::{Cached, DeltaCache};
use super::entry::{self, Base, Entry, Kind};
use super::{loose, Found, Odb, Place, MAX_CHAIN, MAX_OBJECT};
use crate::engine::derive::{derive, sorted_hits, Piece};
use crate::engine::keywords::{Hit, Keywords};

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
    pub(super) cache: DeltaCache,
    z: Decompress,
    /// The current delta's instructions, reused.
    delta: Vec<u8>,
    /// Where the parts of the current delta's result come from, reused.
    pieces: Vec<Piece>,
    /// The keyword pass whose hits each blob is read with.
    kw: Option<&'a Keywords>,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(odb: &'a Odb) -> Cursor<'a> {
        Cursor {
            odb,
            cache: DeltaCache::new(odb.cache_bytes),
            z: Decompress::new(true),
            delta: Vec::new(),
            pieces: Vec::new(),
            kw: None,
        }
    }

    /// The same cursor with a delta cache of at most `bytes` (the store's own size: see
    /// `DELTA_CACHE_MIB`).
    pub(crate) fn with_cache(mut self, bytes: usize) -> Cursor<'a> {
        self.cache = DeltaCache::new(bytes);
        self
    }

    /// The same cursor giving each text blob's keyword hits (sorted), derived from its delta base's
    /// where it has one ([`derive`]): the keyword pass then reads only what a version changed.
    pub(crate) fn with_keywords(mut self, kw: Option<&'a Keywords>) -> Cursor<'a> {
        self.kw = kw;
        self
    }

    /// Where the base of a delta entry of pack `p` is; Err when the store lacks it.
    fn base_place(&self, p: usize, base: Base) -> Result<Place, String> {
        match base {
            Base::Offset(o) => Ok(Place::Packed(p, o)),
            Base::Id(id) => self
                .odb
                .locate(&id)
                .ok_or_else(|| "delta base missing".into()),
        }
    }

    /// A text blob's keyword hits, found by a whole pass.
    fn hits_of(&self, kind: Kind, data: &[u8]) -> Option<Rc<Vec<Hit>>> {
        let kw = self.kw?;
        (kind == Kind::Blob && !crate::source::is_binary(data))
            .then(|| Rc::new(sorted_hits(kw, data)))
    }

    /// Reads the object with id `oid` (hex), or only its kind and size when it is over `max_size`.
    pub(crate) fn read(&mut self, oid: &str, max_size: u64) -> Found {
        match self.odb.id_of(oid) {
            Some(id) => self.read_id(&id, max_size),
            None => Found::Elsewhere,
        }
    }

    /// [`Cursor::read`] by the id's bytes.
    pub(crate) fn read_id(&mut self, id: &[u8], max_size: u64) -> Found {
        if id.len() != self.odb.hash_len {
            return Found::Elsewhere;
        }
        match self.odb.locate(id) {
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
        let id = self.odb.id_of(oid)?;
        let (mut p, mut off) = match self.odb.locate(&id)? {
            Place::Packed(p, off) => (p, off),
            Place::Loose(path) => return loose::read(&path, 0, &mut self.z).ok().map(|l| l.kind),
        };
        for _ in 0..=MAX_CHAIN {
            match self.odb.header_only(p, off).ok()?.entry {
                Entry::Whole(kind, _) => return Some(kind),
                Entry::Delta(base, _) => match self.base_place(p, base).ok()? {
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
            let h = self.odb.header_at(p, off)?;
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
                    match self.base_place(p, base)? {
                        Place::Packed(bp, bo) => (p, off) = (bp, bo),
                        Place::Loose(path) => {
                            let l = loose::read(&path, u64::MAX, &mut self.z)?;
                            let data = l.data.ok_or("loose base not read")?;
                            break Start::Decoded(l.kind, Rc::new(data), None);
                        }
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
        if size > max_size || !matches!(kind, Kind::Blob | Kind::Commit | Kind::Tree) {
            return Ok(Found::TooLarge(kind, size));
        }
        let (mut data, mut hits) = match start {
            // Hits the cache lacks (a loose base) are found once, here, so the chain derives its
            // own from them.
            Start::Decoded(_, d, None) if !chain.is_empty() => {
                let h = self.hits_of(kind, &d);
                (d, h)
            }
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
                // Found before it is kept: the versions made on it derive their hits from these,
                // even when it is read first on its own (as it is in family order).
                let hits = self.hits_of(kind, &out);
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
        if size > MAX_OBJECT {
            return Err("pack entry over the in-process size limit".into());
        }
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
