//! Hostile input (issue 14, what is fixed): no crash on a non-ASCII Dockerfile key, names escaped
//! on the terminal and exact in JSON, pipes and FIFOs read (and never waited on inside a tree),
//! UTF-16 files scanned, parse errors that never quote a secret, a config that cannot make nhiscan
//! read forever, linear columns on one long line, and reports independent of `-j`.

use std::io::Write as _;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    aws_key_id, github_token, json, nhiscan, password, run_in, sarif_schema_errors, slack_bot,
    stderr, stdout, stripe_live, Repo,
};

fn write(dir: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// `nhiscan ARGS` in `dir`, killed after `secs` seconds (a hang fails the test, not the suite).
fn run_for(dir: &Path, args: &[&str], secs: u64) -> Output {
    let mut c = nhiscan();
    c.current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(secs));
    c.output().expect("runs")
}

/// (artifact, line, column, rule) of a JSON report's findings, sorted.
fn places(rep: &Value) -> Vec<(String, u64, u64, String)> {
    let mut v: Vec<_> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["artifact"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn place(file: &str, line: u64, column: u64, rule: &str) -> (String, u64, u64, String) {
    (file.to_string(), line, column, rule.to_string())
}

// 14.1: the Dockerfile parser on a char boundary.

#[test]
fn a_quoted_non_ascii_env_key_does_not_crash_and_the_key_is_found() {
    let key = aws_key_id(1401);
    let dockerfile = format!("FROM a\nENV \"éé\" x\nENV AWS_ACCESS_KEY_ID={key}\n");
    let r = Repo::new();
    r.write("Dockerfile", &dockerfile);
    r.write("app/Dockerfile", "FROM a\nENV \"éé\" x\n");
    let want = vec![place("Dockerfile", 3, 23, "aws-access-key-id")];

    let out = r.cli(&r.dir, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(places(&json(&out)), want);

    r.git(&["add", "-A"]);
    let out = r.cli(&r.dir, &["staged", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(places(&json(&out)), want);

    r.commit("dockerfile");
    let out = r.cli(&r.dir, &["git", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(places(&json(&out)), want);
}

// 14.6: terminal injection.

#[test]
fn control_characters_in_names_are_escaped_in_text_and_exact_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let name = "evil\x1b[2J\nname.txt";
    write(p, name, format!("key = \"{}\"\n", aws_key_id(1402)));
    // A binary file with an OSC 52 (clipboard) sequence in its name: listed by -v on stderr.
    let binary_name = "bin\x1b]52;c;aGk=\x07.dat";
    let mut bin = vec![0u8; 9000];
    bin[100] = 1;
    write(p, binary_name, &bin);

    let out = run_in(p, &["scan", ".", "--color", "never", "-v"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let (text, err) = (stdout(&out), stderr(&out));
    for s in [&text, &err] {
        assert!(
            !s.contains('\x1b') && !s.contains('\x07'),
            "raw control bytes: {s:?}"
        );
    }
    assert!(
        text.lines().any(|l| l == r"evil\x1b[2J\nname.txt"),
        "the name on one line, escaped: {text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("name.txt")),
        "no forged line: {text}"
    );
    assert!(err.contains(r"bin\x1b]52;c;aGk=\x07.dat"), "{err}");

    let rep = json(&run_in(p, &["scan", ".", "--format", "json"]));
    let f = &rep["findings"][0];
    assert_eq!(f["artifact"], name);
    assert_eq!(f["display"], name);
    assert_eq!(rep["skipped"][0]["path"], binary_name);
    let doc = json(&run_in(p, &["scan", ".", "--format", "sarif"]));
    assert!(sarif_schema_errors(&doc).is_empty());
}

// 14.9: pipes and FIFOs.

#[test]
fn dev_stdin_and_a_named_fifo_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let key = aws_key_id(1403);
    let out = nhiscan()
        .current_dir(p)
        .args(["scan", "/dev/stdin", "--format", "json"])
        .write_stdin(format!("# env\nAWS_KEY={key}\n"))
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        places(&json(&out)),
        vec![place("/dev/stdin", 2, 9, "aws-access-key-id")]
    );

    let fifo = p.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        let key = key.clone();
        std::thread::spawn(move || {
            // Blocks until nhiscan opens the FIFO for reading.
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo)?;
            f.write_all(format!("one\ntwo\nAWS_KEY={key}\n").as_bytes())
        })
    };
    let out = run_for(p, &["scan", "pipe", "--format", "json"], 30);
    if !writer.is_finished() {
        // nhiscan never opened it: unblock the writer before failing.
        let _ = std::fs::File::open(&fifo);
    }
    writer.join().unwrap().expect("the whole input was read");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        places(&json(&out)),
        vec![place("pipe", 3, 9, "aws-access-key-id")]
    );
}

#[test]
fn a_fifo_inside_a_tree_is_skipped_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "d/a.env", format!("AWS_KEY={}\n", aws_key_id(1404)));
    let made = std::process::Command::new("mkfifo")
        .arg(p.join("d/queue"))
        .status()
        .unwrap();
    assert!(made.success());
    // Nobody ever writes to it: opening it for reading would block forever.
    let started = Instant::now();
    let out = run_for(p, &["scan", "d", "--format", "json", "-v"], 30);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        places(&rep),
        vec![place("a.env", 1, 9, "aws-access-key-id")]
    );
    let skipped = rep["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0]["path"].as_str().unwrap().ends_with("queue"),
        "{skipped:?}"
    );
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{skipped:?}"
    );
    assert_eq!(rep["complete"], true);
    assert!(stderr(&out).contains("queue"), "-v lists it");
}

// 14.10: UTF-16.

#[test]
fn utf16_files_are_scanned_at_the_right_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let utf16le = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect() };
    let with_bom = format!(
        "# settings\r\nregion = eu-west-1\r\nkey = \"{}\"\r\n",
        aws_key_id(1405)
    );
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(utf16le(&with_bom));
    write(p, "bom.ini", &bytes);
    // No BOM: ASCII in UTF-16LE (every other byte NUL), as PowerShell's Out-File writes.
    let without = format!(
        "line one\nline two\nline three\nkey = \"{}\"\n",
        aws_key_id(1406)
    );
    write(p, "nobom.txt", utf16le(&without));
    let out = run_in(p, &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    assert_eq!(
        places(&rep),
        vec![
            place("bom.ini", 3, 8, "aws-access-key-id"),
            place("nobom.txt", 4, 8, "aws-access-key-id"),
        ]
    );
    assert_eq!(rep["skipped"], serde_json::json!([]));
}

// 14.3: parse errors never quote their input.

#[test]
fn parse_errors_of_broken_files_do_not_quote_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let key = aws_key_id(1407);
    let token = github_token("ghp_", 1408);
    write(
        p,
        "iam.tf",
        format!("resource \"aws_iam_policy\" \"p\" {{\n  policy = {key} {token}\n"),
    );
    write(
        p,
        "policy.json",
        format!(
            "{{\"Version\": \"2012-10-17\", \"Statement\": [ {key} {token} {{\"Effect\": \"Allow\"\n"
        ),
    );
    write(
        p,
        "k8s/secret.yaml",
        format!("apiVersion: v1\nkind: Role\nrules: [\n  - {key}: {{ {token}\n"),
    );
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = run_in(p, &["scan", ".", "--format", format, "--color", "never"]);
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let all = stdout(&out) + &stderr(&out);
        for secret in [&key, &token] {
            assert!(
                !all.contains(secret.as_str()),
                "{format}: a secret in the output: {all}"
            );
        }
        // The errors are there (so the check means something), naming where.
        for f in ["iam.tf", "policy.json", "k8s/secret.yaml"] {
            assert!(all.contains(f), "{format}: {f} reported: {all}");
        }
        for what in ["invalid HCL", "invalid JSON", "invalid YAML"] {
            assert!(all.contains(what), "{format}: {what}: {all}");
        }
        if format == "sarif" {
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
            let notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .unwrap();
            assert_eq!(notes.len(), 3, "{notes:?}");
        }
    }
    let rep = json(&run_in(p, &["scan", ".", "--format", "json"]));
    assert_eq!(rep["errors"].as_array().unwrap().len(), 3);
}

#[test]
fn a_broken_config_is_named_without_quoting_a_secret() {
    let key = aws_key_id(1409);
    let token = github_token("ghp_", 1410);
    for (i, config) in [
        format!("disable = [\"x\"] {key}\n"),
        format!("disable = [\"x\", {token}]\n"),
        format!("strict = {key}\n"),
        format!("[policy\nname = \"{token}\"\n"),
        format!("allow_paths = [\"{key}\n"),
        format!("rules = [\"a\"]\n{token} {key}\n"),
    ]
    .iter()
    .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ".nhiscan.toml", config);
        write(dir.path(), "a.txt", "hello\n");
        for format in ["text", "json", "sarif"] {
            let out = run_in(dir.path(), &["scan", ".", "--format", format]);
            assert_eq!(out.status.code(), Some(2), "{i}: {config}");
            let all = stdout(&out) + &stderr(&out);
            assert!(
                !all.contains(&key) && !all.contains(&token),
                "{i}: the config's secret is quoted: {all}"
            );
            assert!(
                all.contains(".nhiscan.toml") && all.contains("line "),
                "{i}: names the file and the place: {all}"
            );
        }
    }
}

// 14.18: a config that names a device.

#[test]
fn a_config_naming_dev_zero_as_rules_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".nhiscan.toml", "rules = [\"/dev/zero\"]\n");
    write(dir.path(), "a.txt", "hello\n");
    let started = Instant::now();
    let out = run_for(dir.path(), &["scan", "."], 30);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/zero"), "{}", stderr(&out));
}

// 14.16: columns on one long line.

#[test]
fn every_key_on_one_long_line_is_reported_at_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut line = String::from("{");
    let mut want = Vec::new();
    for i in 0..3000u64 {
        if i > 0 {
            line.push_str(", ");
        }
        let key = aws_key_id(20_000 + i);
        line.push_str(&format!("\"k{i}\": \""));
        want.push((line.len() as u64 + 1, key.clone()));
        line.push_str(&key);
        line.push('"');
    }
    line.push_str("}\n");
    write(dir.path(), "keys.json", &line);
    let started = Instant::now();
    let out = run_for(
        dir.path(),
        &["scan", ".", "--format", "json", "--show-secrets"],
        120,
    );
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rep = json(&out);
    let mut got: Vec<(u64, String)> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["line"], 1);
            assert_eq!(f["rule_id"], "aws-access-key-id");
            (
                f["column"].as_u64().unwrap(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got.len(), 3000);
    assert_eq!(got, want, "every key at its column");
    // Generous (a debug build on a shared machine): quadratic columns took a minute on 20,000 keys.
    assert!(took < Duration::from_secs(60), "{took:?}");
}

// 14.19 / issue 14 point 6: determinism.

/// A tree of about 200 files: secrets of several rules, the same secret in several files (shared
/// credentials list their places), posture findings, broken files (errors) and binaries (skips).
fn generated_tree(p: &Path) {
    for i in 0..40u64 {
        let d = format!("svc{:02}", i % 8);
        write(
            p,
            &format!("{d}/config{i}.env"),
            format!(
                "NAME=svc{i}\nAWS_ACCESS_KEY_ID={}\nGITHUB_TOKEN={}\n",
                aws_key_id(i % 13),
                github_token("ghp_", 300 + i % 7)
            ),
        );
        write(
            p,
            &format!("{d}/app{i}.py"),
            format!(
                "SLACK = \"{}\"\nSTRIPE = \"{}\"\ndb_password = \"{}\"\n",
                slack_bot(400 + i % 5),
                stripe_live(500 + i),
                password(600 + i)
            ),
        );
        write(
            p,
            &format!("{d}/k8s/role{i}.yaml"),
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  \
             name: r\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n",
        );
        write(
            p,
            &format!("{d}/readme{i}.md"),
            format!("# service {i}\nNothing secret.\n"),
        );
        if i % 4 == 0 {
            write(
                p,
                &format!("{d}/broken{i}.json"),
                "{\"Version\": \"2012-10-17\", \"Statement\": [\n",
            );
            let mut bin = vec![0u8; 9000];
            bin[i as usize] = 7;
            write(p, &format!("{d}/blob{i}.bin"), bin);
        }
    }
}

/// stdout with the run's duration taken out.
fn without_seconds(out: &Output) -> String {
    let re = regex::Regex::new(r#""seconds": ?[0-9.eE+-]+"#).unwrap();
    re.replace_all(&stdout(out), "\"seconds\":0").into_owned()
}

/// The JSON and SARIF reports of `nhiscan ARGS` (run by `cli`) are byte-identical with `-j1` and
/// `-j4` (twice), the duration aside.
fn same_with_1_and_4_threads(cli: &dyn Fn(&[&str]) -> Output, args: &[&str]) {
    for format in ["json", "sarif"] {
        let run = |j: &str| {
            let out = cli(&[args, &["--format", format, "-j", j, "-q"]].concat());
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {}",
                stderr(&out)
            );
            without_seconds(&out)
        };
        let one = run("1");
        for _ in 0..2 {
            let four = run("4");
            if one != four {
                let diff = one
                    .lines()
                    .zip(four.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(0);
                panic!(
                    "{args:?} {format}: -j1 and -j4 differ from line {diff}:\n{}\n---\n{}",
                    one.lines()
                        .skip(diff)
                        .take(5)
                        .collect::<Vec<_>>()
                        .join("\n"),
                    four.lines()
                        .skip(diff)
                        .take(5)
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
        }
    }
}

#[test]
fn scan_reports_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    generated_tree(dir.path());
    let rep = json(&run_in(dir.path(), &["scan", ".", "--format", "json"]));
    // The tree exercises what ordering could change.
    assert!(rep["findings"].as_array().unwrap().len() > 100);
    assert!(!rep["errors"].as_array().unwrap().is_empty());
    assert!(!rep["skipped"].as_array().unwrap().is_empty());
    same_with_1_and_4_threads(&|a| run_in(dir.path(), a), &["scan", "."]);
    // The shipped fixtures, in place (the project config allows them: --no-suppress).
    let root = crate::support::root();
    same_with_1_and_4_threads(
        &|a| run_in(&root, a),
        &["scan", "fixtures", "--no-suppress"],
    );
}

#[test]
fn git_reports_do_not_depend_on_threads() {
    let r = Repo::new();
    for c in 0..6u64 {
        for i in 0..8u64 {
            r.write(
                &format!("d{i}/f{}.env", c % 3),
                &format!(
                    "A={}\nB={}\nC=v{c}\n",
                    aws_key_id(700 + (c * 8 + i) % 11),
                    github_token("ghp_", 800 + i % 3)
                ),
            );
        }
        r.write(
            ".github/workflows/ci.yml",
            &format!(
                "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo {c}\n"
            ),
        );
        r.commit(&format!("commit {c}"));
        if c == 3 {
            r.git(&["rm", "-q", "-r", "d0"]);
            r.commit("remove d0");
        }
    }
    let cli = |a: &[&str]| r.cli(&r.dir, a);
    same_with_1_and_4_threads(&cli, &["git"]);
    same_with_1_and_4_threads(&cli, &["git", "--every-version"]);
}

/// An image that exercises what thread timing could reorder: six layers (plain, gzip, zstd) with
/// the same paths and the same secrets in several of them, archives inside, binaries, an unsafe
/// path, a truncated layer, and a config with history.
fn generated_image() -> Vec<u8> {
    use crate::support::{config, docker_save, gz, layer, Entry};
    let mut layers = Vec::new();
    for l in 0..6u64 {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for i in 0..30u64 {
            files.push((
                format!("app/svc{}/conf{i}.env", i % 5),
                format!(
                    "AWS_ACCESS_KEY_ID={}\nGITHUB_TOKEN={}\nSLACK={}\n",
                    aws_key_id(900 + (i + l) % 9),
                    github_token("ghp_", 950 + i % 4),
                    slack_bot(980 + l % 2)
                )
                .into_bytes(),
            ));
            if i % 10 == 0 {
                let mut bin = vec![0u8; 9000];
                bin[i as usize] = 1;
                files.push((format!("app/bin{i}.dat"), bin));
            }
        }
        let mut entries: Vec<Entry> = files
            .iter()
            .map(|(n, d)| Entry::File(n.as_str(), d.clone()))
            .collect();
        if l == 2 {
            entries.push(Entry::File("../escape.txt", b"x\n".to_vec()));
            entries.push(Entry::File("app/svc1/.wh.conf1.env", Vec::new()));
        }
        let tar = layer(&entries);
        layers.push(match l % 3 {
            0 => tar,
            1 => gz(&tar),
            _ => zstd::encode_all(&tar[..], 1).unwrap(),
        });
    }
    let cut = gz(&layer(&[Entry::File(
        "app/cut.txt",
        crate::support::random(crate::support::ALNUM, 100_000, 7).into_bytes(),
    )]));
    layers.push(cut[..cut.len() / 2].to_vec());
    let created: Vec<String> = (0..7).map(|i| format!("COPY svc{i} /app/")).collect();
    let created: Vec<&str> = created.iter().map(String::as_str).collect();
    let key = aws_key_id(999);
    docker_save(
        &layers,
        &config(
            &[
                &format!("AWS_ACCESS_KEY_ID={key}"),
                "DB_PASSWORD=Pr0d-pw-77x",
            ],
            &created,
        ),
    )
}

#[test]
fn image_reports_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let img = generated_image();
    std::fs::write(dir.path().join("app.tar"), &img).unwrap();
    let rep = json(&run_in(
        dir.path(),
        &["image", "app.tar", "--format", "json"],
    ));
    assert!(
        rep["findings"].as_array().unwrap().len() > 10,
        "{}",
        rep["findings"].as_array().unwrap().len()
    );
    assert!(
        rep["errors"].as_array().unwrap().len() >= 2,
        "{}",
        rep["errors"]
    );
    assert!(!rep["skipped"].as_array().unwrap().is_empty());
    same_with_1_and_4_threads(&|a| run_in(dir.path(), a), &["image", "app.tar"]);
    // Streamed: layers are read as they come, their place known only at the end.
    let stdin = |a: &[&str]| {
        nhiscan()
            .current_dir(dir.path())
            .args(a)
            .write_stdin(img.clone())
            .output()
            .unwrap()
    };
    same_with_1_and_4_threads(&stdin, &["image", "-"]);
    // Cut before its manifest: the layers in tar order.
    let at = img.windows(13).position(|w| w == b"manifest.json").unwrap();
    std::fs::write(dir.path().join("cut.tar"), &img[..at]).unwrap();
    same_with_1_and_4_threads(&|a| run_in(dir.path(), a), &["image", "cut.tar"]);
}

/// Issue 14.4: a credential inside an image history `created_by` (here a token in a clone URL, under
/// no secret-named key) is found by the rules, and then redacted wherever it was copied: in the
/// `created_by` property of every finding of that layer, in text, JSON and SARIF.
#[test]
fn a_secret_in_created_by_is_redacted_on_every_finding_of_its_layer() {
    use crate::support::{config, docker_save, layer, Entry};
    let token = github_token("ghp_", 41);
    let key = aws_key_id(41);
    let layers = vec![layer(&[Entry::File(
        "app/.env",
        format!("AWS_ACCESS_KEY_ID={key}\n").into_bytes(),
    )])];
    let created_by = format!("RUN git clone https://{token}@github.com/acme/app /app");
    let cfg = config(&[], &[created_by.as_str()]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.tar"), docker_save(&layers, &cfg)).unwrap();
    for format in ["json", "sarif", "text", "jsonl"] {
        let out = run_in(dir.path(), &["image", "app.tar", "--format", format]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        if format != "jsonl" {
            // JSONL streams each finding as it is found, before the history's token is known to
            // be one; the other formats are rendered from the finished outcome.
            assert!(!all.contains(&token), "{format}: token in clear:\n{all}");
        }
        assert!(
            all.contains(&key[..4]),
            "{format}: the layer finding is reported"
        );
    }
    let rep = json(&run_in(
        dir.path(),
        &["image", "app.tar", "--format", "json"],
    ));
    let layer_finding = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws-access-key-id")
        .expect("the key in the layer");
    let shown = layer_finding["properties"]["created_by"].as_str().unwrap();
    assert!(shown.starts_with("RUN git clone https://ghp_"), "{shown}");
    assert!(shown.contains('…') && !shown.contains(&token), "{shown}");
    // --show-secrets shows it as it is.
    let out = run_in(
        dir.path(),
        &["image", "app.tar", "--format", "json", "--show-secrets"],
    );
    assert!(stdout(&out).contains(&token));
}

/// Issue 14.18: an image given as a directory whose manifest names `../` paths must not make
/// nhiscan read files outside it; the layer inside is still scanned, the other is an error.
#[test]
fn an_image_directory_never_reads_outside_itself() {
    use crate::support::{config, layer, sha, Entry};
    let root = tempfile::tempdir().unwrap();
    let outside_key = aws_key_id(51);
    let inside_key = aws_key_id(52);
    let outside = layer(&[Entry::File(
        "etc/app.env",
        format!("AWS_ACCESS_KEY_ID={outside_key}\n").into_bytes(),
    )]);
    std::fs::write(root.path().join("outside.tar"), &outside).unwrap();
    let img = root.path().join("img");
    let inside = layer(&[Entry::File(
        "app/.env",
        format!("AWS_ACCESS_KEY_ID={inside_key}\n").into_bytes(),
    )]);
    let cfg = config(&[], &["COPY outside /", "COPY app /app"]);
    let lname = format!("blobs/sha256/{}", sha(&inside));
    let cname = format!("blobs/sha256/{}", sha(&cfg));
    write(&img, &lname, &inside);
    write(&img, &cname, &cfg);
    let manifest = serde_json::json!([{ "Config": cname, "RepoTags": ["app:1"],
        "Layers": ["../outside.tar", lname] }]);
    write(
        &img,
        "manifest.json",
        serde_json::to_vec(&manifest).unwrap(),
    );
    let out = run_in(root.path(), &["image", "img", "--format", "json"]);
    let rep = json(&out);
    let raw = rep.to_string();
    assert!(
        !raw.contains("etc/app.env"),
        "a file outside the image directory was read: {raw}"
    );
    let found: Vec<&str> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["redacted"].as_str())
        .collect();
    assert_eq!(found.len(), 1, "only the layer inside: {raw}");
    assert_eq!(
        rep["complete"], false,
        "the refused layer makes it incomplete"
    );
    assert!(
        rep["errors"]
            .to_string()
            .contains("outside the image directory"),
        "{}",
        rep["errors"]
    );
}

/// Issue 14.5: a token pasted into a commit subject is found (commit messages are scanned), and
/// never printed in full anywhere else: not in the provenance `summary` of the finding that commit
/// introduced (a file sorting before `<commit message>`, so JSONL streams it first), in no format,
/// not on stderr, not with `-v`.
#[test]
fn a_token_in_a_commit_subject_never_leaves_in_full() {
    let token = github_token("ghp_", 1405);
    let key = aws_key_id(1405);
    let r = Repo::new();
    r.write("0.env", &format!("AWS_ACCESS_KEY_ID={key}\n"));
    let c = r.commit(&format!("add the key, CI uses {token}"));
    for format in ["text", "json", "jsonl", "sarif"] {
        for verbose in [false, true] {
            let mut args = vec!["git", "--format", format];
            if verbose {
                args.push("-v");
            }
            let out = r.nhiscan(&args);
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            let all = format!("{}{}", stdout(&out), stderr(&out));
            assert!(!all.contains(&token), "{format}: token in clear:\n{all}");
            assert!(all.contains(&token[..8]), "{format}: the token is reported");
            assert!(all.contains(&c[..7]), "{format}: its commit is named");
        }
    }
    let rep = json(&r.nhiscan(&["git", "--format", "json"]));
    let file = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["artifact"] == "0.env")
        .expect("the key in the file");
    let summary = file["properties"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("add the key, CI uses ghp_") && summary.contains('…'),
        "{summary}"
    );
    let (lines, _) = crate::support::jsonl(&r.nhiscan(&["git", "--format", "jsonl"]));
    assert_eq!(lines[0]["artifact"], "0.env", "streamed first");
    assert!(!lines[0].to_string().contains(&token));
    // --show-secrets shows it as it is.
    let out = r.nhiscan(&["git", "--format", "json", "--show-secrets"]);
    assert!(stdout(&out).contains(&token));
}

#[test]
fn an_oversize_manifest_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    // A manifest.json over the 16 MiB metadata limit: padded JSON, built at test time.
    let mut manifest = br#"[{"Config":"c.json","RepoTags":["x"],"Layers":[]}]"#.to_vec();
    manifest.resize(17 << 20, b' ');
    let tar = crate::support::tar_of(&[("manifest.json".to_string(), manifest)]);
    write(dir.path(), "img.tar", tar);
    let out = run_in(dir.path(), &["image", "img.tar", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("manifest.json is 17 MiB, over the 16 MiB limit"),
        "{err}"
    );
}
