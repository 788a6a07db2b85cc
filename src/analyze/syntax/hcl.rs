//! Terraform (HCL) helpers on hcl-rs. hcl-rs gives a faithful syntax tree but no positions, so lines
//! are found in the source text: a block by its header (`resource "TYPE" "NAME"`), an attribute by
//! `key =` after its block's header, and the i-th IAM statement of a `jsonencode` by the i-th `Effect`
//! (or `statement {`) after the attribute. That is exact for ordinary Terraform; a file that repeats
//! one block header twice (invalid Terraform) gets the first one's line.

use hcl::expr::{Expression, ObjectKey, TemplateExpr};
use hcl::{Block, Body};

use super::doc::{line_of, Node, Val};

pub(crate) fn parse(text: &str) -> Result<Body, String> {
    // Where and what only: hcl's own rendering quotes the offending line, which may hold a secret.
    hcl::parse(text).map_err(|e| match e {
        hcl::Error::Parse(p) => format!(
            "invalid HCL at line {}, column {}: {}",
            p.location().line(),
            p.location().column(),
            p.message()
        ),
        _ => "invalid HCL".to_string(),
    })
}

/// A top-level `resource`/`data` block with its type, name, and the byte offset of its header.
pub(crate) struct TfBlock<'a> {
    pub(crate) block: &'a Block,
    pub(crate) kind: &'a str,
    pub(crate) ty: &'a str,
    pub(crate) name: &'a str,
    pub(crate) offset: usize,
    pub(crate) line: usize,
}

pub(crate) fn blocks<'a>(body: &'a Body, text: &str) -> Vec<TfBlock<'a>> {
    let mut out = Vec::new();
    for b in body.blocks() {
        let kind = b.identifier.as_str();
        if kind != "resource" && kind != "data" {
            continue;
        }
        let (Some(ty), Some(name)) = (b.labels.first(), b.labels.get(1)) else {
            continue;
        };
        let offset = header_offset(text, kind, ty.as_str(), name.as_str()).unwrap_or(0);
        out.push(TfBlock {
            block: b,
            kind,
            ty: ty.as_str(),
            name: name.as_str(),
            offset,
            line: line_of(text, offset),
        });
    }
    out
}

fn header_offset(text: &str, kind: &str, ty: &str, name: &str) -> Option<usize> {
    let re = regex::Regex::new(&format!(
        r#"(?m)^\s*{}\s+"?{}"?\s+"?{}"?\s*\{{"#,
        regex::escape(kind),
        regex::escape(ty),
        regex::escape(name)
    ))
    .ok()?;
    re.find(text)
        .map(|m| m.start() + (m.as_str().len() - m.as_str().trim_start().len()))
}

/// Byte offset of the `n`-th (0-based) match of `pattern` at or after `from`.
pub(crate) fn nth_after(text: &str, from: usize, pattern: &str, n: usize) -> Option<usize> {
    let re = regex::Regex::new(pattern).ok()?;
    let found = re
        .find_iter(text.get(from..)?)
        .nth(n)
        .map(|m| from + m.start());
    found
}

/// Line of attribute `key` (`key =`) at or after `from`, else the line of `from`.
pub(crate) fn attr_line(text: &str, from: usize, key: &str) -> (usize, usize) {
    let off = nth_after(text, from, &format!(r"\b{}\s*=", regex::escape(key)), 0).unwrap_or(from);
    (line_of(text, off), off)
}

pub(crate) fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

pub(crate) fn attr_str(body: &Body, key: &str) -> Option<String> {
    attr(body, key).map(expr_text)
}

pub(crate) fn attr_strs(body: &Body, key: &str) -> Vec<String> {
    match attr(body, key) {
        Some(Expression::Array(v)) => v.iter().map(expr_text).collect(),
        Some(e) => vec![expr_text(e)],
        None => Vec::new(),
    }
}

/// A scalar expression as text: strings as their value, anything else as HCL source
/// (`aws_iam_role.ci.arn`), so references read as references.
pub(crate) fn expr_text(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        Expression::TemplateExpr(t) => match t.as_ref() {
            TemplateExpr::QuotedString(s) => s.clone(),
            TemplateExpr::Heredoc(h) => h.template.clone(),
        },
        Expression::Bool(b) => b.to_string(),
        Expression::Number(n) => n.to_string(),
        Expression::Null => String::new(),
        other => hcl::format::to_string(other).unwrap_or_default(),
    }
}

/// An expression as a document tree (every node on `line`): objects, arrays, scalars.
pub(crate) fn to_node(e: &Expression, line: usize) -> Node {
    match e {
        Expression::Array(v) => {
            Node::new(line, Val::Seq(v.iter().map(|x| to_node(x, line)).collect()))
        }
        Expression::Object(m) => Node::new(
            line,
            Val::Map(
                m.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Identifier(i) => i.as_str().to_string(),
                            ObjectKey::Expression(e) => expr_text(e),
                            other => other.to_string(),
                        };
                        (key, line, to_node(v, line))
                    })
                    .collect(),
            ),
        ),
        Expression::Null => Node::new(line, Val::Null),
        Expression::Parenthesis(p) => to_node(p, line),
        other => Node::str(line, expr_text(other)),
    }
}

/// A policy-valued attribute as a tree: `jsonencode({...})`, a heredoc or quoted JSON string.
/// `attr_off` is the attribute's byte offset, used for the lines.
pub(crate) fn json_attr(
    e: &Expression,
    text: &str,
    attr_off: usize,
) -> Option<Result<Node, String>> {
    let line = line_of(text, attr_off);
    match e {
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" => {
            let mut n = to_node(f.args.first()?, line);
            fix_statement_lines(&mut n, text, attr_off, r"\bEffect\b");
            Some(Ok(n))
        }
        Expression::TemplateExpr(t) => {
            let (src, first_line) = match t.as_ref() {
                TemplateExpr::Heredoc(h) => (h.template.as_str(), line + 1),
                TemplateExpr::QuotedString(s) => (s.as_str(), line),
            };
            if !src.trim_start().starts_with('{') {
                return None;
            }
            Some(super::json::parse(src).map(|mut n| {
                if first_line > line {
                    n.shift(first_line - 1);
                } else {
                    n.set_line(line);
                }
                n
            }))
        }
        Expression::String(s) if s.trim_start().starts_with('{') => {
            Some(super::json::parse(s).map(|mut n| {
                n.set_line(line);
                n
            }))
        }
        _ => None,
    }
}

/// Gives the i-th item of `Statement` the line of the i-th `pattern` match after `from`.
pub(crate) fn fix_statement_lines(n: &mut Node, text: &str, from: usize, pattern: &str) {
    let Val::Map(m) = &mut n.val else { return };
    for (k, _, v) in m.iter_mut() {
        if k == "Statement" {
            if let Val::Seq(items) = &mut v.val {
                for (i, it) in items.iter_mut().enumerate() {
                    if let Some(off) = nth_after(text, from, pattern, i) {
                        it.set_line(line_of(text, off));
                    }
                }
            } else if let Some(off) = nth_after(text, from, pattern, 0) {
                v.set_line(line_of(text, off));
            }
        }
    }
}
