//! Kubernetes manifests (multi-document YAML, JSON, `kind: List`): RBAC roles and bindings, and
//! workloads that run as the namespace's `default` ServiceAccount. Every rule of a Role is checked,
//! each reported on its own line.

use super::input::{hit, Hit, Input};
use super::syntax::doc::Node;

const RBAC_WILDCARD: &str = "k8s-rbac-wildcard";
const RBAC_CLUSTER_SECRETS_READ: &str = "k8s-rbac-cluster-secrets-read";
const RBAC_ESCALATION_VERBS: &str = "k8s-rbac-escalation-verbs";
const RBAC_ADMIN_BINDING_SA: &str = "k8s-rbac-admin-binding-sa";
const DEFAULT_SERVICE_ACCOUNT: &str = "k8s-default-service-account";
const DEFAULT_SA_TOKEN_MOUNTED: &str = "k8s-default-sa-token-mounted";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[
    RBAC_WILDCARD,
    RBAC_CLUSTER_SECRETS_READ,
    RBAC_ESCALATION_VERBS,
    RBAC_ADMIN_BINDING_SA,
    DEFAULT_SERVICE_ACCOUNT,
    DEFAULT_SA_TOKEN_MOUNTED,
];

/// JSON/YAML with `apiVersion` and `kind`.
pub(crate) fn claims(inp: &Input) -> bool {
    inp.is_structured() && inp.has("apiVersion") && inp.has("kind")
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    for d in inp.docs() {
        if d.get("kind").and_then(Node::as_str) == Some("List") {
            for item in d.at(&["items"]).items() {
                object(item, hits);
            }
        } else {
            object(d, hits);
        }
    }
}

fn object(d: &Node, hits: &mut Vec<Hit>) {
    if d.get("apiVersion").is_none() {
        return;
    }
    let kind = d.get("kind").and_then(Node::as_str).unwrap_or("");
    let name = d.at(&["metadata", "name"]).as_str().unwrap_or("");
    match kind {
        "Role" | "ClusterRole" => role(d, kind, name, hits),
        "RoleBinding" | "ClusterRoleBinding" => binding(d, kind, name, hits),
        "Pod" => workload(d, kind, name, d, hits),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicaSet"
        | "ReplicationController" => workload(d, kind, name, d.at(&["spec", "template"]), hits),
        "CronJob" => workload(
            d,
            kind,
            name,
            d.at(&["spec", "jobTemplate", "spec", "template"]),
            hits,
        ),
        _ => {}
    }
}

fn role(d: &Node, kind: &str, name: &str, hits: &mut Vec<Hit>) {
    for r in d.at(&["rules"]).items() {
        let verbs = r.at(&["verbs"]).strs();
        let resources = r.at(&["resources"]).strs();
        let groups = r.at(&["apiGroups"]).strs();
        let value = format!(
            "{kind}/{name}|{}|{}|{}",
            groups.join(","),
            resources.join(","),
            verbs.join(",")
        );
        let mut wild = Vec::new();
        for (field, list) in [
            ("verbs", &verbs),
            ("resources", &resources),
            ("apiGroups", &groups),
        ] {
            if list.contains(&"*") {
                wild.push(field);
            }
        }
        if !wild.is_empty() {
            hits.push(hit(
                RBAC_WILDCARD,
                r.line,
                format!("{kind} {name}: \"*\" in {}", wild.join(", ")),
                format!("wild|{value}"),
            ));
        }
        let reads = verbs.iter().any(|v| matches!(*v, "get" | "list" | "watch"));
        let core = groups.is_empty() || groups.iter().any(|g| g.is_empty());
        if kind == "ClusterRole" && reads && core && resources.contains(&"secrets") {
            hits.push(hit(
                RBAC_CLUSTER_SECRETS_READ,
                r.line,
                format!(
                    "ClusterRole {name} can {} secrets in every namespace",
                    verbs.join("/")
                ),
                format!("secrets|{value}"),
            ));
        }
        let esc: Vec<&str> = verbs
            .iter()
            .copied()
            .filter(|v| matches!(*v, "escalate" | "bind" | "impersonate"))
            .collect();
        if !esc.is_empty() {
            hits.push(hit(
                RBAC_ESCALATION_VERBS,
                r.line,
                format!("{kind} {name} grants {}", esc.join(", ")),
                format!("esc|{value}"),
            ));
        }
    }
}

fn binding(d: &Node, kind: &str, name: &str, hits: &mut Vec<Hit>) {
    let role = d.at(&["roleRef", "name"]).as_str().unwrap_or("");
    if !matches!(role, "cluster-admin" | "admin" | "edit") {
        return;
    }
    for s in d.at(&["subjects"]).items() {
        let skind = s.at(&["kind"]).as_str().unwrap_or("");
        let sname = s.at(&["name"]).as_str().unwrap_or("");
        let sa = skind == "ServiceAccount"
            || (skind == "Group" && sname.starts_with("system:serviceaccounts"));
        if !sa {
            continue;
        }
        let ns = s.at(&["namespace"]).as_str().unwrap_or("");
        let who = if ns.is_empty() {
            sname.to_string()
        } else {
            format!("{ns}/{sname}")
        };
        let mut h = hit(
            RBAC_ADMIN_BINDING_SA,
            s.line,
            format!("{kind} {name} gives {role} to {skind} {who}"),
            format!("{kind}/{name}|{role}|{skind}|{who}"),
        );
        if role == "cluster-admin" {
            h.severity = Some(crate::finding::Severity::Critical);
        }
        hits.push(h);
    }
}

fn workload(d: &Node, kind: &str, name: &str, template: &Node, hits: &mut Vec<Hit>) {
    let Some(spec) = template.get("spec") else {
        return;
    };
    // A pod spec without containers is a partial document (a kustomize patch, a Helm fragment):
    // what it runs as is decided where it is merged.
    if spec.get("containers").is_none() {
        return;
    }
    let sa_key = if spec.get("serviceAccountName").is_some() {
        "serviceAccountName"
    } else {
        "serviceAccount"
    };
    let sa = spec.get(sa_key).and_then(Node::as_str).unwrap_or("default");
    if sa != "default" {
        return;
    }
    let line = if spec.get(sa_key).is_some() {
        spec.key_line(sa_key)
    } else {
        template.key_line("spec")
    };
    let _ = d;
    hits.push(hit(
        DEFAULT_SERVICE_ACCOUNT,
        line,
        format!("{kind} {name} runs as the namespace's default ServiceAccount, shared by every workload there"),
        format!("sa|{kind}/{name}"),
    ));
    let automount = spec.get("automountServiceAccountToken");
    if !automount.is_some_and(Node::is_false) {
        let line = if automount.is_some() {
            spec.key_line("automountServiceAccountToken")
        } else {
            line
        };
        hits.push(hit(
            DEFAULT_SA_TOKEN_MOUNTED,
            line,
            format!("{kind} {name} mounts the default ServiceAccount's API token (automountServiceAccountToken is not false)"),
            format!("token|{kind}/{name}"),
        ));
    }
}
