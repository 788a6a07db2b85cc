//! The rule engine and every structural analyzer, chosen by file name as a scan chooses them:
//! never a panic (a caught one aborts here too), and no error message quotes a planted key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use nhiscan::fuzzing::ANALYZED;
use nhiscan::scan::Scanner;
use nhiscan_fuzz::{assert_quotes_no_key, plant};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::builtin().expect("built-in rules"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let name = ANALYZED[which as usize % ANALYZED.len()];
    let res = scanner().scan_file(name, &plant(rest));
    for e in &res.errors {
        assert!(!e.contains("internal error"), "{name}: {e}");
        assert_quotes_no_key(name, e);
    }
});
