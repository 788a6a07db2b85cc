//! Application config files: Spring properties and YAML, `appsettings*.json`, `*.tfvars`, Helm
//! values.

use super::*;
use crate::analyze::syntax::doc::{Node, Val};
use crate::analyze::syntax::hcl as tf;
use crate::analyze::vocab::{is_literal, names_k8s_secret, names_secret};

pub(super) fn spring(inp: &Input, text: &str, hits: &mut Vec<Hit>) {
    if inp.file.ends_with(".properties") {
        for (line, k, v) in kv_lines(text) {
            if names_secret(k.rsplit('.').next().unwrap_or(k)) && is_literal(v) {
                hits.push(secret_hit(
                    SPRING_CONFIG_SECRET,
                    line,
                    format!("property `{k}`"),
                    v,
                ));
            }
        }
        return;
    }
    for d in inp.yaml() {
        flat(d, String::new(), &mut |key, line, v| {
            if names_secret(key.rsplit('.').next().unwrap_or(&key)) && is_literal(v) {
                let mut h = secret_hit(SPRING_CONFIG_SECRET, line, format!("property `{key}`"), v);
                h.end_line = value_end_line(inp.data, line, v);
                hits.push(h);
            }
        });
    }
}

/// Every scalar with its dotted key path and line.
fn flat<'a>(n: &'a Node, prefix: String, f: &mut dyn FnMut(String, usize, &'a str)) {
    match &n.val {
        Val::Map(m) => {
            for (k, l, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if let Some(s) = v.as_str() {
                    f(key, *l, s);
                } else {
                    flat(v, key, f);
                }
            }
        }
        Val::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                if let Some(s) = it.as_str() {
                    f(format!("{prefix}[{i}]"), it.line, s);
                } else {
                    flat(it, format!("{prefix}[{i}]"), f);
                }
            }
        }
        _ => {}
    }
}

/// `Password=...;` (or `Pwd=`, `AccountKey=`, `SharedAccessKey=`) in a connection string.
fn connection_string_secret(cs: &str) -> Option<(&str, &str)> {
    for part in cs.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if ["password", "pwd", "accountkey", "sharedaccesskey"]
            .contains(&k.to_ascii_lowercase().as_str())
        {
            let v = v.trim();
            if is_literal(v) {
                return Some((k, v));
            }
        }
    }
    None
}

pub(super) fn appsettings(inp: &Input, hits: &mut Vec<Hit>) {
    let Some(d) = inp.json() else { return };
    let cs = d.get_ci("ConnectionStrings");
    for (name, line, v) in cs.map(Node::entries).unwrap_or(&[]) {
        if let Some((k, secret)) = v.as_str().and_then(connection_string_secret) {
            hits.push(secret_hit(
                APPSETTINGS_SECRET,
                *line,
                format!("ConnectionStrings:{name} {k}"),
                secret,
            ));
        }
    }
    flat(d, String::new(), &mut |key, line, v| {
        if key.to_ascii_lowercase().starts_with("connectionstrings.") {
            return;
        }
        if names_secret(key.rsplit('.').next().unwrap_or(&key)) && is_literal(v) {
            hits.push(secret_hit(
                APPSETTINGS_SECRET,
                line,
                format!("setting `{}`", key.replace('.', ":")),
                v,
            ));
        }
    });
}

pub(super) fn tfvars(inp: &Input, text: &str, hits: &mut Vec<Hit>) {
    let Some(body) = inp.hcl() else { return };
    for a in body.attributes() {
        let key = a.key.as_str();
        let hcl::Expression::String(v) = &a.expr else {
            continue;
        };
        if names_secret(key) && is_literal(v) {
            let (line, _) = tf::attr_line(text, 0, key);
            hits.push(secret_hit(
                TFVARS_SECRET,
                line,
                format!("variable `{key}`"),
                v,
            ));
        }
    }
}

pub(super) fn helm_values(inp: &Input, hits: &mut Vec<Hit>) {
    for d in inp.yaml() {
        flat(d, String::new(), &mut |key, line, v| {
            let last = key.rsplit('.').next().unwrap_or(&key);
            // `tlsSecret: x-tls` names the Secret the chart mounts; it holds nothing.
            if names_secret(last)
                && is_literal(v)
                && !names_k8s_secret(last, v)
                && !is_lowercase_words(v)
            {
                let mut h = secret_hit(HELM_VALUES_SECRET, line, format!("value `{key}`"), v);
                h.end_line = value_end_line(inp.data, line, v);
                hits.push(h);
            }
        });
    }
}

/// `secret_pw`, `another-pw`, `public_v2`: lowercase words, the illustrative defaults a chart's
/// values.yaml documents (or names of modules and profiles), not a secret someone set.
fn is_lowercase_words(v: &str) -> bool {
    let t = v.trim();
    t.split(['_', '-']).all(|p| {
        !p.is_empty()
            && (p.bytes().all(|c| c.is_ascii_lowercase())
                || (p.len() <= 2 && p.bytes().all(|c| c.is_ascii_alphanumeric())))
    })
}
