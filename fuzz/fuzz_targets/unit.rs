//! One file through the whole per-unit path (size and binary gates, UTF-16, rules, analyzers,
//! collector, redaction) and every report format: never a panic, and no found secret printed in
//! full anywhere (reports, errors, skip reasons). A first byte of 128 or more sends the text as
//! UTF-16 (which has NUL bytes and is transcoded before the scan).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhiscan::fuzzing::UNITS;
use nhiscan_fuzz::{assert_redacted, plant, utf16};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let name = UNITS[which as usize % UNITS.len()];
    let mut data = plant(rest);
    if which >= 128 {
        data = utf16(&data);
    }
    let seen = nhiscan::fuzzing::unit(name, &data);
    assert_redacted(&seen.secrets, &seen.printed);
    for p in &seen.errors {
        assert!(!p.contains("internal error"), "{name}: {p}");
    }
});
