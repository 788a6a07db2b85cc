//! Google Cloud IAM: basic roles (`roles/owner`, `roles/editor`) granted to service accounts, and
//! project-wide service-account impersonation roles, in IAM policy files (`gcloud ... get-iam-policy`
//! YAML/JSON) and Terraform `google_*_iam_member|binding|policy` / `data "google_iam_policy"`.

use super::input::{hit, Hit, Input};
use super::syntax::doc::{line_of, Node};
use super::syntax::hcl as tf;

const BASIC_ROLE_SERVICE_ACCOUNT: &str = "gcp-basic-role-service-account";
const PROJECT_WIDE_SA_IMPERSONATION: &str = "gcp-project-wide-sa-impersonation";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[BASIC_ROLE_SERVICE_ACCOUNT, PROJECT_WIDE_SA_IMPERSONATION];

const IMPERSONATION: &[&str] = &[
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser",
];

fn grant(role: &str, members: &[String], line: usize, project_wide: bool, hits: &mut Vec<Hit>) {
    if matches!(role, "roles/owner" | "roles/editor") {
        for m in members.iter().filter(|m| m.starts_with("serviceAccount:")) {
            let mut h = hit(
                BASIC_ROLE_SERVICE_ACCOUNT,
                line,
                format!("{role} granted to {m}"),
                format!("{role}|{m}"),
            );
            if role == "roles/owner" {
                h.severity = Some(crate::finding::Severity::Critical);
            }
            hits.push(h);
        }
    }
    if project_wide && IMPERSONATION.contains(&role) && !members.is_empty() {
        hits.push(hit(
            PROJECT_WIDE_SA_IMPERSONATION,
            line,
            format!("{role} granted on the whole project to {}: it can act as every service account there", members.join(", ")),
            format!("{role}|{}", members.join(",")),
        ));
    }
}

/// JSON/YAML naming a `roles/` role; Terraform naming a `google_` resource.
pub(crate) fn claims(inp: &Input) -> bool {
    if inp.is_structured() {
        inp.has("roles/")
    } else {
        inp.is_tf() && inp.has("google_")
    }
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    inp.docs_or_tf(hits, check_docs, check_tf);
}

fn check_docs(docs: &[Node], hits: &mut Vec<Hit>) {
    for d in docs {
        for b in d.at(&["bindings"]).items() {
            let Some(role) = b.get("role").and_then(Node::as_str) else {
                continue;
            };
            let members: Vec<String> = b
                .at(&["members"])
                .strs()
                .into_iter()
                .map(str::to_owned)
                .collect();
            grant(role, &members, b.line, true, hits);
        }
    }
}

fn check_tf(body: &hcl::Body, text: &str, hits: &mut Vec<Hit>) {
    for b in tf::blocks(body, text) {
        let ty = b.ty;
        if b.kind == "data" && ty == "google_iam_policy" {
            for (i, bind) in b
                .block
                .body
                .blocks()
                .filter(|x| x.identifier.as_str() == "binding")
                .enumerate()
            {
                let line = tf::nth_after(text, b.offset, r"\bbinding\s*\{", i)
                    .map_or(b.line, |o| line_of(text, o));
                let role = tf::attr_str(&bind.body, "role").unwrap_or_default();
                grant(
                    &role,
                    &tf::attr_strs(&bind.body, "members"),
                    line,
                    true,
                    hits,
                );
            }
            continue;
        }
        if b.kind != "resource" || !ty.starts_with("google_") || !ty.contains("_iam_") {
            continue;
        }
        let project_wide = [
            "google_project_iam_",
            "google_folder_iam_",
            "google_organization_iam_",
        ]
        .iter()
        .any(|p| ty.starts_with(p));
        let body = &b.block.body;
        let Some(role) = tf::attr_str(body, "role") else {
            continue;
        };
        let mut members = tf::attr_strs(body, "members");
        members.extend(tf::attr_str(body, "member"));
        let (line, _) = tf::attr_line(text, b.offset, "role");
        grant(&role, &members, line, project_wide, hits);
    }
}
