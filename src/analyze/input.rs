//! What analyzers receive and return, below every analyzer: the [`Subject`] a unit becomes, the
//! [`Input`] view of it (file name and extension, cheap substring checks, parses cached so each
//! syntax is parsed at most once per file whatever the number of analyzers), and the [`Hit`] an
//! analyzer reports.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use memchr::memmem;
use serde_json::{Map, Value};

use super::syntax::doc::Node;
use super::syntax::{dockerfile, hcl, json, yaml};
use crate::finding::Severity;

/// One thing an analyzer flags.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hit {
    pub(crate) rule_id: &'static str,
    /// 1-based line of the offending statement.
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) end_line: usize,
    /// What the message says beyond the rule title, e.g. "Action \"*\" on Resource \"*\"".
    pub(crate) message: String,
    /// What the fingerprint is computed over (the statement, the secret): stable when lines move.
    pub(crate) value: Vec<u8>,
    /// A secret the analyzer extracted (kubeconfig token, docker auth): redacted like regex findings.
    pub(crate) secret: Option<String>,
    /// Replaces the rule's severity (a cluster-admin binding, an owner role).
    pub(crate) severity: Option<Severity>,
    /// One step below the severity the hit would have (a secret in a build stage the final image
    /// does not contain).
    pub(crate) lower_severity: bool,
    pub(crate) properties: Map<String, Value>,
}

/// A hit with the fields every structural analyzer sets.
pub(crate) fn hit(
    rule_id: &'static str,
    line: usize,
    message: impl Into<String>,
    value: impl Into<Vec<u8>>,
) -> Hit {
    Hit {
        rule_id,
        line,
        column: 1,
        end_line: line,
        message: message.into(),
        value: value.into(),
        ..Default::default()
    }
}

/// The files a Dockerfile's build context holds (paths relative to the context directory, what
/// `.dockerignore` excludes left out, bounded). Sources that read Dockerfiles from disk provide it;
/// analyzers never read the host filesystem themselves.
pub(crate) trait BuildContext: Sync {
    /// Every file of the context, `/`-separated, sorted.
    fn files(&self) -> Vec<String>;
}

/// What analyzers see of one unit.
pub(crate) struct Subject<'a> {
    /// The path analyzers choose by (in a commit or an image, the path there).
    pub(crate) name: &'a str,
    pub(crate) data: &'a [u8],
    /// The build context, for a Dockerfile read from disk.
    pub(crate) context: Option<&'a dyn BuildContext>,
}

/// One file as the analyzers see it, with its parses cached.
pub(crate) struct Input<'a> {
    /// The path, `/`-separated.
    pub(crate) path: Cow<'a, str>,
    /// The file name, lowercase.
    pub(crate) file: Cow<'a, str>,
    /// Where the extension starts in `file` (its length when there is none): every analyzer asks
    /// for it, and finding the dot each time was 1.4% of a linux-6.1 scan's CPU.
    ext_at: usize,
    pub(crate) data: &'a [u8],
    /// The build context, for a Dockerfile read from disk.
    pub(crate) context: Option<&'a dyn BuildContext>,
    text: OnceCell<Option<&'a str>>,
    yaml: OnceCell<Option<Vec<Node>>>,
    json: OnceCell<Option<Node>>,
    hcl: OnceCell<Option<::hcl::Body>>,
    dockerfile: OnceCell<dockerfile::Dockerfile>,
    errors: RefCell<Vec<String>>,
}

impl<'a> Input<'a> {
    /// Names only: nothing is read or parsed until an analyzer asks.
    pub(crate) fn new(subject: &Subject<'a>) -> Input<'a> {
        let name = subject.name;
        let path = if name.contains('\\') {
            Cow::Owned(name.replace('\\', "/"))
        } else {
            Cow::Borrowed(name)
        };
        let base = |p: &str| p.rsplit('/').next().unwrap_or("").len();
        let file = match &path {
            Cow::Borrowed(p) => {
                let f = &p[p.len() - base(p)..];
                if f.bytes().any(|b| b.is_ascii_uppercase()) {
                    Cow::Owned(f.to_ascii_lowercase())
                } else {
                    Cow::Borrowed(f)
                }
            }
            Cow::Owned(p) => Cow::Owned(p[p.len() - base(p)..].to_ascii_lowercase()),
        };
        let ext_at = file.rfind('.').map_or(file.len(), |i| i + 1);
        Input {
            path,
            file,
            ext_at,
            data: subject.data,
            context: subject.context,
            text: OnceCell::new(),
            yaml: OnceCell::new(),
            json: OnceCell::new(),
            hcl: OnceCell::new(),
            dockerfile: OnceCell::new(),
            errors: Default::default(),
        }
    }

    /// The content as text; None when it is not UTF-8 (then no structured analyzer reads it).
    pub(crate) fn text(&self) -> Option<&'a str> {
        *self
            .text
            .get_or_init(|| std::str::from_utf8(self.data).ok())
    }

    /// Whether the content contains `needle` (a byte search, no parse).
    pub(crate) fn has(&self, needle: &str) -> bool {
        memmem::find(self.data, needle.as_bytes()).is_some()
    }

    /// The file name's extension, lowercase (`""` when none).
    pub(crate) fn ext(&self) -> &str {
        &self.file[self.ext_at..]
    }

    fn error(&self, msg: String) {
        // Helm and other Go templates are not YAML until rendered: no error for those.
        if !self.text().is_some_and(templated) {
            self.errors.borrow_mut().push(msg);
        }
    }

    /// The messages of parses that failed.
    pub(crate) fn into_errors(self) -> Vec<String> {
        self.errors.into_inner()
    }

    /// The YAML documents (JSON is YAML too, but JSON files go through [`Input::json`]).
    pub(crate) fn yaml(&self) -> &[Node] {
        self.yaml
            .get_or_init(|| match yaml::parse(self.text()?) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(e);
                    None
                }
            })
            .as_deref()
            .unwrap_or(&[])
    }

    /// The JSON document.
    pub(crate) fn json(&self) -> Option<&Node> {
        self.json
            .get_or_init(|| {
                let text = self.text()?;
                // .NET configuration (appsettings*.json) allows comments and trailing commas.
                let parsed = if self.file.starts_with("appsettings") {
                    json::parse_lenient(text)
                } else {
                    json::parse(text)
                };
                parsed.map_err(|e| self.error(e)).ok()
            })
            .as_ref()
    }

    /// The documents of a JSON or YAML file, whichever it is.
    pub(crate) fn docs(&self) -> &[Node] {
        if self.is_json() {
            self.json().map(std::slice::from_ref).unwrap_or(&[])
        } else {
            self.yaml()
        }
    }

    /// `*.json`, or a `*.template` (CloudFormation) that starts with `{`.
    pub(crate) fn is_json(&self) -> bool {
        match self.ext() {
            "json" => true,
            "template" => self.text().is_some_and(|t| t.trim_start().starts_with('{')),
            _ => false,
        }
    }

    /// `*.yaml`, `*.yml`, or a `*.template` that is not JSON.
    pub(crate) fn is_yaml(&self) -> bool {
        matches!(self.ext(), "yaml" | "yml") || (self.ext() == "template" && !self.is_json())
    }

    /// JSON or YAML.
    pub(crate) fn is_structured(&self) -> bool {
        self.is_json() || self.is_yaml()
    }

    /// Terraform (`*.tf`).
    pub(crate) fn is_tf(&self) -> bool {
        self.ext() == "tf"
    }

    /// The HCL body (Terraform, tfvars).
    pub(crate) fn hcl(&self) -> Option<&::hcl::Body> {
        self.hcl
            .get_or_init(|| hcl::parse(self.text()?).map_err(|e| self.error(e)).ok())
            .as_ref()
    }

    /// Runs `docs` on the JSON/YAML documents, or `tf` on the Terraform body and text: the one
    /// dispatch of the analyzers that read both forms (IAM, GCP, Azure).
    pub(crate) fn docs_or_tf(
        &self,
        hits: &mut Vec<Hit>,
        docs: impl FnOnce(&[Node], &mut Vec<Hit>),
        tf: impl FnOnce(&::hcl::Body, &str, &mut Vec<Hit>),
    ) {
        if self.is_structured() {
            docs(self.docs(), hits);
        } else if let (Some(body), Some(text)) = (self.hcl(), self.text()) {
            tf(body, text, hits);
        }
    }

    /// The Dockerfile instructions and stages (invalid UTF-8 replaced: a Dockerfile is read
    /// whatever its encoding).
    pub(crate) fn dockerfile(&self) -> &dockerfile::Dockerfile {
        self.dockerfile
            .get_or_init(|| dockerfile::parse(&String::from_utf8_lossy(self.data)))
    }
}

/// Contains `{{` that is not GitHub's `${{`, or a Jinja statement `{%`: a Go/Helm/Jinja template.
pub(crate) fn templated(text: &str) -> bool {
    memmem::find_iter(text.as_bytes(), b"{{").any(|i| i == 0 || text.as_bytes()[i - 1] != b'$')
        || memmem::find(text.as_bytes(), b"{%").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(name: &'a str, data: &'a [u8]) -> Input<'a> {
        Input::new(&Subject {
            name,
            data,
            context: None,
        })
    }

    #[test]
    fn names() {
        let i = input("a\\B\\Values.YAML", b"");
        assert_eq!(i.path, "a/B/Values.YAML");
        assert_eq!(i.file, "values.yaml");
        assert_eq!(i.ext(), "yaml");
        assert!(matches!(
            input("src/main.c", b"").file,
            Cow::Borrowed("main.c")
        ));
        assert_eq!(input("Makefile", b"").ext(), "");
    }

    #[test]
    fn parses_once_and_reports_errors_unless_templated() {
        let i = input("x.json", b"{\"a\": }");
        assert!(i.json().is_none());
        assert!(i.json().is_none());
        assert_eq!(i.into_errors().len(), 1);
        let i = input("values.yaml", b"a: {{ .Values.x }\n");
        assert!(i.yaml().is_empty());
        assert!(i.into_errors().is_empty());
        // Documentation snippets wrapped in Jinja (`{% raw %}`) for a site generator.
        let i = input(
            "deploy.yaml",
            b"{% raw %}\nkind: Deployment\n{% endraw %}\n",
        );
        assert!(i.yaml().is_empty());
        assert!(i.into_errors().is_empty());
        let i = input("x.yaml", b"\xff: 1\n");
        assert!(i.yaml().is_empty());
        assert!(i.into_errors().is_empty());
    }
}
