//! The scanner: one content unit (bytes + origin) in, findings out. It is the only place that joins the
//! regex engine and the structural analyzers, and the only place that turns byte offsets into lines.
//! Every source (filesystem, git, staged changes, image layers, stdin) calls [`Scanner::scan`].

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;

use crate::analyze;
use crate::engine::{Engine, Rule};
use crate::finding::{self, Finding, Lifetime, Origin, Severity};
use crate::source::Unit;

/// Inline suppression marker: on the same line as the finding.
pub const ALLOW_MARKER: &[u8] = b"nhiscan:allow";

pub struct Scanner {
    pub engine: Engine,
    /// Rule index by id, for analyzer hits.
    by_id: HashMap<String, usize>,
}

/// What scanning one unit produced: findings, plus messages about the unit (malformed YAML, ...).
#[derive(Default)]
pub struct UnitResult {
    pub findings: Vec<Finding>,
    pub errors: Vec<String>,
}

impl Scanner {
    pub fn new(rules: Vec<Rule>) -> Result<Scanner> {
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.spec.id.clone(), i))
            .collect();
        Ok(Scanner {
            engine: Engine::new(rules)?,
            by_id,
        })
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| self.engine.rule(i))
    }

    /// Scans bytes with an origin and no build context (sources not yet producing [`Unit`]s).
    pub fn scan_bytes(&self, data: &[u8], origin: &Arc<Origin>) -> UnitResult {
        self.scan(&Unit::new(data, origin.clone()))
    }

    /// Runs the engine and the analyzers on one unit.
    pub(crate) fn scan(&self, unit: &Unit<'_>) -> UnitResult {
        let (data, origin) = (unit.data, &unit.origin);
        let mut res = UnitResult::default();
        // Line starts are computed only for units that have something to report.
        let index = std::cell::OnceCell::new();
        let lines = || index.get_or_init(|| LineIndex::new(data));
        for m in self.engine.scan(data) {
            let rule = self.engine.rule(m.rule);
            let (line, column) = lines().position(data, m.start);
            let (end_line, end_column) = lines().position(data, m.end);
            let secret = String::from_utf8_lossy(&m.secret).into_owned();
            // `vault:…`, `arn:aws:secretsmanager:…`, `@Microsoft.KeyVault(…)`, SOPS `ENC[…]`: the
            // right practice, not a secret.
            if crate::analyze::vocab::is_store_reference(&secret) {
                continue;
            }
            let (lifetime, severity) = lifetime_and_severity(rule, &secret, rule.spec.severity);
            let mut message = rule.spec.title.clone();
            if let Some(d) = m.decoded {
                message.push_str(&format!(" (in {d}-encoded text)"));
            }
            res.findings.push(Finding {
                rule_id: rule.spec.id.clone(),
                title: rule.spec.title.clone(),
                kind: rule.spec.kind.clone(),
                severity,
                message,
                origin: origin.clone(),
                line,
                column,
                end_line,
                end_column,
                redacted: Some(finding::redact(&secret)),
                fingerprint: finding::fingerprint(&rule.spec.id, &m.secret),
                location_fingerprint: finding::location_fingerprint(
                    &rule.spec.id,
                    &origin.artifact,
                    line,
                ),
                lifetime: Some(lifetime),
                entropy: Some((m.entropy * 1000.0).round() / 1000.0),
                decoded: m.decoded.map(str::to_owned),
                properties: Default::default(),
                suppressed: inline_allow(lines().line_text(data, line)),
                secret: Some(secret),
            });
        }
        let mut hits = Vec::new();
        let subject = analyze::Subject {
            name: &origin.name,
            data,
            context: unit.context,
        };
        analyze::run(&subject, &mut hits, &mut res.errors);
        for h in hits {
            let Some(rule) = self.rule(h.rule_id) else {
                continue;
            };
            let line = h.line.max(1);
            // The same secret on the same line from a regex rule: a provider rule says more than a
            // config-file analyzer (it is kept, the hit dropped); a generic rule says less (replaced).
            if h.secret.is_some() {
                let same = |f: &Finding| f.line == line && f.secret == h.secret;
                let generic = |f: &Finding| self.rule(&f.rule_id).is_some_and(|r| r.spec.generic);
                if res.findings.iter().any(|f| same(f) && !generic(f)) {
                    continue;
                }
                res.findings.retain(|f| !same(f));
            }
            let base = h.severity.unwrap_or(rule.spec.severity);
            let base = if h.lower_severity { base.lower() } else { base };
            let (lifetime, severity) = match h.secret.as_deref() {
                Some(secret) => {
                    let (l, sev) = lifetime_and_severity(rule, secret, base);
                    (Some(l), sev)
                }
                None => (None, base),
            };
            let mut message = rule.spec.title.clone();
            if !h.message.is_empty() {
                message = format!("{message}: {}", h.message);
            }
            res.findings.push(Finding {
                rule_id: rule.spec.id.clone(),
                title: rule.spec.title.clone(),
                kind: rule.spec.kind.clone(),
                severity,
                message,
                origin: origin.clone(),
                line,
                column: h.column.max(1),
                end_line: h.end_line.max(line),
                end_column: 1,
                redacted: h.secret.as_deref().map(finding::redact),
                fingerprint: finding::fingerprint(&rule.spec.id, &h.value),
                location_fingerprint: finding::location_fingerprint(
                    &rule.spec.id,
                    &origin.artifact,
                    line,
                ),
                lifetime,
                entropy: None,
                decoded: None,
                properties: h.properties,
                suppressed: inline_allow(lines().line_text(data, line)),
                secret: h.secret,
            });
        }
        res
    }
}

/// A secret's lifetime, and its severity: an already expired credential is one step less severe.
fn lifetime_and_severity(rule: &Rule, secret: &str, base: Severity) -> (Lifetime, Severity) {
    let lifetime = crate::lifetime::refine(rule, secret);
    let severity = if lifetime.kind == finding::LifetimeKind::Expired {
        base.lower()
    } else {
        base
    };
    (lifetime, severity)
}

fn inline_allow(line: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(line, ALLOW_MARKER)?;
    let rest = String::from_utf8_lossy(&line[at + ALLOW_MARKER.len()..]);
    let reason = rest
        .trim()
        .trim_end_matches("*/")
        .trim_end_matches("-->")
        .trim();
    Some(if reason.is_empty() {
        "inline nhiscan:allow".to_string()
    } else {
        format!("inline: {reason}")
    })
}

/// Line starts of a unit, computed once so many findings in one large file stay cheap.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(data: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and 1-based column in characters.
    fn position(&self, data: &[u8], offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = String::from_utf8_lossy(&data[start..offset.min(data.len())])
            .chars()
            .count()
            + 1;
        (line, col)
    }

    fn line_text<'a>(&self, data: &'a [u8], line: usize) -> &'a [u8] {
        let Some(&s) = self.starts.get(line.saturating_sub(1)) else {
            return &[];
        };
        let e = self.starts.get(line).map_or(data.len(), |&e| e);
        &data[s.min(data.len())..e.min(data.len())]
    }
}
