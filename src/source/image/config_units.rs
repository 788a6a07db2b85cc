//! The image config as units: Env, Labels, Cmd/Entrypoint and each history entry is its own unit.
//! Env and history are written as Dockerfile instructions (`ENV K=V`, `ARG K=V` + `RUN ...`) and
//! named `Dockerfile`, so the Dockerfile analyzer judges them as it judges the file that made them.

use serde_json::{json, Map, Value};

use super::manifest::Config;
use super::origin::redact_created_by;
use super::plan::Plans;
use crate::finding::Origin;

/// The units of plan `p`'s config `c`: (text, origin), origins final.
pub(crate) fn units(plans: &Plans, p: usize, c: &Config, artifact: &str) -> Vec<(String, Origin)> {
    let plan = &plans.list[p];
    let base = plans.config_label(p);
    let mut units: Vec<(String, String, String, Map<String, Value>)> = Vec::new();
    let field = |f: &str, extra: &[(&str, Value)]| {
        let mut m = Map::new();
        m.insert("config_digest".into(), json!(plan.config_digest));
        m.insert("field".into(), json!(f));
        for (k, v) in extra {
            m.insert((*k).into(), v.clone());
        }
        if let Some(pl) = &plan.platform {
            m.insert("platform".into(), json!(pl));
        }
        m
    };
    for e in &c.env {
        let (k, v) = e.split_once('=').unwrap_or((e, ""));
        let text = if v.contains(char::is_whitespace) || v.contains('"') {
            format!(
                "ENV {k}=\"{}\"\n",
                v.replace('\\', "\\\\").replace('"', "\\\"")
            )
        } else {
            format!("ENV {k}={v}\n")
        };
        units.push((
            format!("Env {k}"),
            "Dockerfile".into(),
            text,
            field("Env", &[("key", json!(k))]),
        ));
    }
    for (k, v) in &c.labels {
        units.push((
            format!("Labels {k}"),
            "config/Labels".into(),
            format!("{k}={v}\n"),
            field("Labels", &[("key", json!(k))]),
        ));
    }
    if !c.cmd.is_empty() {
        units.push((
            "Cmd".into(),
            "config/Cmd".into(),
            c.cmd.join(" ") + "\n",
            field("Cmd", &[]),
        ));
    }
    if !c.entrypoint.is_empty() {
        units.push((
            "Entrypoint".into(),
            "config/Entrypoint".into(),
            c.entrypoint.join(" ") + "\n",
            field("Entrypoint", &[]),
        ));
    }
    let mut layer = 0;
    for (h, (created_by, empty)) in c.history.iter().enumerate() {
        let mut extra = vec![
            ("created_by", json!(redact_created_by(created_by))),
            ("history_index", json!(h)),
        ];
        if !empty {
            layer += 1;
            extra.push(("layer_index", json!(layer)));
        }
        units.push((
            format!("history[{h}]"),
            "Dockerfile".into(),
            history_as_dockerfile(created_by),
            field("history", &extra),
        ));
    }
    units
        .into_iter()
        .map(|(what, name, text, properties)| {
            let origin = Origin {
                artifact: artifact.to_string(),
                display: format!("{base} {what}"),
                name,
                logical: Some(format!("config/{}", what.replace(' ', "/"))),
                properties,
            };
            (text, origin)
        })
        .collect()
}

/// The `created_by` of each of `n` layers: history entries that are not `empty_layer`, in order.
pub(crate) fn layer_history(c: &Config, n: usize) -> Vec<String> {
    let mut v: Vec<String> = c
        .history
        .iter()
        .filter(|(_, empty)| !empty)
        .map(|(cb, _)| cb.clone())
        .collect();
    v.resize(n.max(v.len()), String::new());
    v
}

/// A history `created_by` as Dockerfile text: `/bin/sh -c #(nop) ENV A=b` -> `ENV A=b`;
/// `/bin/sh -c cmd` -> `RUN cmd`; BuildKit `RUN |2 A=1 B=2 /bin/sh -c cmd` -> `ARG A=1 B=2` + `RUN cmd`.
fn history_as_dockerfile(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim();
    for sh in ["/bin/sh -c #(nop) ", "/bin/sh -c #(nop)"] {
        if let Some(rest) = s.strip_prefix(sh) {
            return format!("{}\n", rest.trim());
        }
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c ") {
        return format!("RUN {rest}\n");
    }
    if let Some(rest) = s.strip_prefix("RUN |") {
        // `RUN |N K=V ... CMD`: N build args, then the command.
        let mut words = rest.splitn(2, ' ');
        let n: usize = words.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let mut rest = words.next().unwrap_or("");
        let mut args = Vec::new();
        for _ in 0..n {
            let end = rest.find(' ').unwrap_or(rest.len());
            args.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        let cmd = rest.strip_prefix("/bin/sh -c ").unwrap_or(rest);
        return if args.is_empty() {
            format!("RUN {cmd}\n")
        } else {
            format!("ARG {}\nRUN {cmd}\n", args.join(" "))
        };
    }
    format!("{s}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lines() {
        assert_eq!(
            history_as_dockerfile("/bin/sh -c #(nop)  ENV A=b"),
            "ENV A=b\n"
        );
        assert_eq!(
            history_as_dockerfile("/bin/sh -c apk add curl"),
            "RUN apk add curl\n"
        );
        assert_eq!(
            history_as_dockerfile("RUN |2 TOKEN=abc X=1 /bin/sh -c make # buildkit"),
            "ARG TOKEN=abc X=1\nRUN make\n"
        );
        assert_eq!(
            history_as_dockerfile("COPY .env /app/ # buildkit"),
            "COPY .env /app/\n"
        );
    }
}
