//! `nhiscan batch`: many repositories, one run (see `crate::batch`).

use std::time::Duration;

use anyhow::Result;

use crate::batch::{self, Cache, Options, Shard};
use crate::cli::BatchArgs;

/// Runs `nhiscan batch`.
pub fn run(args: &BatchArgs) -> Result<i32> {
    let settings = crate::cli::settings(
        &args.rules,
        &args.project,
        &args.limits,
        Some(&args.image_limits),
        &args.output,
    );
    let scope = crate::cli::parse_scope(&args.scope).map_err(anyhow::Error::msg)?;
    let shard = args
        .shard
        .as_deref()
        .map(|s| {
            Shard::parse(
                s,
                args.shards,
                std::env::var("JOB_COMPLETION_INDEX").ok(),
                None,
            )
        })
        .transpose()?;
    let mut targets = match &args.plan {
        Some(p) => batch::read_plan(p)?,
        None => Vec::new(),
    };
    targets.extend(batch::collect(&args.inputs, &args.lists, args.max_depth)?);
    let mut seen = std::collections::HashSet::new();
    targets.retain(|t| seen.insert(t.key.clone()));
    if targets.is_empty() {
        anyhow::bail!("no repositories to scan: name paths, directories or URLs, or --list FILE");
    }
    let cache = Cache::new(
        args.cache.clone().unwrap_or_else(batch::default_cache_dir),
        Duration::from_secs(args.clone_timeout.max(1)),
    );
    if args.plan_only {
        let count = shard.map(|s| s.count).or(args.shards);
        let plan = batch::plan(&targets, scope, count, &cache);
        let text = serde_json::to_string_pretty(&plan)? + "\n";
        match &settings.output.output {
            Some(p) => std::fs::write(p, text)
                .map_err(|e| anyhow::anyhow!("{}: cannot write the plan: {e}", p.display()))?,
            None => print!("{text}"),
        }
        // Written all the same (a shard job tries a failed clone again), but not a clean plan.
        let failed = plan["repositories"].as_array().map_or(0, |r| {
            r.iter().filter(|r| r.get("problem").is_some()).count()
        });
        if failed > 0 {
            eprintln!(
                "error: {failed} repositories could not be resolved (see `problem` in the plan)"
            );
            return Ok(crate::run::EXIT_ERROR);
        }
        return Ok(crate::run::EXIT_CLEAN);
    }
    let cores = crate::settings::default_threads();
    let parallel = args
        .parallel_repos
        .filter(|&n| n > 0)
        .unwrap_or_else(|| (cores / 2).max(2));
    // The cores are shared by the repositories in flight: all of them for a single repository.
    let threads = match args.output.threads.filter(|&n| n > 0) {
        Some(n) => n,
        None => (cores / parallel.min(targets.len()).max(1)).max(1),
    };
    let store = args
        .store
        .as_deref()
        .map(|s| batch::open_store(s, args.store_secrets))
        .transpose()?;
    let opts = Options {
        targets,
        scope,
        shard,
        parallel,
        threads,
        cache,
        run_id: args.run_id.clone(),
        rescan: args.rescan,
        settings,
    };
    batch::run(opts, store)
}
