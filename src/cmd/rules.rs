//! `nhiscan rules list|explain|check`: the rules are data, and these commands are how people read and
//! test that data. `check` is the same code `cargo test` runs over every built-in rule file.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Result};
use serde_json::json;

use crate::cli::{ListFormat, RuleArgs};
use crate::engine::rule::{self, Rule};
use crate::finding::Origin;
use crate::scan::Scanner;

/// Runs `nhiscan rules list`.
pub fn list(args: &RuleArgs, format: ListFormat) -> Result<i32> {
    let rules = crate::ruleset::load(&args.resolve(), &[])?;
    match format {
        ListFormat::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    let s = &r.spec;
                    json!({"id": s.id, "title": s.title, "severity": s.severity, "kind": s.kind, "tags": s.tags,
                           "keywords": s.keywords, "lifetime": s.lifetime, "source": r.source,
                           "description": s.description, "remediation": s.remediation, "references": s.references})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        ListFormat::Text => {
            let w = rules.iter().map(|r| r.id().len()).max().unwrap_or(10);
            for r in &rules {
                println!(
                    "{:<w$}  {:<8}  {}",
                    r.id(),
                    r.spec.severity.as_str(),
                    r.spec.title
                );
            }
            println!("{} rules", rules.len());
        }
    }
    Ok(0)
}

/// Runs `nhiscan rules explain`.
pub fn explain(args: &RuleArgs, id: &str) -> Result<i32> {
    let rules = crate::ruleset::load(&args.resolve(), &[])?;
    let Some(r) = rules.iter().find(|r| r.id() == id) else {
        bail!("unknown rule id `{id}` (see `nhiscan rules list`)");
    };
    let s = &r.spec;
    println!("{} — {}\n", s.id, s.title);
    println!(
        "Severity: {}    Kind: {}    Lifetime: {:?} ({})",
        s.severity, s.kind, s.lifetime.kind, s.lifetime.reason
    );
    println!("Source:   {}\n", r.source);
    println!("What it finds\n  {}\n", s.description.trim());
    println!("How to fix\n  {}\n", s.remediation.trim());
    if let Some(p) = &s.pattern {
        println!("Keywords: {}\nPattern:  {p}\n", s.keywords.join(", "));
    }
    if !s.examples.is_empty() {
        println!("Example (secret marked «»)");
        for e in s.examples.iter().take(2) {
            for l in e.lines() {
                println!("  {l}");
            }
        }
        println!();
    }
    if !s.references.is_empty() {
        println!("References");
        for u in &s.references {
            println!("  {u}");
        }
    }
    Ok(0)
}

/// Runs `nhiscan rules check`: exit 1 when any example fails.
pub fn check(files: &[PathBuf]) -> Result<i32> {
    let mut failed = 0;
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", f.display()))?;
        let (n_rules, n_examples, failures) = check_file(&f.display().to_string(), &text)?;
        for msg in &failures {
            println!("FAIL {msg}");
        }
        println!(
            "{}: {n_rules} rules, {n_examples} examples, {} failures",
            f.display(),
            failures.len()
        );
        failed += failures.len();
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

/// Checks one rule file: (rules, examples checked, failure messages). A malformed file is an error.
pub fn check_file(source: &str, text: &str) -> Result<(usize, usize, Vec<String>)> {
    let mine = rule::parse_file(source, text, true)?;
    let ids: Vec<String> = mine.iter().map(|r| r.spec.id.clone()).collect();
    // Run the file's rules among the built-in ones, as a user would: generic rules must lose to
    // provider rules here exactly as they do in a real scan.
    let mut rules: Vec<Rule> = rule::builtin()?
        .into_iter()
        .filter(|r| !ids.contains(&r.spec.id))
        .collect();
    let specs: Vec<_> = mine.iter().map(|r| r.spec.clone()).collect();
    rules.extend(mine);
    rule::check_unique(&rules)?;
    // Policy rules judge other findings: their examples run under a policy that applies everywhere.
    let mut strict = crate::collect::policy::Policy::everywhere();
    strict.bind(&rules);
    let scanner = Scanner::new(rules, crate::lifetime::DEFAULT_MAX_SECONDS)?;
    let mut failures = Vec::new();
    let mut n = 0;
    for spec in &specs {
        if spec.examples.is_empty() {
            failures.push(format!("{source}: rule `{}`: has no examples", spec.id));
        }
        if spec.negative_examples.is_empty() {
            failures.push(format!(
                "{source}: rule `{}`: has no negative_examples",
                spec.id
            ));
        }
        let name = spec
            .example_path
            .clone()
            .unwrap_or_else(|| "example.txt".into());
        for (i, ex) in spec.examples.iter().enumerate() {
            n += 1;
            let Some((clean, secret, line)) = unmark(ex) else {
                failures.push(format!(
                    "{source}: rule `{}`: example {}: mark the secret with « »",
                    spec.id,
                    i + 1
                ));
                continue;
            };
            let found = scan_as(&scanner, &strict, &name, &clean, &spec.id);
            let ok = found.iter().any(|(l, s)| {
                if spec.analyzer.is_some() {
                    *l >= line && *l <= line + secret.matches('\n').count()
                } else {
                    *l == line && s.as_deref() == Some(secret.as_str())
                }
            });
            if !ok {
                let got: Vec<String> = found
                    .iter()
                    .map(|(l, s)| format!("line {l} {:?}", s.as_deref().unwrap_or("")))
                    .collect();
                failures.push(format!(
                    "{source}: rule `{}`: example {} expected {:?} on line {line}, found [{}]",
                    spec.id,
                    i + 1,
                    crate::finding::redact(&secret),
                    got.join(", ")
                ));
            }
        }
        for (i, ex) in spec.negative_examples.iter().enumerate() {
            n += 1;
            let found = scan_as(&scanner, &strict, &name, ex, &spec.id);
            if let Some((l, _)) = found.first() {
                failures.push(format!(
                    "{source}: rule `{}`: negative example {} matched on line {l}",
                    spec.id,
                    i + 1
                ));
            }
        }
    }
    Ok((specs.len(), n, failures))
}

fn scan_as(
    scanner: &Scanner,
    policy: &crate::collect::policy::Policy,
    name: &str,
    text: &str,
    id: &str,
) -> Vec<(usize, Option<String>)> {
    let origin = Origin::file(name, name);
    // An example that is the very file at `example_path` (a Dockerfile beside its build context)
    // is scanned with that file's build context, as the filesystem source would scan it.
    let path = std::path::Path::new(name);
    let context = crate::source::fs_context::for_dockerfile(path)
        .filter(|_| std::fs::read(path).is_ok_and(|d| d == text.as_bytes()));
    let unit = crate::source::Unit {
        context: context
            .as_ref()
            .map(|c| c as &dyn crate::analyze::BuildContext),
        ..crate::source::Unit::new(text.as_bytes(), Arc::new(origin))
    };
    let mut res = scanner.scan(&unit);
    for f in &mut res.findings {
        policy.judge(f);
    }
    res.findings
        .into_iter()
        .filter(|f| f.rule_id == id || f.policies.iter().any(|p| p == id))
        .map(|f| (f.line, f.secret))
        .collect()
}

/// Removes the « » markers: (text, marked text, 1-based line where the mark starts).
pub fn unmark(ex: &str) -> Option<(String, String, usize)> {
    let a = ex.find('«')?;
    let b = ex[a..].find('»')? + a;
    let secret = ex[a + '«'.len_utf8()..b].to_string();
    let clean = format!("{}{}{}", &ex[..a], secret, &ex[b + '»'.len_utf8()..]);
    let line = ex[..a].matches('\n').count() + 1;
    Some((clean, secret, line))
}
