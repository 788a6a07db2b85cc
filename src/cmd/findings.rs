//! `nhiscan findings --store S`: what the store knows, in every report format, rendered by the
//! report module from the stored redacted findings. Each finding carries its store state in
//! `properties` (repository, status, first and last seen, triage); `--sarif-dir` writes one SARIF
//! file per repository, ready for code scanning upload.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context as _, Result};
use serde_json::json;

use crate::cli::FindingsArgs;
use crate::collect::outcome::Summary;
use crate::collect::Outcome;
use crate::dates::iso_time;
use crate::engine::Rule;
use crate::finding::Finding;
use crate::report::{self, Format};
use crate::store::read::{Filter, Occurrence};
use crate::store::{revive, Options, Store};

/// Runs `nhiscan findings`.
pub fn run(args: &FindingsArgs) -> Result<i32> {
    let mut store = Store::open(&args.store.store, Options::existing())?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let filter = Filter {
        status: args.status.clone(),
        since,
        repo: args.repo.clone(),
        run: args.run.clone(),
    };
    let occurrences = store.occurrences(&filter)?;
    let output = args.output.clone().filter(|p| p.as_os_str() != "-");
    let format = args.format.unwrap_or_else(|| {
        output
            .as_deref()
            .and_then(Format::from_extension)
            .unwrap_or(Format::TEXT)
    });
    let mut all = Vec::new();
    let mut per_repo: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for o in &occurrences {
        all.push(stored(o, format == Format::TEXT)?);
        if args.sarif_dir.is_some() {
            per_repo
                .entry(o.repo.clone())
                .or_default()
                .push(stored(o, false)?);
        }
    }
    // Every outcome is made before the rule lookup borrows the rules: reports borrow both for
    // one lifetime.
    let all = outcome(all);
    let per_repo: Vec<(String, Outcome)> = per_repo
        .into_iter()
        .map(|(repo, f)| (repo, outcome(f)))
        .collect();
    let rules = crate::engine::rule::builtin()?;
    let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id(), r)).collect();
    let lookup = |id: &str| by_id.get(id).copied();
    // The scan summary and the allow hint of the scanning commands do not fit stored findings:
    // a count of occurrences by status instead, on standard error.
    let text = render(format, &all, &lookup, store.name(), false);
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &occurrences {
        *by_status.entry(o.status.as_str()).or_default() += 1;
    }
    let counts: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    match &output {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("{}: cannot write", p.display()))?
        }
        None => print!("{text}"),
    }
    if format == Format::TEXT {
        eprintln!(
            "{} occurrences in {}{}",
            occurrences.len(),
            store.name(),
            if counts.is_empty() {
                String::new()
            } else {
                format!(" ({})", counts.join(", "))
            }
        );
    }
    if let Some(dir) = &args.sarif_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let sarif: Format = "sarif".parse().expect("a format");
        for (repo, o) in &per_repo {
            let path = dir.join(sarif_name(repo));
            std::fs::write(&path, render(sarif, o, &lookup, repo, false))
                .with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!("{}: {}", path.display(), repo);
        }
    }
    Ok(super::EXIT_CLEAN)
}

/// A stored occurrence as a finding: its store state in `properties`; for the text report also in
/// the message (the text report shows no properties) and the repository before the place.
fn stored(o: &Occurrence, text: bool) -> Result<Finding> {
    let mut f = revive::finding(&o.finding)?;
    if text {
        return Ok(annotated(f, o));
    }
    let p = &mut f.properties;
    p.insert("repository".into(), json!(o.repo));
    p.insert("store_status".into(), json!(o.status));
    p.insert("credential_status".into(), json!(o.credential_status));
    p.insert("first_seen".into(), json!(iso_time(o.first_seen)));
    p.insert("last_seen".into(), json!(iso_time(o.last_seen)));
    p.insert("first_run".into(), json!(o.first_run));
    p.insert("last_run".into(), json!(o.last_run));
    if let Some(r) = &o.fixed_run {
        p.insert("fixed_run".into(), json!(r));
    }
    if let Some(t) = &o.triage {
        p.insert(
            "triage".into(),
            json!({ "resolution": t.resolution, "comment": t.comment, "by": t.who, "at": iso_time(t.at) }),
        );
    }
    Ok(f)
}

/// For the text report: the repository before the place, the state after the message (its
/// property lines would repeat the same at length).
fn annotated(mut f: Finding, o: &Occurrence) -> Finding {
    {
        let mut origin = (*f.origin).clone();
        origin.display = format!("{}: {}", o.repo, origin.display);
        f.origin = std::sync::Arc::new(origin);
        let mut note = format!("{}, first seen {}", o.status, &iso_time(o.first_seen)[..10]);
        if let Some(t) = &o.triage {
            note.push_str(&format!(", triaged {} by {}", t.resolution, t.who));
            if !t.comment.is_empty() {
                note.push_str(&format!(": {}", t.comment));
            }
        }
        f.message = format!("{} [{note}]", f.message);
    }
    f
}

fn render<'a>(
    format: Format,
    outcome: &'a Outcome,
    lookup: &'a dyn Fn(&str) -> Option<&'a Rule>,
    target: &str,
    summary: bool,
) -> String {
    let cx = report::Context {
        outcome,
        show_secrets: false,
        color: false,
        root: ".".into(),
        rule: lookup,
        target: target.to_string(),
        summary,
    };
    report::render(format, &cx)
}

fn outcome(findings: Vec<Finding>) -> Outcome {
    let summary = Summary::of_findings(&findings);
    Outcome {
        findings,
        errors: Vec::new(),
        skipped: Vec::new(),
        summary,
    }
}

/// A file name for a repository's SARIF: the key made safe, and a hash so two keys never collide.
fn sarif_name(repo: &str) -> String {
    let safe: String = repo
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tail: String = safe.trim_matches('_').chars().rev().take(60).collect();
    let tail: String = tail.chars().rev().collect();
    let h = crate::finding::hash_hex(&[repo.as_bytes()]);
    format!("{tail}-{}.sarif", &h[..8])
}

/// `YYYY-MM-DD` (UTC midnight) or an RFC 3339 time, as Unix seconds.
fn parse_since(s: &str) -> Result<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_second());
    }
    let days = crate::dates::parse_day(s)
        .with_context(|| format!("--since `{s}`: expected YYYY-MM-DD or an RFC 3339 time"))?;
    Ok(days * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_days_and_times() {
        assert_eq!(parse_since("1970-01-02").unwrap(), 86_400);
        assert_eq!(parse_since("1970-01-01T00:01:00Z").unwrap(), 60);
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn sarif_names_are_safe_and_distinct() {
        let a = sarif_name("https://github.com/org/repo.git");
        let b = sarif_name("https://github.com/org/repo_git");
        assert_ne!(a, b);
        assert!(a.ends_with(".sarif") && !a.contains('/') && !a.contains(':'));
    }
}
