//! The layer reader (gzip, zstd or tar; entries, whiteouts, paths) on any blob: never a panic,
//! no file over the file limit, no more bytes handed on than the layer limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhiscan_fuzz::{fix_tar_checksums, plant};

const MAX_LAYER: u64 = 1 << 20;
const MAX_FILE: u64 = 64 << 10;

fuzz_target!(|data: &[u8]| {
    let mut blob = plant(data);
    fix_tar_checksums(&mut blob);
    let read = nhiscan::fuzzing::layer(&blob, MAX_LAYER, MAX_FILE);
    let mut total = 0u64;
    for (path, bytes) in &read.files {
        assert!(path.starts_with('/'), "{path}");
        assert!(!path.split('/').any(|c| c == ".."), "{path}");
        assert!(bytes.len() as u64 <= MAX_FILE, "{path}: {}", bytes.len());
        total += bytes.len() as u64;
    }
    assert!(total <= MAX_LAYER, "{total}");
});
