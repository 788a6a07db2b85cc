//! Reports render one finished list of findings; they never ask where a finding came from beyond what
//! its [`Origin`](crate::finding::Origin) says. JSONL is streamed by the collector as findings arrive;
//! here it is only rendered for `--report jsonl=FILE` written at the end.

pub(crate) mod escape;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod sarif;
pub(crate) mod text;

use std::path::PathBuf;

use crate::collect::Outcome;
use crate::engine::Rule;

/// A report format: a name in [`FORMATS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(&'static str);

/// One report format: how `--format` names it and how it renders. A new format is a new file and
/// one line in [`FORMATS`].
pub(crate) struct Renderer {
    /// What `--format` and `--report NAME=FILE` take.
    pub name: &'static str,
    /// The file extension that implies it.
    pub extension: &'static str,
    /// Renders a finished outcome.
    pub render: fn(&Context) -> String,
    /// Streamed by the collector as findings arrive (one line a finding), not rendered at the end
    /// when it is the main output.
    pub streamed: bool,
}

/// Every report format.
pub(crate) const FORMATS: &[Renderer] = &[
    Renderer {
        name: "text",
        extension: "txt",
        render: text::render,
        streamed: false,
    },
    Renderer {
        name: "json",
        extension: "json",
        render: json::render,
        streamed: false,
    },
    Renderer {
        name: "jsonl",
        extension: "jsonl",
        render: json::render_lines,
        streamed: true,
    },
    Renderer {
        name: "sarif",
        extension: "sarif",
        render: sarif::render,
        streamed: false,
    },
];

impl Format {
    /// The human report.
    pub const TEXT: Format = Format("text");

    fn renderer(self) -> &'static Renderer {
        FORMATS
            .iter()
            .find(|r| r.name == self.0)
            .expect("a Format is made from FORMATS")
    }

    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The format a file name's extension implies (`.json`, `.jsonl`, `.sarif`, `.txt`).
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?;
        FORMATS
            .iter()
            .find(|r| r.extension.eq_ignore_ascii_case(ext))
            .map(|r| Format(r.name))
    }

    /// True for formats the collector streams as findings arrive.
    pub fn streamed(self) -> bool {
        self.renderer().streamed
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        FORMATS
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(s))
            .map(|r| Format(r.name))
            .ok_or_else(|| {
                let names: Vec<&str> = FORMATS.iter().map(|r| r.name).collect();
                format!("unknown format `{s}` ({})", names.join(", "))
            })
    }
}

/// Everything a report may need besides the findings.
#[derive(Clone)]
pub(crate) struct Context<'a> {
    pub outcome: &'a Outcome,
    pub show_secrets: bool,
    pub color: bool,
    /// The directory SARIF uris are relative to.
    pub root: PathBuf,
    /// Looks a rule up by id (SARIF writes the rules it references).
    pub rule: &'a dyn Fn(&str) -> Option<&'a Rule>,
    /// What was scanned, for the summary line (`3 paths`, `redis.git`).
    pub target: String,
    /// Whether the text report ends with the summary and how to accept a finding (not with `-q`).
    pub summary: bool,
}

/// Renders `cx` in `format`.
pub(crate) fn render(format: Format, cx: &Context) -> String {
    (format.renderer().render)(cx)
}
