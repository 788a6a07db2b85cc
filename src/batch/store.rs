//! Opening the results store `--store` names (SQLite file or PostgreSQL URL, `crate::store`); the
//! batch only writes through [`RunStore`].

use anyhow::Result;

use crate::store::record::RunStore;

/// The store at `spec` (a SQLite file, created when missing, or a `postgres://` URL), migrated;
/// `store_secrets`: keep each credential's secret (`--store-secrets`).
pub(crate) fn open(spec: &str, store_secrets: bool) -> Result<Box<dyn RunStore>> {
    let opts = crate::store::Options {
        store_secrets,
        ..Default::default()
    };
    Ok(Box::new(crate::store::Store::open(spec, opts)?))
}
