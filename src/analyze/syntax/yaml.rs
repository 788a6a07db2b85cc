//! YAML (multi-document) into [`Node`] trees with lines, on yaml-rust2's event parser.
//!
//! Why yaml-rust2: serde_yaml is deprecated and gives no positions for values; yaml-rust2 is maintained,
//! pure Rust, and its event API carries a marker (line, column) for every node, which is all a finding
//! needs. We drive the parser ourselves (no recursion, unlike its own loader), so nesting depth is
//! bounded here, and aliases are expanded by us under a node budget, so an alias bomb ("billion
//! laughs") is an error message instead of exhausted memory. Custom tags (`!Sub`, `!Ref`, `!GetAtt`)
//! are kept on the node and otherwise ignored; merge keys (`<<: *defaults`) are merged as PyYAML and
//! go-yaml do. Where yaml-rust2 is stricter than libyaml (the reader of PyYAML, Kubernetes and
//! Helm), [`yaml_mend`](super::yaml_mend) mends the text and the parse is tried again.

use std::collections::{HashMap, HashSet};

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::ScanError;

use super::doc::{self, Node, Val};
use super::yaml_mend::{mend, Failure};

enum Frame {
    Seq {
        line: usize,
        items: Vec<Node>,
        anchor: usize,
        tag: Option<String>,
    },
    Map {
        line: usize,
        entries: Vec<(String, usize, Node)>,
        /// The pending key: text, line, and whether it is a plain `<<` (a merge key).
        key: Option<(String, usize, bool)>,
        /// The values of its merge keys, in order.
        merges: Vec<Node>,
        anchor: usize,
        tag: Option<String>,
    },
}

fn tag_str(t: Option<yaml_rust2::parser::Tag>) -> Option<String> {
    t.map(|t| format!("{}{}", t.handle, t.suffix))
}

fn size(n: &Node) -> usize {
    let mut c = 0;
    n.walk(&mut |_| c += 1);
    c
}

/// How many nodes alias expansion may add in one whole file (all its documents).
const ALIAS_BUDGET: usize = 5 * doc::MAX_NODES;
/// How many times a rejected text is mended and parsed again ([`yaml_mend`](super::yaml_mend)),
/// and how many bytes those parses may read in all.
const MAX_MENDS: usize = 256;
const MEND_BYTES: usize = 64 << 20;

/// Why a parse stopped: the scanner (maybe a difference [`mend`] knows), or a bound of ours.
enum Stop {
    Scan(ScanError),
    Bound(String),
}

impl Stop {
    fn message(self) -> String {
        match self {
            Stop::Scan(e) => format!("invalid YAML: {e}"),
            Stop::Bound(m) => m,
        }
    }
}

/// Every document in the stream (empty documents are skipped).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, String> {
    // yaml-rust2 counts a byte-order mark as a column, so a `---` after it is no marker; libyaml
    // skips it. Dropping it moves no line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = match build(text) {
        Ok(d) => return Ok(d),
        Err(e) => e,
    };
    let tries = MAX_MENDS.min(MEND_BYTES / text.len().max(1));
    let mut mended: Option<String> = None;
    let mut last = match &first {
        Stop::Scan(e) => failure(e),
        Stop::Bound(_) => return Err(first.message()),
    };
    for _ in 0..tries {
        let Some(next) = mend(mended.as_deref().unwrap_or(text), &last) else {
            break;
        };
        match build(&next) {
            Ok(d) => return Ok(d),
            Err(Stop::Scan(e)) => last = failure(&e),
            Err(Stop::Bound(m)) => return Err(m),
        }
        mended = Some(next);
    }
    // The first error: its line is the file's.
    Err(first.message())
}

fn failure(e: &ScanError) -> Failure {
    Failure {
        info: e.info().to_string(),
        line: e.marker().line(),
        col: e.marker().col(),
    }
}

fn build(text: &str) -> Result<Vec<Node>, Stop> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    // The node budget is per document: a file of 12,000 small Kubernetes documents is fine; alias
    // expansion is also bounded across the whole file, so many documents cannot add up to a bomb.
    let mut nodes = 0usize;
    let mut expanded = 0usize;
    loop {
        let (ev, mark) = parser.next_token().map_err(Stop::Scan)?;
        let line = mark.line();
        let done: Option<(Node, usize)> = match ev {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                anchors.clear();
                nodes = 0;
                None
            }
            Event::Scalar(v, style, anchor, tag) => {
                nodes += 1;
                let plain = matches!(style, yaml_rust2::scanner::TScalarStyle::Plain);
                if plain && v == "<<" && tag.is_none() {
                    // A merge key: only where a key is expected.
                    if let Some(Frame::Map { key: k @ None, .. }) = stack.last_mut() {
                        *k = Some((v, line, true));
                        continue;
                    }
                }
                let val = if plain && matches!(v.as_str(), "~" | "null" | "Null" | "NULL" | "") {
                    Val::Null
                } else {
                    Val::Str(v)
                };
                Some((
                    Node {
                        line,
                        val,
                        tag: tag_str(tag),
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => {
                let Some((n, sz)) = anchors.get(&id) else {
                    return Err(Stop::Bound(format!(
                        "invalid YAML: unknown alias at line {line}"
                    )));
                };
                nodes += sz;
                expanded += sz;
                if nodes > doc::MAX_NODES || expanded > ALIAS_BUDGET {
                    return Err(Stop::Bound(format!(
                        "YAML aliases expand to more than {} nodes at line {line} (alias bomb?); not analyzed",
                        doc::MAX_NODES
                    )));
                }
                Some((n.clone(), 0))
            }
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame::Seq {
                    line,
                    items: Vec::new(),
                    anchor,
                    tag: tag_str(tag),
                });
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Frame::Map {
                    line,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                    tag: tag_str(tag),
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    line,
                    items,
                    anchor,
                    tag,
                }) => Some((
                    Node {
                        line,
                        val: Val::Seq(items),
                        tag,
                    },
                    anchor,
                )),
                Some(Frame::Map {
                    line,
                    mut entries,
                    merges,
                    anchor,
                    tag,
                    ..
                }) => {
                    merge(&mut entries, merges);
                    Some((
                        Node {
                            line,
                            val: Val::Map(entries),
                            tag,
                        },
                        anchor,
                    ))
                }
                None => {
                    return Err(Stop::Bound(format!(
                        "invalid YAML: unbalanced collection end at line {line}"
                    )))
                }
            },
            _ => None,
        };
        if stack.len() > doc::MAX_DEPTH {
            return Err(Stop::Bound(format!(
                "YAML nested deeper than {} levels at line {line}; not analyzed",
                doc::MAX_DEPTH
            )));
        }
        if nodes > doc::MAX_NODES {
            return Err(Stop::Bound(format!(
                "YAML document has more than {} nodes; not analyzed",
                doc::MAX_NODES
            )));
        }
        let Some((node, anchor)) = done else { continue };
        if anchor > 0 {
            let sz = size(&node);
            anchors.insert(anchor, (node.clone(), sz));
        }
        match stack.last_mut() {
            None => {
                if !node.is_null() {
                    docs.push(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merges,
                ..
            }) => match key.take() {
                None => {
                    let k = match &node.val {
                        Val::Str(s) => s.clone(),
                        Val::Null => String::new(),
                        _ => "?".to_string(),
                    };
                    *key = Some((k, node.line, false));
                }
                Some((_, _, true)) if is_merge_source(&node) => merges.push(node),
                Some((k, l, _)) => entries.push((k, l, node)),
            },
        }
    }
    Ok(docs)
}

/// A merge key's value: a mapping, or a list of mappings.
fn is_merge_source(n: &Node) -> bool {
    match &n.val {
        Val::Map(_) => true,
        Val::Seq(items) => items.iter().all(|i| matches!(i.val, Val::Map(_))),
        _ => false,
    }
}

/// Adds the entries of merged mappings that the mapping does not set itself; of several merged
/// mappings, the first to set a key wins (YAML 1.1 merge, as PyYAML and go-yaml read it).
fn merge(entries: &mut Vec<(String, usize, Node)>, merges: Vec<Node>) {
    if merges.is_empty() {
        return;
    }
    let mut set: HashSet<String> = entries.iter().map(|(k, _, _)| k.clone()).collect();
    for m in merges {
        let maps = match m.val {
            Val::Seq(items) => items,
            v => vec![Node { val: v, ..m }],
        };
        for map in maps {
            if let Val::Map(es) = map.val {
                for e in es {
                    if set.insert(e.0.clone()) {
                        entries.push(e);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_budget_is_per_document() {
        // Issue 14.12: 12,000 small Roles in one file gave no finding at all.
        let one = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\nrules:\n- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n";
        let text = vec![one; 12_000].join("---\n");
        assert_eq!(parse(&text).unwrap().len(), 12_000);
        // Alias bombs are still stopped, across documents too.
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        let many = vec![bomb; 100].join("---\n");
        assert!(parse(&many).is_err());
    }

    #[test]
    fn lines_tags_and_documents() {
        let docs = parse("a: 1\nb:\n  - x: !Sub 'arn:${A}'\n    y: 2\n---\nkind: Role\n").unwrap();
        assert_eq!(docs.len(), 2);
        let item = &docs[0].get("b").unwrap().items()[0];
        assert_eq!(item.line, 3);
        assert_eq!(item.get("x").unwrap().tag.as_deref(), Some("!Sub"));
        assert_eq!(item.key_line("y"), 4);
        assert_eq!(docs[1].key_line("kind"), 6);
    }

    #[test]
    fn alias_bomb_and_depth_are_bounded() {
        let mut s = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            let refs = vec![format!("*{prev}"); 10].join(", ");
            s.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
        }
        assert!(parse(&s).unwrap_err().contains("alias bomb"));
        let deep = "[".repeat(500) + &"]".repeat(500);
        let e = parse(&deep).unwrap_err();
        assert!(e.contains("deeper") || e.contains("recursion"), "{e}");
        assert!(parse("a: [1, 2\nb: c")
            .unwrap_err()
            .contains("invalid YAML"));
    }

    #[test]
    fn what_libyaml_reads_is_read() {
        // A closing bracket under its key and a quoted scalar continued at its key's column
        // (yaml-rust2: "invalid indentation"), a lone `-` in a flow list, and a byte-order mark
        // before `---`: PyYAML reads them all. Values and lines are the text's own.
        let text = "\u{feff}---\nPolicy:\n  Action: [\n    \"s3:*\",\n  ]\n  Description: \"one\n  two\"\n  Pins: [a, -, b]\nNext: 1\n";
        let d = &parse(text).unwrap()[0];
        let p = d.get("Policy").unwrap();
        assert_eq!(p.get("Action").unwrap().strs(), ["s3:*"]);
        assert_eq!(p.get("Description").unwrap().as_str(), Some("one two"));
        assert_eq!(p.get("Pins").unwrap().strs(), ["a", "-", "b"]);
        assert_eq!(d.key_line("Next"), 9);
        // Still rejected, as PyYAML and GitHub reject them (redis's history has both): a tag
        // where an expression was meant, and a flow list closed twice.
        for bad in [
            "steps:\n  - if: !contains(github.event.inputs.skip, 'x')\n    run: t\n",
            "on:\n  push:\n    branches: [ unstable, [0-9].[0-9] ]\n",
            "a: [x,\n---\n]\n",
        ] {
            assert!(parse(bad).unwrap_err().starts_with("invalid YAML"), "{bad}");
        }
    }

    #[test]
    fn merge_keys_merge() {
        let text = "base: &b\n  image: app:1\n  replicas: 1\nextra: &e\n  replicas: 5\n  tier: web\nd:\n  <<: [*b, *e]\n  replicas: 3\nq:\n  \"<<\": *b\n";
        let docs = parse(text).unwrap();
        let d = docs[0].get("d").unwrap();
        let keys: Vec<&str> = d.entries().iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["replicas", "image", "tier"]);
        assert_eq!(d.get("replicas").unwrap().as_str(), Some("3"));
        assert_eq!(d.key_line("image"), 2);
        // A quoted "<<" is an ordinary key.
        assert!(docs[0].get("q").unwrap().get("<<").is_some());
    }

    #[test]
    fn mending_is_bounded() {
        // Thousands of under-indented closing brackets: mended a bounded number of times, then
        // the first error is reported.
        let one = "k:\n  a: [x,\n  ]\n";
        assert!(parse(one).is_ok());
        let one = "- a: [x,\n ]\n";
        let Err(e) = parse(&one.repeat(2_000)) else {
            panic!("mended without bound")
        };
        assert!(e.contains("line 2 "), "{e}");
        assert!(parse(&one.repeat(20)).is_ok_and(|d| d[0].items().len() == 20));
    }
}
