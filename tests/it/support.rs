//! Shared helpers for the integration tests: run the real binary, assemble fake secrets at run time
//! (so no token-shaped literal sits in the test sources), and build git repositories with the git CLI
//! in a temp dir.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use std::sync::OnceLock;

use assert_cmd::Command;
use nhiscan::context::Context;
use nhiscan::finding::Finding;
use nhiscan::scan::{Scanner, UnitResult};
use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempDir;

pub fn nhiscan() -> Command {
    let mut c = Command::cargo_bin("nhiscan").expect("binary built");
    c.env_remove("NO_COLOR");
    c
}

/// Runs `nhiscan ARGS` in `dir` and returns the output.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    nhiscan()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

/// Parses `--format json` output (or any JSON on stdout: SARIF, `rules list`). A JSON report (an
/// object with `schema_version`) must validate against docs/report.schema.json.
pub fn json(out: &Output) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout={} stderr={}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    if v.get("schema_version").is_some() {
        let errors = report_schema_errors(&v);
        assert!(
            errors.is_empty(),
            "the JSON report does not match docs/report.schema.json: {errors:#?}"
        );
    }
    v
}

fn report_schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../docs/report.schema.json")).expect("schema parses")
}

/// Errors of `doc` against docs/report.schema.json (a whole `--format json` report), empty when valid.
pub fn report_schema_errors(doc: &serde_json::Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(&report_schema()).expect("schema compiles"));
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Errors of one `--format jsonl` line against `#/$defs/jsonl_line` of docs/report.schema.json.
pub fn jsonl_line_schema_errors(line: &serde_json::Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema = report_schema();
        let line_schema = json!({
            "$schema": schema["$schema"],
            "$ref": "#/$defs/jsonl_line",
            "$defs": schema["$defs"],
        });
        jsonschema::validator_for(&line_schema).expect("schema compiles")
    });
    validator
        .iter_errors(line)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Parses `--format jsonl` output: one finding a line, then the trailer (`"type": "end"`) that
/// says whether the stream is complete. Every line must validate against the report schema.
pub fn jsonl(out: &Output) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for l in &lines {
        let errors = jsonl_line_schema_errors(l);
        assert!(
            errors.is_empty(),
            "a JSONL line does not match #/$defs/jsonl_line of docs/report.schema.json: {errors:#?}\n{l}"
        );
    }
    let trailer = lines.pop().expect("a trailer line");
    assert_eq!(trailer["type"], "end", "the last line is the trailer");
    assert!(
        lines.iter().all(|l| l.get("type").is_none()),
        "one trailer, last"
    );
    (lines, trailer)
}

/// (file, line, rule) of a finding.
pub type Triple = (String, u64, String);

/// (file, line, rule) of every finding in a JSON report, sorted.
pub fn triples(report: &serde_json::Value) -> Vec<Triple> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["artifact"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Errors of `doc` against the OASIS SARIF 2.1.0 schema (a copy in tests/data), empty when valid.
pub fn sarif_schema_errors(doc: &serde_json::Value) -> Vec<String> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json"))
                .expect("schema parses");
        jsonschema::validator_for(&schema).expect("schema compiles")
    });
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// One (file, line, rule).
pub fn t(path: &str, line: u64, rule: &str) -> Triple {
    (path.to_string(), line, rule.to_string())
}

/// A sorted list of (file, line, rule) from literals.
pub fn expected(list: &[(&str, u64, &str)]) -> Vec<Triple> {
    let mut v: Vec<Triple> = list
        .iter()
        .map(|(f, l, r)| (f.to_string(), *l, r.to_string()))
        .collect();
    v.sort();
    v
}

/// The repository root (where the fixtures are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

// In process: the scanner (engine and analyzers) on bytes, no binary, no pipeline.

/// The built-in rules, compiled once for the whole test crate.
pub fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    // The fixtures stand for production files (that is what they test), as the repository's own
    // .nhiscan.toml says for the binary.
    SCANNER.get_or_init(|| {
        Scanner::builtin()
            .and_then(|s| s.with_context_globs(&[(Context::Production, "fixtures/**")]))
            .expect("built-in rules compile")
    })
}

/// A scanner running only the built-in rules `ids`, with the default token lifetime.
pub fn scanner_of(ids: &[&str]) -> Scanner {
    Scanner::only(ids)
        .and_then(|s| s.with_context_globs(&[(Context::Production, "fixtures/**")]))
        .expect("known rule ids that compile")
}

/// What scanning every file under `dir` (relative to the repository root, e.g. `fixtures/posture`)
/// gives in process, each file named by its repository-relative path as the CLI names it: the
/// findings (inline-allowed ones left out, as the collector does) and (path, message) errors.
pub fn scan_tree(scanner: &Scanner, dir: &str) -> (Vec<Finding>, Vec<(String, String)>) {
    let mut files = Vec::new();
    list_files(&root().join(dir), &mut files);
    files.sort();
    let (mut findings, mut errors) = (Vec::new(), Vec::new());
    for path in files {
        let rel = path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let res = scanner.scan_file(&rel, &std::fs::read(&path).unwrap());
        findings.extend(res.findings.into_iter().filter(|f| f.suppressed.is_none()));
        errors.extend(res.errors.into_iter().map(|e| (rel.clone(), e)));
    }
    (findings, errors)
}

/// Scans one fixture file in process, named by its repository-relative path.
pub fn scan_fixture(scanner: &Scanner, path: &str) -> UnitResult {
    scanner.scan_file(path, &std::fs::read(root().join(path)).unwrap())
}

fn list_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            list_files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

/// (file, line, rule) of in-process findings, `prefix` taken off the paths, sorted.
pub fn finding_triples(findings: &[Finding], prefix: &str) -> Vec<Triple> {
    let mut v: Vec<Triple> = findings
        .iter()
        .map(|f| {
            let a = f.origin.artifact.as_str();
            (
                a.strip_prefix(prefix).unwrap_or(a).to_string(),
                f.line as u64,
                f.rule_id.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The one finding of `rule` at `file:line` (`file` a path suffix).
pub fn finding_at<'a>(findings: &'a [Finding], file: &str, line: usize) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.origin.artifact.ends_with(file) && f.line == line)
        .unwrap_or_else(|| panic!("no finding at {file}:{line}"))
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A deterministic pseudo-random string over `alphabet` (xorshift; seeded so failures reproduce).
pub fn random(alphabet: &[u8], len: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

pub fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// A fake GitHub token of kind `prefix` (`ghp_`, `ghs_`...) with a valid checksum.
pub fn github_token(prefix: &str, seed: u64) -> String {
    let body = random(BASE62, 30, seed);
    format!(
        "{prefix}{body}{}",
        base62_6(crc32fast::hash(body.as_bytes()))
    )
}

/// A fake long-lived AWS access key id (AKIA + 16 base32 characters).
pub fn aws_key_id(seed: u64) -> String {
    format!(
        "{}{}",
        "AKIA",
        random(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, seed)
    )
}

/// A fake AWS secret access key (40 base64 characters).
pub fn aws_secret(seed: u64) -> String {
    random(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
        seed,
    )
}

pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const DIGITS: &[u8] = b"0123456789";

/// Fake Slack bot token.
pub fn slack_bot(seed: u64) -> String {
    format!(
        "xoxb-{}-{}-{}",
        random(DIGITS, 12, seed),
        random(DIGITS, 13, seed + 1),
        random(ALNUM, 24, seed + 2)
    )
}

/// Fake Stripe live secret key.
pub fn stripe_live(seed: u64) -> String {
    format!("{}{}", "sk_live_", random(ALNUM, 32, seed))
}

/// Fake SendGrid API key.
pub fn sendgrid(seed: u64) -> String {
    format!(
        "SG.{}.{}",
        random(ALNUM, 22, seed),
        random(ALNUM, 43, seed + 1)
    )
}

/// A password with letters and digits, as people pick for service accounts.
pub fn password(seed: u64) -> String {
    format!("{}7{}", random(ALNUM, 9, seed), random(ALNUM, 6, seed + 1))
}

/// Copies `fixtures/<dir>` to a temp dir, replacing each `@@NAME@@` by `subst(NAME)`.
pub fn materialize(dir: &str, subst: &dyn Fn(&str) -> String) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_tree(&src, tmp.path(), subst);
    tmp
}

fn copy_tree(src: &Path, dst: &Path, subst: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to, subst);
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap();
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(a) = rest.find("@@") {
            let Some(b) = rest[a + 2..].find("@@") else {
                break;
            };
            out.push_str(&rest[..a]);
            out.push_str(&subst(&rest[a + 2..a + 2 + b]));
            rest = &rest[a + 4 + b..];
        }
        out.push_str(rest);
        std::fs::write(to, out).unwrap();
    }
}

// Test repositories built with the git CLI in a temp dir, and a test-local rule file (so the tests do
// not depend on which shipped rules have landed: they run with `--enable` on these two rules only).

pub const RULES: &str = r#"
[[rule]]
id = "test-github-pat"
title = "Test GitHub token"
description = "A GitHub classic token, for the git tests."
severity = "high"
keywords = ["ghp_"]
pattern = '''\b(ghp_[A-Za-z0-9]{36})\b'''
checksum = "github-crc32"
lifetime = { kind = "long-lived", reason = "test" }
remediation = "Revoke it."

[[rule]]
id = "test-aws-key"
title = "Test AWS key id"
description = "An AWS access key id, for the git tests."
severity = "critical"
keywords = ["AKIA"]
pattern = '''\b(AKIA[A-Z2-7]{16})\b'''
lifetime = { kind = "long-lived", reason = "test" }
remediation = "Revoke it."
"#;

pub const ENABLE: &str = "test-github-pat,test-aws-key";

pub struct Repo {
    pub tmp: TempDir,
    pub dir: PathBuf,
    /// Where the rule file lives (outside the repository).
    pub rules: PathBuf,
    clock: std::cell::Cell<i64>,
}

/// git with a clean, fixed environment (no user or system config).
pub fn git_cmd(dir: &Path, home: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.com")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.com");
    c
}

impl Repo {
    pub fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        let rules = tmp.path().join("rules.toml");
        std::fs::write(&rules, RULES).unwrap();
        std::fs::write(
            tmp.path().join("gitconfig"),
            "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
        )
        .unwrap();
        let r = Repo {
            tmp,
            dir,
            rules,
            clock: std::cell::Cell::new(1_577_836_800),
        }; // 2020-01-01
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    pub fn home(&self) -> &Path {
        self.tmp.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.dir, args)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let t = format!("{} +0000", self.clock.get());
        let out = git_cmd(dir, self.home())
            .env("GIT_AUTHOR_DATE", &t)
            .env("GIT_COMMITTER_DATE", &t)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn write(&self, path: &str, content: &str) {
        let p = self.dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// Moves the clock `days` forward (commit dates are deterministic).
    pub fn advance(&self, days: i64) {
        self.clock.set(self.clock.get() + days * 86_400);
    }

    /// Stages everything and commits one day after the previous commit; returns the commit id.
    pub fn commit(&self, msg: &str) -> String {
        self.advance(1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// `nhiscan ARGS --rules <test rules> --enable <test rules>` run in the repository.
    pub fn nhiscan(&self, args: &[&str]) -> Output {
        self.nhiscan_in(&self.dir, args)
    }

    pub fn nhiscan_in(&self, dir: &Path, args: &[&str]) -> Output {
        let rules = self.rules.to_string_lossy().to_string();
        let mut all: Vec<&str> = args.to_vec();
        if args.first() != Some(&"install-hook") {
            all.extend(["--rules", &rules, "--enable", ENABLE]);
        }
        self.cli(dir, &all)
    }

    /// `nhiscan ARGS` run in `dir` with the built-in rules (and the repository's clean git
    /// environment): what a user of the repository runs.
    pub fn cli(&self, dir: &Path, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        if !matches!(args.first(), Some(&"baseline") | Some(&"install-hook")) {
            all.extend(["--color", "never"]);
        }
        nhiscan()
            .current_dir(dir)
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home().join("gitconfig"))
            .args(&all)
            .output()
            .unwrap()
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

// Container images built in the test (no Docker daemon): layers, configs, `docker save` tarballs.

pub enum Entry<'a> {
    File(&'a str, Vec<u8>),
    Dir(&'a str),
}

/// A layer tar. Names are written raw (no path checks), so tests can make `..` and absolute entries.
pub fn layer(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let (name, data, kind) = match e {
            Entry::File(n, d) => (*n, d.as_slice(), tar::EntryType::Regular),
            Entry::Dir(n) => (*n, &[][..], tar::EntryType::Directory),
        };
        let mut h = tar::Header::new_gnu();
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(kind);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An image config: Env, and one history entry per layer (plus an empty ENV entry first).
pub fn config(env: &[&str], created_by: &[&str]) -> Vec<u8> {
    let mut history = vec![json!({"created_by": "ENV PATH=/usr/bin", "empty_layer": true})];
    history.extend(created_by.iter().map(|c| json!({ "created_by": c })));
    serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": { "Env": env, "Cmd": ["/app/run"], "Labels": {"maintainer": "team"} },
        "rootfs": { "type": "layers", "diff_ids": [] },
        "history": history,
    }))
    .unwrap()
}

pub fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

/// A `docker save` tarball (Docker 25+ shape: blobs/sha256/..., manifest.json at the end).
pub fn docker_save(layers: &[Vec<u8>], cfg: &[u8]) -> Vec<u8> {
    let mut files = Vec::new();
    let mut names = Vec::new();
    for l in layers {
        let name = format!("blobs/sha256/{}", sha(l));
        names.push(name.clone());
        files.push((name, l.clone()));
    }
    let cfg_name = format!("blobs/sha256/{}", sha(cfg));
    files.push((cfg_name.clone(), cfg.to_vec()));
    let manifest = json!([{ "Config": cfg_name, "RepoTags": ["app:1"], "Layers": names }]);
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    tar_of(&files)
}
