//! Engine throughput on a mixed corpus (`cargo bench`): MB/s of `Scanner::scan` with every built-in
//! rule, over generated source-like text with a few planted secrets. A benchmark, not a test: it
//! prints figures and asserts only that the planted secrets were found.

use std::time::Instant;

use nhiscan::scan::Scanner;

/// `size` bytes of `lines` drawn in a fixed pseudo-random order (xorshift from `seed`).
fn lines_drawn(lines: &[&str], seed: u64, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let mut x = seed;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(lines[(x % lines.len() as u64) as usize].as_bytes());
    }
    out
}

/// Source-like text dense in keywords (`token`, `password`, `api_key`), with near-misses.
fn corpus(size: usize) -> Vec<u8> {
    let lines = [
        "static int foo_probe(struct platform_device *pdev)\n",
        "    const char *token = get_token(ctx); /* not a secret */\n",
        "password: ${DB_PASSWORD}\n",
        "  \"integrity\": \"sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQpVvn4pG6ZN4MNFNVsbJ1a4k2D2D8v+zL2LnvJb5pIt2MRQ==\",\n",
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": json.dumps(event)}\n",
        "export PATH=/usr/local/bin:$PATH\n",
        "<a href=\"https://example.org/docs?page=2&lang=en\">docs</a>\n",
        "SELECT id, name FROM users WHERE api_key_hash = $1;\n",
    ];
    lines_drawn(&lines, 1, size)
}

/// Source-like text in which no keyword of any rule occurs: what it costs is the keyword pass alone.
fn quiet(size: usize) -> Vec<u8> {
    let lines = [
        "static int foo_probe(struct platform_device *pdev)\n",
        "{\n\tstruct device *dev = &pdev->dev;\n\tint ret = 0;\n",
        "\tfor (i = 0; i < nr_entries; i++)\n\t\tlist_add_tail(&e->node, &head);\n",
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": json.dumps(event)}\n",
        "export PATH=/usr/local/bin:$PATH\n",
        "<a href=\"/docs/index.html?page=2&lang=en\">docs</a>\n",
        "# Licensed under the Apache License, Version 2.0 (the \"License\");\n",
    ];
    lines_drawn(&lines, 7, size)
}

/// The best of five scans of `data`, in seconds, and the findings of the last.
fn best_of_5(scanner: &Scanner, data: &[u8]) -> (f64, usize) {
    let _ = scanner.scan_file("bench.txt", &data[..(1 << 20).min(data.len())]);
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        found = scanner.scan_file("bench.txt", data).findings.len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, found)
}

fn main() {
    let n_rules = nhiscan::rules::builtin().expect("rules").len();
    let scanner = Scanner::builtin().expect("scanner");
    let mut data = corpus(64 << 20);
    // Two planted secrets, assembled here (a fake AWS key id and a fake Stripe key).
    let planted = format!(
        "\naws_access_key_id = {}{}\nstripe = {}{}\n",
        "AKIA", "Q3ZTW5X7Y2ABCDEF", "sk_live_", "4eC39HqLyjWDarjtT1zdp7dc9x"
    );
    data.extend_from_slice(planted.as_bytes());
    let (best, found) = best_of_5(&scanner, &data);
    assert!(found >= 2, "planted secrets not found");
    let mb = |n: usize, s: f64| n as f64 / s / 1e6;
    println!(
        "engine: {n_rules} rules, {:.0} MiB mixed corpus, best of 5: {:.3} s = {:.0} MB/s (one thread)",
        data.len() as f64 / (1 << 20) as f64,
        best,
        mb(data.len(), best)
    );
    // Cost per byte as the rule set grows: rule subsets spread evenly over the sorted ids (every
    // family represented), on text that names no credential (keyword pass) and on the mixed corpus
    // (keyword pass plus the patterns its words wake). Printed as a table for the README.
    let rules = nhiscan::rules::builtin().expect("rules");
    let mut ids: Vec<String> = rules.iter().map(|r| r.id().to_string()).collect();
    ids.sort();
    let calm = quiet(32 << 20);
    let mixed = &data[..32 << 20];
    println!(
        "| rules | keywords | quiet text MB/s | mixed text MB/s | ns/byte quiet | ns/byte mixed |"
    );
    println!("|---|---|---|---|---|---|");
    for n in [50, 150, 300, ids.len()] {
        let n = n.min(ids.len());
        let pick: Vec<&str> = (0..n).map(|i| ids[i * ids.len() / n].as_str()).collect();
        let s = Scanner::only(&pick).expect("a subset of the built-in rules compiles");
        let keywords: std::collections::HashSet<String> = rules
            .iter()
            .filter(|r| pick.contains(&r.id()))
            .flat_map(|r| r.spec.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .collect();
        let (q, _) = best_of_5(&s, &calm);
        let (m, _) = best_of_5(&s, mixed);
        println!(
            "| {n} | {} | {:.0} | {:.0} | {:.2} | {:.2} |",
            keywords.len(),
            mb(calm.len(), q),
            mb(mixed.len(), m),
            q * 1e9 / calm.len() as f64,
            m * 1e9 / mixed.len() as f64
        );
    }
}
