//! The secret kept out of the store unless asked, every report format, and the overhead measure.

use super::*;

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
