//! Runs: consecutive bytes from one class that every match has (a token's prefix and body).

use regex_syntax::hir::{Hir, HirKind};

use super::{bytes_of, class_of, listed, text_share};

/// A run of at least `min` consecutive bytes from `class` that every match contains.
#[derive(Clone, PartialEq)]
pub(crate) struct Run {
    pub(super) class: [bool; 256],
    pub(super) min: usize,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {}", self.min, listed(&self.class))
    }
}

/// The runs worth checking for a pattern: at most this many, the most selective first.
const MAX_RUNS: usize = 2;
/// A run this unlikely at a random place of source text, or less, is worth a pass over the window
/// (bits: the chance is 2^-SELECTIVE). Below, most windows would pass and the check be pure cost.
const SELECTIVE: f64 = 12.0;

impl Run {
    /// True when `hay` has `min` consecutive bytes of the class. It looks at the last byte a run
    /// starting at the current candidate would need first: on text without a run that skips most
    /// bytes when `min` is long, as a token body's is.
    pub(crate) fn within(&self, hay: &[u8]) -> bool {
        let m = self.min;
        if m == 0 {
            return true;
        }
        // Every byte of hay[start..known] is in the class.
        let (mut start, mut known) = (0usize, 0usize);
        while start + m <= hay.len() {
            let last = start + m - 1;
            if !self.class[hay[last] as usize] {
                start = last + 1;
                known = start;
                continue;
            }
            // Bytes between what is known and `last`, from the end: the first outsider moves the
            // candidate past it.
            let mut k = last;
            while k > known && self.class[hay[k - 1] as usize] {
                k -= 1;
            }
            if k == known {
                return true;
            }
            start = k;
            known = last + 1;
        }
        false
    }

    /// At least `min` consecutive bytes from `bytes`.
    pub(super) fn of(bytes: &[u8], min: usize) -> Run {
        Run {
            class: class_of(bytes),
            min,
        }
    }

    /// No bytes: what an empty item or a look-around matches.
    fn empty() -> Run {
        Run {
            class: [false; 256],
            min: 0,
        }
    }

    /// True when a window with this run has `other` too: as long, from no more bytes.
    fn implies(&self, other: &Run) -> bool {
        self.min >= other.min && (0..256).all(|b| !self.class[b] || other.class[b])
    }

    /// How unlikely the run is at one place of source text, in bits (see [`text_share`]).
    fn bits(&self) -> f64 {
        let p: f64 = (0..256).filter(|&b| self.class[b]).map(text_share).sum();
        self.min as f64 * -p.clamp(1e-6, 1.0).log2()
    }
}

/// The runs worth checking, most selective first (see [`super::Needs::of`]).
pub(super) fn runs(hir: &Hir, keywords: &[String]) -> Vec<Run> {
    let mut found = Vec::new();
    walk(hir, Some(&mut found));
    let mut scored: Vec<(f64, Run)> = found
        .into_iter()
        .map(|r| (r.bits(), r))
        .filter(|(bits, r)| {
            *bits >= SELECTIVE
                && !keywords.iter().any(|k| {
                    r.within(k.as_bytes())
                        || r.within(k.to_ascii_lowercase().as_bytes())
                        || r.within(k.to_ascii_uppercase().as_bytes())
                })
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut chosen: Vec<Run> = Vec::new();
    for (_, r) in scored {
        if chosen.len() < MAX_RUNS && !chosen.iter().any(|c| c.implies(&r)) {
            chosen.push(r);
        }
    }
    chosen
}

/// What matches of `hir` consist of when every byte of every match is from one class: that class
/// and the fewest bytes a match has; `None` when a match may hold other bytes. With `out`, also
/// collects the runs every match contains: `hir` itself when it is such a run, each maximal stretch
/// of such items in a sequence (as one run over their joint class), and the same inside every part
/// each match has (narrower classes), in that order. One walk: each item is read once.
fn walk(hir: &Hir, mut out: Option<&mut Vec<Run>>) -> Option<Run> {
    let add = |a: usize, b: usize| a + b;
    // The item's own run goes before what its parts add.
    let at = out.as_deref().map_or(0, Vec::len);
    let pure = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(Run::empty()),
        HirKind::Literal(lit) => Some(Run::of(&lit.0, lit.0.len())),
        HirKind::Class(c) => Some(Run {
            class: bytes_of(c),
            min: 1,
        }),
        HirKind::Capture(cap) => walk(&cap.sub, out.as_deref_mut()),
        HirKind::Repetition(rep) => {
            // Each match repeats the body at least once when `min` > 0: what the body needs, the
            // match has.
            let body = if rep.min > 0 {
                out.as_deref_mut()
            } else {
                None
            };
            walk(&rep.sub, body).map(|sub| Run {
                min: sub.min.saturating_mul(rep.min as usize),
                class: sub.class,
            })
        }
        HirKind::Concat(items) => {
            let mut whole = Some(Run::empty());
            let mut stretch: Option<Run> = None;
            for h in items {
                let before = out.as_deref().map_or(0, Vec::len);
                match walk(h, out.as_deref_mut()) {
                    Some(r) => {
                        whole = whole.map(|w| join(w, r.clone(), add));
                        stretch = Some(match stretch {
                            Some(s) => join(s, r, add),
                            None => r,
                        });
                    }
                    None => {
                        whole = None;
                        // The stretch ended before this item: it goes before the item's runs.
                        if let (Some(o), Some(s)) = (out.as_deref_mut(), stretch.take()) {
                            o.insert(before, s);
                        }
                    }
                }
            }
            if let (Some(o), Some(s)) = (out.as_deref_mut(), stretch) {
                o.push(s);
            }
            whole
        }
        HirKind::Alternation(items) => {
            let mut branches = items.iter().map(|h| walk(h, None));
            let first = branches.next()??;
            branches.try_fold(first, |acc, r| Some(join(acc, r?, usize::min)))
        }
    };
    if let (Some(o), Some(r)) = (out, &pure) {
        if r.min > 0 {
            o.insert(at, r.clone());
        }
    }
    pure
}

/// The union of two runs' classes, with `min` combining their lengths.
fn join(a: Run, b: Run, min: impl Fn(usize, usize) -> usize) -> Run {
    let mut class = a.class;
    for (c, o) in class.iter_mut().zip(b.class) {
        *c |= o;
    }
    Run {
        class,
        min: min(a.min, b.min),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::hir;
    use super::*;

    fn run(class: &[u8], min: usize) -> Run {
        Run {
            class: super::super::testing::set(class),
            min,
        }
    }

    fn alnum() -> Vec<u8> {
        (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .collect()
    }

    #[test]
    fn a_prefixed_token_needs_its_prefix_and_body_in_one_run() {
        let rs = runs(&hir(r"\b(cio[A-Za-z0-9]{32})\b"), &["cio".into()]);
        // The body alone (32 of the same class) is implied, and the prefix is the keyword's.
        assert_eq!(rs, [run(&alnum(), 35)]);
    }

    #[test]
    fn a_separator_splits_runs_only_when_it_is_outside_both_classes() {
        let rs = runs(&hir(r"\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})"), &[]);
        let mut body = alnum();
        body.extend(b"_-");
        let mut all = body.clone();
        all.extend(b"SG.");
        assert!(rs.contains(&run(&all, 69)), "{rs:?}");
        assert!(rs.contains(&run(&body, 43)), "{rs:?}");
    }

    #[test]
    fn optional_and_alternative_parts_promise_only_what_every_branch_has() {
        // Either branch has 20 hex digits at least; `x?` may be absent.
        let rs = runs(&hir(r"key=(?:[0-9a-f]{20}|[0-9a-f]{40})x?;"), &[]);
        assert!(rs.contains(&run(b"0123456789abcdef", 20)), "{rs:?}");
        // A branch that is not a run makes the alternation promise nothing; `=`, `;` are too common.
        assert!(runs(&hir(r"(?:[0-9a-f]{20}|foo.*bar)"), &[]).is_empty());
    }

    #[test]
    fn case_insensitive_literals_allow_both_cases() {
        let rs = runs(&hir(r"(?i)token_[a-z0-9]{16}"), &[]);
        let mut class: Vec<u8> = alnum();
        class.push(b'_');
        // [a-z0-9] under (?i) is all letters and digits; with `token_` a 22-byte run.
        assert_eq!(rs[0], run(&class, 22));
    }

    #[test]
    fn a_run_is_found_anywhere_and_one_byte_short_is_not() {
        let r = run(&alnum(), 10);
        assert!(r.within(b"x = abcdefghij;"));
        assert!(r.within(b"abcdefghij"));
        assert!(r.within(b"--- --- a1b2c3d4e5f6g7 ---"));
        assert!(!r.within(b"abcdefghi"));
        assert!(!r.within(b"abcdefghi-abcdefghi abcde fghij"));
        assert!(!r.within(b""));
        // A run the skip lands in the middle of, preceded by shorter ones.
        assert!(r.within(b"ab-abcd-a-0123456789-"));
    }

    #[test]
    fn the_run_check_agrees_with_a_plain_scan() {
        let r = run(b"ab", 4);
        let mut x: u64 = 9;
        for _ in 0..2000 {
            let hay: Vec<u8> = (0..(x % 23) as usize)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b"abc"[(x % 3) as usize]
                })
                .collect();
            let plain = hay.windows(4).any(|w| w.iter().all(|b| b"ab".contains(b)));
            assert_eq!(r.within(&hay), plain, "{:?}", String::from_utf8_lossy(&hay));
        }
    }
}
