//! The rule engine: bytes in, matches out. It knows rules, not sources: a caller hands it content and
//! gets back secret spans in that content.
//!
//! One Aho-Corasick pass over all rules' keywords finds where a rule could match; each rule's regex
//! then runs only in a window around those hits. That is what keeps a 1 GB tree fast: most files have
//! no keyword at all and cost one automaton pass. Matches then go through the entropy gate, the
//! placeholder filter and checksum validation; base64 and URL-encoded values are decoded and scanned
//! again, to a fixed depth.

pub(crate) mod b64run;
pub(crate) mod checksum;
mod code_like;
pub(crate) mod decode;
pub(crate) mod derive;
pub(crate) mod entropy;
pub(crate) mod filler;
pub(crate) mod keybody;
pub(crate) mod keywords;
pub(crate) mod literals;
mod memo;
pub(crate) mod placeholder;
pub(crate) mod published;
pub(crate) mod rule;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use regex_automata::util::captures::Captures;
use regex_automata::{meta, Input};

use anyhow::Result;

pub(crate) use rule::Rule;

/// How far before a keyword a match may start (the keyword is usually the variable name before the
/// value, or the token's own prefix).
const BEFORE: usize = 128;
/// Default distance after a keyword the match may end in; a rule can ask for more (`window`).
const AFTER: usize = 512;
/// How deep decoded content is decoded again (base64 inside URL-encoding, ...).
pub(crate) const MAX_DECODE_DEPTH: u8 = 2;
/// The rule tag of a provider format whose prefix other providers' formats share (Stripe's `sk_live_`
/// is also Paystack's and Clerk's): such a rule gives way to another provider rule on the same span.
const SHARED_PREFIX: &str = "shared-prefix";
/// How many decoded values one content (at one depth) is scanned for: a file of thousands of base64
/// values costs no more than this many extra scans.
const MAX_DECODED: usize = 1024;

/// What a keyword hit asks for.
#[derive(Debug, Clone, Copy)]
enum Target {
    Rule(usize),
    Decode(decode::Trigger),
}

/// Distinguishes engines in the per-thread regex caches.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Per thread and (engine, rule): the regex search cache and capture slots, kept for the life of
    /// the thread so each rule's lazy DFA is built once per thread.
    static CACHES: RefCell<HashMap<(u64, usize), (meta::Cache, Captures)>> = RefCell::new(HashMap::new());
}

pub(crate) struct Engine {
    id: u64,
    rules: Vec<Rule>,
    keywords: Option<keywords::Keywords>,
    /// For each automaton pattern, what it triggers.
    targets: Vec<Vec<Target>>,
}

/// A secret found in content, with its span in that content.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub rule: usize,
    /// Byte span of the secret in the content handed to [`Engine::scan_with`]. For a match inside decoded
    /// content this is the span of the encoded text it came from.
    pub start: usize,
    pub end: usize,
    pub secret: Vec<u8>,
    pub entropy: f64,
    pub decoded: Option<&'static str>,
    /// A provider rule matched the token's shape but its checksum failed: not a secret, and no generic
    /// rule may report that span either. Dropped before the engine returns.
    pub vetoed: bool,
}

impl Engine {
    /// Builds the engine from rules; `enabled` has already been applied by the caller.
    pub(crate) fn new(rules: Vec<Rule>) -> Result<Engine> {
        let mut keywords: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut add = |kw: &str, t: Target| {
            let kw = kw.to_ascii_lowercase();
            match index.get(&kw) {
                Some(&i) => targets[i].push(t),
                None => {
                    index.insert(kw.clone(), keywords.len());
                    keywords.push(kw);
                    targets.push(vec![t]);
                }
            }
        };
        for (i, r) in rules.iter().enumerate() {
            if r.spec.pattern.is_some() {
                for k in &r.spec.keywords {
                    add(k, Target::Rule(i));
                }
            }
        }
        for (kw, trig) in decode::triggers() {
            add(kw, Target::Decode(trig));
        }
        let keywords = if keywords.is_empty() {
            None
        } else {
            Some(keywords::Keywords::new(&keywords)?)
        };
        Ok(Engine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            rules,
            keywords,
            targets,
        })
    }

    pub(crate) fn rule(&self, i: usize) -> &Rule {
        &self.rules[i]
    }

    /// The keyword pass, for sources that can give a unit's hits without it ([`derive`]).
    pub(crate) fn keywords(&self) -> Option<&keywords::Keywords> {
        self.keywords.as_ref()
    }

    /// All matches in `data`, provider rules winning over generic ones on the same span. `hits`: the
    /// keyword hits of `data` when already known, sorted as [`derive::sorted_hits`] sorts them (None:
    /// the keyword pass finds them).
    ///
    /// `focus`: when only some of `data` counts (the lines a staged change adds), the byte ranges
    /// that do, as sorted closed intervals. Windows and decoded values that reach none of them are not
    /// searched: every match lies inside its searched window, so nothing that touches a range is lost,
    /// and a one-line change to a large file does not pay for compiling the regexes its other lines
    /// would wake.
    pub(crate) fn scan_with(
        &self,
        data: &[u8],
        hits: Option<&[keywords::Hit]>,
        focus: Option<&[(usize, usize)]>,
    ) -> Vec<Match> {
        let mut out = Vec::new();
        if let (Some(given), Some(kw)) = (hits, &self.keywords) {
            // NHISCAN_CHECK_HITS=1 (and every debug build, so every test) checks given hits against
            // the keyword pass.
            static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
            if *CHECK.get_or_init(|| {
                cfg!(debug_assertions) || std::env::var("NHISCAN_CHECK_HITS").as_deref() == Ok("1")
            }) {
                assert!(
                    given == derive::sorted_hits(kw, data).as_slice(),
                    "keyword hits given with a unit differ from the keyword pass"
                );
            }
        }
        self.scan_depth(data, 0, hits, focus, &mut out);
        self.resolve_overlaps(out)
    }

    fn scan_depth(
        &self,
        data: &[u8],
        depth: u8,
        given: Option<&[keywords::Hit]>,
        focus: Option<&[(usize, usize)]>,
        out: &mut Vec<Match>,
    ) {
        // Offsets inside decoded content are not offsets of `data`: the focus applies at the top.
        let wanted = |(s, e): (usize, usize)| depth > 0 || focus.is_none_or(|f| touches(f, s, e));
        let Some(kw) = &self.keywords else { return };
        let found;
        let hits = match given {
            Some(h) => h,
            None => {
                found = derive::sorted_hits(kw, data);
                &found[..]
            }
        };
        // Windows per rule, merged while hits overlap; flushed when a hit falls past the open window.
        let mut open: Vec<Option<(usize, usize)>> = vec![None; self.rules.len()];
        let mut touched: Vec<usize> = Vec::new();
        let mut decode_windows: Vec<(decode::Trigger, usize, usize)> = Vec::new();
        let mut seen: HashSet<(usize, usize, usize)> = HashSet::new();
        for hit in hits {
            for t in &self.targets[hit.pattern as usize] {
                match *t {
                    Target::Rule(r) => {
                        let (ws, we) = self.window(r, data, hit.start, hit.end);
                        match &mut open[r] {
                            Some((_, e)) if ws <= *e => *e = (*e).max(we),
                            slot => {
                                if let Some((s, e)) = slot.take() {
                                    let (s, e) = widen(data, s, e);
                                    if wanted((s, e)) {
                                        self.run_rule(r, data, s, e, &mut seen, out);
                                    }
                                } else {
                                    touched.push(r);
                                }
                                *slot = Some((ws, we));
                            }
                        }
                    }
                    Target::Decode(trig) if depth < MAX_DECODE_DEPTH => {
                        // A hit inside a whole value already found (a base64 run) adds nothing; not
                        // looking for it again keeps a long run with many keywords linear.
                        if trig.spans_value()
                            && decode_windows
                                .iter()
                                .rev()
                                .take(8)
                                .any(|&(t, s, e)| t == trig && s <= hit.start && hit.end <= e)
                        {
                            continue;
                        }
                        let (s, e) = trig.window(data, hit.start, hit.end);
                        match decode_windows.last_mut() {
                            Some((t, _, pe)) if *t == trig && s <= *pe => *pe = (*pe).max(e),
                            _ => decode_windows.push((trig, s, e)),
                        }
                    }
                    Target::Decode(_) => {}
                }
            }
        }
        for r in touched {
            if let Some((s, e)) = open[r].take() {
                let (s, e) = widen(data, s, e);
                if wanted((s, e)) {
                    self.run_rule(r, data, s, e, &mut seen, out);
                }
            }
        }
        let mut budget = MAX_DECODED;
        for (trig, s, e) in decode_windows {
            for (span, kind, decoded) in trig.candidates(data, s, e) {
                if !wanted(span) {
                    continue;
                }
                if budget == 0 {
                    return;
                }
                budget -= 1;
                let mut inner = Vec::new();
                self.scan_depth(&decoded, depth + 1, None, None, &mut inner);
                for m in inner {
                    if seen.insert((m.rule, span.0, span.1 + m.start)) {
                        out.push(Match {
                            start: span.0,
                            end: span.1,
                            decoded: Some(kind),
                            ..m
                        });
                    }
                }
            }
        }
    }

    /// Where rule `r` may match around a keyword hit. A rule without an explicit `window` matches on the
    /// hit's own line (what almost every secret assignment is): searching a line rather than a fixed
    /// span cuts the regex work on dense source code by an order of magnitude. Rules whose secrets span
    /// lines (key blocks, a value on the line after its name) declare how far after the hit to look.
    fn window(&self, r: usize, data: &[u8], s: usize, e: usize) -> (usize, usize) {
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
    fn run_rule(
        &self,
        r: usize,
        data: &[u8],
        s: usize,
        e: usize,
        seen: &mut HashSet<(usize, usize, usize)>,
        out: &mut Vec<Match>,
    ) {
        if !self.rules[r].spec.window_may_match(&data[s..e]) {
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
        let (re, secret_group) = rule.regex();
        let mut found = Vec::new();
        CACHES.with_borrow_mut(|caches| {
            let (cache, caps) = caches
                .entry((self.id, r))
                .or_insert_with(|| (re.create_cache(), re.create_captures()));
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

    /// Where a provider rule and a generic rule report the same (overlapping) span, only the provider
    /// rule reports. Likewise a rule tagged [`SHARED_PREFIX`] (its token prefix is also used by other
    /// providers' formats) gives way to another provider rule on the same span: that one recognised the
    /// provider, e.g. from its name in the key, so each token is reported once, by the right rule.
    fn resolve_overlaps(&self, ms: Vec<Match>) -> Vec<Match> {
        // The same rule on overlapping spans (a token found as written and again after URL-decoding
        // its line) is one finding: the one as written.
        let (plain, decoded): (Vec<Match>, Vec<Match>) =
            ms.into_iter().partition(|m| m.decoded.is_none());
        let mut kept = plain;
        for m in decoded {
            if !kept
                .iter()
                .any(|k| k.rule == m.rule && k.start < m.end && m.start < k.end)
            {
                kept.push(m);
            }
        }
        kept.sort_by_key(|m| (m.start, m.end, m.rule));
        let mut ms = kept;
        let specific: Vec<(usize, usize)> = ms
            .iter()
            .filter(|m| !self.rules[m.rule].spec.generic)
            .map(|m| (m.start, m.end))
            .collect();
        let owned: Vec<(usize, usize)> = ms
            .iter()
            .filter(|m| {
                let r = &self.rules[m.rule];
                !m.vetoed && !r.spec.generic && !r.has_tag(SHARED_PREFIX)
            })
            .map(|m| (m.start, m.end))
            .collect();
        let overlaps = |spans: &[(usize, usize)], m: &Match| {
            spans.iter().any(|&(s, e)| s < m.end && m.start < e)
        };
        ms.retain(|m| {
            let r = &self.rules[m.rule];
            !m.vetoed
                && (!r.spec.generic || !overlaps(&specific, m))
                && (!r.has_tag(SHARED_PREFIX) || !overlaps(&owned, m))
        });
        ms
    }
}

/// `data[s..e]` widened to token boundaries, so a window edge never cuts a token in two.
fn widen(data: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
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
fn touches(focus: &[(usize, usize)], s: usize, e: usize) -> bool {
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
