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

// ---------------------------------------------------------------------------------------------
// Statuses and the fixed rule

#[test]
fn statuses_go_new_open_fixed_reopened() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.1.0", "rules-a");
        let found = || findings(&[("app/.env", 1), ("deploy/ci.env", 2)]);
        run(
            &mut s,
            "r1",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, found())],
        );
        assert_eq!(
            state(&b.spec),
            st(&[
                ("org/app", "app/.env", "new", "new"),
                ("org/app", "deploy/ci.env", "new", "new")
            ]),
            "{}",
            b.kind
        );
        run(
            &mut s,
            "r2",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, found())],
        );
        assert!(state(&b.spec)
            .values()
            .all(|v| v == &("open".into(), "open".into())));
        // One secret removed: its occurrence and credential are fixed.
        let one = findings(&[("app/.env", 1)]);
        run(
            &mut s,
            "r3",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, one)],
        );
        assert_eq!(
            state(&b.spec),
            st(&[
                ("org/app", "app/.env", "open", "open"),
                ("org/app", "deploy/ci.env", "fixed", "fixed")
            ]),
            "{}",
            b.kind
        );
        run(
            &mut s,
            "r4",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, found())],
        );
        assert_eq!(
            state(&b.spec),
            st(&[
                ("org/app", "app/.env", "open", "open"),
                ("org/app", "deploy/ci.env", "reopened", "reopened")
            ]),
            "{}",
            b.kind
        );
        run(
            &mut s,
            "r5",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, found())],
        );
        assert!(state(&b.spec)
            .values()
            .all(|v| v == &("open".into(), "open".into())));
        // --status and --run select.
        assert_eq!(rows(&b.spec, &["--status", "open"]).len(), 2);
        assert_eq!(rows(&b.spec, &["--status", "fixed"]).len(), 0);
        assert_eq!(rows(&b.spec, &["--run", "r3"]).len(), 1);
        assert_eq!(rows(&b.spec, &["--repo", "org/other"]).len(), 0);
        // diff: the default compares the last two runs; r2 -> r4 nets out the fix and the reopen.
        let diff = |args: &[&str]| {
            let out = nhiscan()
                .args(["diff", "--store", &b.spec, "--format", "json"])
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        };
        let d = diff(&[]);
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str()),
            (Some("r4"), Some("r5"))
        );
        assert_eq!(d["changes"].as_array().unwrap().len(), 0);
        let d = diff(&["r2", "r3"]);
        let ch = d["changes"].as_array().unwrap();
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0]["status"], "fixed");
        assert_eq!(ch[0]["repos"][0], "org/app");
        let d = diff(&["r3", "r4"]);
        assert_eq!(d["changes"][0]["status"], "reopened");
        let d = diff(&["r1", "r2"]);
        assert_eq!(d["changes"].as_array().unwrap().len(), 0);
    });
}

#[test]
fn no_fix_after_partial_failed_narrower_or_older_scans() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.5.0", "rules-a");
        let found = findings(&[("app/.env", 7)]);
        run(
            &mut s,
            "r1",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, found)],
        );
        let still_open = st(&[("org/app", "app/.env", "open", "open")]);
        let cases: Vec<(&str, Scope, Coverage, Engine)> = vec![
            (
                "partial",
                ALL,
                Coverage::Partial(vec!["missing objects".into()]),
                e.clone(),
            ),
            (
                "failed",
                ALL,
                Coverage::Failed("clone failed".into()),
                e.clone(),
            ),
            ("narrower", TREE, Coverage::Complete, e.clone()),
            (
                "older rules",
                ALL,
                Coverage::Complete,
                engine("0.4.0", "rules-old"),
            ),
            (
                "other rules, same version",
                ALL,
                Coverage::Complete,
                engine("0.5.0", "rules-b"),
            ),
        ];
        for (why, scope, coverage, eng) in cases {
            run(
                &mut s,
                why,
                None,
                &eng,
                vec![repo("org/app", scope, coverage, Vec::new())],
            );
            assert_eq!(
                state(&b.spec),
                still_open,
                "{}: no fix after a {why} scan",
                b.kind
            );
        }
        // A repository the run did not scan at all keeps its state too.
        run(
            &mut s,
            "other repo",
            None,
            &e,
            vec![repo("org/lib", ALL, Coverage::Complete, Vec::new())],
        );
        assert_eq!(state(&b.spec), still_open, "{}", b.kind);
        // A complete, as-wide scan with newer rules (a newer nhiscan) fixes it.
        let newer = engine("0.6.0", "rules-c");
        run(
            &mut s,
            "newer",
            None,
            &newer,
            vec![repo("org/app", ALL, Coverage::Complete, Vec::new())],
        );
        assert_eq!(
            state(&b.spec),
            st(&[("org/app", "app/.env", "fixed", "fixed")]),
            "{}",
            b.kind
        );
    });
}

#[test]
fn a_credential_is_fixed_only_when_every_occurrence_is() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.1.0", "rules-a");
        // The same secret in two repositories.
        let both = || {
            vec![
                repo("org/a", ALL, Coverage::Complete, findings(&[("x.env", 3)])),
                repo("org/b", ALL, Coverage::Complete, findings(&[("y.env", 3)])),
            ]
        };
        run(&mut s, "r1", None, &e, both());
        run(
            &mut s,
            "r2",
            None,
            &e,
            vec![
                repo("org/a", ALL, Coverage::Complete, Vec::new()),
                repo(
                    "org/b",
                    ALL,
                    Coverage::Partial(vec!["timeout".into()]),
                    Vec::new(),
                ),
            ],
        );
        assert_eq!(
            state(&b.spec),
            st(&[
                ("org/a", "x.env", "fixed", "open"),
                ("org/b", "y.env", "open", "open")
            ]),
            "{}",
            b.kind
        );
        run(
            &mut s,
            "r3",
            None,
            &e,
            vec![repo("org/b", ALL, Coverage::Complete, Vec::new())],
        );
        assert_eq!(
            state(&b.spec),
            st(&[
                ("org/a", "x.env", "fixed", "fixed"),
                ("org/b", "y.env", "fixed", "fixed")
            ]),
            "{}",
            b.kind
        );
    });
}

#[test]
fn recording_a_repository_twice_does_not_double_it() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.1.0", "rules-a");
        let r = repo(
            "org/app",
            ALL,
            Coverage::Complete,
            findings(&[("a.env", 1)]),
        );
        let start = RunStart {
            run_id: "r1".into(),
            shard: None,
            engine: e.clone(),
            scope: ALL,
            expected: vec!["org/app".into(), "org/never".into()],
            meta: BTreeMap::new(),
        };
        s.begin(&start, "plan").unwrap();
        s.record("r1", &r, &["b1".into(), "b2".into()]).unwrap();
        // A process killed here resumes: the run and what it recorded are found by plan key.
        let mut again = b.open();
        let (id, done) = again.resume("plan").unwrap().expect("an unfinished run");
        assert_eq!((id.as_str(), done), ("r1", vec!["org/app".to_string()]));
        again.record("r1", &r, &["b2".into()]).unwrap();
        again.finish("r1").unwrap();
        assert_eq!(rows(&b.spec, &[]).len(), 1);
        assert!(again.resume("plan").unwrap().is_none());
        let clean = again.clean_blobs(&e).unwrap();
        assert_eq!(clean, ["b1", "b2"].iter().map(|s| s.to_string()).collect());
        assert!(again
            .clean_blobs(&engine("0.1.0", "rules-b"))
            .unwrap()
            .is_empty());
        // The repository the run expected but never recorded is recorded as failed.
        let cov = b.raw_query("SELECT coverage FROM run_repos WHERE repo = 'org/never'");
        assert_eq!(cov, vec!["failed".to_string()], "{}", b.kind);
    });
}

// ---------------------------------------------------------------------------------------------
// Triage

#[test]
fn triage_survives_rescans_and_is_shown() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.1.0", "rules-a");
        let f = findings(&[("a.env", 11), ("b.env", 12)]);
        let fp = f[0].fingerprint.clone();
        run(
            &mut s,
            "r1",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, f.clone())],
        );
        let short = &fp[..12];
        let out = nhiscan()
            .args([
                "triage",
                short,
                "--store",
                &b.spec,
                "--resolve",
                "revoked",
                "--comment",
                "rotated",
                "--by",
                "alice",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        run(
            &mut s,
            "r2",
            None,
            &e,
            vec![repo("org/app", ALL, Coverage::Complete, f.clone())],
        );
        let rows_now = rows(&b.spec, &[]);
        let t = rows_now
            .iter()
            .find(|r| r["fingerprint"] == fp.as_str())
            .map(|r| r["properties"]["triage"].clone())
            .unwrap();
        assert_eq!(
            (
                t["resolution"].as_str(),
                t["by"].as_str(),
                t["comment"].as_str()
            ),
            (Some("revoked"), Some("alice"), Some("rotated")),
            "{}",
            b.kind
        );
        let other = rows_now
            .iter()
            .find(|r| r["fingerprint"] != fp.as_str())
            .unwrap();
        assert!(other["properties"].get("triage").is_none());
        // A later decision replaces it; both are kept. --fingerprint and $USER work too.
        let out = nhiscan()
            .args([
                "triage",
                "--fingerprint",
                &fp,
                "--store",
                &b.spec,
                "--resolve",
                "false-positive",
            ])
            .env("USER", "bob")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("decision 2"), "{}", stderr(&out));
        let t = rows(&b.spec, &[])
            .into_iter()
            .find(|r| r["fingerprint"] == fp.as_str())
            .unwrap()["properties"]["triage"]
            .clone();
        assert_eq!(
            (t["resolution"].as_str(), t["by"].as_str()),
            (Some("false-positive"), Some("bob"))
        );
        assert_eq!(
            b.raw_query("SELECT COUNT(*) FROM triage"),
            vec!["2".to_string()]
        );
        // The text report shows it.
        let out = nhiscan()
            .args(["findings", "--store", &b.spec])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("triaged false-positive by bob"));
        // An unknown fingerprint is a clear error.
        let out = nhiscan()
            .args([
                "triage",
                "0123456789ab",
                "--store",
                &b.spec,
                "--resolve",
                "revoked",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("no credential with fingerprint 0123456789ab"),
            "{}",
            stderr(&out)
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Schema versions and locks

/// Schema version 1, as nhiscan 0.1 wrote it, with one credential in it.
const V1: &str = include_str!("store_v1.sql");

#[test]
fn an_older_store_is_migrated_with_its_data() {
    each_backend(|b| {
        b.raw(V1);
        let before = rows(&b.spec, &[]);
        assert_eq!(before.len(), 1, "{}", b.kind);
        assert_eq!(before[0]["properties"]["store_status"], "open");
        assert_eq!(
            b.raw_query("SELECT value FROM nhiscan_meta WHERE key = 'schema_version'"),
            vec![nhiscan::store::schema::VERSION.to_string()]
        );
        // Version 2's table works on the migrated store.
        let out = nhiscan()
            .args([
                "triage",
                "aaaaaaaaaaaa",
                "--store",
                &b.spec,
                "--resolve",
                "wont-fix",
                "--by",
                "carol",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        // And a new run advances it.
        let mut s = b.open();
        run(
            &mut s,
            "r2",
            None,
            &engine("0.1.0", "rules-v1"),
            vec![repo("org/app", ALL, Coverage::Complete, Vec::new())],
        );
        assert_eq!(rows(&b.spec, &["--status", "fixed"]).len(), 1, "{}", b.kind);
    });
}

#[test]
fn a_store_of_a_newer_version_is_refused() {
    each_backend(|b| {
        b.raw("CREATE TABLE nhiscan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO nhiscan_meta VALUES ('schema_version', '99');");
        let out = nhiscan()
            .args(["findings", "--store", &b.spec])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("schema version 99") && err.contains("newer"),
            "{err}"
        );
        // Nothing was changed.
        assert_eq!(
            b.raw_query("SELECT value FROM nhiscan_meta WHERE key = 'schema_version'"),
            vec!["99".to_string()]
        );
    });
}

#[test]
fn a_locked_sqlite_store_gives_a_clear_message() {
    // A PostgreSQL server arbitrates its own writers; the lock is SQLite's.
    let b = sqlite();
    drop(b.open());
    let holder = rusqlite::Connection::open(&b.spec).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let t = std::time::Instant::now();
    let out = nhiscan()
        .args([
            "triage",
            "aaaaaaaaaaaa",
            "--store",
            &b.spec,
            "--resolve",
            "revoked",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("locked by another writer"), "{err}");
    assert!(t.elapsed().as_secs() < 30);
    holder.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn bad_store_specs_are_clear() {
    let out = nhiscan()
        .args([
            "findings",
            "--store",
            "postgres://nobody:hunter2@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password is not printed: {err}"
    );
    // A reading command does not create an empty store from a typo.
    let out = nhiscan()
        .args(["findings", "--store", "/nonexistent-dir/nhiscan.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such store"), "{}", stderr(&out));
    let out = nhiscan()
        .args(["merge", "--store", "/nonexistent-dir/x/nhiscan.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot open the SQLite store"),
        "{}",
        stderr(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Merge

/// Three repositories, run `id` of them: the last one's secret gone in `later` runs.
fn org(later: bool) -> Vec<RepoRecord> {
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

/// Everything `findings` says, store-independent.
fn dump(spec: &str) -> BTreeSet<String> {
    rows(spec, &[])
        .into_iter()
        .map(|v| {
            let p = &v["properties"];
            format!(
                "{} {} {} {} {} {} {} {} {}",
                p["repository"],
                v["artifact"],
                v["line"],
                v["fingerprint"],
                p["store_status"],
                p["credential_status"],
                p["first_run"],
                p["last_run"],
                p["fixed_run"]
            )
        })
        .collect()
}

#[test]
fn merge_refuses_with_a_missing_or_unfinished_shard_and_names_it() {
    each_backend(|b| {
        let e = engine("0.1.0", "rules-a");
        let repos = org(false);
        let s0 = b.sqlite_beside("shard-0.db");
        let s1 = b.sqlite_beside("shard-1.db");
        run(
            &mut Store::open(&s0, Options::default()).unwrap(),
            "n1",
            Some((0, 3)),
            &e,
            repos[..1].to_vec(),
        );
        // Shard 1 began but did not finish; shard 2 never ran.
        let mut one = Store::open(&s1, Options::default()).unwrap();
        let start = RunStart {
            run_id: "n1".into(),
            shard: Some((1, 3)),
            engine: e.clone(),
            scope: ALL,
            expected: vec!["org/b".into()],
            meta: BTreeMap::new(),
        };
        one.begin(&start, "p1").unwrap();
        one.record("n1", &repos[1], &[]).unwrap();
        let merge = |stores: &[&str]| {
            nhiscan()
                .args(["merge", "--store", &b.spec])
                .args(stores)
                .output()
                .unwrap()
        };
        let out = merge(&[&s0, &s1]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("run n1 not advanced"), "{err}");
        assert!(err.contains("missing shards 2"), "{err}");
        assert!(err.contains("incomplete shards 1"), "{err}");
        assert!(
            rows(&b.spec, &[]).is_empty(),
            "{}: nothing advanced",
            b.kind
        );
        // What was copied is kept: shard 0's repository is in the target already.
        assert_eq!(
            b.raw_query("SELECT repo FROM run_repos ORDER BY repo"),
            vec!["org/a".to_string(), "org/b".to_string()]
        );
        // Shard 1 finishes, shard 2 arrives: the merge advances.
        one.finish("n1").unwrap();
        let s2 = b.sqlite_beside("shard-2.db");
        run(
            &mut Store::open(&s2, Options::default()).unwrap(),
            "n1",
            Some((2, 3)),
            &e,
            repos[2..].to_vec(),
        );
        let out = merge(&[&s1, &s2]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("advanced run n1"));
        assert_eq!(rows(&b.spec, &[]).len(), 4, "{}", b.kind);
        // Nothing left to advance: a second merge is a no-op.
        let out = merge(&[&s0, &s1, &s2]);
        assert!(out.status.success(), "{}", stderr(&out));
    });
}

#[test]
fn merged_shards_equal_one_unsharded_run() {
    each_backend(|b| {
        let e = engine("0.1.0", "rules-a");
        let whole = b.sibling();
        let mut w = whole.open();
        run(&mut w, "n1", None, &e, org(false));
        run(&mut w, "n2", None, &e, org(true));
        for (id, later) in [("n1", false), ("n2", true)] {
            let repos = org(later);
            let a = b.sqlite_beside(&format!("{id}-0.db"));
            let c = b.sqlite_beside(&format!("{id}-1.db"));
            run(
                &mut Store::open(&a, Options::default()).unwrap(),
                id,
                Some((0, 2)),
                &e,
                repos[..2].to_vec(),
            );
            run(
                &mut Store::open(&c, Options::default()).unwrap(),
                id,
                Some((1, 2)),
                &e,
                repos[2..].to_vec(),
            );
            let out = nhiscan()
                .args(["merge", "--store", &b.spec, &a, &c])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let merged = dump(&b.spec);
        assert_eq!(merged, dump(&whole.spec), "{}", b.kind);
        assert!(
            merged.iter().any(|l| l.contains("\"fixed\"")),
            "{merged:#?}"
        );
        assert_eq!(merged.len(), 4);
    });
}

#[test]
fn shards_writing_one_shared_store_advance_at_merge() {
    each_backend(|b| {
        let e = engine("0.1.0", "rules-a");
        let repos = org(false);
        let mut s = b.open();
        run(&mut s, "n1", Some((0, 2)), &e, repos[..2].to_vec());
        assert!(
            rows(&b.spec, &[]).is_empty(),
            "a shard does not advance on finish"
        );
        let out = nhiscan()
            .args(["merge", "--store", &b.spec])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("missing shards 1"),
            "{}",
            stderr(&out)
        );
        let mut other = b.open();
        run(&mut other, "n1", Some((1, 2)), &e, repos[2..].to_vec());
        let out = nhiscan()
            .args(["merge", "--store", &b.spec, "--run", "n1"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(rows(&b.spec, &[]).len(), 4, "{}", b.kind);
    });
}

// ---------------------------------------------------------------------------------------------
// Secrets and reports

fn files_with(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            std::fs::read(p)
                .map(|d| d.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn the_secret_is_stored_only_when_asked() {
    each_backend(|b| {
        let e = engine("0.1.0", "rules-a");
        let secret = github_token("ghp_", 31);
        for store_secrets in [false, true] {
            let target = b.sibling();
            let mut s = Store::open(
                &target.spec,
                Options {
                    store_secrets,
                    must_exist: false,
                },
            )
            .unwrap();
            run(
                &mut s,
                "r1",
                None,
                &e,
                vec![repo(
                    "org/app",
                    ALL,
                    Coverage::Complete,
                    findings(&[("a.env", 31)]),
                )],
            );
            drop(s);
            let out = nhiscan()
                .args(["findings", "--store", &target.spec, "--format", "json"])
                .output()
                .unwrap();
            assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret));
            let kept = target.raw_query("SELECT secret FROM credentials");
            if target.kind == "sqlite" {
                let hits = files_with(target.dir.path(), secret.as_bytes());
                assert_eq!(!hits.is_empty(), store_secrets, "{hits:?}");
            }
            assert_eq!(
                kept == vec![secret.clone()],
                store_secrets,
                "{}",
                target.kind
            );
            if !store_secrets {
                assert_eq!(kept, vec![String::new()]);
            }
        }
    });
}

#[test]
fn findings_render_every_format_and_one_sarif_per_repository() {
    each_backend(|b| {
        let mut s = b.open();
        run(&mut s, "r1", None, &engine("0.1.0", "rules-a"), org(false));
        let sarif_dir = b.dir.path().join("sarif");
        let out = nhiscan()
            .args([
                "findings",
                "--store",
                &b.spec,
                "--format",
                "json",
                "--sarif-dir",
            ])
            .arg(&sarif_dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let doc = crate::support::json(&out);
        assert_eq!(doc["findings"].as_array().unwrap().len(), 4);
        let mut files: Vec<_> = std::fs::read_dir(&sarif_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 3);
        for f in &files {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            let errors = crate::support::sarif_schema_errors(&v);
            assert!(errors.is_empty(), "{errors:#?}");
            assert!(!v["runs"][0]["results"].as_array().unwrap().is_empty());
        }
        let out = nhiscan()
            .args(["findings", "--store", &b.spec, "--format", "sarif"])
            .output()
            .unwrap();
        assert_eq!(
            crate::support::json(&out)["runs"][0]["results"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        let out = nhiscan()
            .args(["findings", "--store", &b.spec])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("org/b: b.env") && text.contains("[new, first seen"),
            "{text}"
        );
        // --since: everything was first seen today, nothing tomorrow.
        assert_eq!(rows(&b.spec, &["--since", "2000-01-01"]).len(), 4);
        assert_eq!(rows(&b.spec, &["--since", "2999-01-01"]).len(), 0);
    });
}

// ---------------------------------------------------------------------------------------------
// Overhead

/// The cost of recording: 10,000 findings and 100,000 clean blobs over 100 repositories, twice
/// (a first run, then a rescan finding the same). For docs/store.md and the closing note.
#[test]
#[ignore = "measurement: cargo test --release --test it store_overhead -- --ignored --nocapture"]
fn store_overhead() {
    each_backend(|b| {
        let base = findings(&[("a.env", 41)]).remove(0);
        let repos: Vec<RepoRecord> = (0..100)
            .map(|r| {
                let found = (0..100)
                    .map(|i| {
                        let mut f = base.clone();
                        let n = r * 100 + i;
                        f.fingerprint = format!("{n:032x}");
                        let mut o = (*f.origin).clone();
                        o.artifact = format!("src/f{i}.env");
                        o.display = o.artifact.clone();
                        f.origin = std::sync::Arc::new(o);
                        f
                    })
                    .collect();
                repo(&format!("org/r{r}"), ALL, Coverage::Complete, found)
            })
            .collect();
        let blobs: Vec<Vec<String>> = (0..100)
            .map(|r| {
                (0..1000)
                    .map(|i| format!("{:040x}", r * 1000 + i))
                    .collect()
            })
            .collect();
        let e = engine("0.1.0", "rules-a");
        let mut s = b.open();
        for id in ["first", "rescan"] {
            let t = std::time::Instant::now();
            let start = RunStart {
                run_id: id.into(),
                shard: None,
                engine: e.clone(),
                scope: ALL,
                expected: repos.iter().map(|r| r.key.clone()).collect(),
                meta: BTreeMap::new(),
            };
            s.begin(&start, id).unwrap();
            let clean = s.clean_blobs(&e).unwrap().len();
            for (r, bl) in repos.iter().zip(&blobs) {
                s.record(id, r, bl).unwrap();
            }
            let recorded = t.elapsed();
            s.finish(id).unwrap();
            eprintln!(
                "{} {id}: record {:.2}s, finish {:.2}s, total {:.2}s (10,000 findings, 100,000 clean blobs, {clean} known clean)",
                b.kind,
                recorded.as_secs_f64(),
                (t.elapsed() - recorded).as_secs_f64(),
                t.elapsed().as_secs_f64()
            );
        }
        assert_eq!(rows(&b.spec, &["--status", "open"]).len(), 10_000);
    });
}
