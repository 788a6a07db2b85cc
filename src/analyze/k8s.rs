//! Kubernetes manifests (multi-document YAML, JSON, `kind: List`): RBAC roles and bindings, and
//! workloads that run as the namespace's `default` ServiceAccount. Every rule of a Role is checked,
//! each reported on its own line.

use super::input::{hit, Hit, Input};
use super::syntax::doc::Node;
use serde_json::json;

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
        if skind == "ServiceAccount" {
            h.properties
                .insert("nhi".into(), service_account(ns, sname));
        }
        h.properties
            .insert("role".into(), json!(format!("{role} ({kind} {name})")));
        hits.push(h);
    }
}

fn workload(d: &Node, kind: &str, name: &str, template: &Node, hits: &mut Vec<Hit>) {
    let Some(spec) = template.get("spec") else {
        return;
    };
    if fragment(d, kind, spec) {
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
    // One finding per workload: the token-mounted rule says more (the shared identity and its
    // API token in every container); the plain one is what remains when the token is not mounted.
    let automount = spec.get("automountServiceAccountToken");
    let ns = d.at(&["metadata", "namespace"]).as_str().unwrap_or("");
    let facts = |mounted: bool| {
        let mut m = serde_json::Map::new();
        m.insert("nhi".into(), service_account(ns, "default"));
        m.insert("workload".into(), json!(format!("{kind}/{name}")));
        m.insert("token_mounted".into(), json!(mounted));
        m
    };
    if automount.is_some_and(Node::is_false) {
        hits.push(Hit { properties: facts(false), ..hit(
            DEFAULT_SERVICE_ACCOUNT,
            line,
            format!("{kind} {name} runs as the namespace's default ServiceAccount, shared by every workload there (its token is not mounted)"),
            format!("sa|{kind}/{name}"),
        ) });
        return;
    }
    let line = if automount.is_some() {
        spec.key_line("automountServiceAccountToken")
    } else {
        line
    };
    hits.push(Hit { properties: facts(true), ..hit(
        DEFAULT_SA_TOKEN_MOUNTED,
        line,
        format!("{kind} {name} runs as the namespace's default ServiceAccount, shared by every workload there, and mounts its API token (automountServiceAccountToken is not false)"),
        format!("token|{kind}/{name}"),
    ) });
}

/// The inventory's identity of a ServiceAccount (`nhi` property): namespace and name. A manifest
/// without a namespace is applied to whatever namespace the deployer chooses: `(unspecified)`.
fn service_account(ns: &str, name: &str) -> serde_json::Value {
    let ns = if ns.is_empty() { "(unspecified)" } else { ns };
    json!({
        "type": "k8s-service-account",
        "id": format!("k8s-sa:{ns}/{name}"),
        "name": format!("ServiceAccount {ns}/{name}"),
        "namespace": ns,
        "service_account": name,
        "local": true,
    })
}

/// A partial manifest (a kustomize or kubebuilder patch, a Helm fragment) that the API server
/// would reject as it stands: what it runs as is decided where it is merged. Told from the
/// manifest alone: no containers, a container without an image, or an `apps/v1` controller
/// without the selector that version requires.
fn fragment(d: &Node, kind: &str, spec: &Node) -> bool {
    let Some(containers) = spec.get("containers").filter(|c| !c.items().is_empty()) else {
        return true;
    };
    let init = spec.get("initContainers").map(Node::items).unwrap_or(&[]);
    let imageless = containers.items().iter().chain(init).any(|c| {
        c.get("image")
            .and_then(Node::as_str)
            .is_none_or(str::is_empty)
    });
    let selector_required = matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    ) && matches!(
        d.get("apiVersion").and_then(Node::as_str),
        Some("apps/v1" | "apps/v1beta2")
    );
    imageless || (selector_required && d.at(&["spec", "selector"]).is_null())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::syntax::yaml;

    fn rules(text: &str) -> Vec<&'static str> {
        let mut hits = Vec::new();
        for d in yaml::parse(text).unwrap() {
            object(&d, &mut hits);
        }
        hits.iter().map(|h| h.rule_id).collect()
    }

    #[test]
    fn fragments_are_told_from_the_manifest() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: app:1\n";
        assert_eq!(rules(pod), [DEFAULT_SA_TOKEN_MOUNTED]);
        // An init container without an image: a patch.
        let init = pod.replace(
            "spec:\n",
            "spec:\n  initContainers:\n    - name: wait\n      args: [x]\n",
        );
        assert!(rules(&init).is_empty());
        assert!(rules(&pod.replace("image: app:1", "image: \"\"")).is_empty());
        // Only apps/v1 (and v1beta2) require a selector; extensions/v1beta1 defaults it.
        let old = "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: app:1\n";
        assert_eq!(rules(old), [DEFAULT_SA_TOKEN_MOUNTED]);
        assert!(rules(&old.replace("extensions/v1beta1", "apps/v1")).is_empty());
        let sel = old.replace("extensions/v1beta1", "apps/v1").replace(
            "spec:\n  template",
            "spec:\n  selector: {matchLabels: {app: d}}\n  template",
        );
        assert_eq!(rules(&sel), [DEFAULT_SA_TOKEN_MOUNTED]);
        let off = sel.replace(
            "      containers",
            "      automountServiceAccountToken: false\n      containers",
        );
        assert_eq!(rules(&off), [DEFAULT_SERVICE_ACCOUNT]);
    }
}
