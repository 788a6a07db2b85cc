//! Credential-bearing config files read by their format, not grepped: kubeconfig, docker
//! `config.json` and the legacy `.dockercfg`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`,
//! Spring `application.properties`/`.yml`, `appsettings*.json`, `*.tfvars`, Helm `values*.yaml`. A
//! value that refers to a secret store (Vault, AWS Secrets Manager/SSM, Key Vault, `${{ secrets.X }}`,
//! `secretKeyRef`, SOPS `ENC[...]`, environment variables, templates) is the right practice and never
//! reported. Every finding carries the extracted secret, so it is redacted and fingerprinted like a
//! regex finding.

mod app;
mod credentials;

use super::input::{hit, Hit, Input};
use app::{appsettings, helm_values, spring, tfvars};
use credentials::{docker, git_credentials, kubeconfig, netrc, npmrc, pypirc};

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

/// The line a YAML value found on or after its key's `line` ends on: a block scalar's text is on the
/// lines below its key, and a report that counts only some lines (a staged change) must see a
/// changed block value as on the changed line. The value's last line of text is looked for in the
/// next 64 KiB; not found (a folded or escaped value), the key's line.
fn value_end_line(data: &[u8], line: usize, value: &str) -> usize {
    let Some(last) = value.lines().map(str::trim).rfind(|l| !l.is_empty()) else {
        return line;
    };
    let from = if line <= 1 {
        0
    } else {
        match memchr::memchr_iter(b'\n', data).nth(line - 2) {
            Some(i) => i + 1,
            None => return line,
        }
    };
    let hay = &data[from..data.len().min(from + (64 << 10))];
    memchr::memmem::find(hay, last.as_bytes()).map_or(line, |at| {
        line + memchr::memchr_iter(b'\n', &hay[..at]).count()
    })
}

/// `key=value` lines (npmrc, properties), with 1-based line numbers; comments skipped.
pub(super) fn kv_lines(text: &str) -> impl Iterator<Item = (usize, &str, &str)> {
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

    #[test]
    fn a_block_value_ends_where_its_text_is() {
        let text = b"db:\n  password: |\n    s3cr3tValue9\n  host: x\nother: s3cr3tValue9\n";
        assert_eq!(value_end_line(text, 2, "s3cr3tValue9\n"), 3);
        // On the key's line, or not in the file as written (folded): the key's line.
        assert_eq!(value_end_line(b"password: abc123def\n", 1, "abc123def"), 1);
        assert_eq!(value_end_line(text, 2, "folded value"), 2);
        assert_eq!(value_end_line(text, 99, "s3cr3tValue9"), 99);
    }
}
