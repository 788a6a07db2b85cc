//! Outlines: a pattern with its costly parts widened to runs of the bytes they may match, kept only
//! for patterns that have such parts. Every match of the pattern is a match of its outline, so a
//! window the outline does not match is not searched.
//!
//! What makes a pattern costly is not its length but what its lazy DFA has to build: a bounded
//! repetition such as `[A-Za-z0-9_.-]{0,40}?` before a name, or a repeated group, has a DFA state
//! for each set of counts still alive, and each new line of text finds sets not seen before. The
//! generic assignment rules are such patterns: on linux-6.1 they built states for most of the
//! windows they searched (12 µs a search for `generic-secret-assignment`, against about 1 µs for a
//! provider token). Their outline is a chain of classes, literals and runs with far fewer states
//! (a warm check is about 70 ns for a line), and it rejects most windows: a line of C that names a
//! secret seldom goes on with `= "` and a quoted run of token bytes. On linux-6.1 the regex
//! searches went from 83,456 to 4,165, and in interleaved runs the scan's user time fell 9–12%
//! (the outline checks themselves are about 4% of it in perf).
//!
//! The check runs in the search, after the memo (`engine::memo`): a window the memo knows costs
//! less than the check (`cargo bench`'s keyword-dense corpus repeats eight lines: checked before
//! the memo, the outlines took it from 2.60 to 3.06 ns/byte).
//!
//! Measured and not kept: a full (dense) DFA per outline (building them took 2.6 CPU-s, several
//! over 1 MB); alternations widened branch by branch (the names' tries kept building states: 3.7%
//! more user time); every part of the top-level sequence widened, or every alternation of
//! repetitions (values) widened (less selective: 3.2 to 3.4 times the searches, and slower).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::Input;
use regex_syntax::hir::{Class, ClassBytes, ClassBytesRange, Hir, HirKind, Repetition};

use super::bytes_of;

/// A bounded repetition whose bounds differ by more than this counts (see [`costly`]).
const COUNTED: u32 = 2;
/// A widened part asks for at most this many bytes, so its DFA stays a short chain.
const MAX_MIN: u32 = 64;
/// Room for an outline's DFA states per thread; an outline needs a few hundred.
const CACHE: usize = 1 << 20;

/// Windows a rule searches without its outline before the outline is widened and compiled: a scan
/// of one file seldom wakes a rule that often, and compiling an outline cost it more than the
/// checks saved (`staged` with a generic assignment: 16.5 -> 17.6 ms); widening outlines when a
/// rule woke was still 0.9% of such a run.
const UNCHECKED: u32 = 32;

/// The outline of a costly pattern; widened and compiled, once the rule has searched
/// [`UNCHECKED`] windows, to a lazy DFA that says only whether there is a match and stops at the
/// first: no start of match, no captures, no reverse search.
#[derive(Debug)]
pub(crate) struct Outline {
    seen: AtomicU32,
    dfa: OnceLock<Option<DFA>>,
}

impl Outline {
    /// An outline for the pattern `hir`, or `None` when the pattern has no costly part (the outline
    /// would be the pattern).
    pub(crate) fn of(hir: &Hir) -> Option<Outline> {
        costly(hir).then(|| Outline {
            seen: AtomicU32::new(0),
            dfa: OnceLock::new(),
        })
    }

    /// False when no match of the pattern `hir` (the one this outline was made for) can lie in
    /// `window`. `cache` holds the lazy DFA's states for the calling thread; it is filled on
    /// first use and must not be shared with another outline.
    pub(crate) fn within(&self, window: &[u8], hir: &Hir, cache: &mut Option<Cache>) -> bool {
        if self.seen.load(Ordering::Relaxed) < UNCHECKED {
            self.seen.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        // An outline that does not compile lets every window through.
        let Some(dfa) = self.dfa.get_or_init(|| compile(&widen(hir))) else {
            return true;
        };
        let cache = cache.get_or_insert_with(|| dfa.create_cache());
        // A lazy DFA gives up when it clears its cache too often; then the window goes to the
        // search, which decides as it would have without the outline.
        !matches!(
            dfa.try_search_fwd(cache, &Input::new(window).earliest(true)),
            Ok(None)
        )
    }
}

/// The lazy DFA of an outline.
fn compile(outline: &Hir) -> Option<DFA> {
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(thompson::WhichCaptures::None),
        )
        .build_from_hir(outline)
        .ok()?;
    DFA::builder()
        .configure(
            DFA::config()
                .cache_capacity(CACHE)
                .skip_cache_capacity_check(true),
        )
        .build_from_nfa(nfa)
        .ok()
}

/// True when `hir` has a part whose DFA states multiply: a repeated group, or a class repeated
/// between bounds further apart than [`COUNTED`].
fn costly(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(rep) => !plain(hir) || costly(&rep.sub),
        HirKind::Capture(c) => costly(&c.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().any(costly),
        _ => false,
    }
}

/// `hir` with each costly part replaced by a run of the bytes it may match, as long as its shortest
/// match; what is not costly is kept as it is. A costly alternation is widened whole: its branches
/// widened one by one (names after a run of name bytes) still built DFA states on every new line.
/// Assertions inside a widened part are dropped, which only lets more through.
fn widen(hir: &Hir) -> Hir {
    if !costly(hir) {
        return hir.clone();
    }
    match hir.kind() {
        HirKind::Capture(c) => widen(&c.sub),
        HirKind::Concat(items) => Hir::concat(items.iter().map(widen).collect()),
        _ => run_of(hir),
    }
}

/// A part kept as it is in an outline: a literal, a class, an assertion, or a class (or one byte)
/// repeated without a wide count.
fn plain(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => true,
        HirKind::Repetition(rep) => {
            let single = matches!(rep.sub.kind(), HirKind::Class(_))
                || matches!(rep.sub.kind(), HirKind::Literal(l) if l.0.len() == 1);
            single && rep.max.is_none_or(|max| max - rep.min <= COUNTED)
        }
        _ => false,
    }
}

/// A run of the bytes `hir` may match, at least as long as its shortest match.
fn run_of(hir: &Hir) -> Hir {
    let mut set = [false; 256];
    reachable(hir, &mut set);
    let ranges = (0..=255u8)
        .filter(|&b| set[b as usize])
        .map(|b| ClassBytesRange::new(b, b));
    let class = Hir::class(Class::Bytes(ClassBytes::new(ranges)));
    let min = hir.properties().minimum_len().unwrap_or(0);
    Hir::repetition(Repetition {
        min: u32::try_from(min).unwrap_or(MAX_MIN).min(MAX_MIN),
        max: None,
        greedy: true,
        sub: Box::new(class),
    })
}

/// Marks in `set` every byte a match of `hir` may contain.
fn reachable(hir: &Hir, set: &mut [bool; 256]) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(l) => l.0.iter().for_each(|&b| set[b as usize] = true),
        HirKind::Class(c) => {
            let bytes = bytes_of(c);
            (0..256).filter(|&b| bytes[b]).for_each(|b| set[b] = true);
        }
        HirKind::Repetition(rep) => reachable(&rep.sub, set),
        HirKind::Capture(c) => reachable(&c.sub, set),
        HirKind::Concat(items) | HirKind::Alternation(items) => {
            items.iter().for_each(|h| reachable(h, set))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::hir;
    use super::*;

    /// An outline with the pattern it was made for and its cache.
    struct Checked {
        outline: Outline,
        pattern: Hir,
        cache: std::cell::RefCell<Option<Cache>>,
    }

    impl Checked {
        fn within(&self, window: &[u8]) -> bool {
            self.outline
                .within(window, &self.pattern, &mut self.cache.borrow_mut())
        }
    }

    /// The outline of `pattern`, past the windows it lets through unchecked.
    fn outline(pattern: &str) -> Option<Checked> {
        let pattern = hir(pattern);
        let outline = Outline::of(&pattern)?;
        outline.seen.store(UNCHECKED, Ordering::Relaxed);
        Some(Checked {
            outline,
            pattern,
            cache: Default::default(),
        })
    }

    #[test]
    fn the_first_windows_go_to_the_search_unchecked() {
        let pattern = hir(r#"[a-z]{0,40}secret[ \t]*=[ \t]*"[A-Za-z0-9]{8,}""#);
        let o = Checked {
            outline: Outline::of(&pattern).unwrap(),
            pattern,
            cache: Default::default(),
        };
        for _ in 0..UNCHECKED {
            assert!(o.within(b"secret(key);"));
        }
        assert!(
            o.outline.dfa.get().is_none(),
            "compiled before it was needed"
        );
        assert!(!o.within(b"secret(key);"));
        assert!(o.within(br#"secret = "Zx81kkq0aLLm""#));
    }

    #[test]
    fn a_pattern_without_counted_or_repeated_groups_has_no_outline() {
        assert!(outline(r"\b(cio[A-Za-z0-9]{32})\b").is_none());
        assert!(outline(r#"\b(?i:basic)[ \t]+([A-Za-z0-9+/]{6,}={0,2})"#).is_none());
    }

    #[test]
    fn a_counted_name_is_widened_and_what_follows_it_kept() {
        let o = outline(r#"(?i:\b[a-z0-9_]{0,40}?secret)[ \t]*=[ \t]*"([A-Za-z0-9]{8,})""#)
            .expect("a counted repetition is costly");
        assert!(o.within(br#"    my_api_secret = "Zx81kkq0aLLm""#));
        // What the pattern needs after the name is still needed: an assignment of a quoted run.
        assert!(!o.within(b"    secret = compute_secret(key);"));
        assert!(!o.within(br#"    secret = "short""#));
    }

    #[test]
    fn every_match_of_the_pattern_matches_its_outline() {
        let pattern = r#"(?m:^)[ \t]*(?i:\b(?:[A-Za-z0-9_.-]{0,40}?(?:secret|api[_.-]?key)|(?:[A-Za-z0-9]*[_.-])*token)(?:[_.-]?(?:key|value)){0,2})[ \t]*(?:=|:)[ \t]*((?:[0-9][A-Za-z0-9]*?[G-Zg-z]|[G-Zg-z][A-Za-z0-9]*?[0-9])[A-Za-z0-9]*)[ \t]*(?m:$)"#;
        let re = regex_automata::meta::Builder::new()
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build(pattern)
            .unwrap();
        let o = outline(pattern).expect("costly");
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"abcdefgsecrtokenAPI_KEY0123456789 =:\t.-_\n";
        let mut matched = 0;
        for _ in 0..20_000 {
            let len = 5 + (x % 40) as usize;
            let mut s = Vec::with_capacity(len + 12);
            if x & 8 == 0 {
                s.extend_from_slice(b"my_secret = ");
            }
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(alphabet[(x >> 20) as usize % alphabet.len()]);
            }
            if re.is_match(&s) {
                matched += 1;
                assert!(o.within(&s), "{:?}", String::from_utf8_lossy(&s));
            }
        }
        assert!(matched > 100, "the test text matches too seldom: {matched}");
    }
}
