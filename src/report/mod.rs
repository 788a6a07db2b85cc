//! Reports render one finished list of findings; they never ask where a finding came from beyond what
//! its [`Origin`](crate::finding::Origin) says. JSONL is streamed by the collector as findings arrive;
//! here it is only rendered for `--report jsonl=FILE` written at the end.

pub mod json;
pub mod sarif;
pub mod text;

use std::path::PathBuf;

use crate::collect::Outcome;
use crate::engine::Rule;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
}

impl Format {
    /// Every format, as `--format` lists them.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Jsonl, Format::Sarif];

    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Sarif => "sarif",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown format `{s}` (text, json, jsonl, sarif)"))
    }
}

/// Everything a report may need besides the findings.
#[derive(Clone)]
pub struct Context<'a> {
    pub outcome: &'a Outcome,
    pub show_secrets: bool,
    pub color: bool,
    /// The directory SARIF uris are relative to.
    pub root: PathBuf,
    /// Looks a rule up by id (SARIF writes the rules it references).
    pub rule: &'a dyn Fn(&str) -> Option<&'a Rule>,
    /// What was scanned, for the summary line (`3 paths`, `redis.git`).
    pub target: String,
}

pub fn render(format: Format, cx: &Context) -> String {
    match format {
        Format::Text => text::render(cx),
        Format::Json => json::render(cx),
        Format::Jsonl => json::render_lines(cx),
        Format::Sarif => sarif::render(cx),
    }
}
