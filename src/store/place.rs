//! Where a finding is, as the store keys it. An occurrence is one credential at one place of one
//! repository: (fingerprint, repository, path, image, layer). Line, commit and blob are facts of the
//! latest sighting, not part of the key: a line that moves, a file edited around the secret, or
//! another commit of the history carrying the same file do not make a new occurrence.

use crate::finding::{hash_hex, Finding};

/// One finding of one repository, as the store records it.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    /// The occurrence key (see the module documentation).
    pub occurrence: String,
    /// The path in the repository (for an image finding: the path inside the image).
    pub path: String,
    pub commit: Option<String>,
    pub blob: Option<String>,
    /// The image tarball (repository-relative) for an image finding, else empty.
    pub image: String,
    /// The layer digest for an image finding, else empty.
    pub layer: String,
}

fn prop(f: &Finding, key: &str) -> Option<String> {
    f.properties
        .get(key)
        .or_else(|| f.origin.properties.get(key))
        .and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

/// The place of `f` in repository `repo`.
pub(crate) fn of(repo: &str, f: &Finding) -> Place {
    let layer = prop(f, "layer_digest").unwrap_or_default();
    // An image finding's artifact is the tarball; its path is the one inside the image.
    let (image, path) = if layer.is_empty() {
        (String::new(), f.origin.artifact.clone())
    } else {
        (
            f.origin.artifact.clone(),
            prop(f, "path").unwrap_or_else(|| f.origin.name.clone()),
        )
    };
    let occurrence = hash_hex(&[
        f.fingerprint.as_bytes(),
        repo.as_bytes(),
        path.as_bytes(),
        image.as_bytes(),
        layer.as_bytes(),
    ]);
    Place {
        occurrence,
        path,
        commit: prop(f, "commit"),
        blob: prop(f, "blob"),
        image,
        layer,
    }
}
