//! Dispatch for the posture analyzers (IAM, RBAC, workflows, config files): decides from the file name
//! and a few substring checks (no parse) which analyzers a file can interest, parses it at most once
//! per syntax, and hands the trees over. Almost every file of a source tree leaves at the first check.

use std::cell::OnceCell;

use memchr::memmem;

use super::doc::Node;
use super::Hit;

/// A hit with the fields every posture analyzer sets.
pub fn hit(
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

/// One file as the analyzers see it, with its parses cached.
pub struct Input<'a> {
    /// The path, `/`-separated.
    pub path: String,
    /// The file name, lowercase.
    pub file: String,
    pub text: &'a str,
    yaml: OnceCell<Option<Vec<Node>>>,
    json: OnceCell<Option<Node>>,
    hcl: OnceCell<Option<hcl::Body>>,
    errors: std::cell::RefCell<Vec<String>>,
}

impl<'a> Input<'a> {
    pub fn new(name: &str, text: &'a str) -> Input<'a> {
        let path = name.replace('\\', "/");
        let file = path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        Input {
            path,
            file,
            text,
            yaml: OnceCell::new(),
            json: OnceCell::new(),
            hcl: OnceCell::new(),
            errors: Default::default(),
        }
    }

    pub fn has(&self, needle: &str) -> bool {
        memmem::find(self.text.as_bytes(), needle.as_bytes()).is_some()
    }

    pub fn ext(&self) -> &str {
        self.file.rsplit_once('.').map_or("", |(_, e)| e)
    }

    fn error(&self, msg: String) {
        // Helm and other Go templates are not YAML until rendered: no error for those.
        if !templated(self.text) {
            self.errors.borrow_mut().push(msg);
        }
    }

    /// The YAML documents (JSON is YAML too, but JSON files go through [`Input::json`]).
    pub fn yaml(&self) -> &[Node] {
        self.yaml
            .get_or_init(|| match super::yaml::parse(self.text) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(e);
                    None
                }
            })
            .as_deref()
            .unwrap_or(&[])
    }

    pub fn json(&self) -> Option<&Node> {
        self.json
            .get_or_init(|| match self.read_json() {
                Ok(d) => Some(d),
                Err(e) => {
                    self.error(e);
                    None
                }
            })
            .as_ref()
    }

    fn read_json(&self) -> Result<Node, String> {
        // .NET configuration (appsettings*.json) allows comments and trailing commas.
        if self.file.starts_with("appsettings") {
            super::json::parse_lenient(self.text)
        } else {
            super::json::parse(self.text)
        }
    }

    /// The documents of a JSON or YAML file, whichever it is.
    pub fn docs(&self) -> &[Node] {
        if self.is_json() {
            self.json().map(std::slice::from_ref).unwrap_or(&[])
        } else {
            self.yaml()
        }
    }

    pub fn is_json(&self) -> bool {
        matches!(self.ext(), "json")
            || (self.ext() == "template" && self.text.trim_start().starts_with('{'))
    }

    pub fn is_yaml(&self) -> bool {
        matches!(self.ext(), "yaml" | "yml") || (self.ext() == "template" && !self.is_json())
    }

    pub fn is_tf(&self) -> bool {
        self.ext() == "tf"
    }

    pub fn hcl(&self) -> Option<&hcl::Body> {
        self.hcl
            .get_or_init(|| match super::hcl::parse(self.text) {
                Ok(b) => Some(b),
                Err(e) => {
                    self.error(e);
                    None
                }
            })
            .as_ref()
    }
}

/// Contains `{{` that is not GitHub's `${{`: a Go/Helm/Jinja template.
pub fn templated(text: &str) -> bool {
    memmem::find_iter(text.as_bytes(), b"{{").any(|i| i == 0 || text.as_bytes()[i - 1] != b'$')
}

pub fn run(name: &str, data: &[u8], hits: &mut Vec<Hit>, errors: &mut Vec<String>) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let inp = Input::new(name, text);
    super::config_files::check(&inp, hits);
    let structured = inp.is_json() || inp.is_yaml();
    if structured {
        if inp.has("Statement") {
            super::aws_iam::check_docs(inp.docs(), hits);
        }
        if inp.has("apiVersion") && inp.has("kind") {
            super::k8s::check(inp.docs(), hits);
        }
        if inp.is_yaml() && inp.path.contains(".github/workflows/") {
            super::gha::check(&inp, hits);
        }
        if inp.has("roles/") {
            super::gcp::check_docs(inp.docs(), hits);
        }
        if inp.has("Microsoft.Authorization")
            || inp.has("ssignableScopes")
            || inp.has("principalType")
        {
            super::azure::check_docs(inp.docs(), hits);
        }
    } else if inp.is_tf() {
        let aws = inp.has("aws_iam") || inp.has("Statement");
        let gcp = inp.has("google_");
        let azure = inp.has("azurerm_role_");
        if aws || gcp || azure {
            if let Some(body) = inp.hcl() {
                if aws {
                    super::aws_iam::check_tf(body, text, hits);
                }
                if gcp {
                    super::gcp::check_tf(body, text, hits);
                }
                if azure {
                    super::azure::check_tf(body, text, hits);
                }
            }
        }
    }
    errors.extend(inp.errors.into_inner());
}
