//! The human report, shaped like ripgrep's output: findings grouped under their file, `line:col`, then
//! severity, rule and the redacted secret; a summary line with counts, bytes and time.

use super::escape::terminal;
use super::Context;
use crate::finding::{Finding, LifetimeKind, Severity};

/// ANSI colour, when the resolved settings ask for it (decided once, passed down: no global switch).
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn sgr(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// The text report.
pub(crate) fn render(cx: &Context) -> String {
    let paint = Paint(cx.color);
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for f in &cx.outcome.findings {
        if last != Some(f.origin.display.as_str()) {
            if last.is_some() {
                out.push('\n');
            }
            out.push_str(&format!(
                "{}\n",
                paint.sgr("1;35", &terminal(&f.origin.display))
            ));
            last = Some(&f.origin.display);
        }
        out.push_str(&line(f, cx.show_secrets, paint));
    }
    if !cx.outcome.findings.is_empty() {
        out.push('\n');
    }
    if cx.summary {
        if let Some(f) = cx.outcome.findings.first() {
            let how = format!(
                "accept a finding: an [[allow]] entry in .nhiscan.toml with its fingerprint (fingerprint = \"{}\", reason, expires), or `nhiscan:allow <reason>` on its line",
                short_fp(&f.fingerprint)
            );
            out.push_str(&format!("{}\n", paint.sgr("2", &how)));
        }
        out.push_str(&summary(cx));
        out.push('\n');
    }
    out
}

fn line(f: &Finding, show: bool, paint: Paint) -> String {
    let padded = format!("{:<8}", f.severity.as_str());
    let sev = match f.severity {
        Severity::Critical => paint.sgr("1;31", &padded),
        Severity::High => paint.sgr("31", &padded),
        Severity::Medium => paint.sgr("33", &padded),
        _ => padded,
    };
    let mut s = format!(
        "{}:{}  {}  {}  {}",
        paint.sgr("32", &f.line.to_string()),
        f.column,
        sev,
        paint.sgr("36", &f.rule_id),
        terminal(&f.message)
    );
    if let Some(secret) = f.shown_secret(show) {
        s.push_str(&format!("  {}", paint.sgr("1", &terminal(secret))));
    }
    s.push_str(&format!(
        "  {}",
        paint.sgr("2", &format!("fp:{}", short_fp(&f.fingerprint)))
    ));
    if let Some(l) = &f.lifetime {
        if l.kind == LifetimeKind::LongLived || l.kind == LifetimeKind::Expired {
            let tag = if l.kind == LifetimeKind::Expired {
                "expired"
            } else {
                "long-lived"
            };
            s.push_str(&format!("  [{}]", paint.sgr("2", tag)));
        }
    }
    if f.context != crate::context::Context::Production {
        s.push_str(&format!("  [{}]", paint.sgr("2", f.context.as_str())));
    }
    s.push('\n');
    if !f.policies.is_empty() {
        s.push_str(&format!(
            "    {} {}\n",
            paint.sgr("2", "violates:"),
            f.policies.join(", ")
        ));
    }
    // The finding's own properties override its origin's, as in JSON.
    let origin_only = f
        .origin
        .properties
        .iter()
        .filter(|(k, _)| !f.properties.contains_key(*k));
    for (k, v) in origin_only.chain(&f.properties) {
        let v = match v {
            serde_json::Value::String(v) => v.clone(),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => v.to_string(),
            serde_json::Value::Array(a) if !a.is_empty() && a.iter().all(|x| x.is_string()) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            _ => continue,
        };
        s.push_str(&format!(
            "    {} {}\n",
            paint.sgr("2", &format!("{}:", terminal(k))),
            terminal(&v)
        ));
    }
    s
}

/// The fingerprint as the text report shows it: enough to be unique, short enough to read;
/// `[[allow]]` entries accept it.
pub(crate) fn short_fp(fp: &str) -> &str {
    &fp[..fp.len().min(12)]
}

/// The summary line: counts, bytes, time, long-lived credentials, password hashes, incompleteness.
pub(crate) fn summary(cx: &Context) -> String {
    let s = &cx.outcome.summary;
    let mut parts = vec![];
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|k| s.by_severity.get(*k).map(|n| format!("{n} {k}")))
        .collect();
    let head = if sev.is_empty() {
        format!("{} findings", s.findings)
    } else {
        format!("{} findings ({})", s.findings, sev.join(", "))
    };
    parts.push(head);
    parts.push(format!(
        "{} files, {} scanned in {:.2}s",
        s.files,
        human_bytes(s.bytes),
        s.seconds
    ));
    if s.long_lived > 0 {
        parts.push(format!("{} long-lived credentials", s.long_lived));
    }
    if s.password_hashes > 0 {
        parts.push(format!("{} password hashes", s.password_hashes));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        parts.push(format!("{} in baseline", s.baselined));
    }
    if s.hidden_by_context > 0 {
        parts.push(format!(
            "{} generic/posture in tests, examples, docs or vendored code not shown (--context all)",
            s.hidden_by_context
        ));
    }
    if s.below_confidence > 0 {
        parts.push(format!("{} below --min-confidence", s.below_confidence));
    }
    if s.skipped > 0 {
        parts.push(format!("{} skipped", s.skipped));
    }
    if s.errors > 0 {
        parts.push(format!("{} errors", s.errors));
    }
    if s.incomplete {
        parts.push("INCOMPLETE: some content could not be read".to_string());
    }
    parts.join(" · ")
}

pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
