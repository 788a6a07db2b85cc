//! Fuzzing (`fuzz/`, docs/security.md): every seed of every target runs through the same hook
//! (`nhiscan::fuzzing`) under `cargo test`, with fake keys where the seeds have markers, so that the
//! hooks and the seeds cannot rot between fuzzing runs; and every input the fuzzers found a crash
//! with stays here as a regression test.

use std::path::Path;

use nhiscan::fuzzing;

use crate::support::{aws_key_id, aws_secret, github_token, slack_bot, stripe_live};

/// The seeds' markers (`@@GITHUB@@@…`) and fake keys of the same lengths.
fn keys() -> Vec<(Vec<u8>, String)> {
    let slack = slack_bot(1405);
    let keys = [
        ("GITHUB", github_token("ghp_", 1401)),
        ("AWSID", aws_key_id(1402)),
        ("AWSSECRET", aws_secret(1403)),
        ("STRIPE", stripe_live(1404)),
        ("SLACK", slack),
    ];
    keys.into_iter()
        .map(|(name, key)| {
            let mut m = format!("@@{name}@@").into_bytes();
            m.resize(key.len(), b'@');
            (m, key)
        })
        .collect()
}

/// `data` with every marker replaced by its key.
fn plant(data: &[u8], keys: &[(Vec<u8>, String)]) -> Vec<u8> {
    let mut out = data.to_vec();
    for (m, k) in keys {
        let mut i = 0;
        while i + m.len() <= out.len() {
            if out[i..].starts_with(m) {
                out[i..i + m.len()].copy_from_slice(k.as_bytes());
                i += m.len();
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Recomputes the checksums of the ustar headers in `data` and in tars stored in it (a key planted
/// in an entry name changes its header).
fn fix_tar(data: &mut [u8]) {
    let mut off = 0;
    while off + 512 <= data.len() {
        let h = &data[off..off + 512];
        if h.iter().all(|&b| b == 0) {
            off += 512;
            continue;
        }
        if &h[257..262] != b"ustar" {
            return;
        }
        let size = std::str::from_utf8(&h[124..136])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim_matches(['\0', ' ']), 8).ok());
        let sum: u32 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u32
                }
            })
            .sum();
        data[off + 148..off + 156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let Some(size) = size else { return };
        let end = (off + 512 + size).min(data.len());
        fix_tar(&mut data[off + 512..end]);
        off += 512 + size.div_ceil(512) * 512;
    }
}

/// The seeds of `target`, first byte split off where the target reads it as a selector.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
        })
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    assert!(v.len() >= 3, "{target}: {} seeds", v.len());
    v
}

/// No found secret of 8 characters or more with a letter and a digit is printed in full.
fn assert_redacted(what: &str, seen: &fuzzing::Scanned) {
    for s in &seen.secrets {
        let checked = s.len() >= 8
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars().any(char::is_alphabetic);
        for out in seen.printed.iter().filter(|_| checked) {
            assert!(!out.contains(s.as_str()), "{what}: {s} printed:\n{out}");
        }
    }
    for e in &seen.errors {
        assert!(!e.contains("internal error"), "{what}: {e}");
    }
}

#[test]
fn the_reader_seeds_parse_and_errors_quote_no_key() {
    let keys = keys();
    for (path, data) in seeds("readers") {
        let syntax = fuzzing::SYNTAXES[data[0] as usize % fuzzing::SYNTAXES.len()];
        let text = String::from_utf8(plant(&data[1..], &keys)).unwrap();
        match fuzzing::parse(syntax, &text) {
            Ok(n) => assert!(path.contains("broken") || n > 0, "{path}: {n}"),
            Err(e) => {
                assert!(path.contains("broken"), "{path}: {e}");
                for (_, k) in &keys {
                    assert!(!e.contains(&k[4..16]), "{path}: {e}");
                }
            }
        }
    }
}

#[test]
fn the_analyzer_seeds_each_reach_their_analyzer() {
    let keys = keys();
    let scanner = crate::support::scanner();
    for (path, data) in seeds("analyzers") {
        let name = fuzzing::ANALYZED[data[0] as usize % fuzzing::ANALYZED.len()];
        let res = scanner.scan_file(name, &plant(&data[1..], &keys));
        assert!(res.errors.is_empty(), "{path}: {:?}", res.errors);
        assert!(!res.findings.is_empty(), "{path} as {name}: nothing found");
    }
}

#[test]
fn the_unit_seeds_find_their_keys_and_print_none() {
    let keys = keys();
    for (path, data) in seeds("unit") {
        let name = fuzzing::UNITS[data[0] as usize % fuzzing::UNITS.len()];
        let mut text = plant(&data[1..], &keys);
        if data[0] >= 128 {
            // The target's UTF-16 mode.
            let s = String::from_utf8(text).unwrap();
            text = [0xff, 0xfe]
                .into_iter()
                .chain(s.encode_utf16().flat_map(u16::to_le_bytes))
                .collect();
        }
        let seen = fuzzing::unit(name, &text);
        assert!(seen.findings > 0, "{path} as {name}: nothing found");
        assert!(!seen.secrets.is_empty(), "{path} as {name}: no secret");
        assert_redacted(&path, &seen);
    }
}

#[test]
fn the_layer_and_archive_seeds_hand_on_their_files() {
    let keys = keys();
    for (path, data) in seeds("layer") {
        let mut blob = plant(&data, &keys);
        fix_tar(&mut blob);
        let read = fuzzing::layer(&blob, 1 << 20, 64 << 10);
        if !path.ends_with("empty-tar") {
            assert!(read.files.len() >= 4, "{path}: {:?}", read.messages);
        }
        // `../escape` is not scanned, and says so.
        assert!(read.files.iter().all(|(p, _)| !p.contains("..")), "{path}");
    }
    for (path, data) in seeds("archive") {
        let read = fuzzing::archive(&data, 3, 1 << 20, 256 << 10);
        assert!(!read.files.is_empty(), "{path}: {:?}", read.messages);
        assert!(
            read.files
                .iter()
                .all(|(p, _)| p.starts_with("/app/lib.jar!/")),
            "{path}"
        );
    }
}

#[test]
fn the_image_seeds_find_their_keys_and_print_none() {
    let keys = keys();
    for (path, data) in seeds("image") {
        let mut tar = plant(&data[1..], &keys);
        fix_tar(&mut tar);
        let seen = fuzzing::image(&tar, data[0] & 1 == 1);
        assert!(seen.findings > 0, "{path}: nothing found");
        // Cut short before its manifest: the layers read are still scanned, and it says so.
        assert_eq!(seen.incomplete, !seen.errors.is_empty(), "{path}");
        if path.contains("cut") {
            assert!(seen.incomplete, "{path}");
        }
        assert_redacted(&path, &seen);
    }
}
