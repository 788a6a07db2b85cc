//! The keyword pass: every byte of every file goes through here, so it is the one loop that decides
//! throughput.
//!
//! The case-folded keywords become an Aho-Corasick automaton built directly as a flat DFA table
//! with our own byte classes and match states numbered last, so one step is one table load and "did
//! anything match" is one comparison. The stepping is latency-bound (each state depends on the last),
//! so large inputs are split into four interleaved streams whose loads overlap in the CPU, and each
//! block of bytes is stepped without branches; only a block that reached a match state is stepped
//! again slowly to say which keywords matched where. On source code this is ~3x faster than the
//! crate's own overlapping search, which in turn is what a 1 GB tree spends most of its time in.

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
    nclass: usize,
    /// Transitions, indexed by a premultiplied state id plus a byte class.
    table: Vec<u32>,
    start: u32,
    /// State ids at or above this are match states; it is a power of two that no other id reaches.
    first_match: u32,
    /// For each match state (by `(id - first_match) / nclass`): (pattern, length) pairs.
    matches: Vec<Vec<(u32, u32)>>,
    /// Bytes a stream must re-read before its own part to be in the right state there.
    overlap: usize,
}

const BLOCK: usize = 128;
const STREAMS: usize = 4;

impl Keywords {
    /// `keywords` are matched ASCII-case-insensitively, overlapping (every keyword at every place).
    pub(crate) fn new(keywords: &[String]) -> Result<Keywords> {
        // Our byte classes: one per distinct case-folded keyword byte, one for everything else.
        let mut class = [0u8; 256];
        let mut nclass = 1usize;
        for b in keywords.iter().flat_map(|k| k.bytes()) {
            let f = b.to_ascii_lowercase();
            if class[f as usize] == 0 {
                anyhow::ensure!(nclass < 256, "too many distinct keyword bytes");
                class[f as usize] = nclass as u8;
                nclass += 1;
            }
        }
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
        let mut queue = std::collections::VecDeque::with_capacity(n);
        for t in goto.iter_mut().take(nclass) {
            match *t {
                NONE => *t = 0,
                child => queue.push_back(child),
            }
        }
        while let Some(s) = queue.pop_front() {
            let s = s as usize;
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
        // Renumber: match states last, ids premultiplied by the class count. Match states start at a
        // power of two above every other id, so "a block reached a match state" is one OR per byte
        // and one bit test per block; the rows between are never used.
        let mut rank: Vec<usize> = (0..n).collect();
        rank.sort_by_key(|&k| !outputs[k].is_empty());
        let n_plain = outputs.iter().filter(|o| o.is_empty()).count();
        let match_bit = (n_plain * nclass).next_power_of_two().max(1);
        let row = |pos: usize| {
            if pos < n_plain {
                pos * nclass
            } else {
                match_bit + (pos - n_plain) * nclass
            }
        };
        anyhow::ensure!(
            row(n) <= u32::MAX as usize,
            "too many keywords for the keyword table"
        );
        let mut new_id = vec![0u32; n];
        for (pos, &k) in rank.iter().enumerate() {
            new_id[k] = row(pos) as u32;
        }
        let mut table = vec![0u32; row(n)];
        let mut matches = Vec::new();
        for (pos, &k) in rank.iter().enumerate() {
            let at = row(pos);
            for c in 0..nclass {
                table[at + c] = new_id[goto[k * nclass + c] as usize];
            }
            if !outputs[k].is_empty() {
                matches.push(std::mem::take(&mut outputs[k]));
            }
        }
        let overlap = keywords.iter().map(|k| k.len()).max().unwrap_or(1);
        Ok(Keywords {
            class,
            nclass,
            table,
            start: new_id[0],
            first_match: match_bit as u32,
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
    fn step(&self, sid: u32, b: u8) -> u32 {
        // SAFETY: `class` has 256 entries; every table entry is a premultiplied state id of a row of
        // `nclass` entries and every class is < nclass, so the index is in bounds by construction.
        unsafe {
            *self
                .table
                .get_unchecked(sid as usize + *self.class.get_unchecked(b as usize) as usize)
        }
    }

    /// Steps `data[from..to]` from `sid`, recording hits that end after `min_end`; returns the state.
    fn exact(
        &self,
        data: &[u8],
        from: usize,
        to: usize,
        mut sid: u32,
        min_end: usize,
        out: &mut Vec<Hit>,
    ) -> u32 {
        for (p, &b) in data[from..to].iter().enumerate() {
            sid = self.step(sid, b);
            if sid >= self.first_match {
                let end = from + p + 1;
                if end > min_end {
                    for &(pattern, len) in
                        &self.matches[(sid - self.first_match) as usize / self.nclass]
                    {
                        out.push(Hit {
                            start: end - len as usize,
                            end,
                            pattern,
                        });
                    }
                }
            }
        }
        sid
    }

    /// Every keyword occurrence in `data`, appended to `out` (in no particular order).
    pub(crate) fn find(&self, data: &[u8], out: &mut Vec<Hit>) {
        let n = data.len();
        if n < STREAMS * BLOCK * 2 {
            return self.find_streams::<1>(data, out);
        }
        self.find_streams::<STREAMS>(data, out)
    }

    fn find_streams<const N: usize>(&self, data: &[u8], out: &mut Vec<Hit>) {
        let n = data.len();
        let part = n / N;
        // Stream s reports hits ending in (lo[s], hi[s]] and starts `overlap` bytes early so its state
        // is right by lo[s].
        let lo: [usize; N] = std::array::from_fn(|s| s * part);
        let hi: [usize; N] = std::array::from_fn(|s| if s == N - 1 { n } else { (s + 1) * part });
        let mut pos: [usize; N] =
            std::array::from_fn(|s| lo[s].saturating_sub(if s == 0 { 0 } else { self.overlap }));
        let mut sid = [self.start; N];
        loop {
            if (0..N).any(|s| pos[s] + BLOCK > hi[s]) {
                break;
            }
            let before = sid;
            let mut seen = [0u32; N];
            for i in 0..BLOCK {
                for s in 0..N {
                    // SAFETY: pos[s] + BLOCK <= hi[s] <= n was checked above.
                    let b = unsafe { *data.get_unchecked(pos[s] + i) };
                    sid[s] = self.step(sid[s], b);
                    seen[s] |= sid[s];
                }
            }
            for s in 0..N {
                if seen[s] & self.first_match != 0 {
                    let lo_end = if s == 0 { 0 } else { lo[s] };
                    self.exact(data, pos[s], pos[s] + BLOCK, before[s], lo_end, out);
                }
                pos[s] += BLOCK;
            }
        }
        for s in 0..N {
            let lo_end = if s == 0 { 0 } else { lo[s] };
            self.exact(data, pos[s], hi[s], sid[s], lo_end, out);
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
        // Large enough for four streams, with keywords straddling every stream and block boundary.
        let mut data = Vec::new();
        let mut x: u64 = 7;
        while data.len() < 200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 11 {
                0 => data.extend_from_slice(b"PassWord"),
                1 => data.extend_from_slice(b"ghp_"),
                2 => data.extend_from_slice(b"-----BEGIN RSA PRIVATE KEY-----"),
                3 => data.extend_from_slice(b"http://"),
                4 => data.extend_from_slice(b"akia"),
                _ => data.push(b"abcdefgh sk-_:/\n"[(x >> 8) as usize % 16]),
            }
        }
        for len in [
            0, 1, 5, 100, 1023, 1024, 1025, 4095, 4096, 4097, 20_000, 200_000,
        ] {
            let d = &data[..len.min(data.len())];
            let mut got = Vec::new();
            k.find(d, &mut got);
            got.sort_by_key(|h| (h.end, h.pattern));
            assert_eq!(got, reference(&kws, d), "len {len}");
        }
    }
}
