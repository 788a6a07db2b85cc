//! JSON (one document: findings, summary, errors, skipped files) and JSONL (one finding a line). The
//! shape is versioned (`schema_version`) and described by `docs/report.schema.json`; the tests
//! validate every report they produce against it.

use serde_json::json;

use super::Context;

/// The version of the JSON report's shape: raised when a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The JSON report.
pub(crate) fn render(cx: &Context) -> String {
    let o = cx.outcome;
    let doc = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "nhiscan", "version": env!("CARGO_PKG_VERSION"), "build": env!("NHISCAN_LONG_VERSION") },
        "complete": !o.summary.incomplete,
        "target": cx.target,
        "findings": o.findings.iter().map(|f| f.to_json(cx.show_secrets)).collect::<Vec<_>>(),
        "summary": o.summary,
        "errors": o.errors,
        "skipped": o.skipped,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json");
    s.push('\n');
    s
}

/// JSONL: one finding a line, then the [`trailer`].
pub(crate) fn render_lines(cx: &Context) -> String {
    let mut s = String::new();
    for f in &cx.outcome.findings {
        s.push_str(&serde_json::to_string(&f.to_json(cx.show_secrets)).expect("json"));
        s.push('\n');
    }
    s.push_str(&trailer(cx));
    s
}

/// The last JSONL line (`"type": "end"`): whether the scan was complete, the summary and the errors,
/// so a stream that ends without it was cut short, and one that has it says what was not read.
pub(crate) fn trailer(cx: &Context) -> String {
    let o = cx.outcome;
    let line = json!({
        "type": "end",
        "schema_version": SCHEMA_VERSION,
        "complete": !o.summary.incomplete,
        "summary": o.summary,
        "errors": o.errors,
    });
    serde_json::to_string(&line).expect("json") + "\n"
}
