//! What each subcommand does. Every scanning command has the same shape: load rules, make a scanner
//! and a collector, let one source push into it, then render reports and pick the exit code
//! ([`finish`]), so `scan`, `git`, `staged` and `image` differ only in their source.

pub mod baseline;
pub mod git;
pub mod hook;
pub mod image;
pub mod rules;
pub mod scan;
pub mod staged;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{ColorChoice, Format, OutputArgs};
use crate::collect::{Collector, Outcome};
use crate::report::{self, Context};
use crate::scan::Scanner;

/// The process exit codes: 0 clean, 1 findings at or above --fail-on, 2 error.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// What every scanning command builds from its rule flags and the project config: the scanner (rules
/// plus config `rules`, `enable`/`disable`, `[severity]` overrides) and the suppressor (`[[allow]]`,
/// `allow_paths`, `--no-suppress`, `--baseline`). `root` is where `.nhiscan.toml` is looked for.
pub fn project(
    rule_args: &crate::cli::RuleArgs,
    project: &crate::cli::ProjectArgs,
    root: &std::path::Path,
) -> Result<(
    Scanner,
    crate::collect::suppress::Suppressor,
    crate::config::Config,
)> {
    let config = crate::config::Config::load(project.config.as_deref(), root)?;
    let shown = config.path.as_ref().map_or_else(
        || crate::config::FILE_NAME.into(),
        |p| p.display().to_string(),
    );
    let mut args = rule_args.clone();
    if args.enable.is_empty() {
        args.enable = config.enable.clone();
    }
    args.disable.extend(config.disable.iter().cloned());
    let mut rules = crate::ruleset::load(&args, &config.rules).with_context(|| {
        if config.path.is_some() {
            format!("with config {shown}")
        } else {
            "loading rules".into()
        }
    })?;
    for (id, sev) in &config.severity {
        match rules.iter_mut().find(|r| r.id() == id) {
            Some(r) => r.spec.severity = *sev,
            None if args.enable.is_empty() && !args.disable.contains(id) => {
                anyhow::bail!("{shown}: key `severity.{id}`: unknown rule id `{id}` (see `nhiscan rules list`)")
            }
            None => {}
        }
    }
    let mut suppressor =
        crate::collect::suppress::Suppressor::from_config(&config, project.no_suppress)
            .with_context(|| format!("{shown}: invalid config"))?;
    if let Some(b) = &project.baseline {
        suppressor.load_baseline(b)?;
    }
    Ok((Scanner::new(rules)?, suppressor, config))
}

/// Makes the collector for a run, streaming JSONL to stdout/--output at once when that is the format.
pub fn collector(
    out: &OutputArgs,
    suppressor: crate::collect::suppress::Suppressor,
) -> Result<Collector> {
    let mut c = Collector::new(out.min_severity, out.show_secrets, suppressor);
    if out.format == Format::Jsonl {
        let w: Box<dyn Write + Send> = match &out.output {
            Some(p) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(p)
                    .with_context(|| format!("{}: cannot create output file", p.display()))?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        };
        c.stream_jsonl(w);
    }
    Ok(c)
}

/// Renders every requested report, prints errors and the summary, and returns the exit code.
pub fn finish(
    out: &OutputArgs,
    scanner: &Scanner,
    sink: Collector,
    root: PathBuf,
    target: String,
    adjust: impl FnOnce(&mut Outcome),
) -> Result<i32> {
    sink.flush_stream()
        .context("cannot write the JSONL report")?;
    let mut outcome = sink.finish();
    crate::collect::shared::merge(&mut outcome);
    adjust(&mut outcome);
    if out.format == Format::Jsonl {
        // JSONL streamed the scan's findings as they came; policy violations exist only now.
        let extra: String = outcome
            .findings
            .iter()
            .filter(|f| f.kind == "policy")
            .map(|f| serde_json::to_string(&f.to_json(out.show_secrets)).expect("json") + "\n")
            .collect();
        if !extra.is_empty() {
            append_report(out.output.as_ref(), &extra)?;
        }
    }
    let lookup = |id: &str| scanner.rule(id);
    let color = match out.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && out.output.is_none()
                && std::io::stdout().is_terminal()
        }
    };
    let cx = Context {
        outcome: &outcome,
        show_secrets: out.show_secrets,
        color,
        root,
        rule: &lookup,
        target,
    };
    if out.format != Format::Jsonl {
        let text = report::render(out.format, &cx);
        write_report(out.output.as_ref(), &text)?;
    }
    for (format, path) in &out.reports {
        let cx = Context {
            color: false,
            ..cx.clone()
        };
        write_report(Some(path), &report::render(*format, &cx))?;
    }
    for e in &outcome.errors {
        eprintln!("error: {}: {}", e.path, e.message);
    }
    let text_on_stdout = out.format == Format::Text && out.output.is_none();
    if !out.quiet && !text_on_stdout {
        eprintln!("{}", report::text::summary(&cx));
    }
    let failing = outcome.findings.iter().any(|f| f.severity >= out.fail_on);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

fn append_report(path: Option<&PathBuf>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::OpenOptions::new()
            .append(true)
            .open(p)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("{}: cannot write report", p.display())),
        None => write_report(None, text),
    }
}

fn write_report(path: Option<&PathBuf>, text: &str) -> Result<()> {
    match path {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("{}: cannot write report", p.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
            {
                // `nhiscan scan | head` closing the pipe is not an error worth exit 2.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

/// Default worker count: the cores this process may use.
pub fn threads(requested: Option<usize>) -> usize {
    requested
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}
