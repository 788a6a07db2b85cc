//! Password hashes (bcrypt, sha-crypt, apr1, MySQL, PostgreSQL, ...) are their own low-severity category:
//! reported where shadow files, htpasswd files and SQL dumps hold them, never as secrets by the generic
//! password rules, not failing a build by default, and counted apart in the summary.

use nhiscan::finding::Category;

use crate::support::*;

/// bcrypt's and crypt(3)'s base64 alphabet.
const CRYPT64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

fn bcrypt(seed: u64) -> String {
    format!("{}{}", "$2y$10$", random(CRYPT64, 53, seed))
}

fn sha512crypt(seed: u64) -> String {
    format!(
        "{}{}${}",
        "$6$",
        random(CRYPT64, 16, seed),
        random(CRYPT64, 86, seed + 1)
    )
}

fn yescrypt(seed: u64) -> String {
    format!(
        "{}{}${}",
        "$y$j9T$",
        random(CRYPT64, 22, seed),
        random(CRYPT64, 43, seed + 1)
    )
}

fn apr1(seed: u64) -> String {
    format!(
        "{}{}${}",
        "$apr1$",
        random(CRYPT64, 8, seed),
        random(CRYPT64, 22, seed + 1)
    )
}

/// A PostgreSQL SCRAM-SHA-256 verifier: iterations, base64 salt, StoredKey and ServerKey.
fn scram(seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    format!(
        "{}4096:{}==${}=:{}=",
        "SCRAM-SHA-256$",
        random(B64, 22, seed),
        random(B64, 43, seed + 1),
        random(B64, 43, seed + 2)
    )
}

fn mysql(seed: u64) -> String {
    format!("*{}", random(HEX_UPPER, 40, seed))
}

/// A scan root with a shadow file, an htpasswd file and three SQL dumps, and the (file, line, rule) each
/// hash must be reported at.
fn tree() -> (tempfile::TempDir, Vec<Triple>) {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: String| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "image/etc/shadow",
        format!(
            "root:{}:19655:0:99999:7:::\ndaemon:*:19655:0:99999:7:::\nnobody:!:19655::::::\nalice:{}:19700:0:99999:7:::\n",
            sha512crypt(1),
            yescrypt(3)
        ),
    );
    write(
        "deploy/.htpasswd",
        format!("# staging basic auth\nops:{}\nqa:{}\n", apr1(5), bcrypt(7)),
    );
    write(
        "db/seed.sql",
        format!(
            "-- users\nCREATE TABLE users (id int, email text, password text);\nINSERT INTO users (id, email, password) VALUES (1, 'ops@acme.test', '{}');\n",
            bcrypt(9)
        ),
    );
    write(
        "db/mysql.sql",
        format!(
            "LOCK TABLES `user` WRITE;\nINSERT INTO `user` VALUES ('localhost','root','{}','Y','Y'),('%','app','{}','N','N');\n",
            mysql(11),
            mysql(12)
        ),
    );
    write(
        "db/roles.sql",
        format!(
            "-- pg_dumpall --roles-only\nCREATE ROLE app;\nALTER ROLE app WITH LOGIN PASSWORD '{}';\n",
            scram(13)
        ),
    );
    let want = expected(&[
        ("db/roles.sql", 3, "password-hash-postgres-scram"),
        ("db/mysql.sql", 2, "password-hash-mysql"),
        ("db/mysql.sql", 2, "password-hash-mysql"),
        ("db/seed.sql", 3, "password-hash-bcrypt"),
        ("deploy/.htpasswd", 2, "password-hash-apr1"),
        ("deploy/.htpasswd", 3, "password-hash-bcrypt"),
        ("image/etc/shadow", 1, "password-hash-sha-crypt"),
        ("image/etc/shadow", 4, "password-hash-yescrypt"),
    ]);
    (dir, want)
}

#[test]
fn shadow_htpasswd_and_sql_dump_hashes_are_low_password_hash_findings() {
    let (dir, want) = tree();
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    // Password hashes alone do not fail the default `--fail-on` (secret,high).
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(triples(&report), want, "{report:#}");
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["kind"], "password-hash", "{f:#}");
        assert_eq!(f["category"], "password-hash", "{f:#}");
        assert_eq!(f["severity"], "low", "{f:#}");
        // Redacted by default, like a secret.
        let shown = f["redacted"].as_str().unwrap();
        assert!(shown.ends_with('…') && shown.len() < 16, "{shown}");
    }
    assert_eq!(report["summary"]["password_hashes"], 8);
    assert_eq!(report["summary"]["long_lived"], 0);
}

#[test]
fn the_text_summary_counts_password_hashes_and_fail_on_can_select_them() {
    let (dir, _) = tree();
    let out = run_in(dir.path(), &["scan", ".", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("8 findings (8 low)") && text.contains("8 password hashes"),
        "{text}"
    );
    let out = run_in(
        dir.path(),
        &["scan", ".", "--fail-on", "password-hash", "-q"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // `staged`'s default (secrets only) does not select them either.
    let out = run_in(dir.path(), &["scan", ".", "--fail-on", "secret", "-q"]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_hash_under_a_password_key_is_a_hash_not_a_password() {
    let s = scanner();
    let text = format!(
        "admin:\n  password: \"{}\"\n  db_password: \"{}\"\nDB_PASSWORD={}\n",
        bcrypt(21),
        mysql(22),
        bcrypt(23)
    );
    let res = s.scan_file("config/users.yaml", text.as_bytes());
    let got: Vec<(usize, &str, &str)> = res
        .findings
        .iter()
        .map(|f| (f.line, f.rule_id.as_str(), f.kind.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "password-hash-bcrypt", "password-hash"),
            (3, "password-hash-mysql", "password-hash"),
            (4, "password-hash-bcrypt", "password-hash"),
        ]
    );
}

#[test]
fn near_misses_are_not_hashes() {
    let s = scanner();
    let b = bcrypt(31);
    let sha = sha512crypt(33);
    let m = mysql(35);
    let near = [
        // Truncated bcrypt: 40 characters instead of 53.
        format!("root:{}:19655:0:99999:7:::", &b[..47]),
        // One character too many.
        format!("password: '{b}A'"),
        // A cost of one digit.
        format!("hash = '{}'", b.replace("$2y$10$", "$2y$9$")),
        // A bcrypt settings string (prefix and salt only).
        format!("salt = '{}'", &b[..29]),
        // Placeholders.
        format!("hash: {}{}", "$2b$12$", "x".repeat(53)),
        "root:$6$rounds=5000$saltsalt$:19655::::::".to_string(),
        // sha512crypt with the SHA-256 length of hash.
        format!("root:{}:19655::::::", &sha[..sha.len() - 43]),
        // A MySQL hash one hex digit short, and a lower-case commit id in Markdown emphasis.
        format!("password: '{}'", &m[..40]),
        format!("password reset fix in *{}*", m[1..].to_ascii_lowercase()),
        // Code that uses `$1$2` and `$6$` as something else.
        "out = re.sub(r'(\\w+)-(\\w+)', '$1$2', s)".to_string(),
        "ENCRYPT_METHOD SHA512  # $6$ hashes".to_string(),
    ];
    for text in &near {
        let res = s.scan_file("users.txt", text.as_bytes());
        let hashes: Vec<&str> = res
            .findings
            .iter()
            .filter(|f| f.kind == Category::PasswordHash)
            .map(|f| f.rule_id.as_str())
            .collect();
        assert!(hashes.is_empty(), "{text}: {hashes:?}");
    }
}

#[test]
fn a_hash_deleted_from_history_is_still_reported() {
    let r = Repo::new();
    r.write(
        "etc/shadow",
        &format!("root:{}:19655::::::\n", sha512crypt(41)),
    );
    r.commit("add image files");
    std::fs::remove_file(r.dir.join("etc/shadow")).unwrap();
    r.commit("remove shadow");
    let out = r.cli(&r.dir, &["git", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(
        triples(&report),
        expected(&[("etc/shadow", 1, "password-hash-sha-crypt")])
    );
}

#[test]
fn require_secret_store_does_not_judge_password_hashes() {
    let (dir, want) = tree();
    std::fs::write(
        dir.path().join(".nhiscan.toml"),
        "[policy]\nrequire_secret_store = true\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["scan", ".", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(triples(&report), want);
    for f in report["findings"].as_array().unwrap() {
        assert!(f.get("policies").is_none(), "{f:#}");
        assert_eq!(f["severity"], "low");
    }
}
