//! The in-process reader against git itself, on repositories built here: every object of a packed
//! history with long delta chains (SHA-1 and SHA-256), a loose object beside the pack, an alternate,
//! and a damaged pack entry, which must be left to git rather than read wrong.

use std::path::Path;
use std::process::Command;

use super::{Found, Kind, Odb};
use crate::engine::derive::sorted_hits;
use crate::engine::keywords::Keywords;
use crate::source::git::testing::git;

/// A repository whose one file changes a little in each of many commits, repacked so that most
/// versions are deltas (chains up to 50 deep), then one more commit left loose.
fn history(format: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", &format!("--object-format={format}")]);
    let mut lines: Vec<String> = (0..400)
        .map(|i| format!("line {i} of a config file\n"))
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for c in 0..60 {
        for _ in 0..5 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % lines.len() as u64) as usize;
            lines[at] = format!("changed in commit {c}: {x:x}\n");
        }
        if c % 7 == 0 {
            lines.push(format!("appended {c}\n"));
        }
        std::fs::write(d.join("app.conf"), lines.concat()).unwrap();
        std::fs::write(d.join("small.txt"), format!("v{c}")).unwrap();
        git(d, &["add", "-A"]);
        git(d, &["commit", "-q", "-m", &format!("commit {c}")]);
    }
    git(d, &["repack", "-adfq", "--depth=50", "--window=50"]);
    std::fs::write(d.join("loose.txt"), "a loose object").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "loose"]);
    dir
}

/// Every object git lists, as git reads it: (id, kind, content).
fn every_object(d: &Path) -> Vec<(String, String, Vec<u8>)> {
    let ids = git(
        d,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname)",
        ],
    );
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(d).args(["cat-file", "--batch"]);
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &ids).unwrap();
    let out = child.wait_with_output().unwrap().stdout;
    let mut objs = Vec::new();
    let mut at = 0;
    while at < out.len() {
        let nl = at + out[at..].iter().position(|&b| b == b'\n').unwrap();
        let head = String::from_utf8(out[at..nl].to_vec()).unwrap();
        let f: Vec<&str> = head.split(' ').collect();
        let size: usize = f[2].parse().unwrap();
        objs.push((
            f[0].to_string(),
            f[1].to_string(),
            out[nl + 1..nl + 1 + size].to_vec(),
        ));
        at = nl + 1 + size + 1;
    }
    objs
}

fn objects_dir(d: &Path) -> std::path::PathBuf {
    d.join(".git/objects")
}

fn reads_what_git_reads(format: &str, hash_len: usize) {
    let repo = history(format);
    let d = repo.path();
    let chains = String::from_utf8(git(d, &["verify-pack", "-v", &pack_idx(d)])).unwrap();
    assert!(
        chains.contains("chain length = 10"),
        "the fixture must have long delta chains:\n{chains}"
    );
    let odb = Odb::open(&objects_dir(d), hash_len);
    let words: Vec<String> = ["changed", "line", "config", "commit", "a"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let kw = Keywords::new(&words).unwrap();
    // A small cache, so chains are also resolved from scratch and through evicted bases; each blob
    // comes with its keyword hits, derived from its base's along delta chains.
    let mut cur = odb.cursor().with_keywords(Some(&kw));
    cur.cache = super::cache::DeltaCache::new(64 << 10);
    let objs = every_object(d);
    assert!(objs.len() > 180, "{} objects", objs.len());
    let (mut blobs, mut commits) = (0, 0);
    for (id, kind, content) in &objs {
        match cur.read(id, u64::MAX) {
            Found::Object(k, data, hits) => {
                assert_eq!(k.name(), kind, "{id}");
                assert!(
                    data.as_slice() == content.as_slice(),
                    "{id}: content differs"
                );
                if k == Kind::Blob {
                    let hits = hits.expect("a text blob comes with its hits");
                    assert_eq!(*hits, sorted_hits(&kw, content), "{id}: hits differ");
                } else {
                    assert!(hits.is_none());
                }
                blobs += (k == Kind::Blob) as usize;
                commits += (k == Kind::Commit) as usize;
            }
            // Trees and tags come back unread, with their kind.
            Found::TooLarge(k, n) => {
                assert_eq!(k.name(), kind, "{id}");
                assert!(matches!(k, Kind::Tree | Kind::Tag), "{id} is a {kind}");
                assert_eq!(n, content.len() as u64, "{id}");
            }
            Found::Elsewhere => panic!("{id} ({kind}) not read in process"),
        }
    }
    assert!(
        blobs >= 120 && commits == 61,
        "{blobs} blobs, {commits} commits"
    );
    // Over the size limit: the size, not the content, for a packed delta and a loose object.
    let big = objs
        .iter()
        .find(|o| o.1 == "blob" && o.2.len() > 9000)
        .unwrap();
    assert!(
        matches!(cur.read(&big.0, 100), Found::TooLarge(Kind::Blob, n) if n == big.2.len() as u64)
    );
    let loose = objs.iter().find(|o| o.2 == b"a loose object").unwrap();
    assert!(matches!(
        cur.read(&loose.0, 5),
        Found::TooLarge(Kind::Blob, 14)
    ));
    // An id the store does not have goes to git.
    assert!(matches!(
        cur.read(&"ab".repeat(hash_len), u64::MAX),
        Found::Elsewhere
    ));
}

fn pack_idx(d: &Path) -> String {
    let dir = objects_dir(d).join("pack");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn every_object_of_a_packed_sha1_history_reads_as_git_reads_it() {
    reads_what_git_reads("sha1", 20);
}

#[test]
fn every_object_of_a_packed_sha256_history_reads_as_git_reads_it() {
    reads_what_git_reads("sha256", 32);
}

#[test]
fn objects_of_an_alternate_are_read_and_a_damaged_entry_is_left_to_git() {
    let base = history("sha1");
    let objs = every_object(base.path());
    // A repository borrowing every object through `info/alternates`.
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(
        objects_dir(dir.path()).join("info/alternates"),
        format!("{}\n", objects_dir(base.path()).display()),
    )
    .unwrap();
    let odb = Odb::open(&objects_dir(dir.path()), 20);
    let mut cur = odb.cursor();
    let blob = objs
        .iter()
        .rev()
        .find(|o| o.1 == "blob" && o.2.len() > 9000)
        .unwrap();
    assert!(matches!(cur.read(&blob.0, u64::MAX), Found::Object(Kind::Blob, d, _) if *d == blob.2));
    // Damage the zlib streams of the pack in its second half: whatever the reader cannot decode
    // there is left to git, never returned wrong.
    let idx = pack_idx(base.path());
    let pack = std::path::PathBuf::from(&idx).with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    for b in &mut bytes[n / 2..n - 40] {
        *b ^= 0x5a;
    }
    std::fs::remove_file(&pack).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    let odb = Odb::open(&objects_dir(base.path()), 20);
    let mut cur = odb.cursor();
    let mut left = 0;
    for (id, kind, content) in &objs {
        match cur.read(id, u64::MAX) {
            Found::Object(k, d, _) => {
                assert_eq!(k.name(), kind);
                assert!(*d == *content, "{id} read wrong from a damaged pack");
            }
            Found::TooLarge(k, _) => assert_eq!(k.name(), kind),
            Found::Elsewhere => left += 1,
        }
    }
    assert!(left > 0, "the damage was not noticed");
}

#[test]
fn family_order_reads_each_delta_family_depth_first_after_its_base() {
    let repo = history("sha1");
    let d = repo.path();
    // `git verify-pack -v`: id, type, size, size in pack, offset, and for a delta its depth and base.
    let listing = String::from_utf8(git(d, &["verify-pack", "-v", &pack_idx(d)])).unwrap();
    let mut blobs = Vec::new();
    let mut base_of = std::collections::HashMap::new();
    for line in listing.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 5 && f[1] == "blob" {
            blobs.push(f[0]);
            if f.len() == 7 {
                base_of.insert(f[0], f[6]);
            }
        }
    }
    assert!(
        base_of.len() > 40,
        "the fixture must have deltas: {}",
        base_of.len()
    );
    let odb = Odb::open(&objects_dir(d), 20);
    let mut order = super::FamilyOrder::new(&odb);
    // Added as a history is listed, newest first: the reverse of nothing in particular.
    let places: std::collections::HashMap<&str, u64> = blobs
        .iter()
        .rev()
        .map(|b| (*b, order.add(b).expect("a packed blob has a place")))
        .collect();
    let loose = every_object(d)
        .into_iter()
        .find(|o| o.2 == b"a loose object")
        .unwrap();
    assert_eq!(order.add(&loose.0), None, "a loose object has no place");
    let ranks = order.ranks();
    let rank = |b: &str| ranks[&places[b]];
    // The chain of each blob, from itself down to its family's whole object.
    let chain = |b: &str| {
        let mut c = vec![b.to_string()];
        while let Some(base) = base_of.get(c[c.len() - 1].as_str()) {
            c.push(base.to_string());
        }
        c
    };
    for b in &blobs {
        // Depth first: the blobs made (at any depth) on `b` come right after it, together.
        let mut under: Vec<u64> = blobs
            .iter()
            .filter(|x| *x != b && chain(x).contains(&b.to_string()))
            .map(|x| rank(x))
            .collect();
        under.sort_unstable();
        let expected: Vec<u64> = (1..=under.len() as u64).map(|i| rank(b) + i).collect();
        assert_eq!(
            under, expected,
            "{b}: its deltas are not read right after it"
        );
    }
}
