//! Who a found credential belongs to, read at scan time from the secret and the text around it, and
//! kept on the finding as the `nhi` property (never the secret itself: ids are hashes, key ids are
//! redacted). Reports and the inventory only read these facts; a JSON report written by one scan
//! carries them to an inventory built later.
//!
//! What is read comes from the token formats the providers document (AWS key id prefixes and the
//! account id they encode, GitHub and GitLab prefixes, Slack app-level tokens and webhook URLs,
//! service-account key files) or from a rule's `nhi:*` tag (`nhi:aws-secret-key`,
//! `nhi:gcp-service-account`, `nhi:azure-service-principal`, `nhi:connection-string`), never from
//! rule ids.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Value};

use crate::engine::Rule;

use super::ident::{nhi, short};
use super::tokens;

/// How far around a secret its companions (the key id of an AWS secret key, a key file's
/// `client_email`, a tenant id) are looked for.
const WINDOW: usize = 2048;

static AWS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b").expect("regex"));
static GCP_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"client_email\\?"?\s*:\s*\\?["']?([A-Za-z0-9._%+-]{1,100}@[A-Za-z0-9.-]{1,200})"#)
        .expect("regex")
});
static GCP_PROJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"project_id\\?"?\s*:\s*\\?["']?([a-z][a-z0-9-]{4,61}[a-z0-9])"#).expect("regex")
});
const GUID: &str = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})";
static AZ_TENANT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(?:tenant[_.-]?id|tenant|directory[_.-]?id)["']?\s*(?::=|=>|[=:,])\s*["']?{GUID}"#
    ))
    .expect("regex")
});
static AZ_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(?:client[_.-]?id|app[_.-]?id|application[_.-]?id)["']?\s*(?::=|=>|[=:,])\s*["']?{GUID}"#
    ))
    .expect("regex")
});
static URL_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([A-Za-z][A-Za-z0-9+.-]{1,30})://([A-Za-z0-9._~%!&*+=-]{0,64}):$").expect("regex")
});
static URL_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@([A-Za-z0-9._-]{1,253}|\[[0-9a-fA-F:.]+\])(?::([0-9]{1,5}))?").expect("regex")
});
static KV_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[;\s])(?:server|data source|host|addr|address)\s*=\s*([^;\s]{1,253})")
        .expect("regex")
});
static KV_USER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[;\s])(?:user id|uid|user|username|user name)\s*=\s*([^;]{1,64})")
        .expect("regex")
});
static SAS_POLICY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Endpoint=sb://([a-z0-9.-]{1,253})/?;\s*SharedAccessKeyName=([^;\s]{1,256});")
        .expect("regex")
});
static STORAGE_ACCOUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)AccountName=([a-z0-9]{3,24})").expect("regex"));

/// The text around `start..end` of `data`, and where `start` is in it (on a char boundary, whatever
/// bytes the content holds).
fn window(data: &[u8], start: usize, end: usize) -> (String, usize) {
    let from = start.saturating_sub(WINDOW).min(data.len());
    let to = (end + WINDOW).min(data.len()).max(from);
    let start = start.clamp(from, to);
    let text = String::from_utf8_lossy(&data[from..to]).into_owned();
    // Invalid bytes become U+FFFD (three bytes): measure the prefix the same way.
    let mut at = String::from_utf8_lossy(&data[from..start])
        .len()
        .min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    (text, at)
}

/// The line holding `at` in `text`: (line, offset of `at` in it).
fn line_at(text: &str, at: usize) -> (&str, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let s = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let e = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (&text[s..e], at - s)
}

/// True when `hay` holds `needle` (lower-case ASCII) in any ASCII case.
fn has_ascii_ci(hay: &str, needle: &str) -> bool {
    hay.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// An AWS key id as reports show it: the prefix and the last four characters.
fn shown_key_id(k: &str) -> String {
    format!("{}…{}", &k[..4], &k[k.len() - 4..])
}

fn aws_key(key_id: &str, paired: bool) -> Value {
    let account = crate::lifetime::aws_account_id(key_id);
    let shown = shown_key_id(key_id);
    let name = match &account {
        Some(a) => format!("AWS access key {shown} (account {a})"),
        None => format!("AWS access key {shown}"),
    };
    let kind = if key_id.starts_with("ASIA") {
        "temporary (STS)"
    } else {
        "long-term"
    };
    nhi(
        "aws-access-key",
        format!("aws:{}", short(&["aws-key-id", key_id])),
        name,
        &[
            ("account_id", json!(account)),
            ("key_id", json!(shown)),
            ("key_kind", json!(kind)),
            ("paired", json!(paired)),
        ],
    )
}

/// The identity facts of `secret`, found by `rule` at `start..end` of `data`; `None` when nothing
/// more than the secret itself is known (the inventory then groups by fingerprint).
pub(crate) fn of_secret(
    rule: &Rule,
    secret: &str,
    data: &[u8],
    start: usize,
    end: usize,
) -> Option<Value> {
    let s = secret.trim();
    if s.len() == 20 && AWS_KEY_ID.is_match(s) {
        return Some(aws_key(s, false));
    }
    if let Some(v) = tokens::github(s)
        .or_else(|| tokens::gitlab(s))
        .or_else(|| tokens::slack(s))
        .or_else(|| tokens::k8s_token(s))
    {
        return Some(v);
    }
    let (text, at) = window(data, start, end);
    if rule.has_tag("nhi:aws-secret-key") {
        // The key id nearest the secret key: the pair is one identity.
        let nearest = AWS_KEY_ID
            .find_iter(&text)
            .min_by_key(|m| m.start().abs_diff(at));
        return Some(match nearest {
            Some(m) => aws_key(m.as_str(), true),
            None => nhi(
                "aws-access-key",
                format!("aws-secret:{}", short(&["aws-secret", s])),
                "AWS secret access key (its key id is not next to it)".into(),
                &[("paired", json!(false))],
            ),
        });
    }
    // The private key of a service-account key file (found by a key rule, tagged `self-issued`)
    // belongs to the account, as its `private_key_id` does.
    let key_of_key_file = rule.has_tag("self-issued")
        && text.contains("service_account")
        && text.contains("private_key_id");
    if rule.has_tag("nhi:gcp-service-account") || key_of_key_file {
        if let Some(email) = GCP_EMAIL.captures(&text).map(|c| c[1].to_string()) {
            let project = GCP_PROJECT
                .captures(&text)
                .map(|c| c[1].to_string())
                .or_else(|| {
                    email
                        .split_once('@')
                        .and_then(|(_, d)| d.strip_suffix(".iam.gserviceaccount.com"))
                        .map(str::to_string)
                });
            return Some(nhi(
                "gcp-service-account",
                format!("gcp-sa:{email}"),
                email.clone(),
                &[
                    ("client_email", json!(email)),
                    ("project_id", json!(project)),
                ],
            ));
        }
    }
    if rule.has_tag("nhi:azure-service-principal") {
        let tenant = AZ_TENANT.captures(&text).map(|c| c[1].to_ascii_lowercase());
        let client = AZ_CLIENT.captures(&text).map(|c| c[1].to_ascii_lowercase());
        let (id, name) = match (&tenant, &client) {
            (t, Some(c)) => (
                format!("azure-sp:{}/{c}", t.as_deref().unwrap_or("?")),
                format!("Azure app {c}"),
            ),
            _ => (
                format!("azure-secret:{}", short(&["azure-secret", s])),
                "Azure client secret (application not named next to it)".into(),
            ),
        };
        return Some(nhi(
            "azure-service-principal",
            id,
            name,
            &[("tenant_id", json!(tenant)), ("client_id", json!(client))],
        ));
    }
    let (line, col) = line_at(&text, at);
    let before = line.get(..col).unwrap_or("");
    // The two patterns below are compiled only for a line that names what they need: the first
    // finding of a run otherwise paid ~2 ms to build them (perf of `staged`, 10% of its time). The
    // words have no non-ASCII case variants (no `k` or `s`, which `(?i)` also matches as U+212A and
    // U+017F), so an ASCII-case-insensitive look answers the same as the pattern would.
    let account = has_ascii_ci(before, "accountname=")
        .then(|| STORAGE_ACCOUNT.captures(before))
        .flatten();
    if let Some(acc) = account {
        let acc = acc[1].to_ascii_lowercase();
        return Some(nhi(
            "azure-storage-account",
            format!("azure-storage:{acc}"),
            format!("Azure storage account {acc}"),
            &[("account", json!(acc))],
        ));
    }
    // Service Bus / Event Hubs connection strings name the namespace and the access policy.
    let policy = has_ascii_ci(before, "ndpoint=")
        .then(|| SAS_POLICY.captures(before))
        .flatten();
    if let Some(c) = policy {
        let (ns, policy) = (c[1].to_ascii_lowercase(), c[2].to_string());
        return Some(nhi(
            "azure-sas-policy",
            format!("azure-sas:{ns}/{policy}"),
            format!("Azure access policy {policy} of {ns}"),
            &[("namespace", json!(ns)), ("policy", json!(policy))],
        ));
    }
    if rule.has_tag("nhi:connection-string") {
        return connection(line, col, (col + s.len()).min(line.len()), s);
    }
    None
}

/// `scheme://user:SECRET@host:port` or `Server=…;User Id=…;Password=SECRET`.
fn connection(line: &str, col: usize, end: usize, secret: &str) -> Option<Value> {
    let (scheme, user, host, port) = if let Some(c) = URL_BEFORE.captures(line.get(..col)?) {
        let after = URL_AFTER.captures(line.get(end..).unwrap_or(""));
        (
            c[1].to_ascii_lowercase(),
            c[2].to_string(),
            after.as_ref().map(|a| a[1].to_ascii_lowercase()),
            after.and_then(|a| a.get(2).map(|p| p.as_str().to_string())),
        )
    } else {
        let host = KV_HOST.captures(line).map(|c| c[1].to_ascii_lowercase());
        let user = KV_USER.captures(line).map(|c| c[1].trim().to_string())?;
        ("server".to_string(), user, host, None)
    };
    // A user name made of the secret's characters is no user name to show.
    if user.is_empty() || secret.contains(&user) && user.len() > 12 {
        return None;
    }
    let broker = [
        "amqp", "amqps", "mqtt", "mqtts", "kafka", "nats", "redis", "rediss", "stomp",
    ]
    .iter()
    .any(|b| scheme.starts_with(b));
    // Basic-auth URLs of web, file-transfer and mail services are users of that service, not of a
    // database (seen on 100 repositories: `http://…@google.com` was listed as a database user).
    let service = [
        "http", "https", "ftp", "ftps", "sftp", "ssh", "git", "svn", "ws", "wss", "smtp", "smtps",
        "imap", "imaps", "pop3", "pop3s", "ldap", "ldaps",
    ]
    .contains(&scheme.as_str());
    let kind = if broker {
        "broker-user"
    } else if service {
        "service-user"
    } else {
        "database-user"
    };
    let host_shown = host.clone().unwrap_or_else(|| "?".into());
    let base = scheme.split('+').next().unwrap_or(&scheme).to_string();
    Some(nhi(
        kind,
        format!("{kind}:{base}://{user}@{host_shown}"),
        format!("{user}@{host_shown} ({base})"),
        &[
            ("scheme", json!(base)),
            ("user", json!(user)),
            ("host", json!(host)),
            ("port", json!(port)),
        ],
    ))
}

/// The identity of an analyzer finding that named none itself: the document that grants the
/// permission (a workflow's token, a policy file) is the identity, scoped to its repository.
pub(crate) fn of_document(rule: &Rule, artifact: &str) -> Option<Value> {
    let oidc = rule.has_tag("nhi:ci-oidc-trust");
    let (kind, label) = match rule.spec.analyzer.as_deref()? {
        _ if oidc => ("ci-oidc-trust", "CI OIDC trust policy"),
        "gha" => ("ci-workflow", "GitHub Actions workflow"),
        "aws-iam" => ("aws-iam-policy", "AWS IAM policy"),
        "gcp" => ("gcp-iam-policy", "GCP IAM policy"),
        "azure" => ("azure-role", "Azure role"),
        "k8s" => ("k8s-rbac", "Kubernetes RBAC"),
        "dockerfile" => ("container-build", "Dockerfile"),
        _ => return None,
    };
    Some(nhi(
        kind,
        format!("{kind}:{artifact}"),
        format!("{label} {artifact}"),
        &[("local", json!(true))],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// A fake secret, made at run time (no token-shaped literal in the sources).
    fn fake(alphabet: &[u8], len: usize, seed: u64) -> String {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }

    fn rule(tags: &[&str]) -> Rule {
        let mut r = crate::engine::rule::builtin()
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        r.spec.tags = tags.iter().map(|t| t.to_string()).collect();
        r
    }

    fn at(data: &str, secret: &str, tags: &[&str]) -> Option<Value> {
        let start = data.find(secret).unwrap();
        of_secret(
            &rule(tags),
            secret,
            data.as_bytes(),
            start,
            start + secret.len(),
        )
    }

    #[test]
    fn aws_pair_is_one_identity() {
        // The documented example of the account-id encoding.
        let id = concat!("AKIA", "Y34FZKBOKMUTVV7A");
        let sk = fake(B64, 40, 1);
        let text = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {sk}\n");
        let a = at(&text, id, &[]).unwrap();
        let b = at(&text, &sk, &["nhi:aws-secret-key"]).unwrap();
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["account_id"], "609629065308");
        assert_eq!(b["paired"], true);
        assert!(!a.to_string().contains(id), "the key id is shown redacted");
        let alone = format!("aws_secret_access_key = {sk}\n");
        let alone = at(&alone, &sk, &["nhi:aws-secret-key"]).unwrap();
        assert_ne!(alone["id"], a["id"]);
        assert!(!alone.to_string().contains(&sk));
    }

    #[test]
    fn token_kinds_from_prefixes() {
        let t = format!("{}{}", "ghs_", fake(ALNUM, 36, 2));
        let v = at(&t, &t, &[]).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["actor"].as_str()),
            (Some("github-token"), Some("app"))
        );
        let team = format!("T{}", fake(UPPER, 10, 3));
        let hook = format!(
            "https://hooks.slack.com/services/{team}/B{}/{}",
            fake(UPPER, 10, 4),
            fake(ALNUM, 24, 5)
        );
        assert_eq!(
            at(&hook, &hook, &[]).unwrap()["workspace_id"],
            team.as_str()
        );
        let app_id = format!("A{}", fake(UPPER, 10, 6));
        let app = format!(
            "xapp-1-{app_id}-4848484848484-{}",
            fake(b"0123456789abcdef", 64, 7)
        );
        assert_eq!(
            at(&app, &app, &[]).unwrap()["id"],
            format!("slack-app:{app_id}")
        );
    }

    #[test]
    fn service_account_tokens() {
        use base64::Engine as _;
        let b = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
        let jwt = format!(
            "{}.{}.{}",
            b(r#"{"alg":"RS256"}"#),
            b(
                r#"{"iss":"https://kubernetes.default.svc","sub":"system:serviceaccount:payments-prod:deployer"}"#
            ),
            fake(ALNUM, 43, 8)
        );
        let v = at(&jwt, &jwt, &[]).unwrap();
        assert_eq!(v["id"], "k8s-sa:payments-prod/deployer");
        let other = format!(
            "{}.{}.c2ln",
            b(r#"{"alg":"HS256"}"#),
            b(r#"{"sub":"user-1"}"#)
        );
        assert!(at(&other, &other, &[]).is_none());
    }

    #[test]
    fn companions_in_the_surroundings() {
        let key_id = fake(b"0123456789abcdef", 40, 9);
        let sa = format!("{{\"type\": \"service_account\", \"project_id\": \"billing-prod-4821\", \"private_key_id\": \"{key_id}\", \"client_email\": \"deployer@billing-prod-4821.iam.gserviceaccount.com\"}}");
        let v = at(&sa, &key_id, &["nhi:gcp-service-account"]).unwrap();
        assert_eq!(
            v["id"],
            "gcp-sa:deployer@billing-prod-4821.iam.gserviceaccount.com"
        );
        assert_eq!(v["project_id"], "billing-prod-4821");
        // Another secret next to a key file is not the service account's.
        let pw = fake(ALNUM, 16, 10);
        let db =
            format!("{sa}\nDATABASE_URL=postgres://billing_svc:{pw}@db-prod.internal:5432/billing");
        let v = at(&db, &pw, &["nhi:connection-string"]).unwrap();
        assert_eq!(
            v["id"],
            "database-user:postgres://billing_svc@db-prod.internal"
        );
        assert_eq!(v["port"], "5432");
        let web = format!("url = \"https://deploy:{pw}@artifacts.example.net/repo\"");
        let v = at(&web, &pw, &["nhi:connection-string"]).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["user"].as_str()),
            (Some("service-user"), Some("deploy"))
        );
        let ado = format!("Server=tcp:sql1.example.net,1433;User Id=report_reader;Password={pw};");
        let v = at(&ado, &pw, &["nhi:connection-string"]).unwrap();
        assert_eq!(v["user"], "report_reader");
        let secret = format!("{}{}{}", fake(ALNUM, 4, 11), "Q~", fake(ALNUM, 34, 12));
        let az = format!("AZURE_TENANT_ID=0c3b7e61-1d2a-4f0e-9a55-1b2c3d4e5f60\nAZURE_CLIENT_ID=7f9e8d7c-6b5a-4c3d-8e2f-0a1b2c3d4e5f\nAZURE_CLIENT_SECRET={secret}\n");
        let v = at(&az, &secret, &["nhi:azure-service-principal"]).unwrap();
        assert_eq!(v["tenant_id"], "0c3b7e61-1d2a-4f0e-9a55-1b2c3d4e5f60");
        assert_eq!(v["client_id"], "7f9e8d7c-6b5a-4c3d-8e2f-0a1b2c3d4e5f");
        assert!(at(&format!("password = {pw}"), &pw, &[]).is_none());
        let sas = format!("{}=", fake(B64, 43, 13));
        let sb = format!("Endpoint=sb://orders-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sas}");
        let v = at(&sb, &sas, &[]).unwrap();
        assert_eq!(
            v["id"],
            "azure-sas:orders-prod.servicebus.windows.net/RootManageSharedAccessKey"
        );
        // The account name is read in any case (the words are looked for before the pattern runs).
        let key = format!("{}==", fake(B64, 86, 14));
        let st =
            format!("DefaultEndpointsProtocol=https;accountNAME=Billingstore01;AccountKey={key}");
        let v = at(&st, &key, &[]).unwrap();
        assert_eq!(v["id"], "azure-storage:billingstore01");
        let other = format!("Protocol=https;Account_Name=billingstore01;AccountKey={key}");
        assert!(at(&other, &key, &[]).is_none());
        // Invalid UTF-8 and multibyte text around the secret move no offset off a char boundary.
        let mut bytes = b"\xff\xfe\xc3 h\xc3\xa9 DATABASE_URL=postgres://app:".to_vec();
        let at_secret = bytes.len();
        bytes.extend_from_slice(format!("{pw}@db:5432/x ").as_bytes());
        bytes.extend_from_slice(b"\xe2\x82");
        let v = of_secret(
            &rule(&["nhi:connection-string"]),
            &pw,
            &bytes,
            at_secret,
            at_secret + pw.len(),
        )
        .unwrap();
        assert_eq!(v["user"], "app");
    }
}
