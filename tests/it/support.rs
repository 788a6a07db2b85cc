//! Shared helpers for the integration tests: run the real binary, and assemble fake secrets at run
//! time (so no token-shaped literal sits in the test sources).
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

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

/// Parses `--format json` output.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): stdout={} stderr={}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (file, line, rule) of every finding in a JSON report, sorted.
pub fn triples(report: &serde_json::Value) -> Vec<(String, u64, String)> {
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
