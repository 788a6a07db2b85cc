//! The results store (issue 11), every test against SQLite and PostgreSQL: statuses over runs
//! (new, open, fixed, reopened), the fixed rule (never after a partial, failed or narrower scan, or
//! older rules), triage across rescans, migrations, a newer store refused, a locked store, merge
//! of shard stores, and the secret kept out of the store unless asked.
//!
//! PostgreSQL comes from `NHISCAN_TEST_POSTGRES` (a server URL; each test creates and drops its own
//! database). Unset: skipped with a note, except under CI, where that is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nhiscan::finding::Finding;
use nhiscan::store::{Coverage, Engine, Options, RepoRecord, RunStart, RunStore, Scope, Store};
use tempfile::TempDir;

use crate::support::{github_token, nhiscan, scanner, stderr};

mod merge;
mod reports;
mod schema;
mod states;

// ---------------------------------------------------------------------------------------------
// Backends

/// A store a test writes into: a SQLite file, or a fresh PostgreSQL database dropped at the end.
pub struct Backend {
    pub spec: String,
    pub kind: &'static str,
    pub dir: TempDir,
    pg: Option<(String, String)>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((admin, db)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
    }
}

impl Backend {
    /// Another SQLite store in this backend's directory (a shard store).
    pub fn sqlite_beside(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// A fresh, empty store of the same kind (a second store to compare with).
    pub fn sibling(&self) -> Backend {
        match self.kind {
            "sqlite" => sqlite(),
            _ => postgres_db().expect("postgres was available"),
        }
    }

    /// Runs SQL on the raw database (to build old or foreign stores by hand).
    pub fn raw(&self, sql: &str) {
        match &self.pg {
            None => rusqlite::Connection::open(&self.spec)
                .unwrap()
                .execute_batch(sql)
                .unwrap(),
            Some(_) => postgres::Client::connect(&self.spec, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap(),
        }
    }

    /// The first column of every row of `sql`, as text.
    pub fn raw_query(&self, sql: &str) -> Vec<String> {
        match &self.pg {
            None => {
                let c = rusqlite::Connection::open(&self.spec).unwrap();
                let mut st = c.prepare(sql).unwrap();
                st.query_map([], |r| {
                    r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Null => String::new(),
                        other => format!("{other:?}"),
                    })
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
            }
            Some(_) => {
                let mut c = postgres::Client::connect(&self.spec, postgres::NoTls).unwrap();
                c.simple_query(sql)
                    .unwrap()
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some(r.get(0).unwrap_or_default().to_string())
                        }
                        _ => None,
                    })
                    .collect()
            }
        }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.spec, Options::default()).expect("store opens")
    }
}

fn sqlite() -> Backend {
    let dir = TempDir::new().unwrap();
    let spec = dir.path().join("nhiscan.db").to_string_lossy().into_owned();
    Backend {
        spec,
        kind: "sqlite",
        dir,
        pg: None,
    }
}

fn postgres_db() -> Option<Backend> {
    let admin = match std::env::var("NHISCAN_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            if std::env::var_os("CI").is_some() {
                panic!("NHISCAN_TEST_POSTGRES is not set under CI: every store test must also run against PostgreSQL (.ci/run starts a server and sets it)");
            }
            eprintln!("note: NHISCAN_TEST_POSTGRES is not set: the PostgreSQL half of this store test is skipped");
            return None;
        }
    };
    let name = format!(
        "nhiscan_test_{}",
        crate::support::random(b"abcdefghijklmnopqrstuvwxyz0123456789", 12, seed())
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap_or_else(|e| panic!("NHISCAN_TEST_POSTGRES: cannot connect: {e}"));
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let spec = match admin.rfind('/') {
        Some(i) if i > admin.find("://").map_or(0, |s| s + 2) => {
            let (base, rest) = admin.split_at(i);
            let query = rest.find('?').map_or("", |q| &rest[q..]);
            format!("{base}/{name}{query}")
        }
        _ => format!("{admin}/{name}"),
    };
    Some(Backend {
        spec,
        kind: "postgres",
        dir: TempDir::new().unwrap(),
        pg: Some((admin, name)),
    })
}

fn seed() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    t ^ (u64::from(std::process::id()) << 32)
        ^ N.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9)
}

/// Runs `test` against SQLite, then PostgreSQL (when configured).
pub fn each_backend(test: impl Fn(&Backend)) {
    let s = sqlite();
    test(&s);
    if let Some(p) = postgres_db() {
        test(&p);
    }
}

// ---------------------------------------------------------------------------------------------
// Runs

pub const ALL: Scope = Scope {
    tree: true,
    history: true,
    images: false,
};
pub const TREE: Scope = Scope {
    tree: true,
    history: false,
    images: false,
};

pub fn engine(version: &str, rules: &str) -> Engine {
    Engine {
        version: version.into(),
        rules_hash: rules.into(),
        settings_hash: "settings".into(),
    }
}

/// Real findings: each (path, seed) a fake GitHub token in a file at `path`.
pub fn findings(secrets: &[(&str, u64)]) -> Vec<Finding> {
    secrets
        .iter()
        .flat_map(|(path, seed)| {
            let text = format!("# config\nGITHUB_TOKEN={}\n", github_token("ghp_", *seed));
            let r = scanner().scan_file(path, text.as_bytes());
            assert_eq!(r.findings.len(), 1, "one finding in {path}");
            r.findings
        })
        .collect()
}

pub fn repo(key: &str, scope: Scope, coverage: Coverage, found: Vec<Finding>) -> RepoRecord {
    RepoRecord {
        key: key.into(),
        tip: Some("c0ffee".into()),
        root_commit: Some("r00t".into()),
        refs: None,
        scope,
        coverage,
        files: 3,
        bytes: 300,
        findings: found,
        errors: Vec::new(),
    }
}

/// One whole run: begin, record every repository, finish.
pub fn run(
    store: &mut Store,
    id: &str,
    shard: Option<(u32, u32)>,
    eng: &Engine,
    repos: Vec<RepoRecord>,
) {
    let start = RunStart {
        run_id: id.into(),
        shard,
        engine: eng.clone(),
        scope: repos.first().map_or(ALL, |r| r.scope),
        expected: repos.iter().map(|r| r.key.clone()).collect(),
        meta: BTreeMap::new(),
    };
    let plan = format!("plan-{id}-{shard:?}");
    store.begin(&start, &plan).unwrap();
    for r in &repos {
        store.record(id, r, &[]).unwrap();
    }
    store.finish(id).unwrap();
}

/// (repository, path) -> (occurrence status, credential status), from `nhiscan findings`.
pub fn state(spec: &str) -> BTreeMap<(String, String), (String, String)> {
    rows(spec, &[])
        .into_iter()
        .map(|v| {
            let p = &v["properties"];
            (
                (
                    p["repository"].as_str().unwrap().to_string(),
                    v["artifact"].as_str().unwrap().to_string(),
                ),
                (
                    p["store_status"].as_str().unwrap().to_string(),
                    p["credential_status"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// The findings `nhiscan findings --format jsonl` prints (the trailer left out).
pub fn rows(spec: &str, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = nhiscan()
        .args(["findings", "--store", spec, "--format", "jsonl"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "findings failed: {}", stderr(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("type").is_none())
        .collect()
}

fn st(pairs: &[(&str, &str, &str, &str)]) -> BTreeMap<(String, String), (String, String)> {
    pairs
        .iter()
        .map(|(r, p, s, c)| {
            (
                (r.to_string(), p.to_string()),
                (s.to_string(), c.to_string()),
            )
        })
        .collect()
}

/// Three repositories, run `id` of them: the last one's secret gone in `later` runs.
pub fn org(later: bool) -> Vec<RepoRecord> {
    vec![
        repo("org/a", ALL, Coverage::Complete, findings(&[("a.env", 21)])),
        repo(
            "org/b",
            ALL,
            Coverage::Complete,
            findings(&[("b.env", 22), ("c.env", 21)]),
        ),
        repo(
            "org/c",
            ALL,
            Coverage::Complete,
            if later {
                Vec::new()
            } else {
                findings(&[("d.env", 23)])
            },
        ),
    ]
}
