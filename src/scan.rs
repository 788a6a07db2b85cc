//! The scanner: one content unit (bytes + origin) in, findings out. It is the only place that joins the
//! regex engine and the structural analyzers, and the only place that turns byte offsets into lines.
//! Every source (filesystem, git, staged changes, image layers, stdin) calls [`Scanner::scan`].

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;

use crate::analyze::{self, BuildContext};
use crate::context::{Context, ContextRules};
use crate::engine::{Engine, Rule};
use crate::finding::{self, Finding, Lifetime, Origin, Severity};

/// What the scanner reads: sources produce units (`crate::source`).
/// One piece of content to scan: its bytes and where they come from.
pub(crate) struct Unit<'a> {
    pub data: &'a [u8],
    pub origin: Arc<Origin>,
    /// The build context of a Dockerfile read from disk, for analyzers that look at what `COPY .`
    /// would send; None everywhere else (a Dockerfile inside an image or a commit has no context here).
    pub context: Option<&'a dyn BuildContext>,
    /// When only some lines are new (a staged change, the commits of `--since`): the 1-based,
    /// inclusive line ranges whose findings count. None: the whole unit.
    pub lines: Option<&'a [(usize, usize)]>,
    /// The unit's keyword hits when its source already knows them (a git blob pieced from a
    /// version whose hits are known, [`crate::engine::derive`]); None: the engine finds them.
    pub hits: Option<&'a [crate::engine::keywords::Hit]>,
}

impl<'a> Unit<'a> {
    /// A whole unit with no build context.
    pub(crate) fn new(data: &'a [u8], origin: Arc<Origin>) -> Unit<'a> {
        Unit {
            data,
            origin,
            context: None,
            lines: None,
            hits: None,
        }
    }

    /// True when a finding spanning `line..=end_line` is on the lines that count.
    pub(crate) fn counts(&self, line: usize, end_line: usize) -> bool {
        self.lines
            .is_none_or(|r| r.iter().any(|&(a, b)| line <= b && end_line.max(line) >= a))
    }
}

/// The rule tag of credentials anyone can mint locally (private keys, JWTs): in a test or an example
/// they are almost always made for it, unlike a provider's token, which a provider issued.
const SELF_ISSUED: &str = "self-issued";

/// Inline suppression marker: on the same line as the finding.
pub const ALLOW_MARKER: &[u8] = b"nhiscan:allow";

/// The engine and the analyzers, ready to scan units.
pub struct Scanner {
    pub(crate) engine: Engine,
    /// Rule index by id, for analyzer hits.
    by_id: HashMap<String, usize>,
    /// The longest a token may live and still count as short-lived (the policy's, or a day).
    max_token_seconds: u64,
    /// The project's context globs, before the path conventions.
    contexts: ContextRules,
}

/// What scanning one unit produced: findings, plus messages about the unit (malformed YAML, ...).
#[derive(Default)]
pub struct UnitResult {
    /// The findings, suppressed ones included (with `suppressed` set).
    pub findings: Vec<Finding>,
    /// Problems with the unit that did not stop the scan (malformed YAML, an analyzer failure).
    pub errors: Vec<String>,
}

impl Scanner {
    /// Compiles the keyword table of `rules`; `max_token_seconds` decides when a JWT is long-lived.
    pub(crate) fn new(rules: Vec<Rule>, max_token_seconds: u64) -> Result<Scanner> {
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.spec.id.clone(), i))
            .collect();
        Ok(Scanner {
            engine: Engine::new(rules)?,
            by_id,
            max_token_seconds,
            contexts: ContextRules::default(),
        })
    }

    /// The same scanner judging contexts with the project's globs first.
    pub(crate) fn with_contexts(self, contexts: ContextRules) -> Scanner {
        Scanner { contexts, ..self }
    }

    /// The same scanner with `[contexts]` globs, as `.nhiscan.toml` gives them: files matching a glob
    /// are in that context whatever their path conventions say.
    pub fn with_context_globs(self, globs: &[(Context, &str)]) -> Result<Scanner> {
        let mut map = std::collections::BTreeMap::<Context, Vec<String>>::new();
        for (c, g) in globs {
            map.entry(*c).or_default().push(g.to_string());
        }
        Ok(self.with_contexts(ContextRules::new(&map)?))
    }

    /// The engine's keyword pass.
    pub(crate) fn keywords(&self) -> Option<&crate::engine::keywords::Keywords> {
        self.engine.keywords()
    }

    /// The rule with this id, if it runs.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| self.engine.rule(i))
    }

    /// The built-in rules, ready to scan (tests and benches).
    pub fn builtin() -> Result<Scanner> {
        Scanner::new(
            crate::engine::rule::builtin()?,
            crate::lifetime::DEFAULT_MAX_SECONDS,
        )
    }

    /// Only the built-in rules `ids` (tests of one rule's behaviour); an unknown id is an error.
    pub fn only(ids: &[&str]) -> Result<Scanner> {
        let rules: Vec<Rule> = crate::engine::rule::builtin()?
            .into_iter()
            .filter(|r| ids.contains(&r.id()))
            .collect();
        if rules.len() != ids.len() {
            anyhow::bail!("unknown rule id in {ids:?}");
        }
        Scanner::new(rules, crate::lifetime::DEFAULT_MAX_SECONDS)
    }

    /// Scans `data` as the file at `path` (the path analyzers choose by), with no build context.
    pub fn scan_file(&self, path: &str, data: &[u8]) -> UnitResult {
        self.scan(&Unit::new(data, Arc::new(Origin::file(path, path))))
    }

    /// Runs the engine and the analyzers on one unit.
    pub(crate) fn scan(&self, unit: &Unit<'_>) -> UnitResult {
        let (data, origin) = (unit.data, &unit.origin);
        let mut res = UnitResult::default();
        // Line starts are computed only for units that have something to report.
        let index = std::cell::OnceCell::new();
        let lines = || index.get_or_init(|| LineIndex::new(data));
        // The file's context, judged once and only for units with findings.
        let context = std::cell::OnceCell::new();
        let context = || *context.get_or_init(|| self.contexts.classify(&origin.name, data));
        let focus = unit.lines.map(|ranges| lines().bytes_of(data, ranges));
        for m in self.engine.scan_with(data, unit.hits, focus.as_deref()) {
            let rule = self.engine.rule(m.rule);
            let (line, column) = lines().position(data, m.start);
            let (end_line, end_column) = lines().position(data, m.end);
            let secret = String::from_utf8_lossy(&m.secret).into_owned();
            // `vault:…`, `arn:aws:secretsmanager:…`, `@Microsoft.KeyVault(…)`, SOPS `ENC[…]`: the
            // right practice, not a secret.
            if crate::analyze::vocab::is_store_reference(&secret) {
                continue;
            }
            let (lifetime, severity) =
                lifetime_and_severity(rule, &secret, rule.spec.severity, self.max_token_seconds);
            let mut message = rule.spec.title.clone();
            if let Some(d) = m.decoded {
                message.push_str(&format!(" ({})", crate::engine::decode::describe(d)));
            }
            let (severity, demoted) = in_context(rule, severity, context());
            let mut f = Finding {
                rule_id: rule.spec.id.clone(),
                title: rule.spec.title.clone(),
                kind: rule.spec.kind,
                severity,
                confidence: rule.confidence(),
                context: context(),
                demoted,
                message,
                origin: origin.clone(),
                line,
                column,
                end_line,
                end_column,
                redacted: Some(finding::redact(&secret)),
                fingerprint: finding::fingerprint(&rule.spec.id, &m.secret),
                lifetime: Some(lifetime),
                entropy: Some((m.entropy * 1000.0).round() / 1000.0),
                decoded: m.decoded.map(str::to_owned),
                properties: Default::default(),
                policies: Vec::new(),
                suppressed: lines().allowed(data, line),
                secret: Some(secret),
            };
            crate::inventory::annotate(rule, &mut f, data, Some((m.start, m.end)));
            res.findings.push(f);
        }
        let mut hits = Vec::new();
        let subject = analyze::Subject {
            name: &origin.name,
            data,
            context: unit.context,
        };
        // An analyzer that trips on a file must not take the rules' findings with it.
        let analyzed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            analyze::run(&subject, &mut hits, &mut res.errors)
        }));
        if analyzed.is_err() {
            hits.clear();
            res.errors.push(
                "internal error in a structural analyzer (a bug in nhiscan): not analyzed; the rules still ran".into(),
            );
        }
        for h in hits {
            let Some(rule) = self.rule(h.rule_id) else {
                continue;
            };
            let line = h.line.max(1);
            // The same secret on the same line from a regex rule: a provider rule says more than a
            // config-file analyzer (it is kept, the hit dropped); a generic rule says less (replaced).
            if let Some(hs) = h.secret.as_deref() {
                // An analyzer names the key's line; a value on the next line (a YAML block scalar)
                // is found there by the rules, with the block's line break trimmed.
                let same = |f: &Finding| {
                    (f.line == line || f.line == line + 1)
                        && f.secret.as_deref().map(str::trim) == Some(hs.trim())
                };
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
                    let (l, sev) =
                        lifetime_and_severity(rule, secret, base, self.max_token_seconds);
                    (Some(l), sev)
                }
                None => (None, base),
            };
            let mut message = rule.spec.title.clone();
            if !h.message.is_empty() {
                message = format!("{message}: {}", h.message);
            }
            let (severity, demoted) = in_context(rule, severity, context());
            let mut f = Finding {
                rule_id: rule.spec.id.clone(),
                title: rule.spec.title.clone(),
                kind: rule.spec.kind,
                severity,
                confidence: rule.confidence(),
                context: context(),
                demoted,
                message,
                origin: origin.clone(),
                line,
                column: h.column.max(1),
                end_line: h.end_line.max(line),
                end_column: 1,
                redacted: h.secret.as_deref().map(finding::redact),
                fingerprint: finding::fingerprint(&rule.spec.id, &h.value),
                lifetime,
                entropy: None,
                decoded: None,
                properties: h.properties,
                policies: Vec::new(),
                suppressed: lines().allowed(data, line),
                secret: h.secret,
            };
            crate::inventory::annotate(rule, &mut f, data, None);
            res.findings.push(f);
        }
        res
    }
}

/// The severity in `context`, and whether the finding is demoted there: generic, posture and
/// self-issued findings (private keys and JWTs anyone can mint, as tests do) in tests, examples, docs
/// and vendored code go one step down; a provider-issued secret never does.
fn in_context(rule: &Rule, severity: Severity, context: Context) -> (Severity, bool) {
    let demotable = rule.spec.generic
        || rule.spec.kind != finding::Category::Secret
        || rule.has_tag(SELF_ISSUED);
    if demotable && context.demotes() {
        (severity.lower(), true)
    } else {
        (severity, false)
    }
}

/// A secret's lifetime, and its severity: an already expired credential is one step less severe.
fn lifetime_and_severity(
    rule: &Rule,
    secret: &str,
    base: Severity,
    max_token_seconds: u64,
) -> (Lifetime, Severity) {
    let lifetime = crate::lifetime::refine(rule, secret, max_token_seconds);
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

/// Characters in `b`: every byte that does not continue a UTF-8 sequence.
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c as i8) >= -0x40).count()
}

/// Line starts of a unit, computed once so many findings in one large file stay cheap.
struct LineIndex {
    starts: Vec<usize>,
    /// The last position computed: columns of further findings on the same line continue from it,
    /// so many findings on one long line cost the line once, not once each.
    last: std::cell::Cell<(usize, usize, usize)>,
    /// `nhiscan:allow` verdicts by line, for the same reason.
    allows: std::cell::RefCell<HashMap<usize, Option<String>>>,
}

impl LineIndex {
    fn new(data: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        LineIndex {
            starts,
            last: std::cell::Cell::new((0, 0, 1)),
            allows: Default::default(),
        }
    }

    /// The bytes of 1-based inclusive line ranges, as sorted closed intervals: from a range's first
    /// byte to the start of the line after it (a span ending there is on the range's last line).
    fn bytes_of(&self, data: &[u8], ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let at = |line: usize| self.starts.get(line).copied().unwrap_or(data.len());
        let mut out: Vec<(usize, usize)> = ranges
            .iter()
            .filter(|&&(a, b)| a >= 1 && a <= b && a <= self.starts.len())
            .map(|&(a, b)| (at(a - 1), at(b)))
            .collect();
        out.sort_unstable();
        out
    }

    /// 1-based line and 1-based column in characters (UTF-8 sequences count once).
    fn position(&self, data: &[u8], offset: usize) -> (usize, usize) {
        let offset = offset.min(data.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let (l_line, l_off, l_col) = self.last.get();
        let (from, col) = if l_line == line && l_off <= offset && l_off >= start {
            (l_off, l_col)
        } else {
            (start, 1)
        };
        let col = col + chars(&data[from..offset]);
        self.last.set((line, offset, col));
        (line, col)
    }

    /// The inline `nhiscan:allow` on `line`, if any.
    fn allowed(&self, data: &[u8], line: usize) -> Option<String> {
        self.allows
            .borrow_mut()
            .entry(line)
            .or_insert_with(|| inline_allow(self.line_text(data, line)))
            .clone()
    }

    fn line_text<'a>(&self, data: &'a [u8], line: usize) -> &'a [u8] {
        let Some(&s) = self.starts.get(line.saturating_sub(1)) else {
            return &[];
        };
        let e = self.starts.get(line).map_or(data.len(), |&e| e);
        &data[s.min(data.len())..e.min(data.len())]
    }
}
