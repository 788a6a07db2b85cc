//! The human report, shaped like ripgrep's output: findings grouped under their file, `line:col`, then
//! severity, rule and the redacted secret; a summary line with counts, bytes and time.

use colored::Colorize;

use super::escape::terminal;
use super::Context;
use crate::finding::{Finding, LifetimeKind, Severity};

/// The text report.
pub fn render(cx: &Context) -> String {
    colored::control::set_override(cx.color);
    let mut out = String::new();
    let mut last: Option<&str> = None;
    for f in &cx.outcome.findings {
        if last != Some(f.origin.display.as_str()) {
            if last.is_some() {
                out.push('\n');
            }
            out.push_str(&format!(
                "{}\n",
                terminal(&f.origin.display).magenta().bold()
            ));
            last = Some(&f.origin.display);
        }
        out.push_str(&line(f, cx.show_secrets));
    }
    if !cx.outcome.findings.is_empty() {
        out.push('\n');
    }
    if cx.summary {
        if let Some(f) = cx.outcome.findings.first() {
            out.push_str(&format!(
                "{}\n",
                format!(
                    "accept a finding: an [[allow]] entry in .nhiscan.toml with its fingerprint (fingerprint = \"{}\", reason, expires), or `nhiscan:allow <reason>` on its line",
                    short_fp(&f.fingerprint)
                )
                .dimmed()
            ));
        }
        out.push_str(&summary(cx));
        out.push('\n');
    }
    colored::control::unset_override();
    out
}

fn line(f: &Finding, show: bool) -> String {
    let sev = match f.severity {
        Severity::Critical => f.severity.as_str().red().bold(),
        Severity::High => f.severity.as_str().red(),
        Severity::Medium => f.severity.as_str().yellow(),
        _ => f.severity.as_str().normal(),
    };
    let mut s = format!(
        "{}:{}  {:<8}  {}  {}",
        f.line.to_string().green(),
        f.column,
        sev,
        f.rule_id.cyan(),
        terminal(&f.message)
    );
    if let Some(secret) = f.shown_secret(show) {
        s.push_str(&format!("  {}", terminal(secret).bold()));
    }
    s.push_str(&format!(
        "  {}",
        format!("fp:{}", short_fp(&f.fingerprint)).dimmed()
    ));
    if let Some(l) = &f.lifetime {
        if l.kind == LifetimeKind::LongLived || l.kind == LifetimeKind::Expired {
            let tag = if l.kind == LifetimeKind::Expired {
                "expired"
            } else {
                "long-lived"
            };
            s.push_str(&format!("  [{}]", tag.dimmed()));
        }
    }
    s.push('\n');
    if !f.policies.is_empty() {
        s.push_str(&format!(
            "    {} {}\n",
            "violates:".dimmed(),
            f.policies.join(", ")
        ));
    }
    for (k, v) in f.origin.properties.iter().chain(&f.properties) {
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
            format!("{}:", terminal(k)).dimmed(),
            terminal(&v)
        ));
    }
    s
}

/// The fingerprint as the text report shows it: enough to be unique, short enough to read;
/// `[[allow]]` entries accept it.
pub fn short_fp(fp: &str) -> &str {
    &fp[..fp.len().min(12)]
}

/// The summary line: counts, bytes, time, long-lived credentials, incompleteness.
pub fn summary(cx: &Context) -> String {
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
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        parts.push(format!("{} in baseline", s.baselined));
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

pub fn human_bytes(n: u64) -> String {
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
