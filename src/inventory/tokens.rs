//! The facts a token's own format carries (GitHub and GitLab token kinds, Slack app and workspace
//! ids, Kubernetes service-account tokens), as documented by the providers.

use serde_json::{json, Value};

use super::ident::{nhi, short};

pub(super) fn github(s: &str) -> Option<Value> {
    let (kind, actor) = [
        ("ghp_", "personal access token (classic)", "user"),
        ("github_pat_", "fine-grained personal access token", "user"),
        ("gho_", "OAuth app user token", "user"),
        ("ghu_", "GitHub App user-to-server token", "app"),
        ("ghs_", "GitHub App installation token", "app"),
        ("ghr_", "GitHub App refresh token", "app"),
    ]
    .iter()
    .find(|(p, _, _)| s.starts_with(p))
    .map(|(_, k, a)| (*k, *a))?;
    Some(nhi(
        "github-token",
        format!("github:{}", short(&["github", s])),
        format!("GitHub {kind} {}", crate::finding::redact(s)),
        &[("token_kind", json!(kind)), ("actor", json!(actor))],
    ))
}

pub(super) fn gitlab(s: &str) -> Option<Value> {
    let (kind, actor) = [
        ("glpat-", "personal, project or group access token", "user"),
        ("gldt-", "deploy token", "deploy"),
        ("glrt-", "runner authentication token", "runner"),
        ("glrtr-", "runner registration token", "runner"),
        ("glptt-", "pipeline trigger token", "ci"),
        ("glcbt-", "CI/CD job token", "ci"),
        ("glft-", "feed token", "user"),
        ("glimt-", "incoming mail token", "user"),
        ("glagent-", "Kubernetes agent token", "agent"),
        ("gloas-", "OAuth application secret", "app"),
        ("glsoat-", "SCIM token", "app"),
        ("glffct-", "feature flags client token", "app"),
    ]
    .iter()
    .find(|(p, _, _)| s.starts_with(p))
    .map(|(_, k, a)| (*k, *a))?;
    Some(nhi(
        "gitlab-token",
        format!("gitlab:{}", short(&["gitlab", s])),
        format!("GitLab {kind} {}", crate::finding::redact(s)),
        &[("token_kind", json!(kind)), ("actor", json!(actor))],
    ))
}

/// Slack: app-level tokens carry the app id (`xapp-1-A…-`), incoming webhook URLs the workspace
/// (`/services/T…/B…/`); the other token kinds carry no id that is documented as one.
pub(super) fn slack(s: &str) -> Option<Value> {
    if let Some(rest) = s.strip_prefix("xapp-") {
        let app = rest
            .split('-')
            .nth(1)
            .filter(|a| a.starts_with('A') && a.bytes().all(|b| b.is_ascii_alphanumeric()));
        let id = match app {
            Some(a) => format!("slack-app:{a}"),
            None => format!("slack:{}", short(&["slack", s])),
        };
        let name = app.map_or_else(|| "Slack app".into(), |a| format!("Slack app {a}"));
        return Some(nhi(
            "slack-app",
            id,
            name,
            &[
                ("token_kind", json!("app-level token")),
                ("app_id", json!(app)),
            ],
        ));
    }
    if let Some(rest) = s.split("hooks.slack.com/services/").nth(1) {
        let mut parts = rest.split('/');
        let team = parts.next().filter(|t| t.starts_with('T'));
        return Some(nhi(
            "slack-app",
            format!("slack:{}", short(&["slack", s])),
            format!(
                "Slack incoming webhook{}",
                team.map_or_else(String::new, |t| format!(" (workspace {t})"))
            ),
            &[
                ("token_kind", json!("incoming webhook")),
                ("workspace_id", json!(team)),
            ],
        ));
    }
    let kind = [
        ("xoxb-", "bot token"),
        ("xoxp-", "user token"),
        ("xoxe.xox", "configuration token"),
        ("xoxe-", "refresh token"),
        ("xoxa-", "legacy workspace token"),
        ("xoxs-", "legacy session token"),
    ]
    .iter()
    .find(|(p, _)| s.starts_with(p))
    .map(|(_, k)| *k)?;
    Some(nhi(
        "slack-app",
        format!("slack:{}", short(&["slack", s])),
        format!("Slack {kind} {}", crate::finding::redact(s)),
        &[("token_kind", json!(kind))],
    ))
}

/// A Kubernetes ServiceAccount token (a JWT whose subject is `system:serviceaccount:NS:NAME`, or a
/// legacy secret-based token with the `kubernetes.io/serviceaccount/*` claims): that ServiceAccount.
pub(super) fn k8s_token(s: &str) -> Option<Value> {
    use base64::Engine as _;
    let payload = s.strip_prefix("eyJ")?.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?,
    )
    .ok()?;
    let (ns, name) = match claims.get("sub").and_then(Value::as_str) {
        Some(sub) if sub.starts_with("system:serviceaccount:") => {
            let mut p = sub["system:serviceaccount:".len()..].splitn(2, ':');
            (p.next()?.to_string(), p.next()?.to_string())
        }
        _ => (
            claims
                .get("kubernetes.io/serviceaccount/namespace")?
                .as_str()?
                .to_string(),
            claims
                .get("kubernetes.io/serviceaccount/service-account.name")?
                .as_str()?
                .to_string(),
        ),
    };
    Some(nhi(
        "k8s-service-account",
        format!("k8s-sa:{ns}/{name}"),
        format!("ServiceAccount {ns}/{name}"),
        &[
            ("namespace", json!(ns)),
            ("service_account", json!(name)),
            ("token_kind", json!("ServiceAccount token")),
            ("local", json!(true)),
        ],
    ))
}
