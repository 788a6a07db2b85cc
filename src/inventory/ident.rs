//! How an identity fact is written on a finding (the `nhi` property): its type, a stable id that
//! says nothing about the secret, a name and attributes.

use serde_json::{json, Map, Value};

use crate::finding::hash_hex;

/// A short id over `parts` (hex, 16 characters): stable, and says nothing about the secret.
pub(super) fn short(parts: &[&str]) -> String {
    let b: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    hash_hex(&b)[..16].to_string()
}

/// The `nhi` property: type, id, name, then every attribute that is not null.
pub(super) fn nhi(kind: &str, id: String, name: String, attrs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    m.insert("id".into(), json!(id));
    m.insert("name".into(), json!(name));
    for (k, v) in attrs {
        if !v.is_null() {
            m.insert((*k).into(), v.clone());
        }
    }
    Value::Object(m)
}
