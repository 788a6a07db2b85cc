//! `nhiscan merge --store TARGET [SHARD_STORE ...] [--run ID]`: copies shard stores' runs into
//! TARGET, then advances each sharded run whose every shard is complete. A run with a shard
//! missing or unfinished is not advanced (what was copied stays): exit 2, naming the shards.

use anyhow::Result;

use crate::cli::MergeArgs;
use crate::store::merge::{advance_complete, copy_from, Merged};
use crate::store::{Options, Store};

/// Runs `nhiscan merge`.
pub fn run(args: &MergeArgs) -> Result<i32> {
    let mut target = Store::open(&args.store.store, Options::default())?;
    let mut merged = Merged::default();
    for spec in &args.shards {
        let mut src = Store::open(spec, Options::default())?;
        let runs = copy_from(&mut target, &mut src, args.run.as_deref())?;
        merged.copied.push((src.name().to_string(), runs));
    }
    advance_complete(&mut target, args.run.as_deref(), &mut merged)?;
    for (src, runs) in &merged.copied {
        eprintln!("copied from {src}: {}", list(runs));
    }
    for run in &merged.advanced {
        eprintln!("advanced run {run}: every shard complete");
    }
    for r in &merged.refused {
        let mut why = Vec::new();
        if !r.missing.is_empty() {
            why.push(format!("missing shards {}", shards(&r.missing)));
        }
        if !r.incomplete.is_empty() {
            why.push(format!("incomplete shards {}", shards(&r.incomplete)));
        }
        eprintln!(
            "error: run {} not advanced ({} of {} shards): {}; its observations are kept: merge again once every shard has finished",
            r.run,
            r.count as usize - r.missing.len() - r.incomplete.len(),
            r.count,
            why.join(", ")
        );
    }
    if merged.refused.is_empty() {
        if merged.advanced.is_empty() {
            eprintln!("no sharded run waiting to advance");
        }
        Ok(super::EXIT_CLEAN)
    } else {
        Ok(super::EXIT_ERROR)
    }
}

fn list(runs: &[String]) -> String {
    if runs.is_empty() {
        "no new run".into()
    } else {
        runs.join(", ")
    }
}

fn shards(s: &[i64]) -> String {
    s.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
