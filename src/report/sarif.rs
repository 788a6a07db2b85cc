//! SARIF 2.1.0 as GitHub code scanning accepts it: every referenced rule with full description, help
//! (the rule's remediation) and `security-severity`; results with a relative uri under the
//! `SRCROOT` base id, a region, and `partialFingerprints` keyed on the secret so alerts survive edits.
//! Checked against the OASIS schema in the tests.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use super::Context;
use crate::finding::{Finding, Severity};

const BASE_ID: &str = "SRCROOT";

pub(crate) fn render(cx: &Context) -> String {
    // The rules results name, and the policy rules they violate: every id has a rule entry.
    let ids: BTreeSet<&str> = cx
        .outcome
        .findings
        .iter()
        .flat_map(|f| std::iter::once(&f.rule_id).chain(&f.policies))
        .map(String::as_str)
        .collect();
    // Only ids with a rule entry (a rule file disabled since), so rule indexes stay right.
    let ids: Vec<&str> = ids
        .into_iter()
        .filter(|id| (cx.rule)(id).is_some())
        .collect();
    let rules: Vec<ReportingDescriptor> = ids
        .iter()
        .filter_map(|id| (cx.rule)(id))
        .map(descriptor)
        .collect();
    let results: Vec<SarifResult> = cx
        .outcome
        .findings
        .iter()
        .map(|f| result(f, ids.iter().position(|i| *i == f.rule_id), cx.show_secrets))
        .collect();
    let root = std::fs::canonicalize(&cx.root).unwrap_or_else(|_| cx.root.clone());
    let mut base = BTreeMap::new();
    base.insert(
        BASE_ID.to_string(),
        ArtifactLocation {
            uri: Some(dir_uri(&root)),
            ..Default::default()
        },
    );
    let notifications: Vec<Notification> = cx
        .outcome
        .errors
        .iter()
        .map(|e| {
            Notification::builder()
                .level(json!("warning"))
                .message(text(format!("{}: {}", e.path, e.message)))
                .build()
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("nhiscan")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/nhiscan/nhiscan")
        .rules(rules)
        .build();
    // An incomplete scan did not see everything it was asked to: code scanning must not read its
    // silence as clean.
    let mut invocation = Invocation::builder()
        .execution_successful(!cx.outcome.summary.incomplete)
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .original_uri_base_ids(base)
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    let doc = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&doc).expect("sarif serializes");
    s.push('\n');
    s
}

fn text(s: impl Into<String>) -> Message {
    Message {
        text: Some(s.into()),
        ..Default::default()
    }
}

fn mf(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn descriptor(r: &crate::engine::Rule) -> ReportingDescriptor {
    let s = &r.spec;
    let mut help = format!(
        "{}\n\nRemediation: {}",
        s.description.trim(),
        s.remediation.trim()
    );
    let mut md = format!(
        "{}\n\n**Remediation:** {}",
        s.description.trim(),
        s.remediation.trim()
    );
    if !s.references.is_empty() {
        help.push_str("\n\nReferences:");
        md.push_str("\n\n**References:**\n");
        for u in &s.references {
            help.push_str(&format!("\n- {u}"));
            md.push_str(&format!("\n- <{u}>"));
        }
    }
    let mut props = BTreeMap::new();
    props.insert("security-severity".to_string(), json!(s.severity.score()));
    props.insert(
        "precision".to_string(),
        json!(if s.generic { "medium" } else { "high" }),
    );
    props.insert(
        "problem.severity".to_string(),
        json!(match level(s.severity) {
            ResultLevel::Error => "error",
            ResultLevel::Warning => "warning",
            _ => "recommendation",
        }),
    );
    let mut d = ReportingDescriptor::builder()
        .id(s.id.clone())
        .name(pascal(&s.title))
        .short_description(mf(s.title.clone()))
        .full_description(mf(s.description.trim().to_string()))
        .help(
            MultiformatMessageString::builder()
                .text(help)
                .markdown(md)
                .build(),
        )
        .default_configuration(ReportingConfiguration {
            level: Some(json!(match level(s.severity) {
                ResultLevel::Error => "error",
                ResultLevel::Warning => "warning",
                _ => "note",
            })),
            ..Default::default()
        })
        .properties(PropertyBag {
            tags: Some(vec!["security".into(), s.kind.to_string(), "nhi".into()]),
            additional_properties: props,
        })
        .build();
    d.help_uri = s.references.first().cloned();
    d
}

fn result(f: &Finding, rule_index: Option<usize>, show: bool) -> SarifResult {
    let mut msg = f.message.clone();
    if let Some(secret) = f.shown_secret(show) {
        msg.push_str(&format!(": {secret}"));
    }
    if !msg.ends_with('.') {
        msg.push('.');
    }
    let (uri, base) = artifact_uri(&f.origin.artifact);
    let region = Region {
        start_line: Some(f.line as i64),
        start_column: Some(f.column as i64),
        end_line: Some(f.end_line.max(f.line) as i64),
        end_column: (f.end_line > f.line || f.end_column > f.column).then_some(f.end_column as i64),
        ..Default::default()
    };
    let mut location = Location {
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(ArtifactLocation {
                uri: Some(uri),
                uri_base_id: base,
                ..Default::default()
            }),
            region: Some(region),
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(l) = &f.origin.logical {
        location.logical_locations = Some(vec![LogicalLocation {
            fully_qualified_name: Some(l.clone()),
            kind: Some("member".into()),
            ..Default::default()
        }]);
    }
    let mut fps = BTreeMap::new();
    fps.insert("nhiscan/v1".to_string(), f.fingerprint.clone());
    fps.insert("nhiscanLocation/v1".to_string(), f.location_fingerprint());
    let mut props: BTreeMap<String, Value> = BTreeMap::new();
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert("category".into(), json!(f.kind));
    props.insert("confidence".into(), json!(f.confidence));
    props.insert("context".into(), json!(f.context));
    if f.demoted {
        props.insert("demoted".into(), json!(true));
    }
    if !f.policies.is_empty() {
        props.insert("policies".into(), json!(f.policies));
    }
    if let Some(l) = &f.lifetime {
        props.insert("lifetime".into(), json!(l));
    }
    if let Some(r) = &f.redacted {
        props.insert("redacted".into(), json!(r));
    }
    if show {
        if let Some(s) = &f.secret {
            props.insert("secret".into(), json!(s));
        }
    }
    if let Some(d) = &f.decoded {
        props.insert("decoded".into(), json!(d));
    }
    for (k, v) in f.origin.properties.iter().chain(f.properties.iter()) {
        props.insert(k.clone(), v.clone());
    }
    let mut r = SarifResult::builder()
        .rule_id(f.rule_id.clone())
        .level(level(f.severity))
        .message(text(msg))
        .locations(vec![location])
        .partial_fingerprints(fps)
        .properties(PropertyBag {
            tags: result_tags(f),
            additional_properties: props,
        })
        .build();
    r.rule_index = rule_index.map(|i| i as i64);
    r
}

/// The policies a result violates, and its context when that is not production (GitHub shows tags
/// and filters by them).
fn result_tags(f: &Finding) -> Option<Vec<String>> {
    let mut tags = f.policies.clone();
    if f.context != crate::context::Context::Production {
        tags.push(format!("context:{}", f.context));
    }
    (!tags.is_empty()).then_some(tags)
}

/// A relative artifact becomes a uri under SRCROOT; an absolute one a `file://` uri.
fn artifact_uri(artifact: &str) -> (String, Option<String>) {
    if artifact.starts_with('/') {
        (format!("file://{}", encode_path(artifact)), None)
    } else {
        (encode_path(artifact), Some(BASE_ID.to_string()))
    }
}

fn dir_uri(dir: &std::path::Path) -> String {
    let mut s = format!("file://{}", encode_path(&dir.to_string_lossy()));
    if !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// Percent-encodes what may not stand in a uri path (RFC 3986 pchar plus '/').
pub(crate) fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A rule's `name`: its title in PascalCase, which the SARIF validators want distinct from the id
/// (`jwt` named `Jwt` differs only in case and draws SARIF1001).
fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}
