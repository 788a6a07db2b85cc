//! The keyword pass: every byte of every file goes through here, so it is the one loop that decides
//! throughput.
//!
//! The case-folded keywords become an Aho-Corasick automaton built directly as a flat DFA table
//! with our own byte classes and match states numbered last, so one step is one table load and "did
//! anything match" is one comparison. The stepping is latency-bound (each state depends on the last),
//! so large inputs are split into five interleaved streams whose loads overlap in the CPU. A step
//! that lands in a match state records its keywords out of line; the test is a compare and a branch
//! predicted not taken.
//!
//! Measured on 277 MB of linux-6.1 `.c`/`.h` files in 64 KiB pieces with the built-in rules (919
//! keywords, 63 byte classes), one thread: 0.71 ns/byte with a row-major table of 32-bit ids and
//! four streams; 0.63 with the class taken off the dependency chain (a row pointer per byte, see
//! [`Keywords::find_in`]); 0.60 with the table class-major and states numbered breadth first, five
//! streams; 0.52 with 16-bit ids. Tried and slower: classes looked up in a pass of their own before
//! stepping (0.75), six or eight streams (0.55, 0.79: the stream pointers no longer fit in
//! registers). Sixteen-lane AVX-512 gathers step at 0.42 ns/byte on their own, too little ahead
//! to pay for the transposes they need.
//!
//! Until 2026-12 each 64-byte block ORed its states together and a block that had reached a match
//! state was stepped again to say where; branching on the state instead does without the second
//! pass: 0.587 → 0.555 ns/byte (medians of 12 interleaved runs, 120 MB of linux-6.1 `.c`/`.h`,
//! 936 keywords). A step was three loads (the byte, its class's row, the next state); with every
//! state in the start row (text of bytes no keyword has, so no cache miss at all) it still took
//! 0.49 ns/byte against 0.53–0.56 on the source: the loads, not the misses, are the limit. Taking
//! the bytes eight at a time from one load (shifted out of the word): medians 0.790 → 0.737 and
//! 0.800 → 0.766 ns/byte in two sets of 16 interleaved runs on a slower afternoon (five streams;
//! four and six no better, three, seven and eight slower); on the whole linux-6.1 scan, user time
//! 1.376 → 1.333 s.
//!
//! Measured that day and slower than this table (0.51–0.59 ns/byte): a hash of each keyword's
//! rarest 4-gram tested at every position as a filter before verifying: 1.6 scalar, 0.95–1.16
//! with AVX2 gathers, 1.12 with AVX-512 gathers (Zen 4 gathers are slow; the filter alone, before
//! verifying its 0.9% candidates); a table indexed by byte rather than by class (0.60–0.68: twice
//! the rows for letters in two cases); six to ten streams at fixed offsets (0.58–0.94); the
//! automaton cut to each keyword's first 6, 8, 10 or 12 bytes, the rest verified (no faster: the
//! table's size is not what costs); and keywords cut to the suffix from their rarest byte (1.5:
//! their hits are thirty times as many).

use anyhow::Result;

/// A keyword occurrence: `pattern` indexes the keyword list given to [`Keywords::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub pattern: u32,
}

pub(crate) struct Keywords {
    class: [u8; 256],
    /// Transitions, class-major: the next state from `sid` on a byte of class `c` is at
    /// `c * stride + sid`, so the states text visits most (the shallow ones, numbered first,
    /// breadth first) sit together at the start of each class's row.
    table: Table,
    stride: usize,
    start: u32,
    /// State ids at or above this are match states; every plain state's id is below it.
    first_match: u32,
    /// For each match state (by `id - first_match`): (pattern, length) pairs.
    matches: Vec<Vec<(u32, u32)>>,
    /// Bytes a stream must re-read before its own part to be in the right state there.
    overlap: usize,
}

/// The transition table: 16-bit ids when every id fits (half the cache footprint of 32-bit ones:
/// 0.60 → 0.52 ns/byte on linux source with the built-in rules), 32-bit ones otherwise.
enum Table {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// A state id as the table stores it.
trait Id: Copy {
    const ZERO: Self;
    fn id(self) -> u32;
    /// `id` as stored; it fits (the width is chosen by the largest id).
    fn of(id: u32) -> Self;
}

impl Id for u16 {
    const ZERO: u16 = 0;
    #[inline(always)]
    fn id(self) -> u32 {
        self as u32
    }
    fn of(id: u32) -> u16 {
        id as u16
    }
}

impl Id for u32 {
    const ZERO: u32 = 0;
    #[inline(always)]
    fn id(self) -> u32 {
        self
    }
    fn of(id: u32) -> u32 {
        id
    }
}

/// The transitions, class-major (see [`Keywords::table`]), written once at their final width.
fn transitions<T: Id>(goto: &[u32], new_id: &[u32], nclass: usize, stride: usize) -> Vec<T> {
    let mut table = vec![T::ZERO; nclass * stride];
    for (k, &id) in new_id.iter().enumerate() {
        for c in 0..nclass {
            table[c * stride + id as usize] = T::of(new_id[goto[k * nclass + c] as usize]);
        }
    }
    table
}

/// Bytes each stream steps between bounds checks; a multiple of 8 (one word per load).
const BLOCK: usize = 64;
const STREAMS: usize = 5;
/// Bytes of source code and text, most frequent first (case-folded; counted on the linux tree). The
/// classes are numbered in this order, so the rows of the bytes text has most lie next to each
/// other: a small gain, 0.518–0.526 ns/byte against 0.522–0.550 numbered by byte value.
const FREQUENT: &[u8] =
    b" et_sr\tina\ncodlpufm),(;hkbgv*-=0>xwy1.2/{}\"&8q63#4:5z<[]!+|97%j\\@'~?^`";

impl Keywords {
    /// `keywords` are matched ASCII-case-insensitively, overlapping (every keyword at every place).
    pub(crate) fn new(keywords: &[String]) -> Result<Keywords> {
        // Our byte classes: one per distinct case-folded keyword byte, one (0) for everything else.
        let mut used = [false; 256];
        for b in keywords.iter().flat_map(|k| k.bytes()) {
            used[b.to_ascii_lowercase() as usize] = true;
        }
        let mut order: Vec<u8> = (0..=255u8).filter(|&b| used[b as usize]).collect();
        order.sort_by_key(|&b| {
            FREQUENT
                .iter()
                .position(|&f| f == b)
                .unwrap_or(FREQUENT.len() + b as usize)
        });
        anyhow::ensure!(order.len() < 256, "too many distinct keyword bytes");
        let mut class = [0u8; 256];
        for (i, &f) in order.iter().enumerate() {
            class[f as usize] = i as u8 + 1;
        }
        let nclass = order.len() + 1;
        for b in 0..=255u8 {
            class[b as usize] = class[b.to_ascii_lowercase() as usize];
        }
        // Aho-Corasick built directly as a DFA: a trie over the classes, then, breadth first, every
        // missing transition copied from the failure state's row (already complete, being shallower).
        // This is one table write per state and class, where stepping a generic automaton from every
        // state on every class (what building through a library costs) took most of the start-up of a
        // one-file scan with 700 keywords.
        const NONE: u32 = u32::MAX;
        let mut goto: Vec<u32> = vec![NONE; nclass];
        let mut outputs: Vec<Vec<(u32, u32)>> = vec![Vec::new()];
        for (p, kw) in keywords.iter().enumerate() {
            anyhow::ensure!(!kw.is_empty(), "empty keyword");
            let mut s = 0usize;
            for b in kw.bytes() {
                let at = s * nclass + class[b as usize] as usize;
                if goto[at] == NONE {
                    goto[at] = outputs.len() as u32;
                    outputs.push(Vec::new());
                    goto.resize(goto.len() + nclass, NONE);
                }
                s = goto[at] as usize;
            }
            outputs[s].push((p as u32, kw.len() as u32));
        }
        let n = outputs.len();
        let mut fail = vec![0u32; n];
        let mut bfs = Vec::with_capacity(n);
        bfs.push(0usize);
        let mut queue = std::collections::VecDeque::with_capacity(n);
        for t in goto.iter_mut().take(nclass) {
            match *t {
                NONE => *t = 0,
                child => queue.push_back(child),
            }
        }
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
            bfs.push(s);
            let f = fail[s] as usize;
            if !outputs[f].is_empty() {
                let inherited = outputs[f].clone();
                outputs[s].extend(inherited);
            }
            for c in 0..nclass {
                let via_fail = goto[f * nclass + c];
                match goto[s * nclass + c] {
                    NONE => goto[s * nclass + c] = via_fail,
                    t => {
                        fail[t as usize] = via_fail;
                        queue.push_back(t);
                    }
                }
            }
        }
        // Renumber, breadth first: plain states from 0 (the start state), then the match states, so
        // "is this a match state" is one comparison with `first_match`.
        let n_plain = outputs.iter().filter(|o| o.is_empty()).count();
        let stride = n;
        anyhow::ensure!(
            nclass * stride <= u32::MAX as usize,
            "too many keywords for the keyword table"
        );
        let mut new_id = vec![0u32; n];
        let (mut plain, mut matching) = (0usize, n_plain);
        for &k in &bfs {
            if outputs[k].is_empty() {
                new_id[k] = plain as u32;
                plain += 1;
            } else {
                new_id[k] = matching as u32;
                matching += 1;
            }
        }
        let table = if stride <= 1 << 16 {
            Table::Narrow(transitions(&goto, &new_id, nclass, stride))
        } else {
            Table::Wide(transitions(&goto, &new_id, nclass, stride))
        };
        let mut matches = vec![Vec::new(); n - n_plain];
        for (k, out) in outputs.into_iter().enumerate() {
            if let Some(m) = (new_id[k] as usize).checked_sub(n_plain) {
                matches[m] = out;
            }
        }
        let overlap = keywords.iter().map(|k| k.len()).max().unwrap_or(1);
        Ok(Keywords {
            class,
            table,
            stride,
            start: new_id[0],
            first_match: n_plain as u32,
            matches,
            overlap,
        })
    }

    /// The length of the longest keyword.
    pub(crate) fn max_len(&self) -> usize {
        self.overlap
    }

    /// A byte no keyword has: stepping over it returns to the start state, so no hit spans it, and
    /// stretches of text joined by it are searched in one pass as if searched one by one.
    pub(crate) fn separator(&self) -> Option<u8> {
        (0..=255u8).rev().find(|&b| self.class[b as usize] == 0)
    }

    #[inline(always)]
    fn step<T: Id>(&self, table: &[T], sid: u32, b: u8) -> u32 {
        // SAFETY: `class` has 256 entries, every class is < nclass and every id in the table is <
        // stride, so the index is < nclass * stride = table.len() by construction.
        unsafe {
            table
                .get_unchecked(
                    *self.class.get_unchecked(b as usize) as usize * self.stride + sid as usize,
                )
                .id()
        }
    }

    /// Steps `data[from..to]` from `sid`, recording hits that end after `min_end`; returns the state.
    #[allow(clippy::too_many_arguments)]
    fn exact<T: Id>(
        &self,
        table: &[T],
        data: &[u8],
        from: usize,
        to: usize,
        mut sid: u32,
        min_end: usize,
        out: &mut Vec<Hit>,
    ) -> u32 {
        for (p, &b) in data[from..to].iter().enumerate() {
            sid = self.step(table, sid, b);
            if sid >= self.first_match {
                self.hits(sid, from + p + 1, min_end, out);
            }
        }
        sid
    }

    /// Records the keywords match state `sid` stands for, ending at `end`, unless `end` is not
    /// after `min_end` (a stream's warm-up, which the stream before it reported). Out of line and
    /// cold: hits are rare (one per 3.5 KB of linux source), the loops that call it are not.
    #[cold]
    #[inline(never)]
    fn hits(&self, sid: u32, end: usize, min_end: usize, out: &mut Vec<Hit>) {
        if end <= min_end {
            return;
        }
        for &(pattern, len) in &self.matches[(sid - self.first_match) as usize] {
            out.push(Hit {
                start: end - len as usize,
                end,
                pattern,
            });
        }
    }

    /// Every keyword occurrence in `data`, appended to `out` (in no particular order).
    pub(crate) fn find(&self, data: &[u8], out: &mut Vec<Hit>) {
        match &self.table {
            Table::Narrow(t) => self.find_in::<u16, STREAMS>(t, data, out),
            Table::Wide(t) => self.find_in::<u32, STREAMS>(t, data, out),
        }
    }

    /// Out of line, as it was measured (0.514–0.520 ns/byte; inlined into `find`, the same).
    #[inline(never)]
    fn find_in<T: Id, const N: usize>(&self, table: &[T], data: &[u8], out: &mut Vec<Hit>) {
        let n = data.len();
        if n < N * BLOCK * 2 {
            self.exact(table, data, 0, n, self.start, 0, out);
            return;
        }
        let part = n / N;
        // The row of each byte's class, as a pointer: the step's address is then this pointer plus
        // the state, one load whose only input on the dependency chain is the state (with the class
        // added to the state as an index, that add sat on the chain: 11% slower on linux source).
        let base = table.as_ptr();
        // SAFETY: class * stride is within the table (see `step`).
        let rows: [*const T; 256] =
            std::array::from_fn(|b| unsafe { base.add(self.class[b] as usize * self.stride) });
        // Stream s reports hits ending in (lo[s], hi[s]] and starts `overlap` bytes early so its state
        // is right by lo[s].
        let lo: [usize; N] = std::array::from_fn(|s| s * part);
        let hi: [usize; N] = std::array::from_fn(|s| if s == N - 1 { n } else { (s + 1) * part });
        let mut pos: [usize; N] =
            std::array::from_fn(|s| lo[s].saturating_sub(if s == 0 { 0 } else { self.overlap }));
        // Ids as usize in the loop: an index needs no widening copy.
        let mut sid = [self.start as usize; N];
        let first_match = self.first_match as usize;
        loop {
            if (0..N).any(|s| pos[s] + BLOCK > hi[s]) {
                break;
            }
            // SAFETY: pos[s] + BLOCK <= hi[s] <= n was checked above.
            let at: [*const u8; N] = std::array::from_fn(|s| unsafe { data.as_ptr().add(pos[s]) });
            for i in (0..BLOCK).step_by(8) {
                // Eight bytes per load, taken from the word by shifts: the step's loads are then
                // the row and the table only (see the module doc).
                // SAFETY: i + 8 <= BLOCK (BLOCK is a multiple of 8; see `at`).
                let mut word: [u64; N] = std::array::from_fn(|s| unsafe {
                    u64::from_le(at[s].add(i).cast::<u64>().read_unaligned())
                });
                for j in 0..8 {
                    for s in 0..N {
                        let b = (word[s] & 0xff) as usize;
                        word[s] >>= 8;
                        // SAFETY: a row plus any id is in the table (see `step`).
                        unsafe {
                            sid[s] = (*rows.get_unchecked(b).add(sid[s])).id() as usize;
                        }
                        if sid[s] >= first_match {
                            let lo_end = if s == 0 { 0 } else { lo[s] };
                            self.hits(sid[s] as u32, pos[s] + i + j + 1, lo_end, out);
                        }
                    }
                }
            }
            for p in pos.iter_mut() {
                *p += BLOCK;
            }
        }
        for s in 0..N {
            let lo_end = if s == 0 { 0 } else { lo[s] };
            self.exact(table, data, pos[s], hi[s], sid[s] as u32, lo_end, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(kws: &[String], data: &[u8]) -> Vec<Hit> {
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(kws)
            .unwrap();
        let mut v: Vec<Hit> = ac
            .find_overlapping_iter(data)
            .map(|m| Hit {
                start: m.start(),
                end: m.end(),
                pattern: m.pattern().as_u32(),
            })
            .collect();
        v.sort_by_key(|h| (h.end, h.pattern));
        v
    }

    /// Text with `kws` (case varied) among random bytes of `filler`, `len` bytes long.
    fn text(kws: &[String], filler: &[u8], len: usize, seed: u64) -> Vec<u8> {
        let mut data = Vec::with_capacity(len + 64);
        let mut x = seed;
        while data.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x % 7 == 0 {
                let k = kws[(x >> 8) as usize % kws.len()].as_bytes();
                let upper = x & (1 << 40) != 0;
                data.extend(
                    k.iter()
                        .map(|b| if upper { b.to_ascii_uppercase() } else { *b }),
                );
            } else {
                data.push(filler[(x >> 8) as usize % filler.len()]);
            }
        }
        data.truncate(len);
        data
    }

    fn same_as_reference(k: &Keywords, kws: &[String], data: &[u8], lens: &[usize]) {
        for &len in lens {
            let d = &data[..len.min(data.len())];
            let mut got = Vec::new();
            k.find(d, &mut got);
            got.sort_by_key(|h| (h.end, h.pattern));
            assert_eq!(got, reference(kws, d), "len {len}");
        }
    }

    /// Input lengths around every size where the search changes shape: one stream below
    /// `STREAMS * BLOCK * 2`, then stream and block boundaries.
    fn lengths() -> Vec<usize> {
        let one = STREAMS * BLOCK * 2;
        let mut v = vec![
            0,
            1,
            5,
            100,
            one - 1,
            one,
            one + 1,
            4095,
            4096,
            4097,
            20_000,
            200_000,
        ];
        v.extend((1..=3).map(|k| k * STREAMS * BLOCK + k));
        v
    }

    #[test]
    fn interleaved_search_finds_exactly_what_aho_corasick_finds() {
        let kws: Vec<String> = [
            "ghp_",
            "password",
            "pass",
            "AKIA",
            "begin rsa private key",
            "sk-",
            "://",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let k = Keywords::new(&kws).unwrap();
        assert!(matches!(k.table, Table::Narrow(_)));
        // Keywords straddle every stream and block boundary.
        let data = text(&kws, b"abcdefgh sk-_:/\n", 200_000, 7);
        same_as_reference(&k, &kws, &data, &lengths());
    }

    #[test]
    fn more_match_states_than_plain_ones_are_all_seen() {
        // Every state but the start is a match: the match ids must still all sit at or above
        // `first_match` (they once did only while plain states outnumbered them).
        // Each keyword alone in its text, so no other match state can stand in for it.
        let kws: Vec<String> = (b'a'..=b'z').map(|b| (b as char).to_string()).collect();
        let k = Keywords::new(&kws).unwrap();
        for kw in &kws {
            let data = text(std::slice::from_ref(kw), b" .,;0123456789", 5_000, 11);
            same_as_reference(&k, &kws, &data, &[5_000]);
        }
    }

    #[test]
    fn a_keyword_set_too_large_for_16_bit_ids_uses_32_bit_ones() {
        // About 72,000 states: more than 16-bit ids can number.
        let mut x: u64 = 5;
        let kws: Vec<String> = (0..11_000)
            .map(|_| {
                (0..9)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (b'a' + (x % 20) as u8) as char
                    })
                    .collect()
            })
            .collect();
        let k = Keywords::new(&kws).unwrap();
        assert!(matches!(k.table, Table::Wide(_)), "stride {}", k.stride);
        let data = text(&kws, b"abcdefghij \n", 100_000, 3);
        same_as_reference(&k, &kws, &data, &[0, 700, 4097, 100_000]);
    }
}
