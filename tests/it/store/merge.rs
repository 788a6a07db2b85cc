//! `nhiscan merge`: refusing with a missing or unfinished shard, and merged shards equal to one
//! unsharded run.

use super::*;

// ---------------------------------------------------------------------------------------------
// Merge

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
