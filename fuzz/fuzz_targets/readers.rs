//! The YAML, JSON, HCL and Dockerfile readers on any text: never a panic, and an error message
//! never quotes the text it failed on (a key planted in it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhiscan_fuzz::{assert_quotes_no_key, plant};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let syntax = nhiscan::fuzzing::SYNTAXES[which as usize % nhiscan::fuzzing::SYNTAXES.len()];
    let text = String::from_utf8_lossy(&plant(rest)).into_owned();
    if let Err(e) = nhiscan::fuzzing::parse(syntax, &text) {
        assert_quotes_no_key(syntax, &e);
    }
});
