//! The reader of archives inside layers (zip, tar, gzip, zstd, nested): never a panic, every
//! file within the file limit, no more bytes handed on than the expansion limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhiscan_fuzz::{fix_tar_checksums, plant};

const MAX_DEPTH: usize = 3;
const MAX_EXPANDED: u64 = 1 << 20;
const MAX_FILE: u64 = 256 << 10;

fuzz_target!(|data: &[u8]| {
    let mut blob = plant(data);
    fix_tar_checksums(&mut blob);
    let read = nhiscan::fuzzing::archive(&blob, MAX_DEPTH, MAX_EXPANDED, MAX_FILE);
    let mut total = 0u64;
    for (path, bytes) in &read.files {
        assert!(path.starts_with("/app/lib.jar"), "{path}");
        assert!(bytes.len() as u64 <= MAX_FILE, "{path}: {}", bytes.len());
        total += bytes.len() as u64;
    }
    // The input itself is handed on when it is no archive.
    assert!(total <= MAX_EXPANDED.max(blob.len() as u64), "{total}");
});
