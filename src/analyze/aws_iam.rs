//! AWS IAM policy documents wherever they are written: plain JSON policies, CloudFormation and CDK
//! templates (JSON or YAML, intrinsic tags such as `!Sub` kept as strings), Terraform `jsonencode`,
//! heredoc JSON and `data "aws_iam_policy_document"`. Any mapping with a `Statement` is a policy.
//! Only `Allow` statements are findings; a scoped resource (`arn:aws:s3:::bucket/*`) is not `"*"`.

mod purpose;

use super::input::{hit, Hit, Input};
use super::syntax::doc::{line_of, Node, Val};
use super::syntax::hcl as tf;
use purpose::{stack_statement, Purpose};

const ALLOW_NOT_ACTION: &str = "aws-iam-allow-not-action";
const ADMIN_WILDCARD: &str = "aws-iam-admin-wildcard";
const SERVICE_WILDCARD: &str = "aws-iam-service-wildcard";
const PASSROLE_WILDCARD: &str = "aws-iam-passrole-wildcard";
const ASSUMEROLE_WILDCARD: &str = "aws-iam-assumerole-wildcard";
const TRUST_ANY_PRINCIPAL: &str = "aws-iam-trust-any-principal";
const GITHUB_OIDC_UNSCOPED: &str = "aws-iam-github-oidc-unscoped";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[
    ALLOW_NOT_ACTION,
    ADMIN_WILDCARD,
    SERVICE_WILDCARD,
    PASSROLE_WILDCARD,
    ASSUMEROLE_WILDCARD,
    TRUST_ANY_PRINCIPAL,
    GITHUB_OIDC_UNSCOPED,
];

/// JSON/YAML with a `Statement`; Terraform naming `aws_iam` or holding a `Statement`.
pub(crate) fn claims(inp: &Input) -> bool {
    if inp.is_structured() {
        inp.has("Statement")
    } else {
        inp.is_tf() && (inp.has("aws_iam") || inp.has("Statement"))
    }
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    let purpose = Purpose::of_path(&inp.path);
    inp.docs_or_tf(
        hits,
        |docs, hits| {
            for d in docs {
                visit(d, purpose, hits);
            }
        },
        check_tf,
    );
}

/// Checks every policy below `n`, each with the purpose its place gives it (a CloudFormation
/// resource's type, the key holding the document).
fn visit(n: &Node, purpose: Purpose, hits: &mut Vec<Hit>) {
    if let Some(st) = n.get("Statement") {
        check_policy(st, purpose, hits);
    }
    match &n.val {
        Val::Map(m) => {
            let inner = Purpose::of_resource(n).unwrap_or(purpose);
            for (k, _, v) in m {
                visit(v, Purpose::of_key(k).unwrap_or(inner), hits);
            }
        }
        Val::Seq(items) => items.iter().for_each(|i| visit(i, purpose, hits)),
        _ => {}
    }
}

fn is_star(s: &str) -> bool {
    matches!(s.trim(), "*" | "*:*")
}

/// Checks one policy's `Statement` (a list, or one statement object).
fn check_policy(statements: &Node, purpose: Purpose, hits: &mut Vec<Hit>) {
    for st in statements.items() {
        if !matches!(st.val, Val::Map(_)) {
            continue;
        }
        let effect = st.get("Effect").and_then(Node::as_str).unwrap_or("");
        if !effect.eq_ignore_ascii_case("allow") {
            continue;
        }
        let actions = st.get("Action").map(Node::strs).unwrap_or_default();
        let resources = st.get("Resource").map(Node::strs).unwrap_or_default();
        let sid = st.get("Sid").and_then(Node::as_str).unwrap_or("");
        let label = if sid.is_empty() {
            String::new()
        } else {
            format!(" (Sid {sid})")
        };
        let value = format!("{}|{}|{}", sid, actions.join(","), resources.join(","));
        if let Some(p) = st.get("Principal") {
            check_trust(st, p, purpose, &actions, &label, hits);
            continue;
        }
        if st.get("NotAction").is_some() || st.get("NotResource").is_some() {
            let which = if st.get("NotAction").is_some() {
                "NotAction"
            } else {
                "NotResource"
            };
            hits.push(hit(
                ALLOW_NOT_ACTION,
                st.line,
                format!("Allow with {which}{label} grants everything not listed"),
                format!("not|{value}"),
            ));
        }
        if !resources.iter().any(|r| is_star(r)) {
            continue;
        }
        if actions.iter().any(|a| is_star(a)) {
            hits.push(hit(
                ADMIN_WILDCARD,
                st.line,
                format!("Action \"*\" on Resource \"*\"{label}"),
                value,
            ));
            continue;
        }
        let services: Vec<&str> = actions
            .iter()
            .filter(|a| a.ends_with(":*"))
            .copied()
            .collect();
        if !services.is_empty() {
            hits.push(hit(
                SERVICE_WILDCARD,
                st.line,
                format!("{} on Resource \"*\"{label}", services.join(", ")),
                value.clone(),
            ));
        }
        if actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case("iam:PassRole"))
        {
            hits.push(hit(
                PASSROLE_WILDCARD,
                st.line,
                format!("iam:PassRole on Resource \"*\"{label}"),
                value.clone(),
            ));
        }
        if actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case("sts:AssumeRole"))
        {
            hits.push(hit(
                ASSUMEROLE_WILDCARD,
                st.line,
                format!("sts:AssumeRole on Resource \"*\"{label}"),
                value,
            ));
        }
    }
}

fn check_trust(
    st: &Node,
    p: &Node,
    purpose: Purpose,
    actions: &[&str],
    label: &str,
    hits: &mut Vec<Hit>,
) {
    let cond = st.get("Condition").filter(|c| !c.entries().is_empty());
    let any = p.as_str().is_some_and(is_star)
        || p.get("AWS")
            .is_some_and(|a| a.strs().iter().any(|s| is_star(s)));
    let value = format!(
        "trust|{}|{:?}",
        actions.join(","),
        p.get("Federated").map(Node::strs)
    );
    // Endpoint and stack policies name "*" and open nothing to anyone.
    let grants = match purpose {
        Purpose::Endpoint | Purpose::Stack => false,
        Purpose::Trust | Purpose::Unknown => !stack_statement(st),
    };
    if any && cond.is_none() && grants {
        let assume = purpose == Purpose::Trust
            || actions.iter().any(|a| {
                a.get(..14)
                    .is_some_and(|h| h.eq_ignore_ascii_case("sts:AssumeRole"))
            });
        let what = if assume {
            "any AWS account can assume this role"
        } else {
            "any AWS account can use this resource"
        };
        hits.push(hit(
            TRUST_ANY_PRINCIPAL,
            st.line,
            format!("Principal \"*\" with no Condition{label}: {what}"),
            value.clone(),
        ));
    }
    let github = p.get("Federated").is_some_and(|f| {
        f.strs()
            .iter()
            .any(|s| s.contains("token.actions.githubusercontent.com"))
    });
    if !github {
        return;
    }
    // Every value of a `…:sub` condition key, under any operator.
    let mut subs = Vec::new();
    if let Some(c) = cond {
        for (_, _, keys) in c.entries() {
            for (k, _, v) in keys.entries() {
                if k.ends_with("token.actions.githubusercontent.com:sub") {
                    subs.extend(v.strs());
                }
            }
        }
    }
    if subs.is_empty() {
        hits.push(hit(
            GITHUB_OIDC_UNSCOPED,
            st.line,
            format!("GitHub OIDC trust without a `sub` condition{label}: any repository on GitHub can assume this role"),
            value,
        ));
    } else if let Some(bad) = subs.iter().find(|s| broad_sub(s)) {
        hits.push(hit(
            GITHUB_OIDC_UNSCOPED,
            st.line,
            format!("GitHub OIDC `sub` condition \"{bad}\" does not name one repository{label}"),
            value,
        ));
    }
}

/// A `sub` pattern that does not pin a repository: `*`, `repo:*`, `repo:org/*`, `repo:*/x:*`.
fn broad_sub(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("repo:") else {
        return s.contains('*');
    };
    let repo = rest.split(':').next().unwrap_or("");
    repo.contains('*') || !repo.contains('/') || rest.is_empty()
}

fn check_tf(body: &hcl::Body, text: &str, hits: &mut Vec<Hit>) {
    let blocks = tf::blocks(body, text);
    for b in &blocks {
        if b.kind == "data" && b.ty == "aws_iam_policy_document" {
            let st = policy_document(b.block, text, b.offset);
            check_policy(&st, Purpose::of_tf_data(b.name, &blocks), hits);
            continue;
        }
        if !b.ty.starts_with("aws_") {
            continue;
        }
        visit_attrs(b.ty, &b.block.body, text, b.offset, hits);
    }
}

fn visit_attrs(ty: &str, body: &hcl::Body, text: &str, from: usize, hits: &mut Vec<Hit>) {
    for a in body.attributes() {
        let (_, off) = tf::attr_line(text, from, a.key.as_str());
        if let Some(Ok(n)) = tf::json_attr(&a.expr, text, off) {
            visit(&n, Purpose::of_tf_attr(ty, a.key.as_str()), hits);
        }
    }
    for inner in body.blocks() {
        visit_attrs(ty, &inner.body, text, from, hits);
    }
}

/// `data "aws_iam_policy_document"` as a `Statement` list; statement i gets the line of the i-th
/// `statement {` after the block header.
fn policy_document(block: &hcl::Block, text: &str, from: usize) -> Node {
    let mut items = Vec::new();
    for (i, s) in block
        .body
        .blocks()
        .filter(|s| s.identifier.as_str() == "statement")
        .enumerate()
    {
        let line =
            tf::nth_after(text, from, r"\bstatement\s*\{", i).map_or(1, |o| line_of(text, o));
        let body = &s.body;
        let mut m: Vec<(String, usize, Node)> = Vec::new();
        let effect = tf::attr_str(body, "effect").unwrap_or_else(|| "Allow".into());
        m.push(("Effect".into(), line, Node::str(line, effect)));
        if let Some(sid) = tf::attr_str(body, "sid") {
            m.push(("Sid".into(), line, Node::str(line, sid)));
        }
        for (k, name) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if tf::attr(body, k).is_some() {
                let v = tf::attr_strs(body, k)
                    .into_iter()
                    .map(|s| Node::str(line, s))
                    .collect();
                m.push((name.into(), line, Node::new(line, Val::Seq(v))));
            }
        }
        let mut principal: Vec<(String, usize, Node)> = Vec::new();
        for p in s
            .body
            .blocks()
            .filter(|p| p.identifier.as_str() == "principals")
        {
            let ty = tf::attr_str(&p.body, "type").unwrap_or_default();
            let ids = tf::attr_strs(&p.body, "identifiers")
                .into_iter()
                .map(|s| Node::str(line, s))
                .collect();
            let ty = if ty == "*" { "AWS".to_string() } else { ty };
            principal.push((ty, line, Node::new(line, Val::Seq(ids))));
        }
        if !principal.is_empty() {
            m.push((
                "Principal".into(),
                line,
                Node::new(line, Val::Map(principal)),
            ));
        }
        let mut cond: Vec<(String, usize, Node)> = Vec::new();
        for c in s
            .body
            .blocks()
            .filter(|p| p.identifier.as_str() == "condition")
        {
            let test = tf::attr_str(&c.body, "test").unwrap_or_default();
            let var = tf::attr_str(&c.body, "variable").unwrap_or_default();
            let vals = tf::attr_strs(&c.body, "values")
                .into_iter()
                .map(|s| Node::str(line, s))
                .collect();
            cond.push((
                test,
                line,
                Node::new(
                    line,
                    Val::Map(vec![(var, line, Node::new(line, Val::Seq(vals)))]),
                ),
            ));
        }
        if !cond.is_empty() {
            m.push(("Condition".into(), line, Node::new(line, Val::Map(cond))));
        }
        items.push(Node::new(line, Val::Map(m)));
    }
    Node::new(1, Val::Seq(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_patterns() {
        assert!(broad_sub("*"));
        assert!(broad_sub("repo:*"));
        assert!(broad_sub("repo:acme/*"));
        assert!(broad_sub("repo:acme:*"));
        assert!(!broad_sub("repo:acme/deploy:ref:refs/heads/main"));
        assert!(!broad_sub("repo:acme/deploy:*"));
    }
}
