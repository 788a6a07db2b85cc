//! Statuses over runs, the fixed rule, recording twice, and triage across rescans.

use super::*;

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

#[test]
fn an_unchanged_repository_is_carried_forward_exactly() {
    each_backend(|b| {
        let mut s = b.open();
        let e = engine("0.1.0", "rules-a");
        let with_refs = |key: &str, refs: &str, found| RepoRecord {
            refs: Some(refs.into()),
            ..repo(key, ALL, Coverage::Complete, found)
        };
        run(
            &mut s,
            "r1",
            None,
            &e,
            vec![
                with_refs("org/app", "refs-1", findings(&[("a.env", 1), ("b.env", 2)])),
                repo(
                    "org/norefs",
                    ALL,
                    Coverage::Complete,
                    findings(&[("c.env", 3)]),
                ),
                with_refs("org/gone", "refs-3", findings(&[("d.env", 4)])),
            ],
        );
        let before = state(&b.spec);
        // Only a complete record with refs, under the same engine and scope, can be carried.
        let priors = s.priors(&e, ALL).unwrap();
        assert_eq!(priors.keys().collect::<Vec<_>>().len(), 2, "{}", b.kind);
        assert!(s
            .priors(&engine("0.1.0", "rules-b"), ALL)
            .unwrap()
            .is_empty());
        assert!(s.priors(&e, TREE).unwrap().is_empty());
        let p = &priors["org/app"];
        assert_eq!((p.run.as_str(), p.refs.as_str()), ("r1", "refs-1"));
        assert!(!p.secrets_kept, "secrets are not stored by default");
        // Run 2 carries org/app and scans the others (org/gone's secret is gone).
        let start = RunStart {
            run_id: "r2".into(),
            shard: None,
            engine: e.clone(),
            scope: ALL,
            expected: vec!["org/app".into(), "org/norefs".into(), "org/gone".into()],
            meta: BTreeMap::new(),
        };
        s.begin(&start, "plan-r2").unwrap();
        let found = s.carry("r2", "org/app", p).unwrap();
        assert_eq!(found.len(), 2, "{}", b.kind);
        assert_eq!(
            found[0].fingerprint,
            findings(&[("a.env", 1)])[0].fingerprint
        );
        assert!(found.iter().all(|f| f.secret.is_none()));
        // Carrying twice (a resumed run) does not double it.
        s.carry("r2", "org/app", p).unwrap();
        s.record(
            "r2",
            &repo(
                "org/norefs",
                ALL,
                Coverage::Complete,
                findings(&[("c.env", 3)]),
            ),
            &[],
        )
        .unwrap();
        s.record("r2", &with_refs("org/gone", "refs-4", Vec::new()), &[])
            .unwrap();
        s.finish("r2").unwrap();
        let after = state(&b.spec);
        let key = |r: &str, p: &str| (r.to_string(), p.to_string());
        assert_eq!(after[&key("org/app", "a.env")].0, "open", "{}", b.kind);
        assert_eq!(after[&key("org/app", "b.env")].0, "open");
        assert_eq!(after[&key("org/gone", "d.env")].0, "fixed");
        assert_eq!(after.len(), before.len());
        let n =
            b.raw_query("SELECT COUNT(*) FROM run_findings WHERE run = 'r2' AND repo = 'org/app'");
        assert_eq!(n, vec!["2".to_string()], "{}", b.kind);
        let refs = b.raw_query("SELECT refs FROM run_repos WHERE run = 'r2' AND repo = 'org/app'");
        assert_eq!(refs, vec!["refs-1".to_string()]);
    });
}

#[test]
fn clean_blobs_of_engines_no_recent_run_used_are_dropped() {
    each_backend(|b| {
        let mut s = b.open();
        let (old, new) = (engine("0.1.0", "rules-old"), engine("0.2.0", "rules-new"));
        let one = |s: &mut Store, id: &str, e: &Engine, blob: &str| {
            let start = RunStart {
                run_id: id.into(),
                shard: None,
                engine: e.clone(),
                scope: ALL,
                expected: vec!["org/app".into()],
                meta: BTreeMap::new(),
            };
            s.begin(&start, &format!("plan-{id}")).unwrap();
            s.record(
                id,
                &repo("org/app", ALL, Coverage::Complete, Vec::new()),
                &[blob.into()],
            )
            .unwrap();
            s.finish(id).unwrap();
        };
        one(&mut s, "r1", &old, "b1");
        one(&mut s, "r2", &new, "b2");
        // Both engines were used lately: both sets kept.
        assert_eq!(s.clean_blobs(&old).unwrap().len(), 1, "{}", b.kind);
        assert_eq!(s.clean_blobs(&new).unwrap().len(), 1);
        // The old engine's last run was 100 days ago: the next run drops its set.
        b.raw("UPDATE runs SET started = started - 8640000 WHERE id = 'r1'");
        one(&mut s, "r3", &new, "b3");
        assert!(s.clean_blobs(&old).unwrap().is_empty(), "{}", b.kind);
        assert_eq!(s.clean_blobs(&new).unwrap().len(), 2);
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
