//! The engine a batch scans with ([`Engine`]: version, rules hash, settings hash) and the plan key
//! that tells an interrupted run from a new one: the same inputs, scope, engine and shard resume.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::shard::Shard;
use crate::settings::Settings;
use crate::store::record::{Engine, Scope};

/// The engine of `settings`: nhiscan's version, a hash of the rules (the built-in rules' hash that
/// `--version` prints, the `--rules` files, `--enable`/`--disable`, `--config`) and a hash of the
/// settings that change what is found or kept (limits, `--policy`, `--baseline`, `--no-suppress`).
/// A repository's own `.nhiscan.toml` is not part of it: see [`super::memo`].
pub(crate) fn engine(settings: &Settings) -> Engine {
    let mut rules = Hasher::default();
    rules.text(builtin_rules_hash());
    for f in &settings.rules.files {
        rules.file(f);
    }
    let mut enable = settings.rules.enable.clone();
    enable.sort();
    let mut disable = settings.rules.disable.clone();
    disable.sort();
    rules.text(&enable.join(","));
    rules.text(&disable.join(","));
    match &settings.project.config {
        Some(c) => rules.file(c),
        None => rules.text(""),
    }
    let mut s = Hasher::default();
    let l = &settings.limits;
    s.text(&format!(
        "max_file_size={} max_layer_size={} max_archive_depth={} max_archive_size={}",
        l.max_file_size, l.max_layer_size, l.max_archive_depth, l.max_archive_size
    ));
    s.text(&format!("no_suppress={}", settings.project.no_suppress));
    for f in [&settings.project.policy, &settings.project.baseline] {
        match f {
            Some(f) => s.file(f),
            None => s.text(""),
        }
    }
    Engine {
        version: env!("CARGO_PKG_VERSION").to_string(),
        rules_hash: rules.hex(),
        settings_hash: s.hex(),
    }
}

/// The built-in rules' hash, as `--version` prints it.
fn builtin_rules_hash() -> &'static str {
    let v = env!("NHISCAN_LONG_VERSION");
    v.split("rules sha256 ")
        .nth(1)
        .map_or(v, |h| h.trim_end_matches(')'))
}

/// The plan key: a hash of the repository keys (in order), the scope, the engine and the shard.
pub(crate) fn plan_key(
    keys: &[String],
    scope: Scope,
    engine: &Engine,
    shard: Option<Shard>,
) -> String {
    let mut h = Hasher::default();
    for k in keys {
        h.text(k);
    }
    h.text(&scope.as_list());
    h.text(&engine.version);
    h.text(&engine.rules_hash);
    h.text(&engine.settings_hash);
    h.text(&shard.map_or(String::new(), |s| format!("{}/{}", s.index, s.count)));
    h.hex()
}

/// Hashes length-prefixed parts, so that no two lists of parts hash alike.
#[derive(Default)]
pub(crate) struct Hasher(Sha256);

impl Hasher {
    /// Adds a string.
    pub(crate) fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Adds bytes.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
    }

    /// Adds a file's content (its name when it cannot be read: loading it fails later, loudly).
    pub(crate) fn file(&mut self, p: &Path) {
        match std::fs::read(p) {
            Ok(b) => self.bytes(&b),
            Err(_) => self.text(&p.display().to_string()),
        }
    }

    /// The first 16 bytes, in hex.
    pub(crate) fn hex(self) -> String {
        self.0.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_changes_findings_changes_the_engine() {
        let base = Settings::default();
        let e = engine(&base);
        assert_eq!(e, engine(&base));
        assert_eq!(e.version, env!("CARGO_PKG_VERSION"));
        assert!(!builtin_rules_hash().contains(' '));
        let mut s = base.clone();
        s.rules.disable = vec!["jwt".into()];
        assert_ne!(engine(&s).rules_hash, e.rules_hash);
        assert_eq!(engine(&s).settings_hash, e.settings_hash);
        let mut s = base.clone();
        s.limits.max_file_size = 1;
        assert_ne!(engine(&s).settings_hash, e.settings_hash);
        // Report-only settings do not.
        let mut s = base.clone();
        s.output.min_severity = crate::finding::Severity::High;
        s.threads = 7;
        assert_eq!(engine(&s), e);
        let scope = Scope {
            tree: true,
            history: true,
            images: false,
        };
        let k = plan_key(&["a".into()], scope, &e, None);
        assert_ne!(k, plan_key(&["b".into()], scope, &e, None));
        assert_ne!(
            k,
            plan_key(&["a".into()], scope, &e, Some(Shard { index: 0, count: 2 }))
        );
    }
}
