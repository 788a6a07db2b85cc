//! The store's schema, one for SQLite and PostgreSQL, and its versioned migrations. Opening a store
//! applies the missing migrations in one transaction: an older store is migrated, never refused; a
//! store written by a newer nhiscan (a higher schema version) is refused, never downgraded.
//!
//! Portable SQL only: TEXT and BIGINT columns, composite primary keys, no autoincrement, no
//! booleans, no JSON types (JSON is stored as TEXT). Times are Unix seconds.

use anyhow::{bail, Result};

use super::db::{vals, Db};

/// The schema version this nhiscan writes. Raise it with a new entry in [`MIGRATIONS`].
pub const VERSION: i64 = 3;

/// Version 1: runs, per-repository coverage, what each run observed, and the state derived from
/// it (credentials, occurrences), plus the blobs scanned clean.
const V1: &str = "
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    started BIGINT NOT NULL,
    finished BIGINT,
    shard_count BIGINT,
    engine_version TEXT NOT NULL,
    rules_hash TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    seq BIGINT,
    meta TEXT NOT NULL
);
CREATE TABLE run_shards (
    run TEXT NOT NULL,
    shard_index BIGINT NOT NULL,
    status TEXT NOT NULL,
    plan_key TEXT NOT NULL,
    started BIGINT NOT NULL,
    finished BIGINT,
    expected TEXT NOT NULL,
    meta TEXT NOT NULL,
    PRIMARY KEY (run, shard_index)
);
CREATE TABLE run_repos (
    run TEXT NOT NULL,
    repo TEXT NOT NULL,
    shard_index BIGINT NOT NULL,
    tip TEXT,
    root_commit TEXT,
    scope TEXT NOT NULL,
    coverage TEXT NOT NULL,
    reasons TEXT NOT NULL,
    files BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    findings BIGINT NOT NULL,
    recorded BIGINT NOT NULL,
    PRIMARY KEY (run, repo)
);
CREATE TABLE run_findings (
    run TEXT NOT NULL,
    repo TEXT NOT NULL,
    seqno BIGINT NOT NULL,
    occurrence TEXT NOT NULL,
    credential TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    path TEXT NOT NULL,
    commit_id TEXT,
    blob TEXT,
    line BIGINT NOT NULL,
    image TEXT NOT NULL,
    layer TEXT NOT NULL,
    location_fp TEXT NOT NULL,
    finding TEXT NOT NULL,
    secret TEXT,
    PRIMARY KEY (run, repo, seqno)
);
CREATE INDEX run_findings_occurrence ON run_findings (run, occurrence);
CREATE TABLE credentials (
    fingerprint TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    secret TEXT,
    first_seen BIGINT NOT NULL,
    first_run TEXT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_run TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_run TEXT
);
CREATE TABLE occurrences (
    id TEXT PRIMARY KEY,
    credential TEXT NOT NULL,
    repo TEXT NOT NULL,
    path TEXT NOT NULL,
    commit_id TEXT,
    blob TEXT,
    line BIGINT NOT NULL,
    image TEXT NOT NULL,
    layer TEXT NOT NULL,
    location_fp TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    first_run TEXT NOT NULL,
    last_seen BIGINT NOT NULL,
    last_run TEXT NOT NULL,
    status TEXT NOT NULL,
    fixed_run TEXT,
    seen_scope TEXT NOT NULL,
    seen_version TEXT NOT NULL,
    seen_rules TEXT NOT NULL,
    finding TEXT NOT NULL
);
CREATE INDEX occurrences_repo ON occurrences (repo);
CREATE INDEX occurrences_credential ON occurrences (credential);
CREATE TABLE clean_blobs (
    engine TEXT NOT NULL,
    blob TEXT NOT NULL,
    PRIMARY KEY (engine, blob)
);
";

/// Version 2: triage decisions (every decision kept, the latest one counts) and the status changes
/// each run made (what `nhiscan diff` reads).
const V2: &str = "
CREATE TABLE triage (
    fingerprint TEXT NOT NULL,
    seqno BIGINT NOT NULL,
    resolution TEXT NOT NULL,
    comment TEXT NOT NULL,
    who TEXT NOT NULL,
    at_time BIGINT NOT NULL,
    PRIMARY KEY (fingerprint, seqno)
);
CREATE TABLE events (
    run TEXT NOT NULL,
    credential TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (run, credential, occurrence)
);
";

/// Version 3: each repository's refs as the run saw them (a hash of every ref, `HEAD` and its own
/// config), so that a later run can tell a repository that has not changed since and carry its
/// observations forward instead of scanning it again.
const V3: &str = "
ALTER TABLE run_repos ADD COLUMN refs TEXT;
CREATE INDEX run_repos_repo ON run_repos (repo, refs);
";

/// The columns of `run_findings`, in the order `record` writes them.
pub(crate) const FINDING_COLS: &str = "run, repo, seqno, occurrence, credential, rule_id, kind, severity, path, commit_id, blob, line, image, layer, location_fp, finding, secret";

/// Every migration, in order: version `n` is reached by running its SQL on a store at `n - 1`.
const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3)];

/// Brings the store to [`VERSION`] in one transaction (nothing changes when a migration fails).
/// `name` names the store in messages.
pub(crate) fn migrate(db: &mut Db, name: &str) -> Result<()> {
    db.tx(|db| {
        if db.is_postgres() {
            // Shards opening one shared PostgreSQL store at once: one migrates, the others wait
            // and then find it done.
            db.batch("SELECT pg_advisory_xact_lock(4242011)")?;
        }
        db.batch("CREATE TABLE IF NOT EXISTS nhiscan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")?;
        let found = version(db)?;
        if found > VERSION {
            bail!(
                "{name}: the store has schema version {found}, newer than this nhiscan {} understands (version {VERSION}); it was written by a newer nhiscan: use that version or newer (a store is never downgraded)",
                env!("CARGO_PKG_VERSION")
            );
        }
        for (n, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
            db.batch(sql)
                .map_err(|e| e.context(format!("{name}: migrating the store to schema version {n}")))?;
        }
        if found < VERSION {
            db.exec("DELETE FROM nhiscan_meta WHERE key = 'schema_version'", &[])?;
            db.exec(
                "INSERT INTO nhiscan_meta (key, value) VALUES ('schema_version', ?)",
                vals![VERSION.to_string()],
            )?;
        }
        Ok(())
    })
}

/// The store's schema version; 0 for a new, empty store.
pub(crate) fn version(db: &mut Db) -> Result<i64> {
    let row = db.one(
        "SELECT value FROM nhiscan_meta WHERE key = 'schema_version'",
        &[],
    )?;
    Ok(row.and_then(|r| r[0].opt_int()).unwrap_or(0))
}
