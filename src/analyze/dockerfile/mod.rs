//! The Dockerfile analyzer: secrets a build bakes into an image that no regex sees as a secret.
//!
//! - `ENV`/`ARG` whose key names a secret and gives a literal value ([`env_arg`]);
//! - `COPY`/`ADD` of credential files, and `COPY . .` of a build context holding them ([`copy`]);
//! - `RUN` with inline credentials and no BuildKit secret mount ([`run`]).
//!
//! Multi-stage aware ([`reach`]): a finding in a stage whose content does not reach the final image
//! (a stage the final stage neither builds on nor copies from, or one it only copies other paths
//! from) is one severity step lower ([`Hit::lower_severity`]), and its message says so; a
//! `COPY . .` of such a stage is not reported at all (the context is already on the build machine). Lines point at the
//! instruction's first line; the hit's end line is its last continuation line. The parser lives in
//! [`crate::analyze::syntax::dockerfile`].

mod copy;
mod env_arg;
mod reach;
mod run;

use serde_json::{json, Map, Value};

use super::input::{Hit, Input};
use crate::analyze::syntax::dockerfile::Instr;
use reach::{Reach, Reached};

/// The vocabulary's secret names, where the image source has always looked them up (redacting
/// image history entries).
pub(crate) use super::vocab::names_secret;

const ENV_SECRET: &str = "dockerfile-env-secret";
const ARG_SECRET_DEFAULT: &str = "dockerfile-arg-secret-default";
const ARG_SECRET: &str = "dockerfile-arg-secret";
const COPY_CREDENTIAL: &str = "dockerfile-copy-credential-file";
const COPY_CONTEXT: &str = "dockerfile-copy-context-credentials";
const RUN_CREDENTIAL: &str = "dockerfile-run-inline-credential";

/// The rules this analyzer reports.
pub(crate) const RULES: &[&str] = &[
    ENV_SECRET,
    ARG_SECRET_DEFAULT,
    ARG_SECRET,
    COPY_CREDENTIAL,
    COPY_CONTEXT,
    RUN_CREDENTIAL,
];

/// Whether `name` (a path or a file name) is a Dockerfile: `Dockerfile`, `Containerfile`,
/// `*.Dockerfile`, `Dockerfile.*`, `Containerfile.*` (case-insensitive). Allocates nothing: it runs
/// on every file.
pub(crate) fn is_dockerfile(name: &str) -> bool {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).as_bytes();
    let ends = |s: &str| {
        base.len() >= s.len() && base[base.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
    };
    let starts =
        |s: &str| base.len() >= s.len() && base[..s.len()].eq_ignore_ascii_case(s.as_bytes());
    if ends(".dockerignore") {
        return false;
    }
    base.eq_ignore_ascii_case(b"dockerfile")
        || base.eq_ignore_ascii_case(b"containerfile")
        || ends(".dockerfile")
        || ends(".containerfile")
        || starts("dockerfile.")
        || starts("containerfile.")
}

/// A Dockerfile, by its name.
pub(crate) fn claims(inp: &Input) -> bool {
    is_dockerfile(&inp.file)
}

pub(crate) fn check(inp: &Input, hits: &mut Vec<Hit>) {
    let df = inp.dockerfile();
    let reach = Reach::new(df);
    let context = copy::ContextCredentials::new(inp.context);
    for (i, ins) in df.instrs.iter().enumerate() {
        let mut found: Vec<Hit> = Vec::new();
        match ins.keyword.as_str() {
            "ENV" => env_arg::env_hits(ins, &mut found),
            "ARG" => env_arg::arg_hits(ins, &mut found),
            "COPY" | "ADD" => copy::copy_hits(ins, &context, &mut found),
            "RUN" => run::run_hits(ins, &mut found),
            _ => {}
        }
        'hits: for mut h in found {
            h.line = ins.line;
            h.column = 1;
            h.end_line = ins.end_line;
            if h.value.is_empty() {
                h.value = format!("{} {}", ins.keyword, ins.args).into_bytes();
            }
            h.properties
                .insert("instruction".into(), json!(ins.keyword));
            if let Some(si) = ins.stage {
                let label = df.stage_label(si);
                h.properties.insert("stage".into(), json!(label));
                let how = match reach.of(si) {
                    Reached::Whole => None,
                    Reached::Copied
                        if h.rule_id == COPY_CONTEXT || h.rule_id == COPY_CREDENTIAL =>
                    {
                        let paths = copied_paths(&h, ins, reach.workdir(i));
                        (!reach.copied(df, si, &paths)).then_some(
                            "whose files reach the final image only through COPY --from of other paths",
                        )
                    }
                    Reached::Copied => {
                        Some("whose files reach the final image only through COPY --from")
                    }
                    Reached::Not => Some("which the final stage does not build on or copy from"),
                };
                if let Some(how) = how {
                    // The context is on the build machine already: copying it into a stage that
                    // stays there exposes nothing new.
                    if h.rule_id == COPY_CONTEXT {
                        continue 'hits;
                    }
                    h.lower_severity = true;
                    h.properties.insert("final_stage".into(), json!(false));
                    h.message.push_str(&format!(
                        " (in build stage `{label}`, {how}: not in the final image, but still in the builder's cache and history)"
                    ));
                }
            }
            hits.push(h);
        }
    }
}

/// Where a COPY hit's files land in its stage (absolute; empty when the destination is unknown):
/// each context credential file under the destination, or the copied file itself.
fn copied_paths(h: &Hit, ins: &Instr, workdir: Option<&str>) -> Vec<String> {
    let Some(dest) = copy::destination(&ins.args) else {
        return Vec::new();
    };
    let dir = if dest.starts_with('/') {
        "/"
    } else if let Some(w) = workdir {
        w
    } else {
        return Vec::new();
    };
    let into_dir = dest.ends_with('/') || matches!(dest.as_str(), "." | "./");
    let dest = reach::absolute(&dest, dir);
    let under = |f: &str| reach::absolute(f, &dest);
    match h.properties.get("context_files").and_then(Value::as_array) {
        Some(files) => files.iter().filter_map(Value::as_str).map(under).collect(),
        None => {
            let src = h
                .properties
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or("");
            let base = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
            vec![if into_dir { under(base) } else { dest.clone() }]
        }
    }
}

/// Properties with one entry.
fn prop(k: &str, v: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(k.into(), json!(v));
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::Subject;

    fn hits(text: &str) -> Vec<Hit> {
        let s = Subject {
            name: "Dockerfile",
            data: text.as_bytes(),
            context: None,
        };
        let inp = Input::new(&s);
        let mut out = Vec::new();
        assert!(claims(&inp));
        check(&inp, &mut out);
        out
    }

    #[test]
    fn claims_dockerfile_names() {
        for n in [
            "Dockerfile",
            "a/b/Dockerfile",
            "a\\DOCKERFILE",
            "api.Dockerfile",
            "Dockerfile.prod",
            "Containerfile",
            "Containerfile.dev",
            "x.containerfile",
        ] {
            assert!(is_dockerfile(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "dockerfile-notes.md",
            "README",
            "a/Dockerfile/x",
            "",
        ] {
            assert!(!is_dockerfile(n), "{n}");
        }
    }

    #[test]
    fn npm_auth_is_a_secret_in_a_dockerfile() {
        let h = hits("FROM node:20\nENV NPM_AUTH=bnBtOlMzY3IzdC1ucG0tYXV0aA==\nARG npm_auth\n");
        let ids: Vec<&str> = h.iter().map(|h| h.rule_id).collect();
        assert_eq!(ids, [ENV_SECRET, ARG_SECRET]);
    }

    #[test]
    fn unreachable_stages_are_one_step_lower() {
        let h = hits(
            "FROM golang AS build\nENV DB_PASSWORD=Pr0d-db-pw-1\nFROM alpine AS test\nENV DB_PASSWORD=Pr0d-db-pw-2\nFROM alpine\nCOPY --from=build /x /x\n",
        );
        assert_eq!(h.len(), 2);
        // `build` hands over /x only: its ENV is not in the final image either.
        assert!(h[0].lower_severity);
        assert!(h[0].message.contains("only through COPY --from"));
        assert_eq!(h[0].properties["stage"], "build");
        assert!(h[1].lower_severity);
        assert_eq!(h[1].properties["final_stage"], false);
        assert!(h[1].message.contains("build stage `test`"));
        assert_eq!((h[1].line, h[1].end_line), (4, 4));
    }
}
