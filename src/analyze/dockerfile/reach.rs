//! What of each build stage reaches the final image. The final stage holds its `FROM` chain whole
//! (files, `ENV`, history); of a stage it only copies from (`COPY --from=builder /app/bin /bin`),
//! it holds the paths it copies and nothing else. A builder that runs `COPY . .` and hands over
//! one binary leaves the build context, credentials included, on the build machine.

use std::collections::HashSet;

use super::copy::copy_sources;
use crate::analyze::syntax::dockerfile::{words, Dockerfile};

/// How a stage's content reaches the final image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    /// The final image builds on it: everything it holds.
    Whole,
    /// The final image copies paths from it: what [`Reach::copied`] says.
    Copied,
    /// Neither.
    Not,
}

/// The final image's view of every stage.
pub(super) struct Reach {
    /// Per stage.
    reached: Vec<Reached>,
    /// `COPY --from` of the final image's chain: (the stage copied from, its source paths).
    copies: Vec<(usize, Vec<String>)>,
    /// Each instruction's working directory, where known.
    workdirs: Vec<Option<String>>,
}

impl Reach {
    pub(super) fn new(df: &Dockerfile) -> Reach {
        let n = df.stages.len();
        let whole: HashSet<usize> = n.checked_sub(1).map(|l| chain(df, l)).unwrap_or_default();
        let any = df.reachable();
        let mut copies = Vec::new();
        for ins in &df.instrs {
            let Some(si) = ins.stage.filter(|s| whole.contains(s)) else {
                continue;
            };
            if !matches!(ins.keyword.as_str(), "COPY" | "ADD") {
                continue;
            }
            let (sources, flags) = copy_sources(&ins.args);
            let from = flags.iter().find_map(|f| f.strip_prefix("--from="));
            if let Some(t) = from.and_then(|f| stage_ref(df, si, f)) {
                copies.push((t, sources));
            }
        }
        let reached = (0..n)
            .map(|s| {
                if whole.contains(&s) {
                    Reached::Whole
                } else if any.contains(&s) {
                    Reached::Copied
                } else {
                    Reached::Not
                }
            })
            .collect();
        Reach {
            reached,
            copies,
            workdirs: workdirs(df),
        }
    }

    pub(super) fn of(&self, stage: usize) -> Reached {
        self.reached.get(stage).copied().unwrap_or(Reached::Not)
    }

    /// Whether the final image copies, from a stage holding `stage`, one of `paths` (absolute
    /// paths in that stage; empty when unknown) or a directory above one. A glob or `/` copies
    /// anything; so does a copy the analysis cannot follow (through two `--from` hops).
    pub(super) fn copied(&self, df: &Dockerfile, stage: usize, paths: &[String]) -> bool {
        let direct: Vec<&Vec<String>> = self
            .copies
            .iter()
            .filter(|(t, _)| chain(df, *t).contains(&stage))
            .map(|(_, s)| s)
            .collect();
        if direct.is_empty() {
            return self.of(stage) != Reached::Not;
        }
        direct.iter().flat_map(|s| s.iter()).any(|src| {
            let src = absolute(src, "/");
            src == "/"
                || src.contains(['*', '?', '['])
                || paths
                    .iter()
                    .any(|p| *p == src || p.starts_with(&format!("{src}/")))
        })
    }

    /// The working directory at instruction `i`.
    pub(super) fn workdir(&self, i: usize) -> Option<&str> {
        self.workdirs.get(i).and_then(|w| w.as_deref())
    }
}

/// `stage` and the stages it builds on (`FROM earlier-stage`), transitively.
fn chain(df: &Dockerfile, stage: usize) -> HashSet<usize> {
    let mut out = HashSet::new();
    let mut s = Some(stage);
    while let Some(c) = s.filter(|c| out.insert(*c)) {
        s = df.stages[c]
            .deps
            .first()
            .and_then(|base| stage_ref(df, c, base));
    }
    out
}

/// The earlier stage `name` (an `AS` name or an index) refers to from stage `from`.
fn stage_ref(df: &Dockerfile, from: usize, name: &str) -> Option<usize> {
    let name = name.to_ascii_lowercase();
    df.stages[..from]
        .iter()
        .rposition(|st| st.name.as_deref() == Some(name.as_str()))
        .or_else(|| name.parse::<usize>().ok().filter(|&n| n < from))
}

/// Each instruction's working directory: unknown (None) after a `FROM` of an outside image (its
/// own `WORKDIR` is not in the file), the base stage's after `FROM stage`, then every `WORKDIR`.
fn workdirs(df: &Dockerfile) -> Vec<Option<String>> {
    let mut stage_wd: Vec<Option<String>> = Vec::new();
    let mut cur: Option<String> = None;
    let mut out = Vec::with_capacity(df.instrs.len());
    for ins in &df.instrs {
        match ins.keyword.as_str() {
            "FROM" => {
                if let Some(si) = ins.stage {
                    if si > 0 {
                        stage_wd.resize(si, None);
                        stage_wd[si - 1] = cur.take();
                    }
                    let base = df.stages[si].deps.first().map(String::as_str);
                    cur = base
                        .and_then(|b| stage_ref(df, si, b))
                        .and_then(|b| stage_wd.get(b).cloned().flatten());
                }
            }
            "WORKDIR" => {
                let dir = words(&ins.args).into_iter().next().unwrap_or_default();
                cur = if dir.contains('$') {
                    None
                } else if dir.starts_with('/') {
                    Some(absolute(&dir, "/"))
                } else {
                    cur.map(|w| absolute(&dir, &w))
                };
            }
            _ => {}
        }
        out.push(cur.clone());
    }
    out
}

/// `path` made absolute against `dir`, `.` segments and trailing slashes dropped.
pub(super) fn absolute(path: &str, dir: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    let parts: Vec<&str> = joined
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::syntax::dockerfile::parse;

    #[test]
    fn the_final_chain_is_whole_and_copied_stages_give_their_paths() {
        let df = parse(
            "FROM golang AS deps\nWORKDIR /src\nFROM deps AS builder\nCOPY . .\nRUN make\nFROM alpine AS test\nCOPY . /t\nFROM builder AS extra\nFROM alpine AS base\nFROM base\nCOPY --from=extra /src/bin/app /usr/bin/\n",
        );
        let r = Reach::new(&df);
        let got: Vec<Reached> = (0..6).map(|s| r.of(s)).collect();
        use Reached::*;
        assert_eq!(got, [Copied, Copied, Not, Copied, Whole, Whole]);
        assert_eq!(r.workdir(3), Some("/src"));
        // builder's context (at /src) is in extra, from which only /src/bin/app is copied.
        assert!(!r.copied(&df, 1, &["/src/.env".into()]));
        assert!(r.copied(&df, 1, &["/src/bin/app".into()]));
        let all =
            parse("FROM node AS b\nWORKDIR /app\nCOPY . .\nFROM node\nCOPY --from=b /app /app\n");
        assert!(Reach::new(&all).copied(&all, 0, &["/app/.env".into()]));
        let glob = parse("FROM node AS b\nCOPY . /app\nFROM node\nCOPY --from=b /app/*.js /srv/\n");
        assert!(Reach::new(&glob).copied(&glob, 0, &[]));
        assert_eq!(absolute("./a/../b/", "/w"), "/w/a/../b");
    }
}
