//! `nhiscan diff --store S [RUN_A RUN_B]`: what changed between two complete runs (default: the
//! last two): credentials new, fixed and reopened, with the repositories they are in.

use anyhow::Result;

use crate::cli::DiffArgs;
use crate::store::{Options, Store};

/// Runs `nhiscan diff`.
pub fn run(args: &DiffArgs) -> Result<i32> {
    let mut store = Store::open(&args.store.store, Options::existing())?;
    let (a, b) = match args.runs.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        _ => store.last_two_runs()?,
    };
    let changes = store.diff(&a, &b)?;
    if args.format == "json" {
        let doc = serde_json::json!({ "from": a, "to": b, "changes": changes });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(super::EXIT_CLEAN);
    }
    println!("{a} -> {b}");
    for status in ["new", "reopened", "fixed"] {
        let these: Vec<_> = changes.iter().filter(|c| c.status == status).collect();
        println!("{status}: {}", these.len());
        for c in these {
            println!(
                "  {}  {:<8}  {}  {}",
                &c.fingerprint[..c.fingerprint.len().min(12)],
                c.severity,
                c.rule_id,
                crate::report::escape::terminal(&c.repos.join(", "))
            );
        }
    }
    Ok(super::EXIT_CLEAN)
}
