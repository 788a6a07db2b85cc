//! Blobs scanned clean, kept per engine: the key they are kept under, and dropping the sets no
//! recent run uses.

use anyhow::Result;

use super::db::{vals, Db, Val};
use super::record::Engine;
use crate::finding::hash_hex;

/// The key clean blobs are kept under: a blob clean under one engine may not be under another.
pub(crate) fn engine_key(e: &Engine) -> String {
    hash_hex(&[
        e.version.as_bytes(),
        e.rules_hash.as_bytes(),
        e.settings_hash.as_bytes(),
    ])
}

/// How long the clean blobs of an engine no run uses any more are kept (seconds): a store rescanned
/// nightly with each new nhiscan or rules release would otherwise keep every earlier engine's set.
const CLEAN_BLOBS_KEPT: i64 = 90 * 86_400;

/// Drops the clean blobs of every engine that no run started in the last [`CLEAN_BLOBS_KEPT`]
/// seconds used (after a run advanced: its own engine is always among them).
pub(crate) fn prune_clean_blobs(db: &mut Db) -> Result<u64> {
    let since = super::now() - CLEAN_BLOBS_KEPT;
    let keys: Vec<String> = db
        .query(
            "SELECT DISTINCT engine_version, rules_hash, settings_hash FROM runs WHERE started >= ?",
            vals![since],
        )?
        .into_iter()
        .map(|r| {
            engine_key(&Engine {
                version: r[0].text(),
                rules_hash: r[1].text(),
                settings_hash: r[2].text(),
            })
        })
        .collect();
    if keys.is_empty() {
        return Ok(0);
    }
    let marks = vec!["?"; keys.len()].join(", ");
    let params: Vec<Val> = keys.iter().map(Val::from).collect();
    db.exec(
        &format!("DELETE FROM clean_blobs WHERE engine NOT IN ({marks})"),
        &params,
    )
}
