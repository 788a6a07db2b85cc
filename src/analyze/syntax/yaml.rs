//! YAML (multi-document) into [`Node`] trees with lines, on yaml-rust2's event parser.
//!
//! Why yaml-rust2: serde_yaml is deprecated and gives no positions for values; yaml-rust2 is maintained,
//! pure Rust, and its event API carries a marker (line, column) for every node, which is all a finding
//! needs. We drive the parser ourselves (no recursion, unlike its own loader), so nesting depth is
//! bounded here, and aliases are expanded by us under a node budget, so an alias bomb ("billion
//! laughs") is an error message instead of exhausted memory. Custom tags (`!Sub`, `!Ref`, `!GetAtt`)
//! are kept on the node and otherwise ignored.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};

use super::doc::{self, Node, Val};

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
        key: Option<(String, usize)>,
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

/// Every document in the stream (empty documents are skipped).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Node, usize)> = HashMap::new();
    // The node budget is per document: a file of 12,000 small Kubernetes documents is fine; alias
    // expansion is also bounded across the whole file, so many documents cannot add up to a bomb.
    let mut nodes = 0usize;
    let mut expanded = 0usize;
    loop {
        let (ev, mark) = parser
            .next_token()
            .map_err(|e| format!("invalid YAML: {e}"))?;
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
                    return Err(format!("invalid YAML: unknown alias at line {line}"));
                };
                nodes += sz;
                expanded += sz;
                if nodes > doc::MAX_NODES || expanded > ALIAS_BUDGET {
                    return Err(format!(
                        "YAML aliases expand to more than {} nodes at line {line} (alias bomb?); not analyzed",
                        doc::MAX_NODES
                    ));
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
                    entries,
                    anchor,
                    tag,
                    ..
                }) => Some((
                    Node {
                        line,
                        val: Val::Map(entries),
                        tag,
                    },
                    anchor,
                )),
                None => {
                    return Err(format!(
                        "invalid YAML: unbalanced collection end at line {line}"
                    ))
                }
            },
            _ => None,
        };
        if stack.len() > doc::MAX_DEPTH {
            return Err(format!(
                "YAML nested deeper than {} levels at line {line}; not analyzed",
                doc::MAX_DEPTH
            ));
        }
        if nodes > doc::MAX_NODES {
            return Err(format!(
                "YAML document has more than {} nodes; not analyzed",
                doc::MAX_NODES
            ));
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
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => {
                    let k = match &node.val {
                        Val::Str(s) => s.clone(),
                        Val::Null => String::new(),
                        _ => "?".to_string(),
                    };
                    *key = Some((k, node.line));
                }
                Some((k, l)) => entries.push((k, l, node)),
            },
        }
    }
    Ok(docs)
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
}
