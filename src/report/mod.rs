//! Reports render one finished list of findings; they never ask where a finding came from beyond what
//! its [`Origin`](crate::finding::Origin) says. JSONL is streamed by the collector as findings arrive;
//! here it is only rendered for `--report jsonl=FILE` written at the end.

pub mod json;
pub mod sarif;
pub mod text;

use std::path::PathBuf;

use crate::cli::Format;
use crate::collect::Outcome;
use crate::engine::Rule;

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
