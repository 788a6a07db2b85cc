//! Counts: bytes of a narrow class of punctuation (quotes, `<`, `=`) that every match has, anywhere.

use regex_syntax::hir::{Hir, HirKind};

use super::{bytes_of, text_share};

/// A number of bytes from a narrow class (quotes, `=`, `(`) that every match has, anywhere in it.
#[derive(Clone, PartialEq)]
pub(crate) struct Count {
    class: [bool; 256],
    min: usize,
}

impl std::fmt::Debug for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class: Vec<u8> = (0..=255u8).filter(|&b| self.class[b as usize]).collect();
        write!(f, "{} x {:?}", self.min, class.escape_ascii().to_string())
    }
}

impl Count {
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

    /// The chance a window of source text has the bytes: `min` or more of a Poisson count whose
    /// mean is the class's share over a 64-byte window (a typical line window).
    fn chance(&self) -> f64 {
        let mean = 64.0
            * (0..256)
                .filter(|&b| self.class[b])
                .map(text_share)
                .sum::<f64>();
        let (mut term, mut below) = ((-mean).exp(), 0.0);
        for k in 0..self.min {
            below += term;
            term *= mean / (k + 1) as f64;
        }
        (1.0 - below).max(0.0)
    }
}

/// The narrow-class count that best tells windows apart, if any is worth a pass: the window must
/// lack it at least three times in four. Classes are the pattern's punctuation, alone or in pairs.
pub(super) fn count(hir: &Hir, keywords: &[String]) -> Option<Count> {
    let mut classes: Vec<[bool; 256]> = Vec::new();
    candidate_classes(hir, &mut classes);
    // Branches often differ only in which of two marks they use (`<x>` or `key="x"`): pairs too.
    let singles = classes.len();
    for i in 0..singles {
        for j in i + 1..singles {
            let mut union = classes[i];
            for (u, o) in union.iter_mut().zip(classes[j]) {
                *u |= o;
            }
            if !classes.contains(&union) {
                classes.push(union);
            }
        }
    }
    let sets: Vec<[u64; 4]> = classes.iter().map(bitset).collect();
    classes
        .into_iter()
        .zip(least(hir, &sets))
        .map(|(class, min)| Count { class, min })
        .filter(|c| c.min > 0)
        .map(|c| {
            // The window's keyword may bring some of the bytes: judge by the rest.
            let brought = keywords
                .iter()
                .map(|k| k.bytes().filter(|&b| c.class[b as usize]).count())
                .max()
                .unwrap_or(0);
            let rest = Count {
                class: c.class,
                min: c.min.saturating_sub(brought),
            };
            let chance = if rest.min == 0 { 1.0 } else { rest.chance() };
            (chance, c)
        })
        .filter(|(chance, _)| *chance <= 0.25)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Narrow classes of punctuation in `hir`: each class item, and each punctuation byte of a literal.
fn candidate_classes(hir: &Hir, out: &mut Vec<[bool; 256]>) {
    let mut add = |set: [bool; 256]| {
        let share: f64 = (0..256).filter(|&b| set[b]).map(text_share).sum();
        if set[..]
            .iter()
            .enumerate()
            .all(|(b, &on)| !on || !(b as u8).is_ascii_alphanumeric())
            && share <= 0.03
            && !out.contains(&set)
        {
            out.push(set);
        }
    };
    match hir.kind() {
        HirKind::Literal(lit) => {
            for &b in lit.0.iter() {
                let mut set = [false; 256];
                set[b as usize] = true;
                add(set);
            }
        }
        HirKind::Class(c) => add(bytes_of(c)),
        HirKind::Capture(cap) => candidate_classes(&cap.sub, out),
        HirKind::Repetition(rep) => candidate_classes(&rep.sub, out),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().for_each(|h| candidate_classes(h, out))
        }
        HirKind::Empty | HirKind::Look(_) => {}
    }
}

/// For each of `classes` (as bit sets), the fewest bytes of it a match of `hir` has: one walk for
/// all, as a generic pattern has thousands of items and a hundred candidate classes.
fn least(hir: &Hir, classes: &[[u64; 4]]) -> Vec<usize> {
    let has = |set: &[u64; 4], b: u8| set[b as usize / 64] >> (b % 64) & 1 == 1;
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![0; classes.len()],
        HirKind::Literal(lit) => classes
            .iter()
            .map(|c| lit.0.iter().filter(|&&b| has(c, b)).count())
            .collect(),
        HirKind::Class(class) => {
            let set = bitset(&bytes_of(class));
            classes
                .iter()
                .map(|c| usize::from(set.iter().zip(c).all(|(s, c)| s & !c == 0)))
                .collect()
        }
        HirKind::Capture(cap) => least(&cap.sub, classes),
        HirKind::Repetition(rep) => least(&rep.sub, classes)
            .into_iter()
            .map(|n| n.saturating_mul(rep.min as usize))
            .collect(),
        HirKind::Concat(items) => items.iter().fold(vec![0; classes.len()], |acc, h| {
            acc.iter()
                .zip(least(h, classes))
                .map(|(a, n)| a.saturating_add(n))
                .collect()
        }),
        HirKind::Alternation(items) => items
            .iter()
            .map(|h| least(h, classes))
            .reduce(|acc, n| acc.iter().zip(n).map(|(a, n)| (*a).min(n)).collect())
            .unwrap_or_else(|| vec![0; classes.len()]),
    }
}

fn bitset(set: &[bool; 256]) -> [u64; 4] {
    let mut bits = [0u64; 4];
    for (b, _) in set.iter().enumerate().filter(|(_, on)| **on) {
        bits[b / 64] |= 1 << (b % 64);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::super::testing::{hir, set};
    use super::*;

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
