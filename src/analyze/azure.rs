//! Azure RBAC: custom role definitions whose actions include `"*"` (role JSON for `az role definition
//! create`, ARM templates, Terraform `azurerm_role_definition`), and Owner assignments to service
//! principals (ARM `roleAssignments`, `az role assignment list` output, Terraform
//! `azurerm_role_assignment`).

use super::input::{hit, Hit, Input};
use super::syntax::doc::Node;
use super::syntax::hcl as tf;

const ROLE_DEFINITION_WILDCARD: &str = "azure-role-definition-wildcard";
const OWNER_SERVICE_PRINCIPAL: &str = "azure-owner-service-principal";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[ROLE_DEFINITION_WILDCARD, OWNER_SERVICE_PRINCIPAL];

/// The built-in Owner role's definition id (the same in every tenant).
const OWNER_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

fn wildcard(actions: &Node, line: usize, name: &str, hits: &mut Vec<Hit>) {
    if actions.strs().contains(&"*") {
        hits.push(hit(
            ROLE_DEFINITION_WILDCARD,
            line,
            format!("custom role {name} allows actions \"*\" (every operation, like Owner)"),
            format!("role|{name}"),
        ));
    }
}

/// JSON/YAML with Azure role definitions or assignments; Terraform naming `azurerm_role_`.
pub(crate) fn claims(inp: &Input) -> bool {
    if inp.is_structured() {
        inp.has("Microsoft.Authorization") || inp.has("ssignableScopes") || inp.has("principalType")
    } else {
        inp.is_tf() && inp.has("azurerm_role_")
    }
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    inp.docs_or_tf(hits, check_docs, check_tf);
}

fn check_docs(docs: &[Node], hits: &mut Vec<Hit>) {
    for d in docs {
        d.walk(&mut |n| {
            let name = n
                .get_ci("roleName")
                .or_else(|| n.get_ci("Name"))
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            // `az role definition create` JSON: Actions next to AssignableScopes.
            if n.get_ci("assignableScopes").is_some() {
                if let Some(a) = n.get_ci("actions") {
                    wildcard(a, n.key_line("actions"), &name, hits);
                }
            }
            // ARM / REST shape: properties.permissions[].actions.
            if let Some(perms) = n.get_ci("permissions") {
                let owner_name = n
                    .get_ci("roleName")
                    .and_then(Node::as_str)
                    .unwrap_or(&name)
                    .to_string();
                for p in perms.items() {
                    if let Some(a) = p.get_ci("actions") {
                        wildcard(a, p.key_line("actions"), &owner_name, hits);
                    }
                }
            }
            let ptype = n
                .get_ci("principalType")
                .and_then(Node::as_str)
                .unwrap_or("");
            if ptype != "ServicePrincipal" {
                return;
            }
            let by_name = n.get_ci("roleDefinitionName").and_then(Node::as_str) == Some("Owner");
            let by_id = n
                .get_ci("roleDefinitionId")
                .and_then(Node::as_str)
                .is_some_and(|s| s.contains(OWNER_ID));
            if by_name || by_id {
                let who = n
                    .get_ci("principalName")
                    .or_else(|| n.get_ci("principalId"))
                    .and_then(Node::as_str)
                    .unwrap_or("");
                let scope = n.get_ci("scope").and_then(Node::as_str).unwrap_or("");
                hits.push(hit(
                    OWNER_SERVICE_PRINCIPAL,
                    n.line,
                    format!("Owner role assigned to service principal {who}"),
                    format!("owner|{who}|{scope}"),
                ));
            }
        });
    }
}

fn check_tf(body: &hcl::Body, text: &str, hits: &mut Vec<Hit>) {
    for b in tf::blocks(body, text) {
        let body = &b.block.body;
        match b.ty {
            "azurerm_role_definition" => {
                let name = tf::attr_str(body, "name").unwrap_or_else(|| b.name.to_string());
                for p in body
                    .blocks()
                    .filter(|p| p.identifier.as_str() == "permissions")
                {
                    if tf::attr_strs(&p.body, "actions").iter().any(|a| a == "*") {
                        let (line, _) = tf::attr_line(text, b.offset, "actions");
                        hits.push(hit(
                            ROLE_DEFINITION_WILDCARD,
                            line,
                            format!("custom role {name} allows actions \"*\" (every operation, like Owner)"),
                            format!("role|{name}"),
                        ));
                    }
                }
            }
            "azurerm_role_assignment" => {
                let owner = tf::attr_str(body, "role_definition_name").as_deref() == Some("Owner")
                    || tf::attr_str(body, "role_definition_id")
                        .is_some_and(|s| s.contains(OWNER_ID));
                let principal = tf::attr_str(body, "principal_id").unwrap_or_default();
                let sp = tf::attr_str(body, "principal_type").as_deref()
                    == Some("ServicePrincipal")
                    || [
                        "azuread_service_principal",
                        "azurerm_user_assigned_identity",
                        "identity[0]",
                        "identity.0",
                        "azuread_application",
                    ]
                    .iter()
                    .any(|p| principal.contains(p));
                if owner && sp {
                    let (line, _) = tf::attr_line(text, b.offset, "role_definition_name");
                    hits.push(hit(
                        OWNER_SERVICE_PRINCIPAL,
                        line,
                        format!("Owner role assigned to service principal {principal}"),
                        format!("owner|{}|{}", b.name, principal),
                    ));
                }
            }
            _ => {}
        }
    }
}
