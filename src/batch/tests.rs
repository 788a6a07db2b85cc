//! The batch against a results store, through [`RunStore`] (an in-memory store here; the SQLite
//! and PostgreSQL backends are tested with their own): every repository recorded as it finishes,
//! blobs scanned clean skipped by the next run while blobs with findings are scanned again, and an
//! interrupted run resumed without scanning what it recorded.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::input::collect;
use super::{run, Cache, Options};
use crate::store::record::{Coverage, Engine, RepoRecord, RunStart, RunStore, Scope};

#[derive(Default)]
struct Inner {
    /// (run id, plan key, finished, recorded keys)
    runs: Vec<(String, String, bool, Vec<String>)>,
    clean: HashMap<String, HashSet<String>>,
    records: Vec<RepoRecord>,
}

#[derive(Clone, Default)]
struct MemStore(Arc<Mutex<Inner>>);

fn engine_key(e: &Engine) -> String {
    format!("{}/{}/{}", e.version, e.rules_hash, e.settings_hash)
}

impl RunStore for MemStore {
    fn resume(&mut self, plan_key: &str) -> anyhow::Result<Option<(String, Vec<String>)>> {
        let s = self.0.lock().unwrap();
        Ok(s.runs
            .iter()
            .find(|r| r.1 == plan_key && !r.2)
            .map(|r| (r.0.clone(), r.3.clone())))
    }
    fn begin(&mut self, start: &RunStart, plan_key: &str) -> anyhow::Result<()> {
        let mut s = self.0.lock().unwrap();
        s.runs
            .push((start.run_id.clone(), plan_key.into(), false, Vec::new()));
        s.clean.entry(engine_key(&start.engine)).or_default();
        Ok(())
    }
    fn clean_blobs(&mut self, engine: &Engine) -> anyhow::Result<HashSet<String>> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .clean
            .get(&engine_key(engine))
            .cloned()
            .unwrap_or_default())
    }
    /// This store remembers no refs, so every repository is scanned (what these tests are about:
    /// clean blobs and resuming; carrying is tested with the real backends).
    fn priors(
        &mut self,
        _engine: &Engine,
        _scope: Scope,
    ) -> anyhow::Result<HashMap<String, crate::store::Prior>> {
        Ok(HashMap::new())
    }
    fn carry(
        &mut self,
        _run_id: &str,
        key: &str,
        _prior: &crate::store::Prior,
    ) -> anyhow::Result<Vec<crate::finding::Finding>> {
        anyhow::bail!("{key}: this store has nothing to carry")
    }
    fn record(&mut self, run_id: &str, repo: &RepoRecord, clean: &[String]) -> anyhow::Result<()> {
        let mut s = self.0.lock().unwrap();
        let run = s.runs.iter_mut().find(|r| r.0 == run_id).expect("begun");
        run.3.push(repo.key.clone());
        let engine = s.clean.keys().next().cloned().unwrap_or_default();
        s.clean
            .entry(engine)
            .or_default()
            .extend(clean.iter().cloned());
        s.records.push(repo.clone());
        Ok(())
    }
    fn finish(&mut self, run_id: &str) -> anyhow::Result<()> {
        let mut s = self.0.lock().unwrap();
        s.runs.iter_mut().find(|r| r.0 == run_id).expect("begun").2 = true;
        Ok(())
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn repo(dir: &Path, files: &[(&str, String)]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    for (p, c) in files {
        std::fs::write(dir.join(p), c).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "first"]);
    dir.to_path_buf()
}

fn key_id(seed: u64) -> String {
    // A fake AWS key id, assembled at run time (xorshift over base32).
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let body: String = (0..16)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % 32) as usize] as char
        })
        .collect();
    format!("{}{body}", "AKIA")
}

fn batch(dirs: &[PathBuf], out: &Path, store: &MemStore, exit: i32) -> serde_json::Value {
    let inputs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let mut settings = crate::settings::Settings {
        threads: 1,
        ..Default::default()
    };
    settings.output.format = "json".parse().unwrap();
    settings.output.output = Some(out.to_path_buf());
    settings.output.quiet = true;
    let opts = Options {
        targets: collect(&inputs, &[], 1).unwrap(),
        scope: Scope {
            tree: true,
            history: true,
            images: false,
        },
        shard: None,
        parallel: 1,
        threads: 1,
        cache: Cache::new(out.with_extension("cache"), Duration::from_secs(10)),
        run_id: None,
        rescan: false,
        settings,
    };
    let code = run(opts, Some(Box::new(store.clone()))).unwrap();
    assert_eq!(code, exit);
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

#[test]
fn the_store_records_skips_clean_blobs_and_resumes() {
    let t = tempfile::tempdir().unwrap();
    let clean: Vec<(&str, String)> = (0..5).map(|i| ("", format!("clean {i}\n"))).collect();
    let mut a_files: Vec<(&str, String)> =
        vec![("k.env", format!("aws_access_key_id = \"{}\"\n", key_id(1)))];
    let names = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"];
    for (n, (_, c)) in names.iter().zip(&clean) {
        a_files.push((n, c.clone()));
    }
    let a = repo(&t.path().join("a"), &a_files);
    let b = repo(&t.path().join("b"), &[("z.txt", "other\n".into())]);
    let store = MemStore::default();
    let out = t.path().join("r.json");
    let first = batch(&[a.clone(), b.clone()], &out, &store, 1);
    assert_eq!(first["summary"]["blobs_skipped_clean"], 0);
    {
        let s = store.0.lock().unwrap();
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.runs.len(), 1);
        assert!(s.runs[0].2, "finished");
        assert!(s.records.iter().all(|r| r.coverage == Coverage::Complete));
        let rec_a = s.records.iter().find(|r| r.key.ends_with("/a")).unwrap();
        assert_eq!(rec_a.findings.len(), 1);
        // The store gets the secret (it decides what to keep); the report never does.
        assert!(rec_a.findings[0].secret.is_some());
        // Clean: the five text blobs and b's; not the key file.
        assert_eq!(s.clean.values().next().unwrap().len(), 6);
    }
    assert!(!std::fs::read_to_string(&out).unwrap().contains(&key_id(1)));
    // The next run reads none of the clean blobs, and still finds the key.
    let second = batch(&[a.clone(), b.clone()], &out, &store, 1);
    assert_eq!(second["summary"]["blobs_skipped_clean"], 6);
    assert_eq!(second["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        second["repositories"][0]["files"],
        first["repositories"][0]["files"]
    );
    // An interrupted run: begun, `a` recorded, then killed. The same invocation resumes it.
    {
        let mut s = store.0.lock().unwrap();
        let plan = s.runs[0].1.clone();
        s.runs
            .push(("killed".into(), plan, false, vec![super::key::path_key(&a)]));
    }
    // Its report covers what it scanned (b, clean); a's findings are in the store.
    let resumed = batch(&[a.clone(), b.clone()], &out, &store, 0);
    let repos = resumed["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), 2, "both in the manifest");
    assert_eq!(repos[0]["resumed"], true);
    assert!(repos[1].get("resumed").is_none());
    let s = store.0.lock().unwrap();
    let killed = s.runs.iter().find(|r| r.0 == "killed").unwrap();
    assert!(killed.2, "finished now");
    assert_eq!(
        killed.3.len(),
        2,
        "b recorded into the resumed run, a not again"
    );
}
