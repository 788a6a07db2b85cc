//! The HTML report: one self-contained file (inline CSS and JS, the data as JSON in a
//! `<script type="application/json">`), loading nothing from the network, which its
//! Content-Security-Policy enforces (`default-src 'none'`, the script and style allowed by hash).
//! Secrets are only ever in it redacted. The page renders one page of rows at a time, so it stays
//! fast with tens of thousands of findings; the filters live in the URL fragment.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::inventory::{self, group::key_of, owasp, Input};

const TEMPLATE: &str = include_str!("html/template.html");
const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");
/// Counts what the Content-Security-Policy blocks from the start of the page on, so a resource
/// anything in the page tries to load is noticed (`data-csp-violations` on `<body>`).
const PROBE: &str = "window.nhiscanBlocked=0;document.addEventListener('securitypolicyviolation',function(){window.nhiscanBlocked++;if(document.body)document.body.dataset.cspViolations=String(window.nhiscanBlocked);});";

/// `'sha256-…'` of an inline script or style, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let h = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(h)
    )
}

/// JSON that cannot end its `<script>` element or open a comment: `<`, `>` and `&` become `\u`
/// escapes (they occur only inside JSON strings, where the escapes mean the same).
pub(crate) fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).expect("json");
    let mut out = String::with_capacity(s.len() + 64);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The provider an identity type names (`aws-access-key` → `aws`).
fn provider(kind: &str) -> &str {
    match kind {
        "credential" => "other",
        k => k.split('-').next().unwrap_or(k),
    }
}

fn exposure_bucket(days: u64) -> usize {
    match days {
        0..=29 => 0,
        30..=89 => 1,
        90..=364 => 2,
        365..=729 => 3,
        _ => 4,
    }
}

/// The data the page renders.
pub(crate) fn data(input: &Input) -> Value {
    let inv = inventory::build(input);
    let index: HashMap<&str, usize> = inv
        .identities
        .iter()
        .enumerate()
        .map(|(i, x)| (x.key.as_str(), i))
        .collect();
    let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_category: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_provider: BTreeMap<String, u64> = BTreeMap::new();
    let mut rules: Map<String, Value> = Map::new();
    let mut findings = Vec::with_capacity(input.findings.len());
    for r in &input.findings {
        let f = &r.finding;
        let g = |k: &str| f.get(k).cloned().unwrap_or(Value::Null);
        let st = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        *by_severity.entry(st("severity")).or_default() += 1;
        *by_category.entry(st("category")).or_default() += 1;
        let rule = st("rule_id");
        if !rules.contains_key(&rule) {
            rules.insert(
                rule.clone(),
                json!({"title": st("title"), "remediation": input.remediation.get(&rule)}),
            );
        }
        let props = f.get("properties");
        let p = |k: &str| props.and_then(|p| p.get(k)).cloned();
        let mut pv = Map::new();
        for k in ["commit", "author", "date", "at_head", "exposure_days"] {
            if let Some(v) = p(k) {
                pv.insert(k.into(), v);
            }
        }
        if let Some(d) = p("layer_digest") {
            let i = p("layer_index")
                .map(|i| format!("{i} "))
                .unwrap_or_default();
            pv.insert(
                "layer".into(),
                json!(format!("{i}{}", d.as_str().unwrap_or(""))),
            );
        }
        let path = p("path")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| st("artifact"));
        let identity = index.get(key_of(r).as_str()).copied();
        let kind = identity.map_or("credential", |i| inv.identities[i].kind.as_str());
        *by_provider.entry(provider(kind).to_string()).or_default() += 1;
        findings.push(json!({
            "s": g("severity"), "c": g("category"), "r": rule, "x": g("redacted"),
            "p": path, "l": g("line"), "repo": r.repo, "m": g("message"),
            "i": identity,
            "pv": if pv.is_empty() { Value::Null } else { Value::Object(pv) },
            "ctx": g("context"), "lt": f.pointer("/lifetime/kind").cloned().unwrap_or(Value::Null),
            "o": p("owasp_nhi"),
        }));
    }
    let mut hist = [0u64; 5];
    let (mut creds, mut long_lived, mut from_history) = (0u64, 0u64, 0u64);
    for x in &inv.identities {
        for c in &x.credentials {
            creds += 1;
            if c.lifetime
                .as_ref()
                .and_then(|l| l.get("kind"))
                .and_then(Value::as_str)
                == Some("long-lived")
            {
                long_lived += 1;
            }
            if let Some(d) = c.exposure_days {
                hist[exposure_bucket(d)] += 1;
                from_history += 1;
            }
        }
    }
    let labels = [
        "under 30 days",
        "30–89 days",
        "90 days–1 year",
        "1–2 years",
        "over 2 years",
    ];
    let mut histogram: Vec<Value> = labels
        .iter()
        .zip(hist)
        .map(|(l, n)| json!([l, n]))
        .collect();
    if creds > from_history {
        histogram.push(json!(["not from history", creds - from_history]));
    }
    let share = if creds == 0 {
        "0".to_string()
    } else {
        format!(
            "{long_lived} of {creds} ({:.0}%)",
            100.0 * long_lived as f64 / creds as f64
        )
    };
    let risk_names: Map<String, Value> = owasp::NAMES
        .iter()
        .map(|(id, name)| (id.to_string(), json!(name)))
        .collect();
    json!({
        "title": "nhiscan report",
        "source": input.source,
        "generated": crate::dates::iso_time(crate::dates::now_secs()),
        "summary": {
            "findings": input.findings.len(),
            "identities": inv.identities.len(),
            "by_severity": by_severity,
            "by_category": by_category,
            "by_provider": by_provider,
            "by_risk": inv.summary.by_risk,
            "long_lived_share": share,
            "reused": inv.summary.reused,
            "cross_environment": inv.summary.cross_environment,
            "exposure_histogram": histogram,
        },
        "risk_names": risk_names,
        "runs": input.runs,
        "coverage": input.coverage,
        "identities": inv.identities,
        "rules": rules,
        "findings": findings,
    })
}

/// The whole page.
pub(crate) fn render(input: &Input) -> String {
    let csp = format!(
        "default-src 'none'; script-src {} {}; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(PROBE),
        csp_hash(JS),
        csp_hash(CSS)
    );
    let data = script_json(&data(input));
    let page = TEMPLATE
        .replacen("{{CSP}}", &csp, 1)
        .replacen("{{CSS}}", CSS, 1)
        .replacen("{{VERSION}}", env!("CARGO_PKG_VERSION"), 1)
        .replacen("{{PROBE}}", PROBE, 1)
        .replacen("{{JS}}", JS, 1);
    // The data goes in last, so nothing in it is taken for a placeholder.
    page.replacen("{{DATA}}", &data, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script() {
        let v = json!({"m": "</script><script>alert(1)</script> & <!--"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>'));
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
    }

    #[test]
    fn runs_coverage_and_identities_reach_the_page() {
        let input = Input {
            findings: vec![crate::inventory::Record {
                repo: "r1".into(),
                finding: json!({"rule_id": "x", "title": "X", "category": "secret", "severity": "high",
                    "redacted": "ab…", "fingerprint": "f1", "artifact": "a/prod/.env", "line": 3,
                    "lifetime": {"kind": "long-lived", "reason": "r"},
                    "properties": {"exposure_days": 400, "commit": "c1", "author": "A", "date": "2025-01-01"}}),
            }],
            runs: vec![crate::inventory::input::RunSummary {
                id: "run1".into(),
                started: "2026-11-01T00:00:00Z".into(),
                open: 1,
                new: 1,
                fixed: 0,
            }],
            ..Default::default()
        };
        let d = data(&input);
        assert_eq!(d["runs"][0]["new"], 1);
        assert_eq!(
            d["findings"][0]["i"], 0,
            "the finding points at its identity"
        );
        assert_eq!(d["findings"][0]["pv"]["commit"], "c1");
        assert_eq!(d["summary"]["long_lived_share"], "1 of 1 (100%)");
        assert_eq!(
            d["summary"]["exposure_histogram"][3],
            json!(["1–2 years", 1])
        );
        assert_eq!(d["summary"]["by_provider"]["other"], 1);
    }

    #[test]
    fn page_is_self_contained() {
        let page = render(&Input::default());
        assert!(page.contains("default-src 'none'"));
        assert!(!page.contains("{{"), "every placeholder filled");
        for bad in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!page.contains(bad), "{bad}");
        }
    }
}
