//! Schema versions (an older store migrated, a newer one refused), locks and bad store specs.

use super::*;

// ---------------------------------------------------------------------------------------------
// Schema versions and locks

/// Schema version 1, as nhiscan 0.1 wrote it, with one credential in it.
const V1: &str = include_str!("v1.sql");

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
