//! One last pass over everything a report will print: every secret the scan found is redacted
//! wherever else it appears — in the origins of other findings (an image layer's `created_by` with a
//! `git clone https://ghp_…@`, a commit subject), in messages, error lines and skip reasons — unless
//! `--show-secrets`. The finding that found a secret shows it redacted already; this covers the
//! places that copied it before anyone knew it was one.

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use serde_json::Value;

use crate::finding::{redact, Finding, Origin, ScanError, Skipped};

/// Secrets shorter than this are not searched for elsewhere: short values (a 6-character password)
/// would redact unrelated text.
const MIN_LEN: usize = 8;

/// Redacts every found secret in the texts of `findings`, `errors` and `skipped`.
pub(crate) fn scrub(findings: &mut [Finding], errors: &mut [ScanError], skipped: &mut [Skipped]) {
    let mut secrets: Vec<&str> = findings
        .iter()
        .filter_map(|f| f.secret.as_deref())
        .filter(|s| s.len() >= MIN_LEN)
        .collect();
    if secrets.is_empty() {
        return;
    }
    secrets.sort_unstable();
    secrets.dedup();
    let secrets: Vec<String> = secrets.into_iter().map(str::to_owned).collect();
    let Ok(ac) = AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(&secrets)
    else {
        return;
    };
    let clean = |s: &str| -> Option<String> {
        if !ac.is_match(s) {
            return None;
        }
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for m in ac.find_iter(s) {
            out.push_str(&s[last..m.start()]);
            out.push_str(&redact(&secrets[m.pattern().as_usize()]));
            last = m.end();
        }
        out.push_str(&s[last..]);
        Some(out)
    };
    let mut origins: HashMap<*const Origin, Arc<Origin>> = HashMap::new();
    for f in findings.iter_mut() {
        if let Some(m) = clean(&f.message) {
            f.message = m;
        }
        scrub_map(&mut f.properties, &clean);
        let key = Arc::as_ptr(&f.origin);
        let new = origins
            .entry(key)
            .or_insert_with(|| scrub_origin(&f.origin, &clean).unwrap_or_else(|| f.origin.clone()))
            .clone();
        f.origin = new;
    }
    for e in errors.iter_mut() {
        if let Some(m) = clean(&e.message) {
            e.message = m;
        }
        if let Some(p) = clean(&e.path) {
            e.path = p;
        }
    }
    for s in skipped.iter_mut() {
        if let Some(r) = clean(&s.reason) {
            s.reason = r;
        }
        if let Some(p) = clean(&s.path) {
            s.path = p;
        }
    }
}

/// The same redaction for findings streamed as they are found (JSONL): each is cleaned of every secret
/// found so far, its own included, before it is written. A secret found only later cannot be taken
/// back from lines already written; the sources redact what they copy (`created_by`, commit subjects)
/// at the source for that reason, and this catches what they copied before anyone knew it was one.
#[derive(Default)]
pub(crate) struct Streamed {
    secrets: Vec<String>,
    seen: std::collections::HashSet<String>,
    /// An automaton over `secrets[..built]`; the rest are searched one by one until their number
    /// doubles, so rebuilding costs O(n log n) over a scan.
    ac: Option<AhoCorasick>,
    built: usize,
}

impl Streamed {
    /// Adds the finding's secret to those found so far, then redacts all of them in its texts.
    pub(crate) fn clean(&mut self, f: &mut Finding) {
        if let Some(s) = f.secret.as_deref().filter(|s| s.len() >= MIN_LEN) {
            if self.seen.insert(s.to_owned()) {
                self.secrets.push(s.to_owned());
                if self.secrets.len() >= 2 * self.built.max(8) {
                    self.ac = AhoCorasick::builder()
                        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                        .build(&self.secrets)
                        .ok();
                    self.built = if self.ac.is_some() {
                        self.secrets.len()
                    } else {
                        0
                    };
                }
            }
        }
        if self.secrets.is_empty() {
            return;
        }
        let clean = |s: &str| -> Option<String> {
            let mut out: Option<String> = None;
            if let Some(ac) = &self.ac {
                if ac.is_match(s) {
                    let mut o = String::with_capacity(s.len());
                    let mut last = 0;
                    for m in ac.find_iter(s) {
                        o.push_str(&s[last..m.start()]);
                        o.push_str(&redact(&self.secrets[m.pattern().as_usize()]));
                        last = m.end();
                    }
                    o.push_str(&s[last..]);
                    out = Some(o);
                }
            }
            for secret in &self.secrets[self.built..] {
                let cur = out.as_deref().unwrap_or(s);
                if cur.contains(secret.as_str()) {
                    out = Some(cur.replace(secret.as_str(), &redact(secret)));
                }
            }
            out
        };
        if let Some(m) = clean(&f.message) {
            f.message = m;
        }
        scrub_map(&mut f.properties, &clean);
        if let Some(o) = scrub_origin(&f.origin, &clean) {
            f.origin = o;
        }
    }
}

/// A copy of `o` with found secrets redacted in what it displays (not the artifact path, which SARIF
/// resolves); None when nothing in it needed redacting.
fn scrub_origin(o: &Origin, clean: &dyn Fn(&str) -> Option<String>) -> Option<Arc<Origin>> {
    let mut copy = o.clone();
    let mut changed = false;
    for field in [&mut copy.display, &mut copy.name] {
        if let Some(c) = clean(field) {
            *field = c;
            changed = true;
        }
    }
    if let Some(l) = copy.logical.as_ref().and_then(|l| clean(l)) {
        copy.logical = Some(l);
        changed = true;
    }
    changed |= scrub_map(&mut copy.properties, clean);
    changed.then(|| Arc::new(copy))
}

fn scrub_map(
    m: &mut serde_json::Map<String, Value>,
    clean: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let mut changed = false;
    for v in m.values_mut() {
        changed |= scrub_value(v, clean);
    }
    changed
}

fn scrub_value(v: &mut Value, clean: &dyn Fn(&str) -> Option<String>) -> bool {
    match v {
        Value::String(s) => match clean(s) {
            Some(c) => {
                *s = c;
                true
            }
            None => false,
        },
        Value::Array(a) => a
            .iter_mut()
            .fold(false, |acc, x| scrub_value(x, clean) | acc),
        Value::Object(m) => scrub_map(m, clean),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_finding_is_cleaned_of_every_secret_found_so_far() {
        let mut st = Streamed::default();
        let token = format!("ghp_{}", "Zq7Lm2Xv9Kt4Rw8Np3Bs6Yc1Hd5Jf0Ga2Ue");
        let mut found = finding_with(&token, "found");
        st.clean(&mut found);
        // Enough other secrets that the automaton is rebuilt in between.
        for i in 0..20 {
            let mut other = finding_with(&format!("other-secret-value-{i:04}"), "x");
            st.clean(&mut other);
        }
        let mut later = finding_with(
            "another-secret-value",
            &format!("RUN git clone https://{token}@github.com/x/y"),
        );
        st.clean(&mut later);
        assert!(!later.message.contains(&token), "{}", later.message);
        assert!(later.message.contains(&redact(&token)));
    }

    fn finding_with(secret: &str, message: &str) -> Finding {
        Finding {
            rule_id: "x".into(),
            title: "x".into(),
            kind: crate::finding::Category::Secret,
            severity: crate::finding::Severity::High,
            confidence: crate::finding::Confidence::Medium,
            context: crate::context::Context::Production,
            demoted: false,
            message: message.into(),
            origin: Arc::new(Origin::file("a", "a")),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            secret: Some(secret.into()),
            redacted: Some(redact(secret)),
            fingerprint: String::new(),
            lifetime: None,
            entropy: None,
            decoded: None,
            properties: Default::default(),
            policies: Vec::new(),
            suppressed: None,
        }
    }

    #[test]
    fn a_found_secret_is_redacted_where_it_was_copied() {
        let token = format!("{}{}", "ghp_", "q8Zr0000111122223333444455556666abcd");
        let mut origin = Origin::file("img layer 3", "app.tar");
        origin.properties.insert(
            "created_by".into(),
            Value::String(format!("RUN git clone https://{token}@github.com/x/y")),
        );
        let f = Finding {
            rule_id: "x".into(),
            title: "x".into(),
            kind: crate::finding::Category::Secret,
            severity: crate::finding::Severity::High,
            confidence: crate::finding::Confidence::Medium,
            context: crate::context::Context::Production,
            demoted: false,
            message: format!("seen {token}"),
            origin: Arc::new(origin),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            secret: Some(token.clone()),
            redacted: Some(redact(&token)),
            fingerprint: String::new(),
            lifetime: None,
            entropy: None,
            decoded: None,
            properties: Default::default(),
            policies: Vec::new(),
            suppressed: None,
        };
        let mut findings = vec![f];
        let mut errors = vec![ScanError {
            path: "p".into(),
            message: format!("bad {token} here"),
        }];
        scrub(&mut findings, &mut errors, &mut []);
        let json = serde_json::to_string(&findings[0].to_json(false)).unwrap();
        assert!(!json.contains(&token), "{json}");
        assert!(json.contains("ghp_q8Zr…"), "{json}");
        assert!(!errors[0].message.contains(&token));
        // The finding's own secret stays, for --show-secrets and fingerprints.
        assert_eq!(findings[0].secret.as_deref(), Some(token.as_str()));
    }
}
