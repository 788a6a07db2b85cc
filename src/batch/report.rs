//! The batch's reports. Every format the single-repository commands write, over many
//! repositories: text and JSONL are written as each repository finishes (nothing of a finished
//! repository stays in memory for them); JSON keeps the findings it shows and writes one document
//! with the `repositories` manifest; SARIF keeps one run per repository (its own `SRCROOT`,
//! `automationDetails` and version control provenance) and writes them together.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use super::manifest::{self, Entry, Part};
use super::totals::{summary_line, Totals};
use crate::collect::Outcome;
use crate::engine::Rule;
use crate::finding::ScanError;
use crate::report::escape::terminal;
use crate::report::{self, Format};

enum Kind {
    Text(Box<dyn Write>),
    Jsonl(Box<dyn Write>),
    Json {
        findings: Vec<Value>,
        errors: Vec<Value>,
        skipped: Vec<Value>,
    },
    Sarif(Vec<Value>),
}

struct Sink {
    kind: Kind,
    /// None: standard output.
    dest: Option<PathBuf>,
}

/// Every report of the run.
pub(crate) struct Reports<'a> {
    sinks: Vec<Sink>,
    show_secrets: bool,
    color: bool,
    rule: &'a dyn Fn(&str) -> Option<&'a Rule>,
}

fn open(dest: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match dest {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create output file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

impl<'a> Reports<'a> {
    /// The reports `outputs` asks for (format, file; None: standard output).
    pub(crate) fn new(
        outputs: &[(Format, Option<PathBuf>)],
        show_secrets: bool,
        color: bool,
        rule: &'a dyn Fn(&str) -> Option<&'a Rule>,
    ) -> Result<Reports<'a>> {
        let mut sinks = Vec::new();
        for (format, dest) in outputs {
            let kind = match format.as_str() {
                "text" => Kind::Text(open(dest.as_deref())?),
                "jsonl" => Kind::Jsonl(open(dest.as_deref())?),
                "sarif" => Kind::Sarif(Vec::new()),
                _ => Kind::Json {
                    findings: Vec::new(),
                    errors: Vec::new(),
                    skipped: Vec::new(),
                },
            };
            sinks.push(Sink {
                kind,
                dest: dest.clone(),
            });
        }
        Ok(Reports {
            sinks,
            show_secrets,
            color,
            rule,
        })
    }

    /// True when the text report goes to standard output (then it carries the manifest and the
    /// summary; otherwise they go to standard error).
    pub(crate) fn text_on_stdout(&self) -> bool {
        self.sinks
            .iter()
            .any(|s| s.dest.is_none() && matches!(s.kind, Kind::Text(_)))
    }

    /// Adds one finished repository to every report.
    pub(crate) fn repo(&mut self, p: &Part<'_>) -> Result<()> {
        let show = self.show_secrets;
        let rule = self.rule;
        let outcome = || Outcome {
            findings: p.findings.to_vec(),
            errors: p.errors.to_vec(),
            skipped: Vec::new(),
            summary: Totals::default().summary(0.0, p.entry.status() != "complete"),
        };
        for s in &mut self.sinks {
            match &mut s.kind {
                Kind::Text(w) => {
                    if p.findings.is_empty() {
                        continue;
                    }
                    let o = outcome();
                    let lookup = |id: &str| rule(id);
                    let cx = context(&o, show, self.color, p.root, &lookup);
                    let head = format!("== {} ==", terminal(&p.entry.key));
                    let head = if self.color {
                        format!("\x1b[1m{head}\x1b[0m")
                    } else {
                        head
                    };
                    let body = report::text::render(&cx);
                    write!(w, "{head}\n{body}").context("cannot write the text report")?;
                    w.flush().context("cannot write the text report")?;
                }
                Kind::Jsonl(w) => {
                    for f in p.findings {
                        let line = serde_json::to_string(&f.to_json(show)).expect("json");
                        writeln!(w, "{line}").context("cannot write the JSONL report")?;
                    }
                    w.flush().context("cannot write the JSONL report")?;
                }
                Kind::Json {
                    findings,
                    errors,
                    skipped,
                } => {
                    findings.extend(p.findings.iter().map(|f| f.to_json(show)));
                    let key = &p.entry.key;
                    errors.extend(p.errors.iter().map(
                        |e| json!({ "path": format!("{key}: {}", e.path), "message": e.message }),
                    ));
                    for r in p
                        .entry
                        .reasons()
                        .into_iter()
                        .filter(|_| p.entry.status() == "failed")
                    {
                        errors.push(json!({ "path": key, "message": r }));
                    }
                    skipped.extend(p.skipped.iter().map(
                        |s| json!({ "path": format!("{key}: {}", s.path), "reason": s.reason }),
                    ));
                }
                Kind::Sarif(runs) => {
                    let mut o = outcome();
                    if let super::Coverage::Failed(why) = &p.entry.coverage {
                        o.errors.push(ScanError {
                            path: p.entry.key.clone(),
                            message: format!("not scanned: {why}"),
                        });
                    }
                    let lookup = |id: &str| rule(id);
                    let cx = context(&o, show, false, p.root, &lookup);
                    let doc: Value =
                        serde_json::from_str(&report::sarif::render(&cx)).expect("sarif is json");
                    let mut run = doc["runs"][0].clone();
                    run["automationDetails"] =
                        json!({ "id": format!("nhiscan-batch/{}/", category(&p.entry.key)) });
                    if let Some(tip) = &p.entry.tip {
                        run["versionControlProvenance"] = json!([{
                            "repositoryUri": repository_uri(&p.entry.key),
                            "revisionId": tip,
                        }]);
                    }
                    run["properties"] =
                        json!({ "repository": p.entry.key, "status": p.entry.status() });
                    runs.push(run);
                }
            }
        }
        Ok(())
    }

    /// Ends every report: the manifest, the summary. Returns the text that goes to standard error
    /// (the manifest and summary when the text report is not on standard output).
    pub(crate) fn finish(self, entries: &[Entry], totals: &Totals, seconds: f64) -> Result<()> {
        let (complete, _, _) = manifest::counts(entries);
        let all_complete = complete == entries.len();
        let repositories: Vec<Value> = entries.iter().map(Entry::to_json).collect();
        for s in self.sinks {
            match s.kind {
                Kind::Text(mut w) => {
                    let text = format!(
                        "{}{}\n",
                        manifest::table(entries),
                        summary_line(entries, totals, seconds)
                    );
                    w.write_all(text.as_bytes())
                        .and_then(|_| w.flush())
                        .context("cannot write the text report")?;
                }
                Kind::Jsonl(mut w) => {
                    let end = json!({
                        "type": "end",
                        "schema_version": report::json::SCHEMA_VERSION,
                        "complete": all_complete,
                        "summary": totals.summary_json(seconds, entries),
                        "errors": [],
                        "repositories": repositories,
                    });
                    writeln!(w, "{}", serde_json::to_string(&end).expect("json"))
                        .and_then(|_| w.flush())
                        .context("cannot write the JSONL report")?;
                }
                Kind::Json {
                    findings,
                    errors,
                    skipped,
                } => {
                    let doc = json!({
                        "schema_version": report::json::SCHEMA_VERSION,
                        "tool": { "name": "nhiscan", "version": env!("CARGO_PKG_VERSION"), "build": env!("NHISCAN_LONG_VERSION") },
                        "complete": all_complete,
                        "target": format!("{} repositories", entries.len()),
                        "findings": findings,
                        "summary": totals.summary_json(seconds, entries),
                        "errors": errors,
                        "skipped": skipped,
                        "repositories": repositories,
                    });
                    let mut text = serde_json::to_string_pretty(&doc).expect("json");
                    text.push('\n');
                    write(s.dest.as_deref(), &text)?;
                }
                Kind::Sarif(runs) => {
                    let doc = json!({
                        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                        "version": "2.1.0",
                        "runs": runs,
                    });
                    let mut text = serde_json::to_string_pretty(&doc).expect("json");
                    text.push('\n');
                    write(s.dest.as_deref(), &text)?;
                }
            }
        }
        Ok(())
    }
}

fn context<'a>(
    o: &'a Outcome,
    show: bool,
    color: bool,
    root: Option<&Path>,
    rule: &'a dyn Fn(&str) -> Option<&'a Rule>,
) -> report::Context<'a> {
    report::Context {
        outcome: o,
        show_secrets: show,
        color,
        root: root.map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        rule,
        target: String::new(),
        summary: false,
    }
}

/// A SARIF category from a repository key: letters, digits and `-._` kept.
fn category(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn repository_uri(key: &str) -> String {
    if key.contains("://") {
        key.to_string()
    } else {
        format!("file://{}", crate::report::sarif::encode_path(key))
    }
}

fn write(dest: Option<&Path>, text: &str) -> Result<()> {
    match dest {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("{}: cannot write report", p.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}
