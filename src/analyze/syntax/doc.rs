//! The one document tree the posture analyzers read, whatever the syntax was (JSON, YAML, HCL): scalars
//! are kept as text, every node knows its 1-based line, and mapping entries keep their key's line.
//! Analyzers never see a parser's own types, so one IAM check serves a JSON policy, a CloudFormation
//! YAML template and a Terraform `jsonencode`.

/// Bounds every parser shares: documents deeper or larger than this are malformed for our purposes.
pub(crate) const MAX_DEPTH: usize = 128;
/// Nodes one document may expand to (YAML aliases included): an alias bomb stops here.
pub(crate) const MAX_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Null,
    /// Any scalar as written (numbers and booleans included); `tag` on the node says `!Sub`, `!Ref`.
    Str(String),
    Seq(Vec<Node>),
    /// Entries in order: key, key line, value.
    Map(Vec<(String, usize, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) val: Val,
    pub(crate) tag: Option<String>,
}

static NULL: Node = Node {
    line: 0,
    val: Val::Null,
    tag: None,
};

impl Node {
    pub(crate) fn new(line: usize, val: Val) -> Node {
        Node {
            line,
            val,
            tag: None,
        }
    }

    pub(crate) fn str(line: usize, s: impl Into<String>) -> Node {
        Node::new(line, Val::Str(s.into()))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.val {
            Val::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    /// Case-insensitive key lookup (ARM templates and Azure JSON mix `Actions` and `actions`).
    pub(crate) fn get_ci(&self, key: &str) -> Option<&Node> {
        match &self.val {
            Val::Map(m) => m
                .iter()
                .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, _, v)| v),
            _ => None,
        }
    }

    /// The line of `key` in this mapping (the key's own line), else this node's line.
    pub(crate) fn key_line(&self, key: &str) -> usize {
        match &self.val {
            Val::Map(m) => m
                .iter()
                .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
                .map_or(self.line, |(_, l, _)| *l),
            _ => self.line,
        }
    }

    /// Follows a path of keys.
    pub(crate) fn at(&self, path: &[&str]) -> &Node {
        let mut n = self;
        for k in path {
            n = n.get(k).unwrap_or(&NULL);
        }
        n
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.val {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.val, Val::Null)
    }

    pub(crate) fn entries(&self) -> &[(String, usize, Node)] {
        match &self.val {
            Val::Map(m) => m,
            _ => &[],
        }
    }

    /// A sequence's items, or the node itself as a one-item list (IAM allows `"Action": "s3:*"`).
    pub(crate) fn items(&self) -> &[Node] {
        match &self.val {
            Val::Seq(v) => v,
            Val::Null => &[],
            _ => std::slice::from_ref(self),
        }
    }

    /// The scalar strings of [`Node::items`].
    pub(crate) fn strs(&self) -> Vec<&str> {
        self.items().iter().filter_map(Node::as_str).collect()
    }

    /// `false`, whatever the syntax wrote (`false`, `False`, `"false"`).
    pub(crate) fn is_false(&self) -> bool {
        self.as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("false"))
    }

    /// Every node below and including this one, depth first.
    pub(crate) fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        f(self);
        match &self.val {
            Val::Seq(v) => v.iter().for_each(|n| n.walk(f)),
            Val::Map(m) => m.iter().for_each(|(_, _, n)| n.walk(f)),
            _ => {}
        }
    }

    /// Shifts every line by `by` (a document embedded in another file, e.g. a Terraform heredoc).
    pub(crate) fn shift(&mut self, by: usize) {
        self.line += by;
        match &mut self.val {
            Val::Seq(v) => v.iter_mut().for_each(|n| n.shift(by)),
            Val::Map(m) => m.iter_mut().for_each(|(_, l, n)| {
                *l += by;
                n.shift(by)
            }),
            _ => {}
        }
    }

    /// Sets every line to `line` (HCL expressions, whose parser gives no positions).
    pub(crate) fn set_line(&mut self, line: usize) {
        self.line = line;
        match &mut self.val {
            Val::Seq(v) => v.iter_mut().for_each(|n| n.set_line(line)),
            Val::Map(m) => m.iter_mut().for_each(|(_, l, n)| {
                *l = line;
                n.set_line(line)
            }),
            _ => {}
        }
    }
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &text.as_bytes()[..offset.min(text.len())]).count() + 1
}
