//! Credential-bearing config files read by their format, not grepped: kubeconfig, docker
//! `config.json` and the legacy `.dockercfg`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`,
//! Spring `application.properties`/`.yml`, `appsettings*.json`, `*.tfvars`, Helm `values*.yaml`. A
//! value that refers to a secret store (Vault, AWS Secrets Manager/SSM, Key Vault, `${{ secrets.X }}`,
//! `secretKeyRef`, SOPS `ENC[...]`, environment variables, templates) is the right practice and never
//! reported. Every finding carries the extracted secret, so it is redacted and fingerprinted like a
//! regex finding.

use base64::Engine as _;

use super::input::{hit, Hit, Input};
use super::syntax::doc::{Node, Val};
use super::syntax::hcl as tf;
use super::vocab::{is_literal, names_k8s_secret, names_secret};

const KUBECONFIG_CREDENTIAL: &str = "kubeconfig-credential";
const DOCKER_CONFIG_AUTH: &str = "docker-config-auth";
const NPMRC_AUTH_TOKEN: &str = "npmrc-auth-token";
const PYPIRC_PASSWORD: &str = "pypirc-password";
const NETRC_PASSWORD: &str = "netrc-password";
const GIT_CREDENTIALS_PASSWORD: &str = "git-credentials-password";
const SPRING_CONFIG_SECRET: &str = "spring-config-secret";
const APPSETTINGS_SECRET: &str = "appsettings-secret";
const TFVARS_SECRET: &str = "tfvars-secret";
const HELM_VALUES_SECRET: &str = "helm-values-secret";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[
    KUBECONFIG_CREDENTIAL,
    DOCKER_CONFIG_AUTH,
    NPMRC_AUTH_TOKEN,
    PYPIRC_PASSWORD,
    NETRC_PASSWORD,
    GIT_CREDENTIALS_PASSWORD,
    SPRING_CONFIG_SECRET,
    APPSETTINGS_SECRET,
    TFVARS_SECRET,
    HELM_VALUES_SECRET,
];

/// The config file kinds read here, chosen by file name (and for two of them a substring).
enum Kind {
    Npmrc,
    Pypirc,
    Netrc,
    GitCredentials,
    Docker,
    Kubeconfig,
    Spring,
    AppSettings,
    Tfvars,
    HelmValues,
}

fn kind(inp: &Input) -> Option<Kind> {
    let f = &*inp.file;
    let p = &*inp.path;
    match f {
        ".npmrc" | "npmrc" => return Some(Kind::Npmrc),
        ".pypirc" => return Some(Kind::Pypirc),
        ".netrc" | "_netrc" => return Some(Kind::Netrc),
        ".git-credentials" | "git-credentials" => return Some(Kind::GitCredentials),
        _ => {}
    }
    if (f == "config.json" && (p.contains(".docker/") || inp.has("\"auths\"")))
        || matches!(f, ".dockercfg" | "dockercfg" | ".dockerconfigjson")
    {
        return Some(Kind::Docker);
    }
    // `kubeconfig`, `prod.kubeconfig`, `kubeconfig.yaml`; not `kubeconfig.py` or `update_kubeconfig.rst`.
    let kube_name = f.contains("kubeconfig")
        && matches!(
            inp.ext(),
            "" | "kubeconfig" | "yaml" | "yml" | "conf" | "config"
        );
    let kube = (f == "config" && p.contains(".kube/")) || kube_name;
    if kube || (inp.is_yaml() && inp.has("kind: Config") && inp.has("users:")) {
        return Some(Kind::Kubeconfig);
    }
    if f.starts_with("application")
        && (f.ends_with(".properties") || f.ends_with(".yml") || f.ends_with(".yaml"))
    {
        return Some(Kind::Spring);
    }
    if f.starts_with("appsettings") && f.ends_with(".json") {
        return Some(Kind::AppSettings);
    }
    if f.ends_with(".tfvars") {
        return Some(Kind::Tfvars);
    }
    if (f.starts_with("values") && inp.is_yaml()) && !inp.path.contains("/templates/") {
        return Some(Kind::HelmValues);
    }
    None
}

/// A config file of a kind read here, by its name.
pub(crate) fn claims(inp: &Input) -> bool {
    kind(inp).is_some()
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    let (Some(kind), Some(text)) = (kind(inp), inp.text()) else {
        return;
    };
    match kind {
        Kind::Npmrc => npmrc(text, hits),
        Kind::Pypirc => pypirc(text, hits),
        Kind::Netrc => netrc(text, hits),
        Kind::GitCredentials => git_credentials(text, hits),
        Kind::Docker => docker(inp, hits),
        Kind::Kubeconfig => kubeconfig(inp, hits),
        Kind::Spring => spring(inp, text, hits),
        Kind::AppSettings => appsettings(inp, hits),
        Kind::Tfvars => tfvars(inp, text, hits),
        Kind::HelmValues => helm_values(inp, hits),
    }
}

fn secret_hit(rule: &'static str, line: usize, what: String, secret: &str) -> Hit {
    let mut h = hit(rule, line, what, secret.as_bytes().to_vec());
    h.secret = Some(secret.to_string());
    h
}

fn kubeconfig(inp: &Input, hits: &mut Vec<Hit>) {
    for d in inp.yaml() {
        for u in d.at(&["users"]).items() {
            let name = u.at(&["name"]).as_str().unwrap_or("");
            let user = u.at(&["user"]);
            for key in ["token", "client-key-data", "password"] {
                if let Some(v) = user
                    .get(key)
                    .and_then(Node::as_str)
                    .filter(|v| is_literal(v))
                {
                    hits.push(secret_hit(
                        KUBECONFIG_CREDENTIAL,
                        user.key_line(key),
                        format!("user `{name}` {key}"),
                        v,
                    ));
                }
            }
            let cfg = user.at(&["auth-provider", "config"]);
            for key in ["client-secret", "id-token", "refresh-token", "access-token"] {
                if let Some(v) = cfg
                    .get(key)
                    .and_then(Node::as_str)
                    .filter(|v| is_literal(v))
                {
                    hits.push(secret_hit(
                        KUBECONFIG_CREDENTIAL,
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
    // `~/.docker/config.json` keeps registries under `auths`; the legacy `~/.dockercfg` (Docker before
    // 1.7, still the `kubernetes.io/dockercfg` Secret type) is that map itself.
    let auths = match d.get("auths") {
        Some(a) => a,
        None => d,
    };
    for (registry, _, a) in auths.entries() {
        if let Some(v) = a
            .get("auth")
            .and_then(Node::as_str)
            .filter(|v| is_literal(v))
        {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match decoded.as_deref().and_then(|s| s.split_once(':')) {
                Some((user, pass)) if !pass.is_empty() => {
                    let mut h = secret_hit(
                        DOCKER_CONFIG_AUTH,
                        a.key_line("auth"),
                        format!("registry {registry}, user `{user}` (base64 user:password)"),
                        pass,
                    );
                    // The registry account, for the inventory of identities.
                    h.properties.insert(
                        "nhi".into(),
                        serde_json::json!({
                            "type": "registry-user",
                            "id": format!("registry-user:{user}@{registry}"),
                            "name": format!("{user}@{registry}"),
                            "host": registry,
                            "user": user,
                        }),
                    );
                    hits.push(h)
                }
                _ => hits.push(secret_hit(
                    DOCKER_CONFIG_AUTH,
                    a.key_line("auth"),
                    format!("registry {registry}"),
                    v,
                )),
            }
        }
        for key in ["password", "identitytoken", "registrytoken"] {
            if let Some(v) = a.get(key).and_then(Node::as_str).filter(|v| is_literal(v)) {
                hits.push(secret_hit(
                    DOCKER_CONFIG_AUTH,
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
        if matches!(last, "_authToken" | "_auth" | "_password") && is_literal(v) {
            let scope = k.strip_suffix(last).unwrap_or("").trim_end_matches(':');
            let what = if scope.is_empty() {
                last.to_string()
            } else {
                format!("{last} for {scope}")
            };
            hits.push(secret_hit(NPMRC_AUTH_TOKEN, line, what, v));
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
            if k.trim() == "password" && is_literal(v) {
                hits.push(secret_hit(
                    PYPIRC_PASSWORD,
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
                "password" if is_literal(toks[j + 1]) => {
                    hits.push(secret_hit(
                        NETRC_PASSWORD,
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
        if is_literal(pass) {
            let host = host.split('/').next().unwrap_or(host);
            hits.push(secret_hit(
                GIT_CREDENTIALS_PASSWORD,
                i + 1,
                format!("user `{user}` at {host}"),
                pass,
            ));
        }
    }
}

fn spring(inp: &Input, text: &str, hits: &mut Vec<Hit>) {
    if inp.file.ends_with(".properties") {
        for (line, k, v) in kv_lines(text) {
            if names_secret(k.rsplit('.').next().unwrap_or(k)) && is_literal(v) {
                hits.push(secret_hit(
                    SPRING_CONFIG_SECRET,
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
            if names_secret(key.rsplit('.').next().unwrap_or(&key)) && is_literal(v) {
                hits.push(secret_hit(
                    SPRING_CONFIG_SECRET,
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
fn connection_string_secret(cs: &str) -> Option<(&str, &str)> {
    for part in cs.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if ["password", "pwd", "accountkey", "sharedaccesskey"]
            .contains(&k.to_ascii_lowercase().as_str())
        {
            let v = v.trim();
            if is_literal(v) {
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
                APPSETTINGS_SECRET,
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
        if names_secret(key.rsplit('.').next().unwrap_or(&key)) && is_literal(v) {
            hits.push(secret_hit(
                APPSETTINGS_SECRET,
                line,
                format!("setting `{}`", key.replace('.', ":")),
                v,
            ));
        }
    });
}

fn tfvars(inp: &Input, text: &str, hits: &mut Vec<Hit>) {
    let Some(body) = inp.hcl() else { return };
    for a in body.attributes() {
        let key = a.key.as_str();
        let hcl::Expression::String(v) = &a.expr else {
            continue;
        };
        if names_secret(key) && is_literal(v) {
            let (line, _) = tf::attr_line(text, 0, key);
            hits.push(secret_hit(
                TFVARS_SECRET,
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
            let last = key.rsplit('.').next().unwrap_or(&key);
            // `tlsSecret: x-tls` names the Secret the chart mounts; it holds nothing.
            if names_secret(last)
                && is_literal(v)
                && !names_k8s_secret(last, v)
                && !is_lowercase_words(v)
            {
                hits.push(secret_hit(
                    HELM_VALUES_SECRET,
                    line,
                    format!("value `{key}`"),
                    v,
                ));
            }
        });
    }
}

/// `secret_pw`, `another-pw`, `public_v2`: lowercase words, the illustrative defaults a chart's
/// values.yaml documents (or names of modules and profiles), not a secret someone set.
fn is_lowercase_words(v: &str) -> bool {
    let t = v.trim();
    t.split(['_', '-']).all(|p| {
        !p.is_empty()
            && (p.bytes().all(|c| c.is_ascii_lowercase())
                || (p.len() <= 2 && p.bytes().all(|c| c.is_ascii_alphanumeric())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Subject;

    fn hits(name: &str, text: &str) -> Vec<Hit> {
        let s = Subject {
            name,
            data: text.as_bytes(),
            context: None,
        };
        let inp = Input::new(&s);
        let mut out = Vec::new();
        if claims(&inp) {
            check(&inp, &mut out);
        }
        out
    }

    #[test]
    fn docker_auth_names_the_registry_account() {
        use base64::Engine as _;
        let pass = format!("{}{}", "Vq3rT9", "xLm2Pz");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("ci-bot:{pass}"));
        let h = hits(
            "config/.docker/config.json",
            &format!("{{\"auths\": {{\"registry.example.com\": {{\"auth\": \"{auth}\"}}}}}}"),
        );
        assert_eq!(
            h[0].properties["nhi"]["id"],
            "registry-user:ci-bot@registry.example.com"
        );
        assert!(!h[0].properties["nhi"].to_string().contains(&pass));
    }

    #[test]
    fn npm_auth_is_a_secret_in_appsettings() {
        let h = hits(
            "appsettings.json",
            "{\n  \"Npm\": {\n    \"Auth\": \"bnBtOlMzY3IzdC1ucG0tYXV0aA==\"\n  }\n}\n",
        );
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].rule_id, h[0].line), (APPSETTINGS_SECRET, 3));
        assert!(h[0].message.contains("Npm:Auth"));
        let h = hits("values.yaml", "npm_auth: bnBtOlMzY3IzdC1ucG0tYXV0aA==\n");
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn chart_defaults_made_of_words_are_not_reported() {
        let h = hits(
            "values.yaml",
            "auth:\n  password: secret_pw\n  community: public_v2\n  tokenCacheSize: 100\n  apiToken: YourPingdomApiToken\n  adminPassword: h7Lq2vR9xK4m\n",
        );
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].line, 6);
    }

    #[test]
    fn references_and_flags_are_not_reported() {
        let h = hits(
            "application.properties",
            "a.password=${PW}\nb.token=vault:secret/x\nc.secret=true\nexistingSecret=db-creds\n",
        );
        assert!(h.is_empty(), "{h:?}");
    }
}
