//! One small adapter over SQLite (`rusqlite`) and PostgreSQL (`postgres`), so every query is
//! written once: `?` placeholders (rewritten to `$1, $2, ...` for PostgreSQL), values that are
//! text or 64-bit integers (or NULL), rows read back as [`Val`]s.

use std::time::Duration;

use anyhow::{Context as _, Result};

/// How long a SQLite writer waits for another writer's lock before giving up with a clear message.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A value bound to a placeholder or read from a column: the store only uses text and integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// A text column (NULL when `None`).
    Text(Option<String>),
    /// An integer column (BIGINT; NULL when `None`).
    Int(Option<i64>),
}

impl Val {
    /// The text, or `""` for NULL or an integer.
    pub(crate) fn text(&self) -> String {
        match self {
            Val::Text(Some(s)) => s.clone(),
            Val::Int(Some(i)) => i.to_string(),
            _ => String::new(),
        }
    }
    /// The text, `None` for NULL.
    pub(crate) fn opt_text(&self) -> Option<String> {
        match self {
            Val::Text(s) => s.clone(),
            Val::Int(i) => i.map(|i| i.to_string()),
        }
    }
    /// The integer, `None` for NULL or text that is not one.
    pub(crate) fn opt_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => *i,
            Val::Text(s) => s.as_deref().and_then(|s| s.parse().ok()),
        }
    }
    /// The integer, 0 for NULL.
    pub(crate) fn int(&self) -> i64 {
        self.opt_int().unwrap_or(0)
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(Some(s.to_string()))
    }
}
impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(Some(s))
    }
}
impl From<&String> for Val {
    fn from(s: &String) -> Val {
        Val::Text(Some(s.clone()))
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Val {
        Val::Text(s)
    }
}
impl From<Option<&str>> for Val {
    fn from(s: Option<&str>) -> Val {
        Val::Text(s.map(str::to_string))
    }
}
impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(Some(i))
    }
}
impl From<Option<i64>> for Val {
    fn from(i: Option<i64>) -> Val {
        Val::Int(i)
    }
}

/// Builds a `&[Val]` from values of mixed types.
macro_rules! vals {
    ($($v:expr),* $(,)?) => { &[$($crate::store::db::Val::from($v)),*][..] };
}
pub(crate) use vals;

/// A row: the columns in select order.
pub(crate) type Row = Vec<Val>;

/// Which database a connection talks to.
pub(crate) enum Db {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

/// A PostgreSQL connection and its prepared statements (each query text prepared once: a batch
/// records thousands of findings with the same few statements).
pub(crate) struct Pg {
    client: postgres::Client,
    cache: std::collections::HashMap<String, postgres::Statement>,
}

impl Pg {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.cache.get(sql) {
            return Ok(s.clone());
        }
        let numbered = numbered(sql);
        let st = self
            .client
            .prepare(&numbered)
            .with_context(|| format!("store: {}", first_line(sql)))?;
        self.cache.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

impl Db {
    /// Opens the SQLite file at `path` (created when missing).
    pub(crate) fn sqlite(path: &std::path::Path) -> Result<Db> {
        let c = rusqlite::Connection::open(path)
            .with_context(|| format!("{}: cannot open the SQLite store", path.display()))?;
        c.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers (`findings`) run while a batch writes; NORMAL sync is safe with WAL.
        // Setting WAL needs the lock: a store held by another writer fails here already.
        c.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(|e| locked(e.into(), path))?;
        c.pragma_update(None, "synchronous", "NORMAL")?;
        c.pragma_update(None, "foreign_keys", "OFF")?;
        Ok(Db::Sqlite(c))
    }

    /// Connects to the PostgreSQL server of `url` (no TLS: the store is meant for a server on a
    /// trusted network or loopback; put a TLS proxy in front otherwise).
    pub(crate) fn postgres(url: &str) -> Result<Db> {
        let c = postgres::Client::connect(url, postgres::NoTls)
            .with_context(|| format!("{}: cannot connect to PostgreSQL", redact_url(url)))?;
        Ok(Db::Postgres(Box::new(Pg {
            client: c,
            cache: Default::default(),
        })))
    }

    /// True for PostgreSQL (for the few statements that differ: locks).
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// Runs one statement; the number of rows changed.
    pub(crate) fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        match self {
            Db::Sqlite(c) => {
                let mut st = c
                    .prepare_cached(sql)
                    .with_context(|| format!("store: {}", first_line(sql)))?;
                let n = st
                    .execute(rusqlite::params_from_iter(params.iter().map(SqliteVal)))
                    .with_context(|| format!("store: {}", first_line(sql)))?;
                Ok(n as u64)
            }
            Db::Postgres(c) => {
                let st = c.statement(sql)?;
                let p = pg_params(&st, params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    p.iter().map(|b| b.as_ref() as _).collect();
                c.client
                    .execute(&st, &refs)
                    .with_context(|| format!("store: {}", first_line(sql)))
            }
        }
    }

    /// Inserts `rows` into `table` (`cols` comma-separated) with multi-row `VALUES`, a few hundred
    /// rows a statement: one round trip for many rows matters on PostgreSQL. `tail` follows the
    /// values (e.g. `ON CONFLICT (...) DO NOTHING`).
    pub(crate) fn insert_many(
        &mut self,
        table: &str,
        cols: &str,
        tail: &str,
        rows: &[Vec<Val>],
    ) -> Result<()> {
        let width = cols.split(',').count();
        // SQLite binds at most 32,766 values a statement; stay well below for any backend.
        let per = (4000 / width.max(1)).clamp(1, 500);
        let one = format!("({})", vec!["?"; width].join(", "));
        for chunk in rows.chunks(per) {
            let sql = format!(
                "INSERT INTO {table} ({cols}) VALUES {} {tail}",
                vec![one.as_str(); chunk.len()].join(", ")
            );
            let flat: Vec<Val> = chunk.iter().flatten().cloned().collect();
            self.exec(&sql, &flat)?;
        }
        Ok(())
    }

    /// Runs statements without parameters (schema changes, transaction control).
    pub(crate) fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Db::Sqlite(c) => c
                .execute_batch(sql)
                .with_context(|| format!("store: {}", first_line(sql))),
            Db::Postgres(c) => c
                .client
                .batch_execute(sql)
                .with_context(|| format!("store: {}", first_line(sql))),
        }
    }

    /// Runs a query; every row.
    pub(crate) fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        match self {
            Db::Sqlite(c) => {
                let mut st = c
                    .prepare_cached(sql)
                    .with_context(|| format!("store: {}", first_line(sql)))?;
                let n = st.column_count();
                let mut rows =
                    st.query(rusqlite::params_from_iter(params.iter().map(SqliteVal)))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Val::Text(None),
                            rusqlite::types::ValueRef::Integer(i) => Val::Int(Some(i)),
                            rusqlite::types::ValueRef::Real(f) => Val::Int(Some(f as i64)),
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                Val::Text(Some(String::from_utf8_lossy(t).into_owned()))
                            }
                        });
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Db::Postgres(c) => {
                let st = c.statement(sql)?;
                let p = pg_params(&st, params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    p.iter().map(|b| b.as_ref() as _).collect();
                let rows = c
                    .client
                    .query(&st, &refs)
                    .with_context(|| format!("store: {}", first_line(sql)))?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let mut row = Vec::with_capacity(r.len());
                    for (i, col) in r.columns().iter().enumerate() {
                        use postgres::types::Type;
                        let t = col.type_();
                        row.push(if *t == Type::INT8 {
                            Val::Int(r.try_get::<_, Option<i64>>(i)?)
                        } else if *t == Type::INT4 {
                            Val::Int(r.try_get::<_, Option<i32>>(i)?.map(i64::from))
                        } else if *t == Type::INT2 {
                            Val::Int(r.try_get::<_, Option<i16>>(i)?.map(i64::from))
                        } else if *t == Type::BOOL {
                            Val::Int(r.try_get::<_, Option<bool>>(i)?.map(i64::from))
                        } else {
                            Val::Text(r.try_get::<_, Option<String>>(i)?)
                        });
                    }
                    out.push(row);
                }
                Ok(out)
            }
        }
    }

    /// The first row of a query, if any.
    pub(crate) fn one(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Starts a write transaction. SQLite takes the write lock now (`IMMEDIATE`), so two writers
    /// wait for each other instead of failing half-way.
    pub(crate) fn begin(&mut self) -> Result<()> {
        match self {
            Db::Sqlite(_) => self.batch("BEGIN IMMEDIATE"),
            Db::Postgres(_) => self.batch("BEGIN"),
        }
    }

    /// Commits the transaction.
    pub(crate) fn commit(&mut self) -> Result<()> {
        self.batch("COMMIT")
    }

    /// Rolls the transaction back (errors ignored: the connection may be gone).
    pub(crate) fn rollback(&mut self) {
        let _ = self.batch("ROLLBACK");
    }

    /// Runs `f` in a write transaction: committed when it returns Ok, rolled back otherwise.
    pub(crate) fn tx<T>(&mut self, f: impl FnOnce(&mut Db) -> Result<T>) -> Result<T> {
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }
}

/// Turns SQLite's "database is locked" into a message that says what to do.
pub(crate) fn locked(e: anyhow::Error, path: &std::path::Path) -> anyhow::Error {
    let busy = e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>().is_some_and(|r| {
            matches!(
                r.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        })
    });
    if busy {
        anyhow::anyhow!(
            "{}: the store is locked by another writer (waited {}s); wait for the other nhiscan to finish, or give each shard its own store and combine them with `nhiscan merge`",
            path.display(),
            BUSY_TIMEOUT.as_secs()
        )
    } else {
        e
    }
}

struct SqliteVal<'a>(&'a Val);

impl rusqlite::ToSql for SqliteVal<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self.0 {
            Val::Text(Some(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Int(Some(i)) => ToSqlOutput::Owned(Value::Integer(*i)),
            Val::Text(None) | Val::Int(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// The values as the types PostgreSQL inferred for the placeholders: a NULL read from SQLite has
/// no type, and an integer may be bound where text is expected (or the other way round).
fn pg_params(
    st: &postgres::Statement,
    params: &[Val],
) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    use postgres::types::Type;
    params
        .iter()
        .zip(st.params())
        .map(|(v, t)| -> Box<dyn postgres::types::ToSql + Sync> {
            if *t == Type::INT8 {
                Box::new(v.opt_int())
            } else if *t == Type::INT4 {
                Box::new(v.opt_int().map(|i| i as i32))
            } else {
                Box::new(v.opt_text())
            }
        })
        .collect()
}

/// `?` placeholders to PostgreSQL's `$1, $2, ...` (outside quoted literals).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut quoted = false;
    for ch in sql.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(ch),
        }
    }
    out
}

fn first_line(sql: &str) -> String {
    let s = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    s.chars().take(80).collect()
}

/// A connection URL with its password hidden (error messages must not print it).
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"
        );
    }

    #[test]
    fn url_password_is_hidden() {
        assert_eq!(
            redact_url("postgres://u:hunter2@h:5432/db"), // nhiscan:allow fake value in a unit test
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
