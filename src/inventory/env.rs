//! Environment hints: which deployment environment a place belongs to, from the words of its path,
//! of a branch whose history holds it, or of its namespace, host or project
//! (`deploy/prod/`, `.env.staging`, `values-dev.yaml`, branch `release/prod`, namespace
//! `payments-prod`, host `db-prod.internal`). A credential seen in two environments breaks their
//! isolation (OWASP NHI8).

/// The environment `text` names, if one: `prod`, `staging`, `dev` or `test`.
pub(crate) fn hint(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    let mut found = None;
    for word in lower.split(|c: char| !c.is_ascii_alphanumeric()) {
        let env = match word {
            "prod" | "production" | "prd" | "live" => "prod",
            "staging" | "stage" | "stg" | "preprod" | "uat" => "staging",
            "dev" | "development" | "develop" | "local" | "sandbox" => "dev",
            "test" | "tests" | "testing" | "qa" | "ci" => "test",
            _ => continue,
        };
        // The deepest word wins (`prod/tests/fixture.env` is test data, not production).
        found = Some(env);
    }
    found
}

/// The environment a branch name names, if one: a whole `/`-separated part that is an environment
/// word (`production`, `deploy/prod`, `origin/staging`), not a word inside one. Branch names are
/// free text about the work on them (`fix/prod-outage`, `ai-autofix/redis_test.go`): on 100
/// repositories, words anywhere in branch names gave 15 identities an environment, all of them
/// such noise.
pub(crate) fn branch_hint(name: &str) -> Option<&'static str> {
    name.rsplit('/')
        .filter(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
        .find_map(hint)
}

#[cfg(test)]
mod tests {
    use super::{branch_hint, hint};

    #[test]
    fn branches_name_an_environment_by_a_whole_part() {
        assert_eq!(branch_hint("deploy/production"), Some("prod"));
        assert_eq!(branch_hint("origin/develop"), Some("dev"));
        assert_eq!(branch_hint("staging"), Some("staging"));
        assert_eq!(branch_hint("fix/prod-outage"), None);
        assert_eq!(branch_hint("ai-autofix/internal/redis_test.go"), None);
        assert_eq!(branch_hint("main"), None);
    }

    #[test]
    fn words_not_substrings() {
        assert_eq!(hint("deploy/prod/app.env"), Some("prod"));
        assert_eq!(hint("config/.env.staging"), Some("staging"));
        assert_eq!(hint("charts/values-dev.yaml"), Some("dev"));
        assert_eq!(hint("db-prod.internal"), Some("prod"));
        assert_eq!(hint("src/product/devices.rs"), None);
        assert_eq!(hint("prod/tests/x.env"), Some("test"));
    }
}
