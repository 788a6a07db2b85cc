//! One rule in one window: where around a keyword hit a rule may match, its regex over that
//! window (through the per-thread memo), and the gates after a match (placeholder, entropy,
//! checksum). [`super::Engine::scan_depth`] decides which windows to run.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use regex_automata::util::captures::Captures;
use regex_automata::{meta, Input};

use super::required::OutlineCache;
use super::{checksum, entropy, memo, placeholder, Engine, Match, Rule};

/// How far before a keyword a match may start (the keyword is usually the variable name before the
/// value, or the token's own prefix).
const BEFORE: usize = 128;
/// Default distance after a keyword the match may end in; a rule can ask for more (`window`).
const AFTER: usize = 512;

/// What one thread keeps for one rule's searches; each part is made when first needed (a window
/// the outline rejects needs no compiled regex).
#[derive(Default)]
struct RuleCaches {
    outline: OutlineCache,
    search: Option<(meta::Cache, Captures)>,
}

thread_local! {
    /// Per thread and (engine, rule): the outline's and the regex's search caches and the capture
    /// slots, kept for the life of the thread so each rule's lazy DFAs are built once per thread.
    static CACHES: RefCell<HashMap<(u64, usize), RuleCaches>> = RefCell::new(HashMap::new());
}

impl Engine {
    /// Where rule `r` may match around a keyword hit. A rule without an explicit `window` matches on the
    /// hit's own line (what almost every secret assignment is): searching a line rather than a fixed
    /// span cuts the regex work on dense source code by an order of magnitude. Rules whose secrets span
    /// lines (key blocks, a value on the line after its name) declare how far after the hit to look.
    pub(super) fn window(&self, r: usize, data: &[u8], s: usize, e: usize) -> (usize, usize) {
        let ws = s.saturating_sub(BEFORE);
        match self.rules[r].spec.window {
            Some(after) => (ws, (e + after).min(data.len())),
            None => {
                let ws = memchr::memrchr(b'\n', &data[ws..s]).map_or(ws, |i| ws + i + 1);
                let limit = (e + AFTER).min(data.len());
                let we = memchr::memchr(b'\n', &data[e..limit]).map_or(limit, |i| e + i);
                (ws, we)
            }
        }
    }

    /// Runs one rule's regex over `data[s..e]` (a window [`widen`]ed to token boundaries).
    pub(super) fn run_rule(
        &self,
        r: usize,
        data: &[u8],
        s: usize,
        e: usize,
        seen: &mut HashSet<(usize, usize, usize)>,
        out: &mut Vec<Match>,
    ) {
        let rule = &self.rules[r];
        if !rule.may_match(&data[s..e]) {
            return;
        }
        // What decides the answer: the window and the bytes a match start looks back at.
        let back = s.min(3);
        let mut emit = |found: &[memo::Found]| {
            for f in found {
                let (abs_s, abs_e) = (s + f.start as usize, s + f.end as usize);
                if !seen.insert((r, abs_s, abs_e)) {
                    continue;
                }
                let Some((entropy, vetoed)) = f.kept else {
                    continue;
                };
                out.push(Match {
                    rule: r,
                    start: abs_s,
                    end: abs_e,
                    secret: data[abs_s..abs_e].to_vec(),
                    entropy,
                    decoded: None,
                    vetoed,
                });
            }
        };
        if e - s <= memo::MAX_WINDOW {
            let search = || self.search(r, data, s, e);
            memo::with_found(self.id, r, back, &data[s - back..e], search, emit);
        } else {
            emit(&self.search(r, data, s, e));
        }
    }

    /// Every match of rule `r` in the window `data[s..e]`, relative to `s`, with the gates' verdicts.
    fn search(&self, r: usize, data: &[u8], s: usize, e: usize) -> Vec<memo::Found> {
        let rule = &self.rules[r];
        let hay = &data[s..e];
        let mut found = Vec::new();
        CACHES.with_borrow_mut(|caches| {
            let kept = caches.entry((self.id, r)).or_default();
            if !rule.outline_may_match(hay, &mut kept.outline) {
                return;
            }
            let (re, secret_group) = rule.regex();
            let (cache, caps) = kept
                .search
                .get_or_insert_with(|| (re.create_cache(), re.create_captures()));
            let mut at = 0;
            while at <= hay.len() {
                re.search_captures_with(cache, &Input::new(hay).span(at..hay.len()), caps);
                let Some(m) = caps.get_match() else { break };
                at = if m.end() > m.start() {
                    m.end()
                } else {
                    m.end() + 1
                };
                // A match inside a longer identifier (`okta` in `rookTable`) is not the name it looks
                // for: look again from the next byte.
                if !at_identifier_start(data, s + m.start()) {
                    at = m.start() + 1;
                    continue;
                }
                let Some(span) = caps.get_group(secret_group) else {
                    continue;
                };
                let kept = if ignored_key(rule, &hay[m.start()..span.start]) {
                    None
                } else {
                    match self.accept(rule, &hay[span.start..span.end]) {
                        Gate::Pass(h) => Some((h, false)),
                        Gate::BadChecksum => Some((0.0, true)),
                        Gate::Rejected => None,
                    }
                };
                found.push(memo::Found {
                    start: span.start as u32,
                    end: span.end as u32,
                    kept,
                });
            }
        });
        found
    }

    /// The gates after a regex match.
    fn accept(&self, rule: &Rule, secret: &[u8]) -> Gate {
        if secret.is_empty()
            || rule.spec.min_length.is_some_and(|min| secret.len() < min)
            || if rule.spec.punctuated {
                placeholder::is_placeholder_punctuated(secret)
            } else {
                placeholder::is_placeholder(secret)
            }
        {
            return Gate::Rejected;
        }
        let h = entropy::shannon(secret);
        if rule.spec.min_entropy.is_some_and(|min| h < min) {
            return Gate::Rejected;
        }
        if let Some(c) = rule
            .spec
            .checksum
            .as_deref()
            .and_then(checksum::Checksum::by_name)
        {
            if !c.valid(secret) {
                return Gate::BadChecksum;
            }
        }
        Gate::Pass(h)
    }
}

/// `data[s..e]` widened to token boundaries, so a window edge never cuts a token in two.
pub(super) fn widen(data: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    let limit_s = s.saturating_sub(BEFORE);
    while s > limit_s && is_token_byte(data[s - 1]) {
        s -= 1;
    }
    let limit_e = (e + 4096).min(data.len());
    while e < limit_e && is_token_byte(data[e]) {
        e += 1;
    }
    (s, e)
}

/// True when `s..e` reaches one of the sorted closed intervals `focus`. The end counts too: a span
/// that ends where a line starts is on that line (the scanner gives its end that line).
pub(super) fn touches(focus: &[(usize, usize)], s: usize, e: usize) -> bool {
    let i = focus.partition_point(|&(_, hi)| hi < s);
    focus.get(i).is_some_and(|&(lo, _)| lo <= e)
}

/// What the gates after a regex match decide.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gate {
    Pass(f64),
    Rejected,
    BadChecksum,
}

/// A match may start at `at`: not in the middle of an identifier. It starts one when the byte before
/// it is not a letter or digit, when it begins a camelCase word (`myOkta`: lower or digit, then
/// upper), or after a one-letter command-line option (`-Dsonar.login=`, `-Pnexus.token=`); a match
/// that starts with punctuation (`-----BEGIN`, a quote) always may.
fn at_identifier_start(data: &[u8], at: usize) -> bool {
    let (Some(&first), Some(&before)) = (data.get(at), at.checked_sub(1).and_then(|i| data.get(i)))
    else {
        return true;
    };
    let option_letter = before.is_ascii_alphabetic()
        && at >= 2
        && data[at - 2] == b'-'
        && (at < 3 || !data[at - 3].is_ascii_alphanumeric());
    !first.is_ascii_alphanumeric()
        || !before.is_ascii_alphanumeric()
        || (first.is_ascii_uppercase() && !before.is_ascii_uppercase())
        || option_letter
}

/// The rule's `ignore_if_key_contains` names a non-credential (`hashed_secret`) in the text before the
/// secret.
fn ignored_key(rule: &Rule, before_secret: &[u8]) -> bool {
    !rule.spec.ignore_if_key_contains.is_empty() && {
        let lower = before_secret.to_ascii_lowercase();
        rule.spec
            .ignore_if_key_contains
            .iter()
            .any(|k| memchr::memmem::find(&lower, k.to_ascii_lowercase().as_bytes()).is_some())
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
}

#[cfg(test)]
mod tests {
    use super::touches;

    #[test]
    fn a_window_touches_a_focus_range_it_overlaps_or_ends_at() {
        let focus = [(10, 20), (40, 50)];
        assert!(touches(&focus, 0, 10), "ends where a range starts");
        assert!(touches(&focus, 15, 16));
        assert!(touches(&focus, 20, 30), "starts where a range ends");
        assert!(touches(&focus, 25, 45));
        assert!(!touches(&focus, 21, 39), "between the ranges");
        assert!(!touches(&focus, 51, 90), "after the last");
        assert!(!touches(&[], 0, 90));
    }
}
