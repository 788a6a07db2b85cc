//! The results store: what every run found, where, and since when (issue 11). One schema for an
//! embedded SQLite file and a shared PostgreSQL database (`docs/store.md`).
//!
//! A run records what it observed per repository ([`record`]); the state the commands read
//! (credentials, occurrences, their statuses) is derived from those observations when a run is
//! finished, or for a sharded run when `nhiscan merge` has every shard ([`advance`]).

pub(crate) mod advance;
pub(crate) mod carry;
pub(crate) mod clean;
pub(crate) mod db;
pub(crate) mod merge;
pub(crate) mod place;
pub(crate) mod read;
pub mod record;
pub(crate) mod revive;
pub(crate) mod runs;
pub mod schema;
pub(crate) mod triage;

use std::collections::HashMap;

use anyhow::Result;

use db::Db;
pub use record::{Coverage, Engine, Prior, RepoRecord, RunStart, RunStore, Scope};

/// How a store is opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep each credential's secret in the store (`--store-secrets`); by default only its
    /// fingerprint and the redacted form are kept.
    pub store_secrets: bool,
    /// Refuse a SQLite path that does not exist yet instead of creating an empty store (the
    /// reading commands: a typo must not look like an empty store).
    pub must_exist: bool,
}

impl Options {
    /// For the reading commands: the store must exist.
    pub fn existing() -> Options {
        Options {
            must_exist: true,
            ..Options::default()
        }
    }
}

/// An open results store, migrated to the current schema.
pub struct Store {
    pub(crate) db: Db,
    /// The spec it was opened from, for messages (a URL's password hidden).
    pub(crate) name: String,
    pub(crate) opts: Options,
    /// The shard each run of this process writes as (from `begin` or `resume`).
    pub(crate) shards: HashMap<String, i64>,
}

impl Store {
    /// Opens the store `spec`: a `postgres://` or `postgresql://` URL, else a SQLite file path
    /// (created when missing). Migrates an older store; refuses one of a newer schema version.
    pub fn open(spec: &str, opts: Options) -> Result<Store> {
        let is_pg = spec.starts_with("postgres://") || spec.starts_with("postgresql://");
        let (mut db, name) = if is_pg {
            (Db::postgres(spec)?, db::redact_url(spec))
        } else {
            let path = std::path::Path::new(spec);
            if opts.must_exist && !path.exists() {
                anyhow::bail!("{spec}: no such store (a SQLite file, or a postgres:// URL)");
            }
            (Db::sqlite(path)?, spec.to_string())
        };
        let migrated = schema::migrate(&mut db, &name);
        if let Err(e) = migrated {
            return Err(if is_pg {
                e
            } else {
                db::locked(e, std::path::Path::new(spec))
            });
        }
        Ok(Store {
            db,
            name,
            opts,
            shards: HashMap::new(),
        })
    }

    /// The store's name for messages (a URL's password hidden).
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The engine of run `run_id`, which must be begun and not complete: what a repository is recorded
/// into. `name` names the store in the errors.
pub(crate) fn running_engine(db: &mut Db, name: &str, run_id: &str) -> Result<Engine> {
    let Some(run) = db.one(
        "SELECT status, engine_version, rules_hash, settings_hash FROM runs WHERE id = ?",
        db::vals![run_id],
    )?
    else {
        anyhow::bail!("{name}: no run {run_id} (begin the run first)");
    };
    if run[0].text() == "complete" {
        anyhow::bail!("{name}: run {run_id} is already complete");
    }
    Ok(Engine {
        version: run[1].text(),
        rules_hash: run[2].text(),
        settings_hash: run[3].text(),
    })
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod tests;
