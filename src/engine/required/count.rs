//! Counts: bytes of a narrow class of punctuation (quotes, `<`, `=`) that every match has, anywhere.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::{bytes_of, class_of, listed, text_share};

/// A number of bytes from a narrow class (quotes, `=`, `(`) that every match has, anywhere in it.
#[derive(Clone, PartialEq)]
pub(crate) struct Count {
    class: [bool; 256],
    min: usize,
}

impl std::fmt::Debug for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} x {}", self.min, listed(&self.class))
    }
}

impl Count {
    /// At least `min` bytes from `bytes`, anywhere.
    pub(super) fn of(bytes: &[u8], min: usize) -> Count {
        Count {
            class: class_of(bytes),
            min,
        }
    }

    /// True when `hay` has `min` bytes of the class.
    pub(crate) fn within(&self, hay: &[u8]) -> bool {
        let mut left = self.min;
        if left == 0 {
            return true;
        }
        for &b in hay {
            if self.class[b as usize] {
                left -= 1;
                if left == 0 {
                    return true;
                }
            }
        }
        false
    }
}

/// A set of bytes as bits: candidate classes are compared, joined and tested by the hundred.
type Set = [u64; 4];

fn has(set: &Set, b: u8) -> bool {
    set[b as usize / 64] >> (b % 64) & 1 == 1
}

fn set_of(bytes: &[bool; 256]) -> Set {
    let mut set = [0u64; 4];
    for (b, _) in bytes.iter().enumerate().filter(|(_, on)| **on) {
        set[b / 64] |= 1 << (b % 64);
    }
    set
}

/// The share of source text's bytes that are in `set`.
fn share(set: &Set) -> f64 {
    (0..=255u8)
        .filter(|&b| has(set, b))
        .map(|b| text_share(b as usize))
        .sum()
}

/// The chance a window of source text has `min` bytes of `set`: a Poisson count whose mean is the
/// set's share over a 64-byte window (a typical line window).
fn chance(set: &Set, min: usize) -> f64 {
    let mean = 64.0 * share(set);
    let (mut term, mut below) = ((-mean).exp(), 0.0);
    for k in 0..min {
        below += term;
        term *= mean / (k + 1) as f64;
    }
    (1.0 - below).max(0.0)
}

/// The narrow-class count that best tells windows apart, if any is worth a pass: the window must
/// lack it at least three times in four. Classes are the pattern's punctuation, alone or in pairs.
pub(super) fn count(hir: &Hir, keywords: &[String]) -> Option<Count> {
    let mut sets: Vec<Set> = Vec::new();
    candidate_classes(hir, &mut sets);
    // Branches often differ only in which of two marks they use (`<x>` or `key="x"`): pairs too.
    let singles = sets.len();
    let mut known: std::collections::HashSet<Set> = sets.iter().copied().collect();
    for i in 0..singles {
        for j in i + 1..singles {
            let union = std::array::from_fn(|w| sets[i][w] | sets[j][w]);
            if known.insert(union) {
                sets.push(union);
            }
        }
    }
    if sets.is_empty() {
        return None;
    }
    let mins = least(hir, &sets);
    sets.into_iter()
        .zip(mins)
        .filter(|&(_, min)| min > 0)
        .map(|(set, min)| {
            // The window's keyword may bring some of the bytes: judge by the rest.
            let brought = keywords
                .iter()
                .map(|k| k.bytes().filter(|&b| has(&set, b)).count())
                .max()
                .unwrap_or(0);
            let rest = min.saturating_sub(brought);
            let p = if rest == 0 { 1.0 } else { chance(&set, rest) };
            (p, set, min)
        })
        .filter(|(p, _, _)| *p <= 0.25)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, set, min)| Count {
            class: std::array::from_fn(|b| has(&set, b as u8)),
            min,
        })
}

/// Narrow classes of punctuation in `hir`, once each: each class item, and each punctuation byte
/// of a literal. Letters and digits are ruled out first: a generic pattern has thousands.
fn candidate_classes(hir: &Hir, out: &mut Vec<Set>) {
    let mut add = |set: Set| {
        if set.iter().zip(ALNUM).all(|(s, a)| s & a == 0)
            && share(&set) <= 0.03
            && !out.contains(&set)
        {
            out.push(set);
        }
    };
    match hir.kind() {
        HirKind::Literal(lit) => {
            for &b in lit.0.iter().filter(|b| !b.is_ascii_alphanumeric()) {
                let mut set = [0u64; 4];
                set[b as usize / 64] |= 1 << (b % 64);
                add(set);
            }
        }
        HirKind::Class(c) => {
            let alnum = |lo: u32, hi: u32| {
                [(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')]
                    .iter()
                    .any(|&(a, z)| lo <= z as u32 && a as u32 <= hi)
            };
            let any_alnum = match c {
                Class::Bytes(c) => c.iter().any(|r| alnum(r.start() as u32, r.end() as u32)),
                Class::Unicode(c) => c.iter().any(|r| alnum(r.start() as u32, r.end() as u32)),
            };
            if !any_alnum {
                add(set_of(&bytes_of(c)));
            }
        }
        HirKind::Capture(cap) => candidate_classes(&cap.sub, out),
        HirKind::Repetition(rep) => candidate_classes(&rep.sub, out),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().for_each(|h| candidate_classes(h, out))
        }
        HirKind::Empty | HirKind::Look(_) => {}
    }
}

/// ASCII letters and digits, as a [`Set`].
const ALNUM: Set = [0x03ff_0000_0000_0000, 0x07ff_fffe_07ff_fffe, 0, 0];

/// For each of `classes` (as bit sets), the fewest bytes of it a match of `hir` has: one walk for
/// all, as a generic pattern has thousands of items and a hundred candidate classes.
fn least(hir: &Hir, classes: &[Set]) -> Vec<usize> {
    let mut out = vec![0; classes.len()];
    least_into(hir, classes, &mut out);
    out
}

/// [`least`] written into `out` (one slot per class). Only a node with several children takes a
/// scratch buffer: a buffer per node made this walk most of the cost of waking a generic rule in a
/// one-file scan.
fn least_into(hir: &Hir, classes: &[Set], out: &mut [usize]) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => out.fill(0),
        HirKind::Literal(lit) => {
            for (o, c) in out.iter_mut().zip(classes) {
                *o = lit.0.iter().filter(|&&b| has(c, b)).count();
            }
        }
        HirKind::Class(class) => {
            let set = set_of(&bytes_of(class));
            for (o, c) in out.iter_mut().zip(classes) {
                *o = usize::from(set.iter().zip(c).all(|(s, c)| s & !c == 0));
            }
        }
        HirKind::Capture(cap) => least_into(&cap.sub, classes, out),
        HirKind::Repetition(rep) => {
            least_into(&rep.sub, classes, out);
            out.iter_mut()
                .for_each(|n| *n = n.saturating_mul(rep.min as usize));
        }
        HirKind::Concat(items) => {
            out.fill(0);
            let mut one = vec![0; out.len()];
            for h in items {
                least_into(h, classes, &mut one);
                out.iter_mut()
                    .zip(&one)
                    .for_each(|(a, n)| *a = a.saturating_add(*n));
            }
        }
        HirKind::Alternation(items) => {
            out.fill(usize::MAX);
            let mut one = vec![0; out.len()];
            for h in items {
                least_into(h, classes, &mut one);
                out.iter_mut()
                    .zip(&one)
                    .for_each(|(a, n)| *a = (*a).min(*n));
            }
            if items.is_empty() {
                out.fill(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hir, set};
    use super::*;

    #[test]
    fn the_letter_and_digit_mask_is_exactly_ascii_alphanumerics() {
        for b in 0..=255u8 {
            assert_eq!(has(&ALNUM, b), b.is_ascii_alphanumeric(), "{b}");
        }
    }

    #[test]
    fn quoted_arguments_need_their_quotes() {
        // Two quoted strings: four quotes of either kind, in every match.
        let c = count(
            &hir(r#"connect\(["'][^"']+["'], ?["']([^"']{8,})["']"#),
            &[],
        )
        .unwrap();
        assert!(
            c.class[b'"' as usize] && c.class[b'\'' as usize] && c.min >= 4,
            "{c:?}"
        );
        assert!(c.within(br#"connect("db", 'hunter22xyz')"#));
        assert!(!c.within(br#"connect(db, "hunter22xyz")"#));
    }

    #[test]
    fn a_count_the_keyword_has_or_any_window_has_is_not_checked() {
        // `(` is the keyword's own; one `=` is in most windows.
        assert_eq!(
            count(&hir(r"login\(([a-z0-9]+)\)"), &["login(".into()]),
            None
        );
        assert_eq!(count(&hir(r"(?:user|key)=[a-z0-9]{8}"), &[]), None);
        // An alternation promises what every branch has: here no one kind of quote, and the pair
        // once (too common to check).
        assert_eq!(count(&hir(r#"(?:"[a-z]+|'[a-z]+);"#), &[]), None);
        let c = count(&hir(r#"(?:"[a-z]+"|"[0-9]+"|"")"#), &[]).unwrap();
        assert_eq!(
            c,
            Count {
                class: set(b"\""),
                min: 2
            }
        );
        // Two marks, one in each branch: the pair is what every match has.
        let c = count(&hir(r#"(?:<[a-z]+>|key="[a-z]+")[0-9]{4}(?:</|")"#), &[]).unwrap();
        assert_eq!(
            c,
            Count {
                class: set(b"<\""),
                min: 2
            }
        );
    }
}
