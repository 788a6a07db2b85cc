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
mod required;
pub(crate) mod rule;
mod window;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

pub(crate) use rule::Rule;
use window::{touches, widen};

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

thread_local! {
    /// The open window of each rule while one unit's hits are walked (see `scan_depth`).
    static OPEN: std::cell::Cell<Vec<Option<(usize, usize)>>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Distinguishes engines in the per-thread regex caches.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(0);

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
        if hits.is_empty() {
            return;
        }
        // Windows per rule, merged while hits overlap; flushed when a hit falls past the open window.
        // The slots are the thread's, one per rule, all empty between calls: a new vector per unit
        // was 13 KB to allocate and fill for every file with a keyword.
        let mut open = OPEN.take();
        open.resize(self.rules.len(), None);
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
        OPEN.set(open);
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
