//! The one vocabulary every analyzer judges names and values by: which keys name a secret
//! (`DB_PASSWORD`, `npmToken`, `Npm:Auth`), and which values are written out (a literal) rather
//! than a reference to where the secret lives (`$VAR`, `vault:...`, a placeholder, a path).
//! The Dockerfile `ENV`/`ARG` checks and the config-file checks (Spring, appsettings, tfvars,
//! Helm values) both read it, so a key is a secret in every file or in none.

/// Terms that make a key name a secret, and whether the term also counts at the end of a longer
/// word (`DBPASSWORD`, `accesstoken`): true for terms that never end an innocent word. A term matches
/// one word or consecutive words joined (`API_KEY` is `apikey`).
const SECRET_TERMS: &[(&str, bool)] = &[
    ("password", true),
    ("passwd", true),
    ("pwd", true),
    ("pass", false),
    ("passphrase", false),
    ("token", true),
    ("secret", true),
    ("secrets", false),
    ("credential", true),
    ("credentials", true),
    ("apikey", true),
    ("privatekey", true),
    ("accesskey", true),
    ("secretkey", true),
    ("signingkey", false),
    ("clientsecret", true),
    ("auth", false),
    ("authtoken", false),
    ("authkey", false),
    ("authorization", false),
    ("pat", false),
];

/// A first word that makes the key name a secret held elsewhere (`existingSecret`: the name of a
/// Kubernetes Secret).
const NOT_SECRET_FIRST: &[&str] = &["existing"];

/// A last word that makes the key point at a secret (a file, a URL) or describe one, not hold it.
const NOT_SECRET_LAST: &[&str] = &[
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
    "size",
    "count",
    "limit",
    "timeout",
    "interval",
    "duration",
    "period",
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

/// Values that switch something or say "nothing", never a secret.
const NOT_LITERAL: &[&str] = &[
    "true", "false", "yes", "no", "none", "null", "nil", "empty", "unset",
];

/// The words of an identifier: split at anything not alphanumeric (`_ - . :`) and at camelCase
/// boundaries, lowercased.
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

/// Whether a key (an ENV/ARG name, a config key or its last segment) names a secret:
/// `DB_PASSWORD`, `npmToken`, `client-secret`, `API_KEY`, `NPM_AUTH`, `Npm:Auth`, `DBPASSWORD`; not
/// `PASSWORD_FILE`, `AUTHOR`, `TOKENIZER_MODEL`, `tokenUrl`, `secretName`, `existingSecret`.
pub(crate) fn names_secret(key: &str) -> bool {
    let w = words(key);
    let (Some(first), Some(last)) = (w.first(), w.last()) else {
        return false;
    };
    if NOT_SECRET_FIRST.contains(&first.as_str()) || NOT_SECRET_LAST.contains(&last.as_str()) {
        return false;
    }
    // Consecutive words joined, each run checked against the terms.
    for start in 0..w.len() {
        let mut run = String::new();
        for part in &w[start..] {
            run.push_str(part);
            if SECRET_TERMS.iter().any(|(t, _)| *t == run) {
                return true;
            }
        }
    }
    let joined = w.concat();
    SECRET_TERMS
        .iter()
        .any(|(t, suffix)| *suffix && joined.ends_with(t))
}

/// Whether `value` under `key` names a Kubernetes Secret, or a key inside one, instead of holding a
/// secret: `tlsSecret: x-tls`, `tokenSecret: gh-token`, `keyPasswordSecretKey: key-password` (Helm
/// charts take the name and let the pod read the Secret). The key refers to a Secret when its last
/// word is `secret` after another word, or it ends in `secret key` after a secret term
/// (`passwordSecretKey`; not `awsSecretKey`, which holds a key). The value must read as a name: a
/// lowercase DNS-1123 name whose parts are words, short numbers or short tags (`pg-password-2`,
/// `tls-v2`), so a random lowercase string under such a key is still a secret.
pub(crate) fn names_k8s_secret(key: &str, value: &str) -> bool {
    let w = words(key);
    let n = w.len();
    let refers = match w.as_slice() {
        [.., last] if n >= 2 && last == "secret" => true,
        [before @ .., s, k] if s == "secret" && k == "key" => before
            .iter()
            .any(|b| SECRET_TERMS.iter().any(|(t, _)| t == b) && b != "secret"),
        _ => false,
    };
    refers && is_k8s_name(value.trim())
}

/// A lowercase DNS-1123 name made of words: each part between `-` and `.` is letters, a number of up
/// to 4 digits, or 3 characters at most.
fn is_k8s_name(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 253
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'.'))
        && v.split(['-', '.']).all(|p| {
            p.bytes().all(|c| c.is_ascii_lowercase())
                || (p.len() <= 4 && p.bytes().all(|c| c.is_ascii_digit()))
                || p.len() <= 3
        })
}

/// A value that is written out in the file: not a reference to where a secret lives
/// ([`is_reference`]), not a switch or an empty word (`true`, `none`, `unset`), not a path
/// (`/run/secrets/db`, `./key`, `~/.npmrc`), and at least three characters long.
pub(crate) fn is_literal(v: &str) -> bool {
    let t = v.trim();
    t.len() >= 3
        && !is_path(t)
        && !NOT_LITERAL.contains(&t.to_ascii_lowercase().as_str())
        && !is_reference(t)
}

/// `./x`, `~/x`, or an absolute path of two parts at least (`/run/secrets/db`); a value that only
/// starts with `/` may be base64 (`/8fKq2Lm7Tx4Kv9N`).
fn is_path(t: &str) -> bool {
    t.starts_with("./")
        || t.starts_with("~/")
        || t.strip_prefix('/').is_some_and(|rest| rest.contains('/'))
}

/// True for values that name where a secret lives instead of being one: a store reference, an
/// environment variable (`$X`, `${X}`, `%X%`), a template or a placeholder.
pub(crate) fn is_reference(v: &str) -> bool {
    let t = v.trim();
    t.starts_with('$')
        || t.starts_with('%') && t.ends_with('%')
        || is_store_reference(t)
        || crate::engine::placeholder::is_placeholder(t.as_bytes())
}

/// True for values that name a secret store entry instead of being a secret: Vault, AWS Secrets
/// Manager / SSM, Azure Key Vault references, SOPS, 1Password, vals, GCP Secret Manager.
pub(crate) fn is_store_reference(v: &str) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            "spring.datasource.password",
            "SIGNING_KEY",
            "DBPASSWORD",
            "accesstoken",
            "SECRET_KEY_BASE",
            "userPassword",
            "USE_TOKEN",
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
            "existingSecret",
            "secretName",
            "tokenUrl",
            "BYPASS",
            "OAUTH_PROVIDER",
            "",
            "_",
        ] {
            assert!(!names_secret(k), "{k}");
        }
    }

    #[test]
    fn secret_object_names_are_not_secrets() {
        for (k, v) in [
            ("tlsSecret", "x-tls"),
            ("keyPasswordSecretKey", "key-password"),
            ("tokenSecret", "gh-token"),
            ("passwordSecretKey", "pg-password-2"),
            ("clientSecretSecret", "oidc-client"),
            ("jwtSecret", "jwt-signing-key.v2"),
        ] {
            assert!(names_k8s_secret(k, v), "{k}: {v}");
        }
        for (k, v) in [
            // A random lowercase value under a Secret-ish key is still a secret.
            ("jwtSecret", "q8zr2lmx0vt4bn7cw1ye5uj3"), // nhiscan:allow fake value in a unit test
            ("tlsSecret", "Zr8kQ2vN5wLp9"),            // nhiscan:allow fake value in a unit test
            // These keys hold a value, not a name.
            ("secret", "my-secret"),
            ("awsSecretKey", "wjal-rxut-nfemi"),
            ("password", "key-password"),
        ] {
            assert!(!names_k8s_secret(k, v), "{k}: {v}");
        }
    }

    #[test]
    fn npm_auth_is_a_secret_name_everywhere() {
        // Once a secret in Dockerfiles only, not in appsettings.json: one vocabulary now.
        for k in ["NPM_AUTH", "npm_auth", "Npm:Auth", "Auth"] {
            assert!(names_secret(k), "{k}");
        }
    }

    #[test]
    fn literals_and_references() {
        for r in [
            "vault:secret/data/db#password",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
            "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db/)",
            "${{ secrets.NPM_TOKEN }}",
            "ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]",
            "${DB_PASSWORD}",
            "%DB_PASSWORD%",
        ] {
            assert!(is_reference(r), "{r}");
            assert!(!is_literal(r), "{r}");
        }
        assert!(!is_reference("Hq7Zm2-Wx9Lt4-2024"));
        for v in [
            "Hq7Zm2-Wx9Lt4-2024",
            "x9q",
            " Hq7Zm2Wx9Lt4Rv8K ",
            "/8fKq2Lm7Tx4Kv9N",
        ] {
            assert!(is_literal(v), "{v}");
        }
        for v in [
            "",
            "ab",
            "true",
            "None",
            "unset",
            "/run/secrets/db",
            "./key",
            "~/.npmrc",
            "changeme",
            "$TOKEN",
        ] {
            assert!(!is_literal(v), "{v}");
        }
    }
}
