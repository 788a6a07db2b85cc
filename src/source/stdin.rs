//! Standard input as one content unit (`nhiscan scan -`), for pipes such as `printenv | nhiscan scan -`.

use std::io::Read;
use std::sync::Arc;

use crate::collect::Collector;
use crate::finding::Origin;
use crate::scan::Scanner;

pub fn scan(scanner: &Scanner, sink: &Collector, max_size: u64) {
    let mut data = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(max_size.saturating_add(1))
        .read_to_end(&mut data);
    if let Err(e) = read {
        sink.error("<stdin>", format!("cannot read standard input: {e}"));
        return;
    }
    if data.len() as u64 > max_size {
        sink.error("<stdin>", format!("standard input is larger than --max-file-size ({max_size} bytes); scanned the first {max_size} bytes"));
        data.truncate(max_size as usize);
    }
    let origin = Arc::new(Origin::file("<stdin>", "stdin"));
    let res = scanner.scan_bytes(&data, &origin);
    sink.scanned(data.len() as u64);
    for e in res.errors {
        sink.error("<stdin>", e);
    }
    sink.push_all(res.findings);
}
