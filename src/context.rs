//! Where a finding sits, as far as the file says: production code, a test, an example, docs, vendored
//! or generated code. Judged once per unit from path conventions (`tests/`, `*_test.go`, `examples/`,
//! `*.md`, `node_modules/`, `*.min.js`) and file markers (`Code generated ... DO NOT EDIT`), after the
//! project's own globs (`[contexts]` in `.nhiscan.toml`), which win.
//!
//! Context never hides a provider-issued secret: it is only a tag. Generic, posture and self-issued
//! findings (private keys, JWTs) in a test, example, docs or vendored file are shown one severity
//! lower, hidden by default and do not fail the run by default: that is where most of what is true
//! but not actionable sits.

use std::fmt;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// The kind of file a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Context {
    /// Code or configuration that ships or runs: the default.
    Production,
    /// Tests, fixtures, mocks.
    Test,
    /// Examples, samples, demos, `*.example` templates.
    Example,
    /// Documentation: `docs/`, Markdown, reStructuredText, AsciiDoc.
    Docs,
    /// Third-party code copied in: `vendor/`, `node_modules/`, `third_party/`, site-packages.
    Vendored,
    /// Generated files: `Code generated ... DO NOT EDIT`, `@generated`, lock files, minified bundles.
    Generated,
}

impl Context {
    /// Every context.
    pub const ALL: [Context; 6] = [
        Context::Production,
        Context::Test,
        Context::Example,
        Context::Docs,
        Context::Vendored,
        Context::Generated,
    ];

    /// The lowercase name used in reports and options.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Production => "production",
            Context::Test => "test",
            Context::Example => "example",
            Context::Docs => "docs",
            Context::Vendored => "vendored",
            Context::Generated => "generated",
        }
    }

    /// True where generic and posture findings are demoted: nobody deploys a test fixture, a docs
    /// snippet, an example or someone else's vendored code as it is.
    pub fn demotes(self) -> bool {
        matches!(
            self,
            Context::Test | Context::Example | Context::Docs | Context::Vendored
        )
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Context {
    type Err = String;
    fn from_str(s: &str) -> Result<Context, String> {
        Context::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!(
                    "`{}` is not a context (production, test, example, docs, vendored, generated)",
                    s.chars().take(24).collect::<String>()
                )
            })
    }
}

/// Which findings are shown by context (`--context`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ContextFilter {
    /// Everything except demoted findings (generic and posture findings in test, example, docs and
    /// vendored files); provider-format secrets are shown in every context.
    #[default]
    Actionable,
    /// Every finding, demoted ones included (`--context all`).
    All,
    /// Only findings in these contexts (`--context production,test`).
    Only(Vec<Context>),
}

impl ContextFilter {
    /// True when a finding in `context` (`demoted` or not) is shown.
    pub fn shows(&self, context: Context, demoted: bool) -> bool {
        match self {
            ContextFilter::Actionable => !demoted,
            ContextFilter::All => true,
            ContextFilter::Only(cs) => cs.contains(&context),
        }
    }
}

impl std::str::FromStr for ContextFilter {
    type Err = String;
    fn from_str(s: &str) -> Result<ContextFilter, String> {
        match s.trim() {
            "all" => Ok(ContextFilter::All),
            "actionable" | "default" => Ok(ContextFilter::Actionable),
            list => {
                let cs = list
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::parse)
                    .collect::<Result<Vec<Context>, String>>()
                    .map_err(|e| format!("{e}; or `all`, or `actionable`"))?;
                if cs.is_empty() {
                    return Err("expected `all`, `actionable` or a list of contexts".into());
                }
                Ok(ContextFilter::Only(cs))
            }
        }
    }
}

/// The project's own context globs (`[contexts]` in `.nhiscan.toml`), checked before the conventions.
#[derive(Debug, Default)]
pub(crate) struct ContextRules {
    sets: Vec<(Context, GlobSet)>,
}

impl ContextRules {
    /// Compiles `globs` per context; a bad glob is an error naming it.
    pub(crate) fn new(
        globs: &std::collections::BTreeMap<Context, Vec<String>>,
    ) -> anyhow::Result<ContextRules> {
        let mut sets = Vec::new();
        for (c, gs) in globs {
            let mut b = GlobSetBuilder::new();
            for g in gs {
                b.add(Glob::new(g).map_err(|e| {
                    anyhow::anyhow!("[contexts] {c}: `{g}` is not a valid glob: {e}")
                })?);
            }
            sets.push((*c, b.build()?));
        }
        Ok(ContextRules { sets })
    }

    /// The context of the unit at `path` whose content starts with `data`.
    pub(crate) fn classify(&self, path: &str, data: &[u8]) -> Context {
        let rel = path.trim_start_matches("./").trim_start_matches('/');
        for (c, set) in &self.sets {
            if set.is_match(rel) {
                return *c;
            }
        }
        classify(path, data)
    }
}

/// Directory names that mark vendored code.
const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "third_party",
    "third-party",
    "thirdparty",
    "site-packages",
    "dist-packages",
    ".venv",
    "venv",
    "pods",
    "carthage",
    ".bundle",
];

/// Directory names that mark tests.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__test__",
    "spec",
    "specs",
    "testdata",
    "test-data",
    "test_data",
    "testing",
    "testutil",
    "testutils",
    "fixture",
    "fixtures",
    "__fixtures__",
    "test-fixtures",
    "test_fixtures",
    "__mocks__",
    "mock",
    "mocks",
    "fake",
    "fakes",
    "_testdata",
    "e2e",
    "unittest",
    "unittests",
    "integration-tests",
    "integration_tests",
];

/// Directory names that mark examples.
const EXAMPLE_DIRS: &[&str] = &[
    "example",
    "examples",
    "sample",
    "samples",
    "demo",
    "demos",
    "quickstart",
    "quickstarts",
    "tutorial",
    "tutorials",
];

/// Directory names that mark documentation.
const DOCS_DIRS: &[&str] = &["docs", "doc", "documentation", "wiki"];

/// File names (lowercase) that are generated by package managers.
const LOCK_FILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "cargo.lock",
    "poetry.lock",
    "pipfile.lock",
    "composer.lock",
    "gemfile.lock",
    "go.sum",
    "packages.lock.json",
];

/// How far into a file the generated-file markers are looked for: they sit in the header.
const MARKER_WINDOW: usize = 1024;

/// The context of the unit at `path` (repository-relative, or inside a commit or an image) whose
/// content starts with `data`, by the conventions alone.
pub(crate) fn classify(path: &str, data: &[u8]) -> Context {
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty()).collect();
    let file = parts.pop().unwrap_or("");
    let dirs = parts;
    // The most specific first: vendored code stays vendored even in its own `test/` folder.
    if dirs.iter().any(|d| VENDORED_DIRS.contains(d))
        || lower.contains("/pkg/mod/")
        || lower.starts_with("pkg/mod/")
    {
        return Context::Vendored;
    }
    if is_generated(file, data) {
        return Context::Generated;
    }
    // Helm chart-testing (`ct`) reads `<chart>/ci/*-values.yaml`: values for a test install.
    let chart_ci = dirs.last() == Some(&"ci")
        && (file.ends_with("-values.yaml") || file.ends_with("-values.yml"));
    if dirs.iter().any(|d| TEST_DIRS.contains(d)) || is_test_file(file) || chart_ci {
        return Context::Test;
    }
    if dirs.iter().any(|d| EXAMPLE_DIRS.contains(d)) || is_example_file(file) {
        return Context::Example;
    }
    if dirs.iter().any(|d| DOCS_DIRS.contains(d)) || is_docs_file(file) {
        return Context::Docs;
    }
    Context::Production
}

fn is_generated(file: &str, data: &[u8]) -> bool {
    if LOCK_FILES.contains(&file)
        || [
            ".min.js",
            ".min.css",
            ".min.mjs",
            ".pb.go",
            "_pb2.py",
            "_pb2_grpc.py",
            ".g.dart",
            ".designer.cs",
            ".generated.ts",
            ".generated.cs",
        ]
        .iter()
        .any(|s| file.ends_with(s))
    {
        return true;
    }
    let head = &data[..data.len().min(MARKER_WINDOW)];
    let has = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    // Go's convention (`// Code generated ... DO NOT EDIT.`), Facebook's `@generated`, .NET's
    // `<auto-generated>`; `@generated` inside a sentence of prose is rare enough in a header.
    (has(b"Code generated") && has(b"DO NOT EDIT"))
        || has(b"@generated")
        || has(b"<auto-generated")
        || has(b"AUTO-GENERATED FILE")
        || has(b"This file is automatically generated")
}

fn is_test_file(file: &str) -> bool {
    let stem = file.split('.').next().unwrap_or(file);
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || stem == "conftest"
        // JavaFoo`Test`.java, FooTests.cs, FooSpec.scala: the suffix on a lowercased name.
        || (has_ext(file, &["java", "kt", "scala", "cs", "php", "groovy", "swift"])
            && (stem.ends_with("test") || stem.ends_with("tests") || stem.ends_with("spec")))
        || file.contains(".test.")
        || file.contains(".spec.")
}

fn is_example_file(file: &str) -> bool {
    [".example", ".sample", ".dist", ".template"]
        .iter()
        .any(|s| file.ends_with(s))
        || file.contains(".example.")
        || file.contains(".sample.")
        || file.contains("-example.")
        || file.contains("_example.")
        || file.starts_with("example.")
        || file.starts_with("sample.")
}

fn is_docs_file(file: &str) -> bool {
    has_ext(file, &["md", "mdx", "markdown", "rst", "adoc", "asciidoc"])
}

fn has_ext(file: &str, exts: &[&str]) -> bool {
    file.rsplit_once('.')
        .is_some_and(|(_, e)| exts.contains(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_by_convention() {
        let cases = [
            ("src/config.py", Context::Production),
            (".env", Context::Production),
            ("deploy/values.yaml", Context::Production),
            ("tests/fixtures/creds.json", Context::Test),
            ("pkg/auth/token_test.go", Context::Test),
            ("app/test_settings.py", Context::Test),
            ("src/test/java/com/x/AuthServiceTest.java", Context::Test),
            ("web/src/login.spec.ts", Context::Test),
            ("runtime/template/_testdata/root-ca.key", Context::Test),
            ("providers/chef/fake/fake.go", Context::Test),
            ("charts/node-exporter/ci/tls-values.yaml", Context::Test),
            ("ci/deploy.yaml", Context::Production),
            ("examples/basic/main.tf", Context::Example),
            ("config/.env.example", Context::Example),
            ("config/settings.sample.yml", Context::Example),
            ("docs/setup.md", Context::Docs),
            ("README.md", Context::Docs),
            ("vendor/github.com/x/y/client.go", Context::Vendored),
            ("web/node_modules/pkg/test/key.js", Context::Vendored),
            ("web/dist/app.min.js", Context::Generated),
            ("package-lock.json", Context::Generated),
            // A word containing a marker is not the marker.
            ("src/contest/entry.py", Context::Production),
            ("src/latest/values.yaml", Context::Production),
            ("src/protest.go", Context::Production),
        ];
        for (path, want) in cases {
            assert_eq!(classify(path, b""), want, "{path}");
        }
    }

    #[test]
    fn generated_by_header_marker() {
        let go = b"// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n";
        assert_eq!(classify("api/x.go", go), Context::Generated);
        assert_eq!(classify("api/x.go", b"package x\n"), Context::Production);
    }

    #[test]
    fn project_globs_win() {
        let mut g = std::collections::BTreeMap::new();
        g.insert(Context::Production, vec!["tests/deploy/**".to_string()]);
        g.insert(Context::Test, vec!["qa/**".to_string()]);
        let r = ContextRules::new(&g).unwrap();
        assert_eq!(
            r.classify("tests/deploy/prod.env", b""),
            Context::Production
        );
        assert_eq!(r.classify("qa/creds.env", b""), Context::Test);
        assert_eq!(r.classify("tests/x.env", b""), Context::Test);
    }

    #[test]
    fn filters() {
        let f: ContextFilter = "production,test".parse().unwrap();
        assert!(f.shows(Context::Test, true));
        assert!(!f.shows(Context::Docs, false));
        assert!(!ContextFilter::Actionable.shows(Context::Test, true));
        assert!(ContextFilter::Actionable.shows(Context::Test, false));
        assert!(ContextFilter::All.shows(Context::Docs, true));
        assert!("prod".parse::<ContextFilter>().is_err());
    }
}
