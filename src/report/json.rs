//! JSON (one document: findings, summary, errors, skipped files) and JSONL (one finding a line).

use serde_json::json;

use super::Context;

pub fn render(cx: &Context) -> String {
    let o = cx.outcome;
    let doc = json!({
        "tool": { "name": "nhiscan", "version": env!("CARGO_PKG_VERSION") },
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

pub fn render_lines(cx: &Context) -> String {
    let mut s = String::new();
    for f in &cx.outcome.findings {
        s.push_str(&serde_json::to_string(&f.to_json(cx.show_secrets)).expect("json"));
        s.push('\n');
    }
    s
}
