//! `ENV` and `ARG` whose key names a secret ([`names_secret`]): a literal value is a finding (it is
//! stored in the image config, or in the image history for build arguments); an `ARG` naming a
//! secret without a default is a warning, since its value ends up in the history too.

use super::{prop, ARG_SECRET, ARG_SECRET_DEFAULT, ENV_SECRET};
use crate::analyze::input::Hit;
use crate::analyze::syntax::dockerfile::{words, Instr};
use crate::analyze::vocab::{is_literal, names_secret};

/// The `KEY=value` pairs of an `ENV`/`ARG` (a key without `=` has no value), or the one pair of the
/// legacy form `ENV KEY value with spaces`.
fn key_values(args: &str) -> Vec<(String, Option<String>)> {
    let w = words(args);
    if w.first().is_some_and(|w| !w.contains('=')) && w.len() > 1 && !w[1].contains('=') {
        let rest = after_first_word(args.trim_start()).trim();
        let v = words(rest).join(" ");
        return vec![(w[0].clone(), Some(v))];
    }
    w.into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// What follows the first word of `s` as written (quotes and escapes included): the parsed word can
/// be shorter than its raw form (`"éé"`), so its length must not index the raw text.
fn after_first_word(s: &str) -> &str {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (_, '\\') => escaped = true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => return &s[i..],
            _ => {}
        }
    }
    ""
}

pub(super) fn env_hits(ins: &Instr, out: &mut Vec<Hit>) {
    for (k, v) in key_values(&ins.args) {
        let Some(v) = v else { continue };
        if names_secret(&k) && is_literal(&v) {
            out.push(Hit {
                rule_id: ENV_SECRET,
                message: format!("ENV {k} sets a literal value; it is stored in the image config and every container's environment"),
                value: format!("ENV {k}={v}").into_bytes(),
                secret: Some(v),
                properties: prop("key", &k),
                ..Default::default()
            });
        }
    }
}

pub(super) fn arg_hits(ins: &Instr, out: &mut Vec<Hit>) {
    for (k, v) in key_values(&ins.args) {
        if !names_secret(&k) {
            continue;
        }
        match v {
            Some(v) if is_literal(&v) => out.push(Hit {
                rule_id: ARG_SECRET_DEFAULT,
                message: format!("ARG {k} has a literal default; build-arg values are recorded in the image history"),
                value: format!("ARG {k}={v}").into_bytes(),
                secret: Some(v),
                properties: prop("key", &k),
                ..Default::default()
            }),
            Some(_) => {}
            None => out.push(Hit {
                rule_id: ARG_SECRET,
                message: format!(
                    "ARG {k} takes a secret as a build argument; its value is recorded in the image history (use RUN --mount=type=secret,id={} instead)",
                    k.to_ascii_lowercase()
                ),
                value: format!("ARG {k}").into_bytes(),
                properties: prop("key", &k),
                ..Default::default()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_legacy_form() {
        assert_eq!(
            key_values("A=1 B=\"two words\" C"),
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two words".into())),
                ("C".into(), None)
            ]
        );
        assert_eq!(
            key_values("DB_PASSWORD  s3cr3t \"pass phrase\""),
            vec![("DB_PASSWORD".into(), Some("s3cr3t pass phrase".into()))]
        );
    }

    #[test]
    fn legacy_env_with_a_quoted_non_ascii_key_does_not_panic() {
        // Fuzzing found this: the unquoted key is shorter than the raw one, inside a `é`.
        assert_eq!(
            key_values("\"éé\" x"),
            vec![("éé".to_string(), Some("x".to_string()))]
        );
        assert_eq!(after_first_word("\"a b\" c d"), " c d");
        assert_eq!(after_first_word("KEY"), "");
    }
}
