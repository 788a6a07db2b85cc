//! Origins of history units: the provisional one a blob is scanned with (its first listed path and
//! id), the final one a finding is reported with (the commit that introduced the blob, its author and
//! date, whether it is still at HEAD, how long it was exposed), the display strings of both, and the
//! origin of a commit message.

use std::sync::Arc;

use serde_json::{json, Map};

use super::message::Message;
use super::missing::short;
use super::provenance::BlobHistory;
use super::reader::BlobRef;
use crate::dates::iso_time;
use crate::finding::Origin;

/// The path a commit message is reported at (the SARIF artifact, what `allow_paths` globs match): not
/// a file, but a name that says what it is; the `commit_message` property tells it from a file that
/// happens to carry this name, and `commit` (and the SARIF logical location) which commit it is.
pub(crate) const MESSAGE_PATH: &str = "<commit message>";

/// How a blob is named before its provenance is known: its first listed path and short id.
pub(crate) fn blob_display(b: &BlobRef) -> String {
    if b.commit {
        format!("{MESSAGE_PATH} (commit {})", short(&b.oid))
    } else if b.path.is_empty() {
        format!("unreachable blob {}", b.oid)
    } else {
        format!("{} (blob {})", b.path, short(&b.oid))
    }
}

/// The origin of a commit message: the commit, its author and date. It is final as made (the
/// commit is known), and names no blob, so provenance leaves it as it is.
pub(crate) fn message_origin(m: &Message) -> Origin {
    let mut properties = Map::new();
    properties.insert("commit_message".into(), json!(true));
    properties.insert("commit".into(), json!(m.sha));
    properties.insert("author".into(), json!(m.author));
    properties.insert("author_email".into(), json!(m.email));
    properties.insert("date".into(), json!(iso_time(m.author_time)));
    if !m.reachable {
        properties.insert("reachable".into(), json!(false));
    }
    Origin {
        artifact: MESSAGE_PATH.into(),
        display: format!("{MESSAGE_PATH} (commit {})", short(&m.sha)),
        name: MESSAGE_PATH.into(),
        logical: Some(m.sha.clone()),
        properties,
    }
}

/// The provisional origin a blob is scanned with: its first listed path, its id in `blob`, and
/// `reachable: false` when no scanned ref reaches it.
pub(crate) fn blob_origin(b: &BlobRef) -> Origin {
    let mut properties = Map::new();
    properties.insert("blob".into(), json!(b.oid));
    if !b.reachable {
        properties.insert("reachable".into(), json!(false));
    }
    Origin {
        artifact: if b.path.is_empty() {
            b.oid.clone()
        } else {
            b.path.clone()
        },
        display: blob_display(b),
        name: b.path.clone(),
        logical: None,
        properties,
    }
}

/// The blob a provisional origin ([`blob_origin`]) was made for; None for any other origin.
pub(crate) fn blob_of(o: &Arc<Origin>) -> Option<BlobRef> {
    let oid = o.properties.get("blob")?.as_str()?;
    Some(BlobRef {
        oid: oid.to_string(),
        path: o.name.clone(),
        reachable: o.properties.get("reachable") != Some(&json!(false)),
        commit: false,
    })
}

/// The origin a history finding is reported with: where and when the blob entered the history.
pub(crate) fn history_origin(
    b: &BlobRef,
    p: Option<&BlobHistory>,
    at_head: bool,
    now: i64,
) -> Origin {
    let mut o = blob_origin(b);
    let props = &mut o.properties;
    let Some(intro) = p.and_then(|p| p.introduced()) else {
        props.insert("at_head".into(), json!(at_head));
        return o;
    };
    let p = p.expect("has an introduction");
    let path = intro.path.clone();
    o.artifact = path.clone();
    o.name = path.clone();
    o.display = format!("{path} (commit {})", short(&intro.commit.sha));
    o.logical = Some(format!("{}:{path}", intro.commit.sha));
    let c = &intro.commit;
    props.insert("path".into(), json!(path));
    props.insert("commit".into(), json!(c.sha));
    props.insert("author".into(), json!(c.author));
    props.insert("author_email".into(), json!(c.email));
    props.insert("date".into(), json!(iso_time(c.author_time)));
    props.insert("summary".into(), json!(c.summary));
    let mut paths: Vec<&str> = p
        .adds
        .iter()
        .map(|a| a.path.as_str())
        .filter(|q| *q != path)
        .collect();
    paths.sort();
    paths.dedup();
    let mut commits: Vec<&str> = p
        .adds
        .iter()
        .map(|a| a.commit.sha.as_str())
        .filter(|s| *s != c.sha)
        .collect();
    commits.sort();
    commits.dedup();
    props.insert("other_commits".into(), json!(commits.len()));
    props.insert("other_paths".into(), json!(paths));
    props.insert("at_head".into(), json!(at_head));
    let end = if at_head {
        now
    } else if let Some(r) = p.removed() {
        props.insert("removed_in".into(), json!(r.sha));
        props.insert("removed_date".into(), json!(iso_time(r.commit_time)));
        r.commit_time
    } else {
        now
    };
    let days = ((end - c.commit_time.min(c.author_time)).max(0)) / 86_400;
    props.insert("exposure_days".into(), json!(days));
    o
}
