//! A [`Finding`] back from the redacted JSON the store keeps (`Finding::to_json(false)`), so that the
//! report module renders stored findings like fresh ones. The secret is never in that JSON, so a
//! revived finding has none (`--show-secrets` has nothing to show).

use std::sync::Arc;

use anyhow::{Context as _, Result};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::finding::{Finding, Origin};

fn field<T: DeserializeOwned>(m: &Map<String, Value>, key: &str) -> Result<T> {
    let v = m.get(key).cloned().unwrap_or(Value::Null);
    serde_json::from_value(v).with_context(|| format!("stored finding: field `{key}`"))
}

fn opt<T: DeserializeOwned>(m: &Map<String, Value>, key: &str) -> Option<T> {
    m.get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Parses a stored finding.
pub(crate) fn finding(json: &str) -> Result<Finding> {
    let v: Value = serde_json::from_str(json).context("stored finding: not JSON")?;
    let Value::Object(m) = v else {
        anyhow::bail!("stored finding: not an object");
    };
    // Origin and finding properties were merged into one `properties` object when stored; they go
    // back on the origin, where every report looks for commit, blob and layer.
    let origin = Origin {
        artifact: field(&m, "artifact")?,
        display: field(&m, "display")?,
        name: field(&m, "name")?,
        logical: opt(&m, "logical"),
        properties: opt(&m, "properties").unwrap_or_default(),
    };
    Ok(Finding {
        rule_id: field(&m, "rule_id")?,
        title: field(&m, "title")?,
        kind: field(&m, "kind")?,
        severity: field(&m, "severity")?,
        confidence: field(&m, "confidence")?,
        context: field(&m, "context")?,
        demoted: opt(&m, "demoted").unwrap_or(false),
        message: field(&m, "message")?,
        origin: Arc::new(origin),
        line: field(&m, "line")?,
        column: field(&m, "column")?,
        end_line: field(&m, "end_line")?,
        end_column: field(&m, "end_column")?,
        secret: None,
        redacted: opt(&m, "redacted"),
        fingerprint: field(&m, "fingerprint")?,
        lifetime: opt(&m, "lifetime"),
        entropy: opt(&m, "entropy"),
        decoded: opt(&m, "decoded"),
        properties: Map::new(),
        policies: opt(&m, "policies").unwrap_or_default(),
        suppressed: opt(&m, "suppressed"),
    })
}
