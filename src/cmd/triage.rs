//! `nhiscan triage FINGERPRINT --store S --resolve ...`: records a person's decision about a
//! credential, kept across rescans and shown by `nhiscan findings`.

use anyhow::Result;

use crate::cli::TriageArgs;
use crate::store::{Options, Store};

/// Runs `nhiscan triage`.
pub fn run(args: &TriageArgs) -> Result<i32> {
    let given = args
        .fingerprint
        .as_deref()
        .or(args.fingerprint_opt.as_deref())
        .unwrap_or_default();
    let mut store = Store::open(&args.store.store, Options::existing())?;
    let fp = store.resolve_fingerprint(given)?;
    let who = args
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    store.triage(&fp, &args.resolve, &args.comment, &who)?;
    let n = store.triage_history(&fp)?.len();
    eprintln!(
        "{fp}: {} by {who}{}",
        args.resolve,
        if n > 1 {
            format!(" (decision {n}; earlier ones are kept)")
        } else {
            String::new()
        }
    );
    Ok(super::EXIT_CLEAN)
}
