//! What a rule found in a window, remembered by the window's bytes. A history holds every version
//! of a file, and most of a version's lines are its predecessor's: the same rule meets the same
//! window again and again, and its regex (the lazy DFA, the capture search, the gates after it) gives
//! the same answer each time (redis history: 98% of 2.3M windows seen before). Looking a window up
//! costs a hash and a compare of its bytes; keeping one costs copies, so where windows rarely repeat
//! (a source tree: 25%) the memo costs more than it saves, and a thread stops using it for a while
//! when too few of its recent windows were found.
//!
//! The answer depends only on the bytes compared: the window itself (the regex sees nothing
//! outside it) and the three bytes before it (where a match may start: `at_identifier_start`).
//! Entries are compared byte for byte, so a hash collision is a miss, never a wrong answer.

use std::cell::RefCell;
use std::hash::BuildHasher;
use std::num::NonZeroUsize;

use lru::LruCache;

/// Windows longer than this are searched every time: long windows (key blocks, multi-line rules)
/// repeat less and would crowd the cache.
pub(crate) const MAX_WINDOW: usize = 1024;
/// Entries per thread: at most `MAX_WINDOW` bytes each, so a few MiB per thread.
const ENTRIES: usize = 8192;
/// Lookups per verdict on whether the memo pays.
const EPOCH: u32 = 1024;
/// The share of an epoch's lookups that must be found for the memo to stay on (a found window saves
/// about half of what a missed one costs on top of its search: measured on redis and linux-6.1).
const MIN_FOUND_PER_1024: u32 = 768;
/// Windows searched without the memo after an epoch that did not pay, before it is tried again.
const PAUSE: u32 = 15 * EPOCH;

/// One regex match in a window, relative to the window's start: the secret's span, and what the
/// gates after the regex decided (None: not a finding, but its span still counts as seen).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub start: u32,
    pub end: u32,
    /// (entropy, vetoed by a failed checksum) for a match that passed the gates.
    pub kept: Option<(f64, bool)>,
}

struct Entry {
    engine: u64,
    rule: usize,
    back: usize,
    bytes: Box<[u8]>,
    found: Vec<Found>,
}

/// One thread's memo and its bookkeeping.
struct Memo {
    cache: LruCache<u64, Entry>,
    lookups: u32,
    found: u32,
    /// Windows still to search without the memo.
    paused: u32,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        cache: LruCache::new(NonZeroUsize::new(ENTRIES).expect("> 0")),
        lookups: 0,
        found: 0,
        paused: 0,
    });
}

/// Hands `use_found` the matches of rule `rule` of engine `engine` in the window that is `bytes`
/// minus its first `back` bytes: from the memo, or from `search` (whose answer is then kept).
pub(crate) fn with_found(
    engine: u64,
    rule: usize,
    back: usize,
    bytes: &[u8],
    search: impl FnOnce() -> Vec<Found>,
    mut use_found: impl FnMut(&[Found]),
) {
    let mut key = 0;
    let done = MEMO.with_borrow_mut(|m| {
        if m.paused > 0 {
            m.paused -= 1;
            return None;
        }
        key = foldhash::fast::FixedState::with_seed(0).hash_one((engine, rule, back, bytes));
        m.lookups += 1;
        let hit = match m.cache.get(&key) {
            Some(e)
                if e.engine == engine && e.rule == rule && e.back == back && *e.bytes == *bytes =>
            {
                use_found(&e.found);
                true
            }
            _ => false,
        };
        m.found += u32::from(hit);
        if m.lookups == EPOCH {
            if m.found < MIN_FOUND_PER_1024 {
                m.paused = PAUSE;
            }
            (m.lookups, m.found) = (0, 0);
        }
        Some(hit)
    });
    if done == Some(true) {
        return;
    }
    let found = search();
    use_found(&found);
    if done.is_some() {
        MEMO.with_borrow_mut(|m| {
            m.cache.put(
                key,
                Entry {
                    engine,
                    rule,
                    back,
                    bytes: bytes.into(),
                    found,
                },
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(start: u32) -> Vec<Found> {
        vec![Found {
            start,
            end: start + 4,
            kept: Some((3.5, false)),
        }]
    }

    fn starts(
        engine: u64,
        back: usize,
        bytes: &[u8],
        search: impl FnOnce() -> Vec<Found>,
    ) -> Vec<u32> {
        let mut got = Vec::new();
        with_found(engine, 0, back, bytes, search, |f| {
            got = f.iter().map(|f| f.start).collect()
        });
        got
    }

    #[test]
    fn a_window_seen_again_is_answered_from_the_memo_and_only_an_identical_one() {
        // A fresh engine id keeps this test's entries apart from any other on the thread.
        let engine = u64::MAX - 1;
        assert_eq!(starts(engine, 1, b" token = abcd1234", || one(9)), vec![9]);
        assert_eq!(
            starts(engine, 1, b" token = abcd1234", || panic!("searched again")),
            vec![9]
        );
        // The same window after another byte, or one byte longer, is searched.
        assert_eq!(starts(engine, 1, b"-token = abcd1234", || one(3)), vec![3]);
        assert!(starts(engine, 1, b" token = abcd12345", Vec::new).is_empty());
        assert_eq!(starts(engine, 0, b" token = abcd1234", || one(1)), vec![1]);
    }

    #[test]
    fn windows_that_never_repeat_pause_the_memo() {
        let engine = u64::MAX - 2;
        for i in 0..EPOCH {
            let w = format!("window {i}");
            assert_eq!(starts(engine, 0, w.as_bytes(), || one(i)), vec![i]);
        }
        // The epoch found nothing: the next window is searched even though it was just kept.
        let last = format!("window {}", EPOCH - 1);
        assert_eq!(starts(engine, 0, last.as_bytes(), || one(7)), vec![7]);
        MEMO.with_borrow(|m| assert_eq!(m.paused, PAUSE - 1));
    }
}
