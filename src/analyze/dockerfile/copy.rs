//! `COPY`/`ADD` of credential files (`.env`, `id_rsa`, `*.pem`, `.npmrc`, ...), and `COPY . .` when
//! the build context holds such files that no `.dockerignore` excludes. The context comes from the
//! source ([`BuildContext`]); without one (a Dockerfile in a commit or an image) only the named
//! sources are judged.

use std::cell::OnceCell;

use serde_json::json;

use super::{prop, COPY_CONTEXT, COPY_CREDENTIAL};
use crate::analyze::input::{BuildContext, Hit};
use crate::analyze::syntax::dockerfile::{words, Instr};

/// The credential files of a build context, listed on first use: most Dockerfiles never copy the
/// whole context, and then the context is never walked.
pub(super) struct ContextCredentials<'a> {
    context: Option<&'a dyn BuildContext>,
    found: OnceCell<Vec<String>>,
}

impl<'a> ContextCredentials<'a> {
    pub(super) fn new(context: Option<&'a dyn BuildContext>) -> ContextCredentials<'a> {
        ContextCredentials {
            context,
            found: OnceCell::new(),
        }
    }

    /// The context's files that [`credential_file`] names, sorted; none without a context.
    fn files(&self) -> &[String] {
        self.found.get_or_init(|| {
            let mut files = self.context.map(|c| c.files()).unwrap_or_default();
            files.retain(|f| credential_file(f).is_some());
            files
        })
    }
}

/// What kind of credential file `path` names, if it names one.
pub(crate) fn credential_file(path: &str) -> Option<&'static str> {
    let p = path.trim_end_matches('/').replace('\\', "/");
    let lower = p.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    if base.ends_with(".pub") {
        return None;
    }
    let decoy = [
        "example", "sample", "template", "dist", "defaults", "default", "tmpl", "tpl",
    ];
    if base.starts_with(".env") || base.ends_with(".env") {
        return (!decoy.iter().any(|d| base.contains(d)))
            .then_some("environment file with secrets");
    }
    if ["id_rsa", "id_ed25519", "id_ecdsa", "id_dsa"]
        .iter()
        .any(|k| base.starts_with(k))
    {
        return Some("SSH private key");
    }
    if base.ends_with(".pem") || base.ends_with(".key") {
        return Some("private key or certificate bundle");
    }
    if base.ends_with(".p12")
        || base.ends_with(".pfx")
        || base.ends_with(".jks")
        || base.ends_with(".keystore")
    {
        return Some("PKCS#12/Java keystore");
    }
    match base {
        ".npmrc" => return Some("npm credentials"),
        ".pypirc" => return Some("PyPI credentials"),
        ".netrc" | "_netrc" => return Some("netrc credentials"),
        ".git-credentials" => return Some("git credential store"),
        ".pgpass" => return Some("PostgreSQL password file"),
        ".ssh" => return Some("SSH key directory"),
        ".aws" => return Some("AWS credentials directory"),
        ".kube" => return Some("kubeconfig directory"),
        ".docker" => return Some("Docker credentials directory"),
        _ => {}
    }
    if base.starts_with("kubeconfig") || lower.ends_with(".kube/config") {
        return Some("kubeconfig");
    }
    if lower.ends_with(".aws/credentials") {
        return Some("AWS credentials file");
    }
    if lower.ends_with(".docker/config.json") {
        return Some("Docker registry credentials");
    }
    if base.ends_with(".json")
        && [
            "service-account",
            "service_account",
            "serviceaccount",
            "sa-key",
            "gcp-key",
            "gcloud-key",
            "keyfile",
        ]
        .iter()
        .any(|k| base.contains(k))
        || base == "credentials.json"
        || base == "application_default_credentials.json"
    {
        return Some("cloud service-account key");
    }
    None
}

/// The destination of a COPY/ADD (its last word).
pub(super) fn destination(args: &str) -> Option<String> {
    let t = args.trim();
    let mut ws = if t.starts_with('[') {
        serde_json::from_str::<Vec<String>>(t).unwrap_or_default()
    } else {
        words(t)
    };
    ws.retain(|w| !w.starts_with("--"));
    ws.pop().filter(|_| !ws.is_empty())
}

/// Sources of a COPY/ADD (flags, heredocs and the destination left out).
pub(super) fn copy_sources(args: &str) -> (Vec<String>, Vec<String>) {
    let t = args.trim();
    let mut flags = Vec::new();
    let mut rest = t;
    loop {
        let r = rest.trim_start();
        if r.starts_with("--") {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            flags.push(r[..end].to_string());
            rest = &r[end..];
        } else {
            rest = r;
            break;
        }
    }
    let mut sources: Vec<String> = if rest.starts_with('[') {
        serde_json::from_str::<Vec<String>>(rest).unwrap_or_default()
    } else {
        words(rest)
    };
    sources.pop();
    sources.retain(|w| !w.starts_with("<<") && !w.contains("://"));
    (sources, flags)
}

pub(super) fn copy_hits(ins: &Instr, ctx: &ContextCredentials<'_>, out: &mut Vec<Hit>) {
    let (sources, flags) = copy_sources(&ins.args);
    let from_stage = flags.iter().any(|f| f.starts_with("--from"));
    for s in &sources {
        if let Some(kind) = credential_file(s) {
            out.push(Hit {
                rule_id: COPY_CREDENTIAL,
                message: format!(
                    "{} {s}: {kind} copied into an image layer, where it stays even if a later layer deletes it (use RUN --mount=type=secret or a runtime secret instead)",
                    ins.keyword
                ),
                value: format!("{} {s}", ins.keyword).into_bytes(),
                properties: prop("source", s),
                ..Default::default()
            });
        }
        let whole_context = matches!(s.as_str(), "." | "./" | "*" | "./*");
        if whole_context && !from_stage {
            let files = ctx.files();
            if !files.is_empty() {
                let shown: Vec<&str> = files.iter().take(5).map(String::as_str).collect();
                let more = if files.len() > 5 {
                    format!(" and {} more", files.len() - 5)
                } else {
                    String::new()
                };
                let mut props = prop("source", s);
                props.insert("context_files".into(), json!(files));
                out.push(Hit {
                    rule_id: COPY_CONTEXT,
                    message: format!(
                        "{} {s} copies the whole build context, which holds {}{more} not excluded by .dockerignore",
                        ins.keyword,
                        shown.join(", ")
                    ),
                    value: format!("{} {s} {}", ins.keyword, files.join(",")).into_bytes(),
                    properties: props,
                    ..Default::default()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_files() {
        for p in [
            ".env",
            "config/prod.env",
            "id_rsa",
            "certs/tls.key",
            "ks.p12",
            ".npmrc",
            ".aws",
            "home/.kube/config",
            ".docker/config.json",
            "gcp-key.json",
        ] {
            assert!(credential_file(p).is_some(), "{p}");
        }
        for p in [".env.example", "id_rsa.pub", "package.json", "src/main.rs"] {
            assert!(credential_file(p).is_none(), "{p}");
        }
    }

    #[test]
    fn sources_leave_flags_and_destination_out() {
        let (s, f) = copy_sources("--chown=app:app --from=build a \"b c\" /dst/");
        assert_eq!(s, ["a", "b c"]);
        assert_eq!(f, ["--chown=app:app", "--from=build"]);
        let (s, _) = copy_sources(r#"[".env", "/app/"]"#);
        assert_eq!(s, [".env"]);
        let (s, _) = copy_sources("https://example.com/x.tgz <<EOF /x");
        assert!(s.is_empty());
    }

    struct Files(Vec<String>);

    impl BuildContext for Files {
        fn files(&self) -> Vec<String> {
            self.0.clone()
        }
    }

    #[test]
    fn whole_context_copies_report_the_context_credentials() {
        let ctx = Files(vec!["a.txt".into(), ".env".into(), "k/id_rsa".into()]);
        let creds = ContextCredentials::new(Some(&ctx));
        let ins = |args: &str| Instr {
            keyword: "COPY".into(),
            args: args.into(),
            line: 1,
            end_line: 1,
            stage: Some(0),
        };
        let mut out = Vec::new();
        copy_hits(&ins(". ."), &creds, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule_id, COPY_CONTEXT);
        assert!(out[0].message.contains(".env, k/id_rsa"));
        out.clear();
        copy_hits(&ins("--from=build . ."), &creds, &mut out);
        assert!(out.is_empty());
        let none = ContextCredentials::new(None);
        copy_hits(&ins(". ."), &none, &mut out);
        assert!(out.is_empty());
    }
}
