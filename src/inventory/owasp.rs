//! The OWASP Non-Human Identities Top 10 (2025) risks a finding or an identity shows, decided from
//! rule data (category, tags, lifetime) and facts (shared, environments), never from rule ids.
//! <https://owasp.org/www-project-non-human-identities-top-10/2025/top-10-2025>

use crate::finding::{Category, LifetimeKind};

/// NHI2:2025 Secret Leakage: a credential in code, config, history or an image.
pub(crate) const SECRET_LEAKAGE: &str = "NHI2:2025";
/// NHI5:2025 Overprivileged NHI: wildcard or admin grants.
pub(crate) const OVERPRIVILEGED: &str = "NHI5:2025";
/// NHI6:2025 Insecure Cloud Deployment Configurations: CI/CD identities and their trust (rules
/// tagged `ci-deployment`: workflow token permissions, OIDC trust without a subject).
pub(crate) const CLOUD_DEPLOYMENT: &str = "NHI6:2025";
/// NHI7:2025 Long-Lived Secrets: no expiry, or longer than the policy allows.
pub(crate) const LONG_LIVED: &str = "NHI7:2025";
/// NHI8:2025 Environment Isolation: one credential in several environments.
pub(crate) const ENVIRONMENT_ISOLATION: &str = "NHI8:2025";
/// NHI9:2025 NHI Reuse: one identity shared by several workloads, services or repositories.
pub(crate) const REUSE: &str = "NHI9:2025";

/// Every risk id nhiscan reports, with its OWASP name, in list order.
pub(crate) const NAMES: &[(&str, &str)] = &[
    (SECRET_LEAKAGE, "Secret Leakage"),
    (OVERPRIVILEGED, "Overprivileged NHI"),
    (CLOUD_DEPLOYMENT, "Insecure Cloud Deployment Configurations"),
    (LONG_LIVED, "Long-Lived Secrets"),
    (ENVIRONMENT_ISOLATION, "Environment Isolation"),
    (REUSE, "NHI Reuse"),
];

/// The risks of one finding: from its rule's category and tags, its lifetime, and whether the same
/// secret was found in several places.
pub(crate) fn of_finding(
    kind: Category,
    tags: &[String],
    lifetime: Option<LifetimeKind>,
    shared: bool,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    // A password hash is leaked credential material too: cracked offline, it is the password.
    if matches!(
        kind,
        Category::Secret | Category::Dockerfile | Category::PasswordHash
    ) {
        out.push(SECRET_LEAKAGE);
    }
    let wide = tags.iter().any(|t| t == "admin" || t == "wildcard");
    if kind == Category::Permission || wide {
        out.push(OVERPRIVILEGED);
    }
    if tags.iter().any(|t| t == "ci-deployment") {
        out.push(CLOUD_DEPLOYMENT);
    }
    if kind == Category::Secret && lifetime == Some(LifetimeKind::LongLived) {
        out.push(LONG_LIVED);
    }
    // An identity-setup finding is about sharing one identity (a namespace's default ServiceAccount).
    if shared || kind == Category::Identity {
        out.push(REUSE);
    }
    out
}

/// Sorts `ids` in list order and drops repeats.
pub(crate) fn normalize(ids: &mut Vec<String>) {
    ids.sort_by_key(|id| {
        NAMES
            .iter()
            .position(|(n, _)| n == id)
            .unwrap_or(usize::MAX)
    });
    ids.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risks_follow_rule_data() {
        let none: Vec<String> = Vec::new();
        assert_eq!(
            of_finding(
                Category::Secret,
                &none,
                Some(LifetimeKind::LongLived),
                false
            ),
            [SECRET_LEAKAGE, LONG_LIVED]
        );
        assert_eq!(
            of_finding(
                Category::Secret,
                &none,
                Some(LifetimeKind::ShortLived),
                true
            ),
            [SECRET_LEAKAGE, REUSE]
        );
        assert_eq!(
            of_finding(Category::Permission, &["wildcard".into()], None, false),
            [OVERPRIVILEGED]
        );
        assert_eq!(
            of_finding(Category::Permission, &["ci-deployment".into()], None, false),
            [OVERPRIVILEGED, CLOUD_DEPLOYMENT]
        );
        assert_eq!(
            of_finding(Category::PasswordHash, &none, None, false),
            [SECRET_LEAKAGE]
        );
        let mut ids = vec![REUSE.to_string(), SECRET_LEAKAGE.into(), REUSE.into()];
        normalize(&mut ids);
        assert_eq!(ids, [SECRET_LEAKAGE, REUSE]);
    }
}
