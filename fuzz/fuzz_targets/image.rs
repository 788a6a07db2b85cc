//! The whole image reader (docker save and OCI layout tarballs, from a file or, gzip-compressed,
//! as a stream), then the pipeline and every report: never a panic, and no found secret printed
//! in full.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhiscan_fuzz::{assert_redacted, fix_tar_checksums, plant};

fuzz_target!(|data: &[u8]| {
    let Some((&how, rest)) = data.split_first() else {
        return;
    };
    let mut tar = plant(rest);
    fix_tar_checksums(&mut tar);
    let seen = nhiscan::fuzzing::image(&tar, how & 1 == 1);
    assert_redacted(&seen.secrets, &seen.printed);
    for p in &seen.errors {
        assert!(!p.contains("internal error"), "{p}");
    }
});
