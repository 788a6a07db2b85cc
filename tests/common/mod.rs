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
