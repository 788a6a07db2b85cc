//! Opening the results store `--store` names. The backends (SQLite, PostgreSQL) live in
//! `crate::store`; the batch only writes through [`RunStore`].

use anyhow::Result;

use crate::store::record::RunStore;

/// The store at `spec` (a SQLite file, or a `postgres://` URL).
pub(crate) fn open(spec: &str) -> Result<Box<dyn RunStore>> {
    anyhow::bail!(
        "--store {}: this build has no results store yet",
        super::key::redact(spec)
    )
}
