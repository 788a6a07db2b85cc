//! GitHub Actions workflows (`.github/workflows/*.yml`): token permissions, `pull_request_target` jobs
//! that run the pull request's code with secrets, and `secrets: inherit`.

use super::input::{hit, Hit, Input};
use super::syntax::doc::Node;

const PERMISSIONS_WRITE_ALL: &str = "gha-permissions-write-all";
const SECRETS_INHERIT: &str = "gha-secrets-inherit";
const PERMISSIONS_MISSING: &str = "gha-permissions-missing";
const PULL_REQUEST_TARGET_CHECKOUT: &str = "gha-pull-request-target-checkout";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[
    PERMISSIONS_WRITE_ALL,
    SECRETS_INHERIT,
    PERMISSIONS_MISSING,
    PULL_REQUEST_TARGET_CHECKOUT,
];

/// YAML directly in `.github/workflows/` at the repository root: the only files GitHub runs as
/// workflows. Paths are repository-relative in every source (`scan` in a git work tree, `git`,
/// `staged`); a vendored action's workflows (`vendor/x/.github/workflows/`, `node_modules/…`), a
/// subdirectory of `workflows/`, or a file inside an image (`/app/.github/…`) never run.
pub(crate) fn claims(inp: &Input) -> bool {
    inp.is_yaml() && is_workflow_path(&inp.path)
}

fn is_workflow_path(path: &str) -> bool {
    let p = path.strip_prefix("./").unwrap_or(path);
    p.strip_prefix(".github/workflows/")
        .is_some_and(|f| !f.is_empty() && !f.contains('/'))
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    for wf in inp.yaml() {
        workflow(wf, &inp.path, hits);
    }
}

fn workflow(wf: &Node, path: &str, hits: &mut Vec<Hit>) {
    let Some(jobs) = wf.get("jobs") else { return };
    // YAML 1.1 readers turn `on` into `true`; accept both spellings.
    let on = wf.get("on").or_else(|| wf.get("true"));
    let triggers: Vec<&str> = match on {
        Some(n) if n.as_str().is_some() => n.strs(),
        Some(n) if !n.entries().is_empty() => {
            n.entries().iter().map(|(k, _, _)| k.as_str()).collect()
        }
        Some(n) => n.strs(),
        None => Vec::new(),
    };
    let top = wf.get("permissions");
    if let Some(p) = top {
        if p.as_str() == Some("write-all") {
            hits.push(hit(
                PERMISSIONS_WRITE_ALL,
                wf.key_line("permissions"),
                "workflow GITHUB_TOKEN has write-all permissions",
                format!("{path}|write-all"),
            ));
        }
    }
    let mut missing = None;
    for (job, jline, j) in jobs.entries() {
        match j.get("permissions") {
            Some(p) if p.as_str() == Some("write-all") => hits.push(hit(
                PERMISSIONS_WRITE_ALL,
                j.key_line("permissions"),
                format!("job `{job}` GITHUB_TOKEN has write-all permissions"),
                format!("{path}|{job}|write-all"),
            )),
            None if missing.is_none() && j.get("uses").is_none() => {
                missing = Some((job.as_str(), *jline))
            }
            _ => {}
        }
        if j.get("secrets").and_then(Node::as_str) == Some("inherit") {
            hits.push(hit(
                SECRETS_INHERIT,
                j.key_line("secrets"),
                format!("job `{job}` passes every secret of the repository to the called workflow"),
                format!("{path}|{job}|inherit"),
            ));
        }
        if triggers.contains(&"pull_request_target") {
            prt_checkout(job, j, path, hits);
        }
    }
    if top.is_none() {
        if let Some((job, line)) = missing {
            hits.push(hit(
                PERMISSIONS_MISSING,
                line,
                format!("no `permissions` block for the workflow or job `{job}`: the token gets the repository default"),
                format!("{path}|missing"),
            ));
        }
    }
}

fn prt_checkout(job: &str, j: &Node, path: &str, hits: &mut Vec<Hit>) {
    let mut secrets = j.get("secrets").is_some();
    j.walk(&mut |n| {
        if n.as_str().is_some_and(|s| s.contains("secrets.")) {
            secrets = true;
        }
    });
    if !secrets {
        return;
    }
    for step in j.at(&["steps"]).items() {
        let uses = step.at(&["uses"]).as_str().unwrap_or("");
        if !uses.starts_with("actions/checkout") {
            continue;
        }
        let with = step.at(&["with"]);
        let r = with.at(&["ref"]).as_str().unwrap_or("");
        let head = [
            "pull_request.head",
            "github.head_ref",
            "refs/pull/",
            "merge_commit_sha",
        ]
        .iter()
        .any(|p| r.contains(p));
        if head {
            hits.push(hit(
                PULL_REQUEST_TARGET_CHECKOUT,
                with.key_line("ref"),
                format!("job `{job}` checks out the pull request's code ({r}) in a pull_request_target run that has secrets"),
                format!("{path}|{job}|{r}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_root_workflows_directory() {
        for p in [".github/workflows/ci.yml", "./.github/workflows/a.yaml"] {
            assert!(is_workflow_path(p), "{p}");
        }
        for p in [
            "vendor/x/.github/workflows/ci.yml",
            "node_modules/foo/.github/workflows/a.yml",
            "/app/.github/workflows/ci.yml",
            ".github/workflows/old/ci.yml",
            ".github/workflows/",
            "x.github/workflows/ci.yml",
        ] {
            assert!(!is_workflow_path(p), "{p}");
        }
    }
}
