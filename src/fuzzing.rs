//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz) and their regression tests, nothing
//! else: not a stable API, hidden from the docs, and free to change with any commit.
//!
//! Each function is a thin wrapper over a crate-internal reader that the public API reaches only
//! through the command line: the parsers behind the analyzers, the layer and archive readers, and
//! the pipeline from a unit or an image to rendered reports. The pipeline here is `run::scan`
//! without the project config (no `.nhiscan.toml`, no policy, no progress line) and with one
//! scanner built once, so that a fuzzer runs thousands of inputs a second.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::collect::{outcome, Collector, Shown};
use crate::context::ContextFilter;
use crate::finding::{Confidence, Origin, Severity};
use crate::report::{self, Format};
use crate::scan::Scanner;
use crate::settings::Limits;
use crate::source::image::archive::{self, ArchiveLimits};
use crate::source::image::layer::{self, FileUnit, Files};
use crate::source::{Feed, Source, Unit};

/// The readers [`parse`] knows; the `readers` target picks one by its input's first byte.
pub const SYNTAXES: &[&str] = &["yaml", "json", "json-lenient", "hcl", "dockerfile"];

/// File names that each reach an analyzer (or a config-file kind), for the `analyzers` target.
pub const ANALYZED: &[&str] = &[
    "policy.json",
    "iam/main.tf",
    "deploy/role.yaml",
    ".github/workflows/ci.yml",
    "Dockerfile",
    "azure/roles.json",
    "gcp/iam.yaml",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".docker/config.json",
    ".kube/config",
    "src/main/resources/application.yml",
    "application.properties",
    "appsettings.json",
    "prod.tfvars",
    "charts/app/values.yaml",
];

/// File names for the `unit` target: code, dotenv, the analyzed kinds, a test fixture (demoted).
pub const UNITS: &[&str] = &[
    "config/settings.py",
    ".env",
    "policy.json",
    "iam/main.tf",
    "deploy/role.yaml",
    ".github/workflows/ci.yml",
    "Dockerfile",
    "notes.txt",
    ".docker/config.json",
    "src/test/fixtures/app.yaml",
    "appsettings.json",
    "id_rsa",
];

/// Parses `text` with the reader of `syntax` (`yaml`, `json`, `json-lenient`, `hcl`,
/// `dockerfile`): the number of top-level items, or the reader's error message.
pub fn parse(syntax: &str, text: &str) -> Result<usize, String> {
    use crate::analyze::syntax::{dockerfile, hcl, json, yaml};
    match syntax {
        "yaml" => yaml::parse(text).map(|docs| docs.len()),
        "json" => json::parse(text).map(|n| n.entries().len() + n.items().len()),
        "json-lenient" => json::parse_lenient(text).map(|n| n.entries().len() + n.items().len()),
        "hcl" => hcl::parse(text).map(|b| hcl::blocks(&b, text).len()),
        "dockerfile" => Ok(dockerfile::parse(text).reachable().len()),
        other => Err(format!("no reader named {other}")),
    }
}

/// What a reader handed on: every file (in-image path, bytes) and every message it produced.
#[derive(Default)]
pub struct Opened {
    /// The files, in the order they were handed on.
    pub files: Vec<(String, Vec<u8>)>,
    /// Errors, warnings and skip reasons, as they would be reported.
    pub messages: Vec<String>,
}

/// The sink of [`layer`] and [`archive`]: keeps what it is handed, within `max_file_size`.
struct Sink {
    max_file_size: u64,
    read: Mutex<Opened>,
}

impl Files for Sink {
    fn admits(&self, path: &str, size: u64) -> bool {
        let ok = size <= self.max_file_size;
        if !ok {
            self.skip(path, "larger than --max-file-size");
        }
        ok
    }

    fn skip(&self, path: &str, reason: &str) {
        let mut r = self.read.lock().unwrap();
        r.messages.push(format!("{path}: {reason}"));
    }

    fn file(&self, unit: FileUnit) {
        self.read.lock().unwrap().files.push((unit.path, unit.data));
    }
}

/// Reads `blob` as one image layer (gzip, zstd or plain tar) within `max_layer_size` bytes
/// expanded and `max_file_size` bytes a file.
pub fn layer(blob: &[u8], max_layer_size: u64, max_file_size: u64) -> Opened {
    let sink = Sink {
        max_file_size,
        read: Mutex::default(),
    };
    let rep = layer::read_layer(Box::new(blob), None, max_layer_size, &sink);
    let mut read = sink.read.into_inner().unwrap();
    read.messages.extend(rep.fatal);
    read.messages.extend(rep.errors);
    read.messages.extend(rep.warnings);
    read
}

/// Opens `data` as an archive found in a layer (zip, tar, gzip, zstd), to `max_depth` archives
/// deep, within `max_expanded` bytes expanded in all and `max_file_size` bytes a file.
pub fn archive(data: &[u8], max_depth: usize, max_expanded: u64, max_file_size: u64) -> Opened {
    let sink = Sink {
        max_file_size,
        read: Mutex::default(),
    };
    let limits = ArchiveLimits {
        max_depth,
        max_expanded,
        max_file_size,
    };
    let unit = FileUnit {
        path: "/app/lib.jar".into(),
        data: data.to_vec(),
    };
    let problems = archive::expand(unit, &limits, &sink);
    let mut read = sink.read.into_inner().unwrap();
    read.messages.extend(problems);
    read
}

/// What a whole scan left: the secrets it found, and everything it would print.
#[derive(Default)]
pub struct Scanned {
    /// Every found secret, in full.
    pub secrets: Vec<String>,
    /// The reports in every format (secrets not shown), then every error and skip line.
    pub printed: Vec<String>,
    /// The error lines alone (also in `printed`).
    pub errors: Vec<String>,
    /// Findings after filtering (all contexts, every severity).
    pub findings: usize,
    /// Whether the scan says it is incomplete.
    pub incomplete: bool,
}

/// Scans `data` as the file `name`: the per-unit gates (size, binary, UTF-16), the scanner, the
/// collector and the redaction pass, then every report format.
pub fn unit(name: &str, data: &[u8]) -> Scanned {
    let one = One { name, data };
    pipeline(&one, &Limits::default())
}

/// Reads `data` as an image tarball (`docker save` or OCI layout), written to a file of this
/// process's own; with `gzip`, compressed first so that the stream reader reads it.
pub fn image(data: &[u8], gzip: bool) -> Scanned {
    let path = std::env::temp_dir().join(format!("nhiscan-fuzz-{}.tar", std::process::id()));
    let written = if gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, data)
            .and_then(|_| e.finish())
            .and_then(|gz| std::fs::write(&path, gz))
    } else {
        std::fs::write(&path, data)
    };
    written.expect("the fuzz image file can be written");
    let image = crate::source::image::Image::new(&path, None, 1);
    // Small limits: a fuzzer's bomb should cost milliseconds, not gigabytes.
    let limits = Limits {
        max_file_size: 1 << 20,
        max_layer_size: 8 << 20,
        max_archive_depth: 3,
        max_archive_size: 4 << 20,
    };
    let scanned = pipeline(&image, &limits);
    let _ = std::fs::remove_file(&path);
    scanned
}

/// One file as a source.
struct One<'a> {
    name: &'a str,
    data: &'a [u8],
}

impl Source for One<'_> {
    fn target(&self) -> String {
        self.name.into()
    }

    fn project_dir(&self) -> std::path::PathBuf {
        Path::new(".").into()
    }

    fn produce(&self, feed: &Feed<'_>) -> anyhow::Result<()> {
        feed.unit(Unit::new(
            self.data,
            Arc::new(Origin::file(self.name, self.name)),
        ));
        Ok(())
    }
}

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::builtin().expect("the built-in rules load"))
}

/// `run::scan` and `run::report` without the project config, into strings.
fn pipeline(source: &dyn Source, limits: &Limits) -> Scanned {
    let scanner = scanner();
    let shown = Shown {
        min_severity: Severity::Info,
        min_confidence: Confidence::Low,
        context: ContextFilter::All,
    };
    let collector = Collector::new(shown, false, Default::default(), None);
    let feed = Feed::new(
        scanner,
        &collector,
        limits,
        false,
        true,
        source.defers_origins(),
    );
    let mut printed = Vec::new();
    if let Err(e) = source.produce(&feed) {
        printed.push(format!("{e:#}"));
    }
    if source.defers_origins() {
        let held = feed.take_held();
        let origins: Vec<_> = held.iter().map(|(o, _)| o.clone()).collect();
        match source.finalize(&origins, &feed) {
            Ok(finals) => {
                for ((_, mut findings), origin) in held.into_iter().zip(finals) {
                    let Some(origin) = origin else { continue };
                    for f in &mut findings {
                        f.origin = origin.clone();
                    }
                    feed.push(findings);
                }
            }
            Err(e) => printed.push(format!("{e:#}")),
        }
    }
    let incomplete = feed.incomplete();
    drop(feed);
    let outcome = outcome::finish(collector.finish(), incomplete, false, false);
    let lookup = |id: &str| scanner.rule(id);
    let cx = report::Context {
        outcome: &outcome,
        show_secrets: false,
        color: false,
        root: ".".into(),
        rule: &lookup,
        target: source.target(),
        summary: true,
    };
    for f in report::FORMATS {
        let format: Format = f.name.parse().expect("a listed format");
        printed.push(report::render(format, &cx));
    }
    printed.push(report::text::summary(&cx));
    let errors: Vec<String> = outcome
        .errors
        .iter()
        .map(|e| format!("error: {}: {}", e.path, e.message))
        .collect();
    printed.extend(errors.iter().cloned());
    for s in &outcome.skipped {
        printed.push(format!("note: {}: skipped, {}", s.path, s.reason));
    }
    Scanned {
        secrets: outcome
            .findings
            .iter()
            .filter_map(|f| f.secret.clone())
            .collect(),
        printed,
        errors,
        findings: outcome.findings.len(),
        incomplete: outcome.summary.incomplete,
    }
}
