//! Engine throughput on a mixed corpus (`cargo bench`): MB/s of `Scanner::scan` with every built-in
//! rule, over generated source-like text with a few planted secrets. A benchmark, not a test: it
//! prints figures and asserts only that the planted secrets were found.

use std::time::Instant;

use nhiscan::scan::Scanner;

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
    let mut out = Vec::with_capacity(size);
    let mut x: u64 = 1;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(lines[(x % lines.len() as u64) as usize].as_bytes());
    }
    out
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
    let _ = scanner.scan_file("bench.txt", &data[..1 << 20]); // compile the regexes the corpus triggers
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..5 {
        let t = Instant::now();
        found = scanner.scan_file("bench.txt", &data).findings.len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    assert!(found >= 2, "planted secrets not found");
    println!(
        "engine: {n_rules} rules, {:.0} MiB mixed corpus, best of 5: {:.3} s = {:.0} MB/s (one thread)",
        data.len() as f64 / (1 << 20) as f64,
        best,
        data.len() as f64 / best / 1e6
    );
}
