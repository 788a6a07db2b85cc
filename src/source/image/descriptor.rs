//! What manifests and indexes point at, shared by both readers of them (`manifest.rs` for the two
//! layouts, `index.rs` for OCI indexes): a plan per platform, its layers, and how a digest and a
//! platform are read.

use anyhow::{anyhow, bail, Result};
use serde_json::Value;

/// One image (one platform) to scan.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `linux/amd64`, `linux/arm/v7`; None when the image does not say.
    pub platform: Option<String>,
    pub config_key: String,
    pub config_digest: String,
    pub layers: Vec<LayerRef>,
}

/// One layer of a plan.
#[derive(Debug, Clone)]
pub(crate) struct LayerRef {
    /// Where the blob is: a tar entry name or a path under the layout directory.
    pub key: String,
    /// `sha256:...` of the blob (OCI) or of the uncompressed tar (docker save's diff_ids).
    pub digest: String,
    pub media_type: Option<String>,
}

/// `os/architecture[/variant]` of a config or an index descriptor's `platform`.
pub(crate) fn platform_of(v: &Value) -> Option<String> {
    let os = v.get("os")?.as_str()?;
    let arch = v.get("architecture")?.as_str()?;
    Some(match v.get("variant").and_then(Value::as_str) {
        Some(var) if !var.is_empty() => format!("{os}/{arch}/{var}"),
        _ => format!("{os}/{arch}"),
    })
}

/// The blob key of a digest in an OCI layout.
pub(crate) fn blob_key(digest: &str) -> Result<String> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| anyhow!("malformed digest `{}`", shown(digest)))?;
    if alg.is_empty()
        || hex.is_empty()
        || !hex.bytes().all(|b| b.is_ascii_alphanumeric())
        || !alg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'_' || b == b'-')
    {
        bail!("malformed digest `{}`", shown(digest));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// A malformed digest as an error quotes it: whatever was placed there (a token, a path) is not a
/// digest, so it is shown redacted.
fn shown(digest: &str) -> String {
    crate::finding::redact(digest)
}
