//! Credential-bearing config files read by their format, not grepped: kubeconfig, docker
//! `config.json`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`, Spring `application.properties`/
//! `.yml`, `appsettings*.json`, `*.tfvars`, Helm `values*.yaml`. A value that refers to a secret store
//! (Vault, AWS Secrets Manager/SSM, Key Vault, `${{ secrets.X }}`, `secretKeyRef`, SOPS `ENC[...]`,
//! environment variables, templates) is the right practice and never reported. Every finding carries
//! the extracted secret, so it is redacted and fingerprinted like a regex finding.

use base64::Engine as _;

use super::doc::{Node, Val};
use super::hcl as tf;
use super::posture::{hit, Input};
use super::Hit;

/// True for values that name a secret store entry instead of being a secret: Vault, AWS Secrets
/// Manager / SSM, Azure Key Vault references, SOPS, 1Password, vals, GCP Secret Manager.
pub fn is_store_reference(v: &str) -> bool {
    let t = v.trim().trim_matches(['"', '\'']);
    let l = t.to_ascii_lowercase();
    l.starts_with("vault:")
        || l.starts_with("vault/")
        || l.contains("arn:aws:secretsmanager:")
        || l.contains("arn:aws:ssm:")
        || l.starts_with("@microsoft.keyvault(")
        || l.starts_with("enc[")
        || l.starts_with("sops:")
        || l.starts_with("ref+")
        || l.starts_with("op://")
        || l.starts_with("projects/") && l.contains("/secrets/")
}

/// True for values that name where a secret lives instead of being one: a store reference, an
/// environment variable, a template or a placeholder.
pub fn is_reference(v: &str) -> bool {
    let t = v.trim();
    t.starts_with('$')
        || t.starts_with('%') && t.ends_with('%')
        || is_store_reference(t)
        || crate::engine::placeholder::is_placeholder(t.as_bytes())
}

/// A key whose value is a credential: `password`, `db_password`, `client-secret`, `apiKey`, ...
pub fn secret_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if k.starts_with("existing") || k.starts_with("use") || k.starts_with("enable") {
        return false;
    }
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "clientsecret",
        "credential",
        "credentials",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// A literal worth reporting: not a reference, not a boolean/number flag, not empty.
fn literal(v: &str) -> bool {
    let t = v.trim();
    t.len() >= 4
        && !matches!(
            t.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "none"
        )
        && !is_reference(t)
}

fn secret_hit(rule: &'static str, line: usize, what: String, secret: &str) -> Hit {
    let mut h = hit(rule, line, what, secret.as_bytes().to_vec());
    h.secret = Some(secret.to_string());
    h
}

pub fn check(inp: &Input, hits: &mut Vec<Hit>) {
    let f = inp.file.as_str();
    let p = inp.path.as_str();
    match f {
        ".npmrc" | "npmrc" => return npmrc(inp.text, hits),
        ".pypirc" => return pypirc(inp.text, hits),
        ".netrc" | "_netrc" => return netrc(inp.text, hits),
        ".git-credentials" | "git-credentials" => return git_credentials(inp.text, hits),
        _ => {}
    }
    if f == "config.json" && (p.contains(".docker/") || inp.has("\"auths\"")) {
        return docker(inp, hits);
    }
    // `kubeconfig`, `prod.kubeconfig`, `kubeconfig.yaml`; not `kubeconfig.py` or `update_kubeconfig.rst`.
    let kube_name = f.contains("kubeconfig")
        && matches!(
            inp.ext(),
            "" | "kubeconfig" | "yaml" | "yml" | "conf" | "config"
        );
    let kube = (f == "config" && p.contains(".kube/")) || kube_name;
    if kube || (inp.is_yaml() && inp.has("kind: Config") && inp.has("users:")) {
        return kubeconfig(inp, hits);
    }
    if f.starts_with("application")
        && (f.ends_with(".properties") || f.ends_with(".yml") || f.ends_with(".yaml"))
    {
        return spring(inp, hits);
    }
    if f.starts_with("appsettings") && f.ends_with(".json") {
        return appsettings(inp, hits);
    }
    if f.ends_with(".tfvars") {
        return tfvars(inp, hits);
    }
    if (f.starts_with("values") && inp.is_yaml()) && !inp.path.contains("/templates/") {
        helm_values(inp, hits);
    }
}

fn kubeconfig(inp: &Input, hits: &mut Vec<Hit>) {
    for d in inp.yaml() {
        for u in d.at(&["users"]).items() {
            let name = u.at(&["name"]).as_str().unwrap_or("");
            let user = u.at(&["user"]);
            for key in ["token", "client-key-data", "password"] {
                if let Some(v) = user.get(key).and_then(Node::as_str).filter(|v| literal(v)) {
                    hits.push(secret_hit(
                        "kubeconfig-credential",
                        user.key_line(key),
                        format!("user `{name}` {key}"),
                        v,
                    ));
                }
            }
            let cfg = user.at(&["auth-provider", "config"]);
            for key in ["client-secret", "id-token", "refresh-token", "access-token"] {
                if let Some(v) = cfg.get(key).and_then(Node::as_str).filter(|v| literal(v)) {
                    hits.push(secret_hit(
                        "kubeconfig-credential",
                        cfg.key_line(key),
                        format!("user `{name}` auth-provider {key}"),
                        v,
                    ));
                }
            }
        }
    }
}

fn docker(inp: &Input, hits: &mut Vec<Hit>) {
    let Some(d) = inp.json() else { return };
    let auths = d.at(&["auths"]);
    for (registry, _, a) in auths.entries() {
        if let Some(v) = a.get("auth").and_then(Node::as_str).filter(|v| literal(v)) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|s| s.split_once(':')) {
                Some((user, pass)) if !pass.is_empty() => hits.push(secret_hit(
                    "docker-config-auth",
                    a.key_line("auth"),
                    format!("registry {registry}, user `{user}` (base64 user:password)"),
                    pass,
                )),
                _ => hits.push(secret_hit(
                    "docker-config-auth",
                    a.key_line("auth"),
                    format!("registry {registry}"),
                    v,
                )),
            }
        }
        for key in ["password", "identitytoken", "registrytoken"] {
            if let Some(v) = a.get(key).and_then(Node::as_str).filter(|v| literal(v)) {
                hits.push(secret_hit(
                    "docker-config-auth",
                    a.key_line(key),
                    format!("registry {registry} {key}"),
                    v,
                ));
            }
        }
    }
}

/// `key=value` lines (npmrc, properties), with 1-based line numbers; comments skipped.
fn kv_lines(text: &str) -> impl Iterator<Item = (usize, &str, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') || t.starts_with('!') {
            return None;
        }
        let at = t.find(['=', ':'])?;
        Some((
            i + 1,
            t[..at].trim(),
            t[at + 1..].trim().trim_matches('"').trim_matches('\''),
        ))
    })
}

fn npmrc(text: &str, hits: &mut Vec<Hit>) {
    for (line, k, v) in text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim();
        if t.starts_with('#') || t.starts_with(';') {
            return None;
        }
        let (k, v) = t.split_once('=')?;
        Some((i + 1, k.trim(), v.trim().trim_matches('"')))
    }) {
        let last = k.rsplit(':').next().unwrap_or(k);
        if matches!(last, "_authToken" | "_auth" | "_password") && literal(v) {
            let scope = k.strip_suffix(last).unwrap_or("").trim_end_matches(':');
            let what = if scope.is_empty() {
                last.to_string()
            } else {
                format!("{last} for {scope}")
            };
            hits.push(secret_hit("npmrc-auth-token", line, what, v));
        }
    }
}

fn pypirc(text: &str, hits: &mut Vec<Hit>) {
    let mut section = String::new();
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') && t.ends_with(']') {
            section = t[1..t.len() - 1].to_string();
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':']) {
            if k.trim() == "password" && literal(v) {
                hits.push(secret_hit(
                    "pypirc-password",
                    i + 1,
                    format!("[{section}] password"),
                    v.trim(),
                ));
            }
        }
    }
}

fn netrc(text: &str, hits: &mut Vec<Hit>) {
    let mut machine = String::new();
    for (i, l) in text.lines().enumerate() {
        let toks: Vec<&str> = l.split_whitespace().collect();
        let mut j = 0;
        while j + 1 < toks.len() {
            match toks[j] {
                "machine" => machine = toks[j + 1].to_string(),
                "password" if literal(toks[j + 1]) => {
                    hits.push(secret_hit(
                        "netrc-password",
                        i + 1,
                        format!("machine {machine}"),
                        toks[j + 1],
                    ));
                }
                _ => {}
            }
            j += if matches!(toks[j], "machine" | "login" | "password" | "account") {
                2
            } else {
                1
            };
        }
    }
}

fn git_credentials(text: &str, hits: &mut Vec<Hit>) {
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        let Some((_, rest)) = t.split_once("://") else {
            continue;
        };
        let Some((userinfo, host)) = rest.split_once('@') else {
            continue;
        };
        let Some((user, pass)) = userinfo.split_once(':') else {
            continue;
        };
        if literal(pass) {
            let host = host.split('/').next().unwrap_or(host);
            hits.push(secret_hit(
                "git-credentials-password",
                i + 1,
                format!("user `{user}` at {host}"),
                pass,
            ));
        }
    }
}

fn spring(inp: &Input, hits: &mut Vec<Hit>) {
    if inp.file.ends_with(".properties") {
        for (line, k, v) in kv_lines(inp.text) {
            if secret_key(k.rsplit('.').next().unwrap_or(k)) && literal(v) {
                hits.push(secret_hit(
                    "spring-config-secret",
                    line,
                    format!("property `{k}`"),
                    v,
                ));
            }
        }
        return;
    }
    for d in inp.yaml() {
        flat(d, String::new(), &mut |key, line, v| {
            if secret_key(key.rsplit('.').next().unwrap_or(&key)) && literal(v) {
                hits.push(secret_hit(
                    "spring-config-secret",
                    line,
                    format!("property `{key}`"),
                    v,
                ));
            }
        });
    }
}

/// Every scalar with its dotted key path and line.
fn flat<'a>(n: &'a Node, prefix: String, f: &mut dyn FnMut(String, usize, &'a str)) {
    match &n.val {
        Val::Map(m) => {
            for (k, l, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if let Some(s) = v.as_str() {
                    f(key, *l, s);
                } else {
                    flat(v, key, f);
                }
            }
        }
        Val::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if let Some(s) = it.as_str() {
                    f(format!("{prefix}[{i}]"), it.line, s);
                } else {
                    flat(it, format!("{prefix}[{i}]"), f);
                }
            }
        }
        _ => {}
    }
}

/// `Password=...;` (or `Pwd=`, `AccountKey=`, `SharedAccessKey=`) in a connection string.
pub fn connection_string_secret(cs: &str) -> Option<(&str, &str)> {
    for part in cs.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if ["password", "pwd", "accountkey", "sharedaccesskey"]
            .contains(&k.to_ascii_lowercase().as_str())
        {
            let v = v.trim();
            if literal(v) {
                return Some((k, v));
            }
        }
    }
    None
}

fn appsettings(inp: &Input, hits: &mut Vec<Hit>) {
    let Some(d) = inp.json() else { return };
    let cs = d.get_ci("ConnectionStrings");
    for (name, line, v) in cs.map(Node::entries).unwrap_or(&[]) {
        if let Some((k, secret)) = v.as_str().and_then(connection_string_secret) {
            hits.push(secret_hit(
                "appsettings-secret",
                *line,
                format!("ConnectionStrings:{name} {k}"),
                secret,
            ));
        }
    }
    flat(d, String::new(), &mut |key, line, v| {
        if key.to_ascii_lowercase().starts_with("connectionstrings.") {
            return;
        }
        if secret_key(key.rsplit('.').next().unwrap_or(&key)) && literal(v) {
            hits.push(secret_hit(
                "appsettings-secret",
                line,
                format!("setting `{}`", key.replace('.', ":")),
                v,
            ));
        }
    });
}

fn tfvars(inp: &Input, hits: &mut Vec<Hit>) {
    let Some(body) = inp.hcl() else { return };
    for a in body.attributes() {
        let key = a.key.as_str();
        let hcl::Expression::String(v) = &a.expr else {
            continue;
        };
        if secret_key(key) && literal(v) {
            let (line, _) = tf::attr_line(inp.text, 0, key);
            hits.push(secret_hit(
                "tfvars-secret",
                line,
                format!("variable `{key}`"),
                v,
            ));
        }
    }
}

fn helm_values(inp: &Input, hits: &mut Vec<Hit>) {
    for d in inp.yaml() {
        flat(d, String::new(), &mut |key, line, v| {
            if secret_key(key.rsplit('.').next().unwrap_or(&key)) && literal(v) {
                hits.push(secret_hit(
                    "helm-values-secret",
                    line,
                    format!("value `{key}`"),
                    v,
                ));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_not_secrets() {
        for r in [
            "vault:secret/data/db#password",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)",
            "${{ secrets.NPM_TOKEN }}",
            "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]",
            "${DB_PASSWORD}",
        ] {
            assert!(is_reference(r), "{r}");
        }
        assert!(!is_reference("s3cr3t-Pa55w0rd-2024"));
    }

    #[test]
    fn keys() {
        assert!(secret_key("spring.datasource.password"));
        assert!(secret_key("client-secret"));
        assert!(secret_key("apiKey"));
        assert!(!secret_key("existingSecret"));
        assert!(!secret_key("secretName"));
        assert!(!secret_key("tokenUrl"));
    }
}
