//! Keyword hits of content pieced together from another content's bytes (a git delta: copies from
//! its base and new bytes), from the base's hits, without passing over the copied bytes again.
//!
//! The keyword pass reports every occurrence of every keyword, and whether a keyword occurs at a
//! place depends only on the bytes of that occurrence. So an occurrence lying wholly inside one
//! copied piece is exactly an occurrence of the base inside the piece's source range, moved; every
//! other occurrence touches new bytes or crosses a seam between pieces, and lies within one keyword
//! length of them, where the bytes are searched again. In a history, where each version of a file
//! is mostly its neighbour's bytes, this is the difference between reading every version and
//! reading what changed.

use super::keywords::{Hit, Keywords};

/// A piece of the new content: `len` bytes at `at`, copied from `from` in the base, or new bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Where the piece starts in the new content.
    pub at: usize,
    /// Its length.
    pub len: usize,
    /// Where its bytes start in the base; None for new bytes.
    pub from: Option<usize>,
}

/// The keyword hits of `data`, whose `pieces` (in order, covering it) come from a base whose hits,
/// sorted by start, are `base`; the result is sorted by (start, end, pattern) as
/// [`sorted_hits`] gives it.
pub(crate) fn derive(kw: &Keywords, base: &[Hit], pieces: &[Piece], data: &[u8]) -> Vec<Hit> {
    let pieces = coalesce(pieces);
    let mut out = Vec::with_capacity(base.len());
    // Occurrences inside a copied piece: the base's, moved.
    for p in &pieces {
        let Some(from) = p.from else { continue };
        let end = from + p.len;
        let first = base.partition_point(|h| h.start < from);
        for h in base[first..].iter().take_while(|h| h.start < end) {
            if h.end <= end {
                out.push(Hit {
                    start: h.start - from + p.at,
                    end: h.end - from + p.at,
                    pattern: h.pattern,
                });
            }
        }
    }
    // Everything else is within a keyword's length of new bytes or of a seam: those stretches are
    // searched again, merged where they meet, and what they hold that a piece already gave is dropped.
    let reach = kw.max_len().saturating_sub(1);
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let (s, e) = match p.from {
            None => (p.at, p.at + p.len),
            // The seam before a copied piece (after another piece).
            Some(_) if i > 0 => (p.at, p.at),
            Some(_) => continue,
        };
        let (s, e) = (s.saturating_sub(reach), (e + reach).min(data.len()));
        match windows.last_mut() {
            Some((_, pe)) if s <= *pe => *pe = (*pe).max(e),
            _ => windows.push((s, e)),
        }
    }
    for (start, end, pattern) in search(kw, data, &windows, kw.separator()) {
        let inside_a_copy = {
            let i = pieces.partition_point(|p| p.at <= start);
            i > 0 && {
                let p = &pieces[i - 1];
                p.from.is_some() && end <= p.at + p.len
            }
        };
        if !inside_a_copy {
            out.push(Hit {
                start,
                end,
                pattern,
            });
        }
    }
    out.sort_unstable_by_key(|h| (h.start, h.end, h.pattern));
    out
}

/// The pieces with copies of adjacent base ranges joined: git cuts a long copy into pieces of at most
/// 64 KiB, and a seam between two such pieces is no seam at all.
fn coalesce(pieces: &[Piece]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        if let (Some(last), Some(from)) = (out.last_mut(), p.from) {
            if last.from.is_some_and(|f| f + last.len == from) && last.at + last.len == p.at {
                last.len += p.len;
                continue;
            }
        }
        out.push(*p);
    }
    out
}

/// Every hit (start, end, pattern) in the given stretches of `data`. The stretches are joined by a
/// byte no keyword has and searched in one pass: most are a few dozen bytes, and one pass over all of
/// them runs the keyword search at its full speed instead of its start-up cost per stretch.
fn search(
    kw: &Keywords,
    data: &[u8],
    windows: &[(usize, usize)],
    sep: Option<u8>,
) -> Vec<(usize, usize, u32)> {
    let mut hits = Vec::new();
    let mut found = Vec::new();
    // Every byte in some keyword (possible in principle): one search per stretch.
    let Some(sep) = sep else {
        for &(s, e) in windows {
            found.clear();
            kw.find(&data[s..e], &mut found);
            hits.extend(found.iter().map(|h| (h.start + s, h.end + s, h.pattern)));
        }
        return hits;
    };
    let mut joined = Vec::with_capacity(windows.iter().map(|(s, e)| e - s + 1).sum());
    // (where a stretch starts in `joined`, where it starts in `data`)
    let mut starts = Vec::with_capacity(windows.len());
    for &(s, e) in windows {
        starts.push((joined.len(), s));
        joined.extend_from_slice(&data[s..e]);
        joined.push(sep);
    }
    kw.find(&joined, &mut found);
    for h in &found {
        let (at, s) = starts[starts.partition_point(|w| w.0 <= h.start) - 1];
        hits.push((h.start - at + s, h.end - at + s, h.pattern));
    }
    hits
}

/// Every keyword hit of `data`, sorted by (start, end, pattern).
pub(crate) fn sorted_hits(kw: &Keywords, data: &[u8]) -> Vec<Hit> {
    let mut hits = Vec::new();
    kw.find(data, &mut hits);
    hits.sort_unstable_by_key(|h| (h.start, h.end, h.pattern));
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kws() -> Keywords {
        let k: Vec<String> = ["password", "pass", "token", "ghp_", "akia", "key"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        Keywords::new(&k).unwrap()
    }

    /// A piece to build: a range of the base (`Ok((from, len))`) or new bytes.
    type Spec<'a> = Result<(usize, usize), &'a [u8]>;

    /// Builds new content from pieces of `base` and new bytes, with its piece list.
    fn piece_together(base: &[u8], spec: &[Spec<'_>]) -> (Vec<u8>, Vec<Piece>) {
        let mut data = Vec::new();
        let mut pieces = Vec::new();
        for s in spec {
            let at = data.len();
            match s {
                Ok((from, len)) => {
                    data.extend_from_slice(&base[*from..from + len]);
                    pieces.push(Piece {
                        at,
                        len: *len,
                        from: Some(*from),
                    });
                }
                Err(new) => {
                    data.extend_from_slice(new);
                    pieces.push(Piece {
                        at,
                        len: new.len(),
                        from: None,
                    });
                }
            }
        }
        (data, pieces)
    }

    #[test]
    fn derived_hits_are_the_hits_of_the_content() {
        let kw = kws();
        let base = b"db_password = x\napi token: ghp_abc\nAKIA key pass\nno keywords here at all\n"
            .repeat(40);
        let base_hits = sorted_hits(&kw, &base);
        let cases: Vec<Vec<Spec<'_>>> = vec![
            // A keyword cut by a seam: "pass" + "word" from two places.
            vec![Ok((0, 7)), Ok((7, 500)), Err(b"x"), Ok((600, 1000))],
            // New bytes completing a keyword across both seams: "to" + "k" + "en".
            vec![Ok((0, 21)), Err(b"k"), Ok((22, 300))],
            // A copy that cuts a keyword off at its end, pieces out of order, repeated.
            vec![
                Ok((3, 7)),
                Ok((100, 50)),
                Ok((100, 50)),
                Err(b"PASSword token"),
                Ok((0, 2000)),
            ],
            // Only new bytes; only one copy of everything.
            vec![Err(b"my password is a token key")],
            vec![Ok((0, base.len()))],
            // A long copy cut in two at a keyword, as git cuts copies at 64 KiB.
            vec![Ok((0, 5)), Ok((5, 900)), Ok((905, 100))],
            // Empty new content.
            vec![],
        ];
        for spec in cases {
            let (data, pieces) = piece_together(&base, &spec);
            assert_eq!(
                derive(&kw, &base_hits, &pieces, &data),
                sorted_hits(&kw, &data),
                "{spec:?}"
            );
        }
        // Stretches searched joined find what they find searched one by one.
        let windows = [(0, 3), (5, 40), (40, 41), (100, 400), (401, 402)];
        let mut joined = search(&kw, &base, &windows, kw.separator());
        let mut one_by_one = search(&kw, &base, &windows, None);
        joined.sort_unstable();
        one_by_one.sort_unstable();
        assert!(!joined.is_empty());
        assert_eq!(joined, one_by_one);
        for (s, e, _) in joined {
            assert!(windows.iter().any(|&(ws, we)| ws <= s && e <= we));
        }
    }
}
