//! What every match of a pattern must contain, read from the pattern itself, so a window that
//! lacks it is not searched: checking is a fraction of the cost of the regex search that would say
//! the same. Three kinds:
//! - a run of bytes from one class: `cio[A-Za-z0-9]{32}` needs 35 letters and digits in a row;
//! - a number of bytes from a narrow class of punctuation, anywhere: two quoted arguments need
//!   four quotes;
//! - for a pattern whose lazy DFA keeps growing (counted or repeated groups), its outline: the
//!   pattern with those parts widened to runs of their bytes (see [`outline`]).
//!
//! Measured on linux-6.1 with the built-in rules: 348,054 regex searches over 27.5 MB of windows
//! took 0.31 CPU-s of the scan's 2.0 (against the scan with the searches skipped, same build). Most
//! were provider rules whose keyword is a short, common prefix (`cio`, `btc`, `nfp_`, `hf_`) on
//! lines without a token body, and call or markup rules on lines without the quotes they need.
//! With runs: 150,325 searches over 9.5 MB; with counts too: 83,456 over 6.2 MB; with outlines
//! too: 4,165 (2026-12-01), which took the scan's user time from 1.40 to 1.23 CPU-s in 14
//! interleaved pairs (a slow hour of the machine; 1.10 to 1.00 in a quicker one).

mod count;
mod outline;
mod run;

use regex_syntax::hir::{Class, Hir};

use count::Count;
use outline::Outline;

/// One thread's lazy-DFA states for one pattern's outline (`None` until first needed).
pub(crate) type OutlineCache = Option<regex_automata::hybrid::dfa::Cache>;
use run::Run;

/// Everything a window must have for a pattern to match in it.
#[derive(Debug, Default)]
pub(crate) struct Needs {
    runs: Vec<Run>,
    counts: Vec<Count>,
    outline: Option<Outline>,
}

impl Needs {
    /// What a pattern (parsed as `hir`) requires and is worth checking. `keywords` are the rule's:
    /// the window holds one, so what a keyword has is left out (the check would mostly pass).
    pub(crate) fn of(hir: &Hir, keywords: &[String]) -> Needs {
        Needs {
            runs: run::runs(hir, keywords),
            counts: count::count(hir, keywords).into_iter().collect(),
            outline: Outline::of(hir),
        }
    }

    /// Adds what a rule file declares every match needs, checked first: one of `any_byte`
    /// (`needs_any_byte`, when not empty) and a run of `hex_run` hex digits (`needs_hex_run`).
    pub(crate) fn declared(mut self, any_byte: &[u8], hex_run: Option<usize>) -> Needs {
        if let Some(min) = hex_run {
            self.runs.insert(0, Run::of(b"0123456789abcdefABCDEF", min));
        }
        if !any_byte.is_empty() {
            self.counts.insert(0, Count::of(any_byte, 1));
        }
        self
    }

    /// False when `window` lacks the runs or counts every match has.
    pub(crate) fn within(&self, window: &[u8]) -> bool {
        self.counts.iter().all(|c| c.within(window)) && self.runs.iter().all(|r| r.within(window))
    }

    /// False when `window` cannot hold a match of the outline of the pattern `hir` (the one these
    /// were read from); true for a pattern without one. `cache`: the calling thread's, for this
    /// pattern only (see [`Outline::within`]).
    pub(crate) fn outline_within(
        &self,
        window: &[u8],
        hir: &Hir,
        cache: &mut OutlineCache,
    ) -> bool {
        self.outline
            .as_ref()
            .is_none_or(|o| o.within(window, hir, cache))
    }
}

/// `bytes` as a class.
pub(super) fn class_of(bytes: &[u8]) -> [bool; 256] {
    let mut class = [false; 256];
    bytes.iter().for_each(|&b| class[b as usize] = true);
    class
}

/// A class's bytes, escaped, as `Debug` shows a run or a count.
fn listed(class: &[bool; 256]) -> String {
    let bytes: Vec<u8> = (0..=255u8).filter(|&b| class[b as usize]).collect();
    format!("{:?}", bytes.escape_ascii().to_string())
}

/// The bytes a class may match. A Unicode class (only with `(?u)`) matches its ASCII members as
/// themselves and anything else as bytes 0x80 and up.
pub(super) fn bytes_of(class: &Class) -> [bool; 256] {
    let mut set = [false; 256];
    match class {
        Class::Bytes(c) => {
            for r in c.iter() {
                for b in r.start()..=r.end() {
                    set[b as usize] = true;
                }
            }
        }
        Class::Unicode(c) => {
            for r in c.iter() {
                let (lo, hi) = (r.start() as u32, r.end() as u32);
                for b in lo..=hi.min(0x7f) {
                    set[b as usize] = true;
                }
                if hi >= 0x80 {
                    set[0x80..].iter_mut().for_each(|b| *b = true);
                }
            }
        }
    }
    set
}

/// A rough share of one byte in source text, for choosing what to check: a wrong guess costs speed,
/// never a match. Lowercase letters about half, spaces and tabs a sixth, the rest after.
pub(super) fn text_share(b: usize) -> f64 {
    match b as u8 {
        b'a'..=b'z' => 0.50 / 26.0,
        b'A'..=b'Z' => 0.07 / 26.0,
        b'0'..=b'9' => 0.04 / 10.0,
        b' ' => 0.12,
        b'\t' => 0.05,
        b'\n' => 0.03,
        b'!'..=b'~' => 0.19 / 32.0,
        _ => 0.0001,
    }
}

#[cfg(test)]
pub(super) mod testing {
    use regex_automata::util::syntax;
    use regex_syntax::hir::Hir;

    pub(crate) fn hir(pattern: &str) -> Hir {
        syntax::parse_with(pattern, &syntax::Config::new().unicode(false).utf8(false)).unwrap()
    }

    pub(crate) fn set(bytes: &[u8]) -> [bool; 256] {
        super::class_of(bytes)
    }
}
