//! Client credential files: kubeconfig, docker `config.json` and `.dockercfg`, `.npmrc`, `.pypirc`,
//! `.netrc`, `.git-credentials`.

use base64::Engine as _;

use super::*;
use crate::analyze::syntax::doc::Node;
use crate::analyze::vocab::is_literal;

pub(super) fn kubeconfig(inp: &Input, hits: &mut Vec<Hit>) {
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

pub(super) fn docker(inp: &Input, hits: &mut Vec<Hit>) {
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

pub(super) fn npmrc(text: &str, hits: &mut Vec<Hit>) {
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

pub(super) fn pypirc(text: &str, hits: &mut Vec<Hit>) {
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

pub(super) fn netrc(text: &str, hits: &mut Vec<Hit>) {
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

pub(super) fn git_credentials(text: &str, hits: &mut Vec<Hit>) {
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
