//! The Dockerfile analyzer: secrets a build bakes into an image that no regex sees as a secret.
//!
//! - `ENV`/`ARG` whose key names a secret (`DB_PASSWORD`, `NPM_TOKEN`, ...) and gives a literal value;
//!   an `ARG` naming a secret without a value is a warning, since build-arg values end up in the
//!   image history;
//! - `COPY`/`ADD` of credential files (`.env`, `id_rsa`, `*.pem`, `.npmrc`, ...), and `COPY . .` when
//!   the build context (the Dockerfile's directory on disk) holds such files that no `.dockerignore`
//!   excludes;
//! - `RUN` with inline credentials (`curl -u user:pass`, bearer headers, `aws configure set
//!   aws_secret_access_key`, writes to `~/.npmrc`, tokens in clone URLs, `docker login -p`) and no
//!   BuildKit `--mount=type=secret`.
//!
//! Multi-stage aware: a finding in a stage the final stage neither builds on nor copies from is one
//! severity step lower, and its message says so. Lines point at the instruction's first line; the
//! hit's end line is its last continuation line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{json, Map, Value};

use super::Hit;
use crate::finding::Severity;

pub const ENV_SECRET: &str = "dockerfile-env-secret";
pub const ARG_SECRET_DEFAULT: &str = "dockerfile-arg-secret-default";
pub const ARG_SECRET: &str = "dockerfile-arg-secret";
pub const COPY_CREDENTIAL: &str = "dockerfile-copy-credential-file";
pub const COPY_CONTEXT: &str = "dockerfile-copy-context-credentials";
pub const RUN_CREDENTIAL: &str = "dockerfile-run-inline-credential";

/// The severities rules/dockerfile.toml gives these rules (a unit test keeps them in step), needed to
/// lower a build-stage finding by one step.
const SEVERITIES: &[(&str, Severity)] = &[
    (ENV_SECRET, Severity::High),
    (ARG_SECRET_DEFAULT, Severity::High),
    (ARG_SECRET, Severity::Low),
    (COPY_CREDENTIAL, Severity::High),
    (COPY_CONTEXT, Severity::High),
    (RUN_CREDENTIAL, Severity::High),
];

/// Whether `name` (a path) is a Dockerfile: `Dockerfile`, `Containerfile`, `*.Dockerfile`,
/// `Dockerfile.*`, `Containerfile.*` (case-insensitive).
pub fn claims(name: &str) -> bool {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    if base.ends_with(".dockerignore") {
        return false;
    }
    base == "dockerfile"
        || base == "containerfile"
        || base.ends_with(".dockerfile")
        || base.ends_with(".containerfile")
        || base.starts_with("dockerfile.")
        || base.starts_with("containerfile.")
}

/// One instruction with its continuation lines joined.
#[derive(Debug, Clone)]
struct Instr {
    keyword: String,
    args: String,
    line: usize,
    end_line: usize,
    /// Index of the stage (FROM) it belongs to; None before the first FROM.
    stage: Option<usize>,
}

#[derive(Debug, Default)]
struct Stage {
    name: Option<String>,
    /// Stages this one builds on or copies from (names or indexes as written).
    deps: Vec<String>,
}

/// Runs the analyzer when `name` is a Dockerfile.
pub fn run(name: &str, data: &[u8], hits: &mut Vec<Hit>) {
    if claims(name) {
        analyze(name, data, hits);
    }
}

fn analyze(name: &str, data: &[u8], hits: &mut Vec<Hit>) {
    let text = String::from_utf8_lossy(data);
    let (instrs, stages) = parse(&text);
    let reach = reachable(&stages);
    let mut ctx = ContextFiles::new(name, data);
    for ins in &instrs {
        let mut found: Vec<Hit> = Vec::new();
        match ins.keyword.as_str() {
            "ENV" => env_hits(ins, &mut found),
            "ARG" => arg_hits(ins, &mut found),
            "COPY" | "ADD" => copy_hits(ins, &mut ctx, &mut found),
            "RUN" => run_hits(ins, &mut found),
            _ => {}
        }
        for mut h in found {
            h.line = ins.line;
            h.column = 1;
            h.end_line = ins.end_line;
            if h.value.is_empty() {
                h.value = format!("{} {}", ins.keyword, ins.args).into_bytes();
            }
            h.properties
                .insert("instruction".into(), json!(ins.keyword));
            if let Some(si) = ins.stage {
                let st = &stages[si];
                let label = st.name.clone().unwrap_or_else(|| si.to_string());
                h.properties.insert("stage".into(), json!(label));
                if !reach.contains(&si) {
                    let base = SEVERITIES
                        .iter()
                        .find(|(id, _)| *id == h.rule_id)
                        .map(|x| x.1);
                    h.severity = base.map(Severity::lower);
                    h.properties.insert("final_stage".into(), json!(false));
                    h.message.push_str(&format!(
                        " (in build stage `{label}`, which the final stage does not build on or copy from: not in the final image, but still in the builder's cache and history)"
                    ));
                }
            }
            hits.push(h);
        }
    }
}

/// Splits the file into instructions: comments and blank lines dropped, `\` continuations (or the
/// `# escape=` character) joined, heredoc bodies kept with their instruction.
fn parse(text: &str) -> (Vec<Instr>, Vec<Stage>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    // Parser directives come first, before any instruction or other comment.
    for l in &lines {
        let t = l.trim();
        let Some(d) = t.strip_prefix('#') else { break };
        let d = d.trim();
        if let Some(v) = d
            .strip_prefix("escape=")
            .or_else(|| d.strip_prefix("escape ="))
        {
            if let Some(c) = v.trim().chars().next() {
                escape = c;
            }
        } else if !d.contains('=') {
            break;
        }
    }
    let mut out = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut joined = String::new();
        loop {
            let t = lines[i].trim_end();
            let cont = t.ends_with(escape);
            let part = if cont {
                &t[..t.len() - escape.len_utf8()]
            } else {
                t
            };
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(part.trim_start());
            i += 1;
            if !cont {
                break;
            }
            // Comment and empty lines inside a continuation are skipped, as docker does.
            while i < lines.len()
                && (lines[i].trim().starts_with('#') || lines[i].trim().is_empty())
            {
                i += 1;
            }
            if i >= lines.len() {
                break;
            }
        }
        // Heredocs: `RUN <<EOF` ... `EOF`.
        for cap in heredoc_re().captures_iter(&joined.clone()) {
            let dash = cap.get(1).is_some();
            let word = cap
                .get(2)
                .or(cap.get(3))
                .or(cap.get(4))
                .map_or("", |m| m.as_str())
                .to_string();
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                let cmp = if dash {
                    l.trim_start_matches('\t').trim_end()
                } else {
                    l.trim_end()
                };
                if cmp == word {
                    break;
                }
                joined.push('\n');
                joined.push_str(l);
            }
        }
        let (kw, args) = match joined.find(char::is_whitespace) {
            Some(p) => (&joined[..p], joined[p..].trim()),
            None => (joined.as_str(), ""),
        };
        let keyword = kw.to_ascii_uppercase();
        if keyword == "FROM" {
            let words = split_words(args);
            let words: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
            let base = words.first().map(|s| s.to_string()).unwrap_or_default();
            let name = match words.as_slice() {
                [_, a, n, ..] if a.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                _ => None,
            };
            stages.push(Stage {
                name,
                deps: vec![base.to_ascii_lowercase()],
            });
        }
        let stage = stages.len().checked_sub(1);
        if let Some(si) = stage {
            if keyword == "COPY" || keyword == "RUN" || keyword == "ADD" {
                for cap in from_re().captures_iter(args) {
                    stages[si].deps.push(cap[1].to_ascii_lowercase());
                }
            }
        }
        out.push(Instr {
            keyword,
            args: args.to_string(),
            line: start + 1,
            end_line: i.max(start + 1),
            stage,
        });
    }
    (out, stages)
}

/// Stages the final stage builds on or copies from, transitively (the final stage included).
fn reachable(stages: &[Stage]) -> HashSet<usize> {
    let mut seen = HashSet::new();
    let Some(last) = stages.len().checked_sub(1) else {
        return seen;
    };
    let mut todo = vec![last];
    while let Some(s) = todo.pop() {
        if !seen.insert(s) {
            continue;
        }
        for d in &stages[s].deps {
            let target = stages[..s]
                .iter()
                .rposition(|st| st.name.as_deref() == Some(d.as_str()))
                .or_else(|| d.parse::<usize>().ok().filter(|&n| n < s));
            if let Some(t) = target {
                todo.push(t);
            }
        }
    }
    seen
}

fn heredoc_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r#"<<(-)?(?:"([A-Za-z_][A-Za-z0-9_]*)"|'([A-Za-z_][A-Za-z0-9_]*)'|([A-Za-z_][A-Za-z0-9_]*))"#).unwrap())
}

fn from_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)(?:--from=|[,\s]from=)([^\s,]+)").unwrap())
}

/// Shell-like word splitting: whitespace separates, quotes group, backslash escapes.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has = true;
            }
            None if c == '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    has = true;
                }
            }
            None if c.is_whitespace() => {
                if has || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => cur.push(c),
        }
    }
    if has || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The words of an identifier: split at `_ - .` and at camelCase boundaries, lowercased.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "passphrase",
    "token",
    "secret",
    "secrets",
    "credential",
    "credentials",
    "apikey",
    "privatekey",
    "accesskey",
    "secretkey",
    "clientsecret",
    "auth",
    "authtoken",
    "authkey",
    "authorization",
    "pat",
];
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("signing", "key"),
];
/// A last word that makes the variable point at a secret (a file, a URL) or describe one, not hold it.
const NOT_VALUE: &[&str] = &[
    "file",
    "path",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "port",
    "name",
    "user",
    "username",
    "id",
    "type",
    "length",
    "len",
    "ttl",
    "expiry",
    "expires",
    "header",
    "env",
    "var",
    "domain",
    "provider",
    "method",
    "mode",
    "enabled",
    "enable",
    "disabled",
    "server",
    "realm",
    "scope",
    "issuer",
    "audience",
    "version",
    "location",
    "arn",
    "ref",
    "store",
    "backend",
    "algorithm",
    "policy",
    "format",
    "region",
];

/// Whether an ENV/ARG key names a secret, matching whole words (`DB_PASSWORD`, `npmToken`; not
/// `PASSWORD_FILE`, `AUTHOR`, `TOKENIZER`).
pub fn names_secret(key: &str) -> bool {
    let w = words(key);
    let Some(last) = w.last() else { return false };
    if NOT_VALUE.contains(&last.as_str()) {
        return false;
    }
    w.iter().any(|x| SECRET_WORDS.contains(&x.as_str()))
        || w.windows(2)
            .any(|p| SECRET_PAIRS.iter().any(|(a, b)| p[0] == *a && p[1] == *b))
}

/// A value that is written out, not a reference (`$X`, `${X}`), an empty or boolean value, a path,
/// or a placeholder.
fn literal_value(v: &str) -> bool {
    let v = v.trim();
    if v.len() < 3
        || v.starts_with('$')
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("~/")
    {
        return false;
    }
    let l = v.to_ascii_lowercase();
    if [
        "true", "false", "yes", "no", "none", "null", "nil", "empty", "unset",
    ]
    .contains(&l.as_str())
    {
        return false;
    }
    !crate::engine::placeholder::is_placeholder(v.as_bytes())
}

fn key_values(args: &str) -> Vec<(String, Option<String>)> {
    let words = split_words(args);
    if words.first().is_some_and(|w| !w.contains('=')) && words.len() > 1 && !words[1].contains('=')
    {
        // Legacy `ENV KEY value with spaces`.
        let rest = args.trim_start()[words[0].len()..].trim();
        let v = split_words(rest).join(" ");
        return vec![(words[0].clone(), Some(v))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

fn env_hits(ins: &Instr, out: &mut Vec<Hit>) {
    for (k, v) in key_values(&ins.args) {
        let Some(v) = v else { continue };
        if names_secret(&k) && literal_value(&v) {
            out.push(Hit {
                rule_id: ENV_SECRET,
                message: format!("ENV {k} sets a literal value; it is stored in the image config and every container's environment"),
                value: format!("ENV {k}={v}").into_bytes(),
                secret: Some(v),
                properties: prop("key", &k),
                ..Default::default()
            });
        }
    }
}

fn arg_hits(ins: &Instr, out: &mut Vec<Hit>) {
    for (k, v) in key_values(&ins.args) {
        if !names_secret(&k) {
            continue;
        }
        match v {
            Some(v) if literal_value(&v) => out.push(Hit {
                rule_id: ARG_SECRET_DEFAULT,
                message: format!("ARG {k} has a literal default; build-arg values are recorded in the image history"),
                value: format!("ARG {k}={v}").into_bytes(),
                secret: Some(v),
                properties: prop("key", &k),
                ..Default::default()
            }),
            Some(_) => {}
            None => out.push(Hit {
                rule_id: ARG_SECRET,
                message: format!(
                    "ARG {k} takes a secret as a build argument; its value is recorded in the image history (use RUN --mount=type=secret,id={} instead)",
                    k.to_ascii_lowercase()
                ),
                value: format!("ARG {k}").into_bytes(),
                properties: prop("key", &k),
                ..Default::default()
            }),
        }
    }
}

fn prop(k: &str, v: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(k.into(), json!(v));
    m
}

/// What kind of credential file `path` names, if it names one.
pub fn credential_file(path: &str) -> Option<&'static str> {
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

/// Sources of a COPY/ADD (flags, heredocs and the destination left out).
fn copy_sources(args: &str) -> (Vec<String>, Vec<String>) {
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
    let mut words: Vec<String> = if rest.starts_with('[') {
        serde_json::from_str::<Vec<String>>(rest).unwrap_or_default()
    } else {
        split_words(rest)
    };
    words.pop();
    words.retain(|w| !w.starts_with("<<") && !w.contains("://"));
    (words, flags)
}

fn copy_hits(ins: &Instr, ctx: &mut ContextFiles, out: &mut Vec<Hit>) {
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
            let files = ctx.credential_files();
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

struct RunPattern {
    what: &'static str,
    re: Regex,
    /// The capture group holding the credential, if any.
    group: usize,
    /// Whether the captured credential must be a literal (not `$VAR`).
    literal: bool,
}

fn run_patterns() -> &'static [RunPattern] {
    static P: OnceLock<Vec<RunPattern>> = OnceLock::new();
    P.get_or_init(|| {
        let p = |what, re: &str, group, literal| RunPattern { what, re: Regex::new(re).unwrap(), group, literal };
        vec![
            p("user:password given to curl/wget", r#"\b(?:curl|wget|lftp|http)\b[^;&|\n]*?\s(?:-u|--user)(?:\s+|=)?['"]?([^\s'":]*:?[^\s'"]+)"#, 1, true),
            p(
                "credential in an HTTP header",
                r#"(?i)(?:-H|--header)(?:\s+|=)['"]?(?:authorization:\s*(?:bearer|basic|token)\s+|(?:private-token|x-api-key|x-auth-token|api-key|x-vault-token):\s*)([^\s'"]+)"#,
                1,
                true,
            ),
            p("AWS secret set with `aws configure set`", r"aws\s+configure\s+set\s+(?:aws_secret_access_key|aws_session_token)\s+(\S+)", 1, false),
            p(
                "credential file written in a layer",
                r#">>?\s*['"]?(\S*(?:\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.docker/config\.json|\.aws/credentials|\.pgpass|\.kube/config))\b"#,
                0,
                false,
            ),
            p("npm auth token set with `npm config set`", r"npm\s+config\s+set\s+\S*_auth(?:Token)?\S*?(?:\s+|=)(\S+)", 1, false),
            p("credentials in a URL", r#"\bhttps?://([^\s/@'"]+)@[A-Za-z0-9.-]+"#, 1, false),
            p("password given to `docker login`", r#"docker\s+login\b[^;&|\n]*?\s(?:-p|--password)(?:\s+|=)['"]?([^\s'"]+)"#, 1, false),
            p("password given to sshpass", r#"sshpass\s+-p\s*['"]?([^\s'"]+)"#, 1, false),
        ]
    })
}

fn run_hits(ins: &Instr, out: &mut Vec<Hit>) {
    if secret_mount_re().is_match(&ins.args) {
        return;
    }
    for p in run_patterns() {
        let Some(c) = p.re.captures(&ins.args) else {
            continue;
        };
        let cred = c.get(p.group).map_or("", |m| m.as_str()).to_string();
        if p.literal
            && (cred.starts_with('$')
                || cred.split(':').nth(1).is_some_and(|pw| pw.starts_with('$')))
        {
            continue;
        }
        if p.what.starts_with("user:password") && !cred.contains(':') {
            continue;
        }
        if p.what == "credentials in a URL" && cred == "git" {
            continue;
        }
        // A config file written without anything secret in it (`registry=...` into .npmrc) is not a
        // credential; stores that only ever hold credentials always are.
        if p.what == "credential file written in a layer" {
            let always = [
                ".git-credentials",
                ".pgpass",
                ".aws/credentials",
                ".kube/config",
            ];
            let lower = ins.args.to_ascii_lowercase();
            let secretish = [
                "auth", "token", "password", "passwd", "secret", "key", "login",
            ];
            if !always.iter().any(|a| cred.ends_with(a))
                && !secretish.iter().any(|w| lower.contains(w))
            {
                continue;
            }
        }
        let secret = (p.group > 0 && literal_value(&cred)).then(|| cred.clone());
        out.push(Hit {
            rule_id: RUN_CREDENTIAL,
            message: format!(
                "RUN with an inline credential ({}); it is stored in the layer or the image history (use a BuildKit secret mount: RUN --mount=type=secret,id=NAME and read /run/secrets/NAME)",
                p.what
            ),
            value: format!("RUN {} {cred}", p.what).into_bytes(),
            secret,
            properties: prop("pattern", p.what),
            ..Default::default()
        });
    }
}

fn secret_mount_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"--mount=(?:[^\s]*,)?type=secret").unwrap())
}

/// The build context of a Dockerfile read from disk: its directory, minus what `.dockerignore`
/// excludes. Looked at only when an instruction copies the whole context, and only when `name` is a
/// file on disk holding exactly the scanned bytes (so a Dockerfile inside an image or a commit never
/// makes the analyzer read the host's files).
struct ContextFiles<'a> {
    name: &'a str,
    data: &'a [u8],
    cached: Option<Vec<String>>,
}

const CONTEXT_WALK_LIMIT: usize = 50_000;

impl<'a> ContextFiles<'a> {
    fn new(name: &'a str, data: &'a [u8]) -> ContextFiles<'a> {
        ContextFiles {
            name,
            data,
            cached: None,
        }
    }

    /// The build context directory, when `name` is the scanned file on disk (checked on first use).
    fn dir(&self) -> Option<PathBuf> {
        let p = Path::new(self.name);
        let same = std::fs::metadata(p)
            .is_ok_and(|m| m.is_file() && m.len() == self.data.len() as u64)
            && std::fs::read(p).is_ok_and(|d| d == self.data);
        if !same {
            return None;
        }
        let d = p.parent().map(Path::to_path_buf).unwrap_or_default();
        Some(if d.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            d
        })
    }

    fn credential_files(&mut self) -> Vec<String> {
        if let Some(c) = &self.cached {
            return c.clone();
        }
        let dockerfile = Path::new(self.name)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let found = match self.dir() {
            Some(d) => walk_context(&d, &dockerfile),
            None => Vec::new(),
        };
        self.cached = Some(found.clone());
        found
    }
}

fn walk_context(dir: &Path, dockerfile: &str) -> Vec<String> {
    // BuildKit reads `<Dockerfile>.dockerignore` first, then `.dockerignore`.
    let ignore_file = [
        dir.join(format!("{dockerfile}.dockerignore")),
        dir.join(".dockerignore"),
    ]
    .into_iter()
    .find(|p| p.is_file());
    let mut b = ignore::gitignore::GitignoreBuilder::new(dir);
    if let Some(f) = &ignore_file {
        for line in std::fs::read_to_string(f).unwrap_or_default().lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (neg, pat) = match t.strip_prefix('!') {
                Some(p) => ("!", p.trim()),
                None => ("", t),
            };
            let pat = pat.trim_start_matches("./").trim_start_matches('/');
            // .dockerignore patterns are anchored at the context root, unlike gitignore's.
            let line = if pat.starts_with("**") {
                format!("{neg}{pat}")
            } else {
                format!("{neg}/{pat}")
            };
            let _ = b.add_line(None, &line);
        }
    }
    let gi = b
        .build()
        .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty());
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for (n, e) in walk.enumerate() {
        if n > CONTEXT_WALK_LIMIT {
            break;
        }
        let Ok(e) = e else { continue };
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(dir) else {
            continue;
        };
        if gi.matched_path_or_any_parents(rel, false).is_ignore() {
            continue;
        }
        let rel = rel.to_string_lossy().replace('\\', "/");
        if credential_file(&rel).is_some() {
            out.push(rel);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_match_the_rule_file() {
        let rules = crate::engine::rule::parse_file(
            "dockerfile.toml",
            include_str!("../../rules/dockerfile.toml"),
            true,
        )
        .expect("rule file parses");
        for (id, sev) in SEVERITIES {
            let r = rules
                .iter()
                .find(|r| r.spec.id == *id)
                .unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(r.spec.severity, *sev, "{id}");
            assert_eq!(r.spec.analyzer.as_deref(), Some("dockerfile"), "{id}");
        }
        assert_eq!(rules.len(), SEVERITIES.len());
    }

    #[test]
    fn secret_names_are_words() {
        for k in [
            "DB_PASSWORD",
            "NPM_TOKEN",
            "apiKey",
            "API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "GH_PAT",
            "client-secret",
        ] {
            assert!(names_secret(k), "{k}");
        }
        for k in [
            "PASSWORD_FILE",
            "AUTHOR",
            "TOKENIZER_MODEL",
            "TOKEN_URL",
            "AWS_ACCESS_KEY_ID",
            "PATH",
            "KEYCLOAK",
        ] {
            assert!(!names_secret(k), "{k}");
        }
    }

    #[test]
    fn claims_dockerfile_names() {
        for n in [
            "Dockerfile",
            "a/b/Dockerfile",
            "api.Dockerfile",
            "Dockerfile.prod",
            "Containerfile",
        ] {
            assert!(claims(n), "{n}");
        }
        for n in ["Dockerfile.dockerignore", "dockerfile-notes.md", "README"] {
            assert!(!claims(n), "{n}");
        }
    }

    #[test]
    fn continuations_and_heredocs() {
        let (ins, _) = parse(
            "FROM a\nRUN echo 1 \\\n  # comment\n  && echo 2\nRUN <<EOF\necho hi\nEOF\nENV A=b\n",
        );
        assert_eq!(
            ins.iter().map(|i| (i.line, i.end_line)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 4), (5, 7), (8, 8)]
        );
    }
}
