//! `RUN` with inline credentials (`curl -u user:pass`, bearer headers, `aws configure set
//! aws_secret_access_key`, writes to `~/.npmrc`, tokens in clone URLs, `docker login -p`) and no
//! BuildKit `--mount=type=secret`.

use std::sync::OnceLock;

use regex::Regex;

use super::{prop, RUN_CREDENTIAL};
use crate::analyze::input::Hit;
use crate::analyze::syntax::dockerfile::Instr;
use crate::analyze::vocab::is_literal;

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

pub(super) fn run_hits(ins: &Instr, out: &mut Vec<Hit>) {
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
        let secret = (p.group > 0 && is_literal(&cred)).then(|| cred.clone());
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
