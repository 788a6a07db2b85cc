//! Objects the history names but the repository lacks, and how the report names them. The listing
//! gives only their ids (`?<oid>`); a blob's path comes from the provenance pass that runs anyway.
//! What that pass cannot name (a missing tree or commit stops `git log`, so it names nothing behind
//! them) is looked up in one `git fsck --connectivity-only --name-objects`, which says what each
//! missing object is (commit, tree, blob), which object points to it, and a name such as
//! `refs/heads/main~2:src/` (the commit and path it was reached by). fsck runs only on a damaged
//! repository, and only when something is left unnamed: the 4 missing blobs of the redis mirror are
//! named by provenance and cost nothing more.

use std::collections::HashMap;
use std::process::Stdio;

use super::repo::Repo;

/// An object id shortened as git shows it.
pub(crate) fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

/// What a missing object was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Kind {
    Blob,
    Tree,
    Commit,
    /// Neither the history nor fsck said.
    #[default]
    Unknown,
}

/// One missing object, with what is known about where it was.
#[derive(Debug, Clone)]
pub(crate) struct Missing {
    /// The object id.
    pub oid: String,
    /// What it was.
    pub kind: Kind,
    /// The repository-relative path it had (empty for a root tree), when known.
    pub path: Option<String>,
    /// A commit that holds it (for a tree or blob) or that has it as a parent (for a commit).
    pub commit: Option<String>,
}

impl Missing {
    /// How the report names the place (the `path` of the error).
    pub(crate) fn display(&self) -> String {
        let s = short(&self.oid);
        match (self.kind, self.path.as_deref(), self.commit.as_deref()) {
            (Kind::Tree, Some(""), Some(c)) => format!("commit {} (root tree {s})", short(c)),
            (Kind::Tree, Some(p), _) if !p.is_empty() => format!("{p}/ (tree {s})"),
            (Kind::Blob | Kind::Unknown, Some(p), _) if !p.is_empty() => {
                format!("{p} (blob {s})")
            }
            (Kind::Commit, _, _) => format!("commit {s}"),
            (Kind::Tree, _, _) => format!("tree {}", self.oid),
            _ => format!("object {}", self.oid),
        }
    }

    /// What the error says: the full object id, and what was therefore not scanned.
    pub(crate) fn message(&self) -> String {
        let oid = &self.oid;
        let within = self
            .commit
            .as_deref()
            .map(|c| format!(" (in commit {c})"))
            .unwrap_or_default();
        match (self.kind, self.path.as_deref()) {
            (Kind::Commit, _) => {
                let child = self
                    .commit
                    .as_deref()
                    .map(|c| format!(" (a parent of commit {c})"))
                    .unwrap_or_default();
                format!(
                    "commit {oid} is missing from the repository{child}: it and the history behind it were not scanned"
                )
            }
            (Kind::Tree, Some("")) => format!(
                "the root tree {oid} is missing from the repository{within}: no file of that commit was scanned"
            ),
            (Kind::Tree, Some(p)) => format!(
                "tree {oid} is missing from the repository{within}: nothing under {p}/ in that version was scanned"
            ),
            (Kind::Tree, None) => format!(
                "tree {oid} is missing from the repository: the files under it were not scanned"
            ),
            (Kind::Blob, _) => {
                format!("object {oid} is missing from the repository{within}; not scanned")
            }
            (Kind::Unknown, _) => format!(
                "object {oid} is missing from the repository; what it held was not scanned"
            ),
        }
    }
}

/// Names the missing objects `oids` of the history `revs` (rev-list arguments): `known` gives what
/// the provenance pass found (a blob or a tree, its path, a commit); the rest are looked up with
/// `git fsck`.
pub(crate) fn name(
    repo: &Repo,
    revs: &[String],
    oids: &[String],
    known: &dyn Fn(&str) -> Option<Missing>,
) -> Vec<Missing> {
    let mut out: Vec<Missing> = oids
        .iter()
        .map(|oid| {
            known(oid).unwrap_or_else(|| Missing {
                oid: oid.clone(),
                kind: Kind::Unknown,
                path: None,
                commit: None,
            })
        })
        .collect();
    if out.iter().all(|m| m.kind != Kind::Unknown) {
        return out;
    }
    let Some(fsck) = run_fsck(repo, &tips(repo, revs)) else {
        return out;
    };
    let facts = parse_fsck(&fsck);
    for m in out.iter_mut().filter(|m| m.kind == Kind::Unknown) {
        let Some(f) = facts.get(m.oid.as_str()) else {
            continue;
        };
        m.kind = f.kind;
        let (rev, path) = match f.name.as_deref().map(|n| n.split_once(':')) {
            Some(Some((rev, path))) => (Some(rev), Some(path.trim_end_matches('/').to_string())),
            _ => (None, None),
        };
        m.path = path;
        m.commit = match (m.kind, &f.from) {
            // The commit whose tree, or whose parent, it is.
            (Kind::Commit, Some((Kind::Commit, c))) => Some(c.clone()),
            (Kind::Tree, Some((Kind::Commit, c))) => Some(c.clone()),
            (Kind::Commit, _) => None,
            // A tree or blob reached through `rev:path` (an index entry has no rev).
            _ => rev
                .filter(|r| !r.is_empty())
                // The commit `rev` (e.g. `refs/heads/main~2`) stands for.
                .map(|r| repo.resolve(r).unwrap_or_else(|| r.to_string())),
        };
    }
    out
}

/// What fsck says about one object.
#[derive(Debug, Default)]
struct Fact {
    kind: Kind,
    name: Option<String>,
    /// The object that points to it.
    from: Option<(Kind, String)>,
}

/// The commits `revs` start from (`git rev-parse` prints them, and `^<id>` for excluded ones).
fn tips(repo: &Repo, revs: &[String]) -> Vec<String> {
    let mut args = vec!["rev-parse"];
    args.extend(revs.iter().map(String::as_str));
    let Ok(out) = repo.output(&args) else {
        return Vec::new();
    };
    let mut tips: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('^'))
        .map(str::to_owned)
        .collect();
    tips.sort();
    tips.dedup();
    tips
}

/// Above this many tips fsck is left to its own heads (refs, reflogs, the index), so the command
/// line stays far below the system's limit.
const MAX_TIPS: usize = 20_000;

fn run_fsck(repo: &Repo, tips: &[String]) -> Option<Vec<u8>> {
    let mut cmd = repo.git();
    cmd.args([
        "fsck",
        "--connectivity-only",
        "--name-objects",
        "--no-dangling",
        "--no-reflogs",
        "--no-progress",
    ]);
    // Heads given, fsck names objects through them (`<tip>~2:src/`), not through the index
    // (`:src/`, which says no commit).
    if tips.len() <= MAX_TIPS {
        cmd.arg("--end-of-options").args(tips);
    }
    let out = cmd
        // Its report is parsed: untranslated.
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // fsck exits non-zero on a damaged repository, which is why it runs.
    Some(out.stdout)
}

/// `<type> <oid> (<name>)`, the way fsck describes an object.
fn described(s: &str) -> Option<(Kind, String, Option<String>)> {
    let s = s.trim_start();
    let (kind, rest) = s.split_once(' ')?;
    let rest = rest.trim_start();
    let (oid, name) = match rest.split_once(' ') {
        Some((oid, n)) => {
            let n = n.trim();
            let n = n.strip_prefix('(').and_then(|n| n.strip_suffix(')'));
            (oid, n.map(str::to_owned))
        }
        None => (rest.trim(), None),
    };
    let kind = match kind {
        "blob" => Kind::Blob,
        "tree" => Kind::Tree,
        "commit" => Kind::Commit,
        _ => Kind::Unknown,
    };
    Some((kind, oid.to_string(), name))
}

fn parse_fsck(out: &[u8]) -> HashMap<String, Fact> {
    let text = String::from_utf8_lossy(out);
    let mut facts: HashMap<String, Fact> = HashMap::new();
    let mut from: Option<(Kind, String)> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("broken link from") {
            from = described(rest).map(|(k, oid, _)| (k, oid));
        } else if let Some(rest) = t.strip_prefix("to") {
            if let (Some(f), Some((kind, oid, name))) = (from.take(), described(rest)) {
                let e = facts.entry(oid).or_default();
                e.kind = kind;
                e.name = e.name.take().or(name);
                e.from.get_or_insert(f);
            }
        } else if let Some(rest) = t.strip_prefix("missing ") {
            if let Some((kind, oid, name)) = described(rest) {
                let e = facts.entry(oid).or_default();
                e.kind = kind;
                e.name = e.name.take().or(name);
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fsck_output_says_what_is_missing_and_where() {
        let out = b"broken link from    tree f5882478c974b062a89c3b136488436a5ccb916d (refs/heads/main~1:)\n              to    tree 989c6b020cf454a3f62197e7072ff76e686bc65a (refs/heads/main~1:sub dir/)\nmissing tree 989c6b020cf454a3f62197e7072ff76e686bc65a (refs/heads/main~1:sub dir/)\nbroken link from  commit 8cb6d9dc1c9b38c71c0b10671374840911545f21 (refs/heads/main)\n              to  commit ef845e8663c6267979cd2e8565eb8104bb353b86 (refs/heads/main^)\nmissing commit ef845e8663c6267979cd2e8565eb8104bb353b86 (refs/heads/main^)\nmissing blob 00ff67991ce6da269392ca6ea8bda2fa795a130c\n";
        let f = parse_fsck(out);
        let t = &f["989c6b020cf454a3f62197e7072ff76e686bc65a"];
        assert_eq!(t.kind, Kind::Tree);
        assert_eq!(t.name.as_deref(), Some("refs/heads/main~1:sub dir/"));
        assert_eq!(t.from.as_ref().unwrap().0, Kind::Tree);
        let c = &f["ef845e8663c6267979cd2e8565eb8104bb353b86"];
        assert_eq!(c.kind, Kind::Commit);
        assert_eq!(
            c.from,
            Some((
                Kind::Commit,
                "8cb6d9dc1c9b38c71c0b10671374840911545f21".into()
            ))
        );
        let b = &f["00ff67991ce6da269392ca6ea8bda2fa795a130c"];
        assert_eq!((b.kind, b.name.as_deref()), (Kind::Blob, None));
    }

    #[test]
    fn each_kind_is_named_with_its_id() {
        let m = |kind, path: Option<&str>, commit: Option<&str>| Missing {
            oid: "989c6b020cf454a3f62197e7072ff76e686bc65a".into(),
            kind,
            path: path.map(str::to_owned),
            commit: commit.map(str::to_owned),
        };
        let c = "8cb6d9dc1c9b38c71c0b10671374840911545f21";
        let root = m(Kind::Tree, Some(""), Some(c));
        assert_eq!(root.display(), "commit 8cb6d9d (root tree 989c6b0)");
        assert!(root
            .message()
            .contains("989c6b020cf454a3f62197e7072ff76e686bc65a"));
        assert!(root.message().contains(c));
        let sub = m(Kind::Tree, Some("src/lib"), Some(c));
        assert_eq!(sub.display(), "src/lib/ (tree 989c6b0)");
        assert!(sub.message().contains("nothing under src/lib/"));
        let commit = m(Kind::Commit, None, Some(c));
        assert_eq!(commit.display(), "commit 989c6b0");
        assert!(commit
            .message()
            .contains(&format!("a parent of commit {c}")));
        assert_eq!(
            m(Kind::Unknown, None, None).display(),
            "object 989c6b020cf454a3f62197e7072ff76e686bc65a"
        );
    }
}
