//! One reading thread's cache of decoded pack entries, by pack and offset, least recently used out
//! first, bounded by the bytes it holds. Every object a delta chain passes through is kept, as git's
//! own delta-base cache does: the next version of the same file is usually one delta away from one
//! of them. Entries are shared, never copied: the cache and the reader hold the same buffer.

use std::rc::Rc;

use lru::LruCache;

use super::entry::Kind;
use super::entry_key;
use crate::engine::keywords::Hit;

/// A decoded object held by the cache, with its keyword hits when they were found.
#[derive(Clone)]
pub(super) struct Cached {
    pub kind: Kind,
    pub data: Rc<Vec<u8>>,
    pub hits: Option<Rc<Vec<Hit>>>,
}

impl Cached {
    /// The bytes it holds.
    fn bytes(&self) -> usize {
        self.data.len()
            + self
                .hits
                .as_ref()
                .map_or(0, |h| h.len() * std::mem::size_of::<Hit>())
    }
}

pub(super) struct DeltaCache {
    map: LruCache<u64, Cached>,
    held: usize,
    budget: usize,
}

impl DeltaCache {
    /// A cache of at most `budget` bytes of content.
    pub(super) fn new(budget: usize) -> DeltaCache {
        DeltaCache {
            map: LruCache::unbounded(),
            held: 0,
            budget,
        }
    }

    /// The decoded entry at `offset` of pack `pack`, if held.
    pub(super) fn get(&mut self, pack: usize, offset: u64) -> Option<Cached> {
        self.map.get(&entry_key(pack, offset)?).cloned()
    }

    /// Keeps a decoded entry, dropping the least recently used ones past the budget. An object larger
    /// than half the budget is not kept: it would push out everything else for one use.
    pub(super) fn put(&mut self, pack: usize, offset: u64, entry: Cached) {
        let n = entry.bytes();
        // Offsets stay below 2^48 (256 TiB packs) and pack numbers below 2^16, or are not kept.
        let Some(key) = entry_key(pack, offset).filter(|_| n <= self.budget / 2) else {
            return;
        };
        if let Some(old) = self.map.put(key, entry) {
            self.held -= old.bytes();
        }
        self.held += n;
        while self.held > self.budget {
            match self.map.pop_lru() {
                Some((_, old)) => self.held -= old.bytes(),
                None => break,
            }
        }
    }
}
